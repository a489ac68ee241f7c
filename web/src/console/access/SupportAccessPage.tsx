import { Badge, Button, Code, Group, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import type { components } from '../../api/schema';
import { useStepUp } from '../../auth/stepUp.tsx';
import { useFormat } from '../../i18n/format.ts';
import { ConfirmButton } from '../../ui/ConfirmButton.tsx';
import { EmptyState } from '../../ui/EmptyState.tsx';
import { TableHeader } from '../../ui/TableHeader.tsx';
import { toast } from '../../ui/toast.ts';

type SupportRequest = components['schemas']['SupportRequest'];

const COLORS: Record<SupportRequest['status'], string> = {
  pending: 'blue',
  approved: 'green',
  rejected: 'gray',
  revoked: 'gray',
  expired: 'gray',
};

/**
 * Support access by the platform's operators (GET /api/v1/support-access): none by default; a
 * request is approved or rejected by a tenant admin; an approved grant can be revoked before it
 * expires.
 */
export function SupportAccessPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const queryClient = useQueryClient();
  const stepUp = useStepUp();
  const requests = useQuery({
    queryKey: ['support-access'],
    queryFn: () => call(client.GET('/api/v1/support-access')),
  });
  const list = requests.data?.data ?? [];
  const act = async (id: string, action: 'approve' | 'reject' | 'revoke', comment = '') => {
    const params = { params: { path: { request_id: id } } };
    // Letting an operator in asks for a recent second factor (step-up).
    if (action === 'approve')
      await stepUp.run(() => call(client.POST('/api/v1/support-access/{request_id}/approve', params)));
    else if (action === 'reject')
      await call(client.POST('/api/v1/support-access/{request_id}/reject', { ...params, body: { comment } }));
    else await call(client.POST('/api/v1/support-access/{request_id}/revoke', params));
    toast.success(t(`access.support.${action}d`));
    await queryClient.invalidateQueries({ queryKey: ['support-access'] });
  };
  return (
    <Stack>
      <Title order={2}>{t('access.support.title')}</Title>
      <Text size="sm" c="dimmed">
        {t('access.support.intro')}
      </Text>
      <Table.ScrollContainer minWidth={860}>
        <Table striped>
          <TableHeader
            caption={t('access.support.title')}
            columns={[
              t('access.support.col.operator'),
              t('access.support.col.reason'),
              t('access.support.col.access'),
              t('access.support.col.requested'),
              t('access.support.col.status'),
            ]}
            actions
          />
          <Table.Tbody>
            {list.map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td>{r.operator.name}</Table.Td>
                <Table.Td>
                  <Text size="sm">{r.reason}</Text>
                  <Text size="xs" c="dimmed">
                    {t('access.support.duration', { hours: f.number(r.duration_hours) })}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Badge variant="dot" color={r.access === 'read_only' ? 'gray' : 'orange'}>
                    {t(`access.support.access.${r.access}`)}
                  </Badge>
                  {r.permissions.length ? (
                    <Group gap={2} mt={2}>
                      {r.permissions.map((p) => (
                        <Code key={p}>{p}</Code>
                      ))}
                    </Group>
                  ) : null}
                </Table.Td>
                <Table.Td>{f.dateTime(r.created_at)}</Table.Td>
                <Table.Td>
                  <Badge variant="dot" color={COLORS[r.status]}>
                    {t(`access.support.status.${r.status}`)}
                  </Badge>
                  {r.status === 'approved' && r.expires_at ? (
                    <Text size="xs" c="dimmed">
                      {t('access.support.until', { date: f.dateTime(r.expires_at) })}
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td>
                  {r.status === 'pending' ? (
                    <Group gap={4}>
                      <Button
                        size="xs"
                        variant="light"
                        aria-label={t('access.support.approve_named', { name: r.operator.name })}
                        onClick={() => act(r.id, 'approve').catch((err) => toast.error(err))}
                      >
                        {t('access.support.approve')}
                      </Button>
                      <RejectButton
                        operator={r.operator.name}
                        onReject={(comment) => act(r.id, 'reject', comment)}
                      />
                    </Group>
                  ) : r.status === 'approved' ? (
                    <ConfirmButton
                      size="xs"
                      title={t('access.support.revoke_title')}
                      message={t('access.support.revoke_message', { name: r.operator.name })}
                      confirmLabel={t('access.support.revoke')}
                      onConfirm={() => act(r.id, 'revoke')}
                    >
                      {t('access.support.revoke')}
                    </ConfirmButton>
                  ) : null}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {requests.isSuccess && !list.length ? <EmptyState title={t('access.support.empty')} /> : null}
      {stepUp.dialog}
    </Stack>
  );
}

function RejectButton(props: { operator: string; onReject: (comment: string) => Promise<void> }) {
  const { t } = useTranslation();
  const [comment, setComment] = useState('');
  return (
    <ConfirmButton
      size="xs"
      title={t('access.support.reject_title')}
      message={
        <Stack gap="xs">
          <Text size="sm">{t('access.support.reject_message', { name: props.operator })}</Text>
          <Textarea
            label={t('access.support.reject_comment')}
            required
            autosize
            minRows={2}
            value={comment}
            onChange={(e) => setComment(e.currentTarget.value)}
          />
        </Stack>
      }
      confirmLabel={t('access.support.reject')}
      onConfirm={async () => {
        if (!comment.trim()) throw new Error(t('access.support.reject_comment_required'));
        await props.onReject(comment.trim());
        setComment('');
      }}
    >
      {t('access.support.reject')}
    </ConfirmButton>
  );
}
