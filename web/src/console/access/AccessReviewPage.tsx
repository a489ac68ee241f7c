import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Progress,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import type { components } from '../../api/schema';
import { useStepUp } from '../../auth/stepUp.tsx';
import { useFormat } from '../../i18n/format.ts';
import { AnchorLink } from '../../ui/AnchorLink.tsx';
import { ConfirmButton } from '../../ui/ConfirmButton.tsx';
import { EmptyState } from '../../ui/EmptyState.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { TableHeader } from '../../ui/TableHeader.tsx';
import { toast } from '../../ui/toast.ts';
import { localToIso, roleLabel, rolesQuery, saveFile } from './shared.ts';

type Campaign = components['schemas']['AccessReviewCampaign'];
type Item = components['schemas']['AccessReviewItem'];

/** Coloured alert text is below WCAG AA for green, orange and red: the text keeps the body colour. */
const READABLE_ALERT = {
  title: { color: 'var(--mantine-color-text)' },
  message: { color: 'var(--mantine-color-text)' },
};
/**
 * Access review: the export of who can do what (GET /api/v1/access-review, CSV or JSON — a
 * sensitive read that may ask for a fresh second factor), when the next review is due
 * (GET /api/v1/access-review/status), and the review campaigns.
 */
export function AccessReviewPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const queryClient = useQueryClient();
  const stepUp = useStepUp();
  const [busy, setBusy] = useState<'csv' | 'json' | null>(null);
  const status = useQuery({
    queryKey: ['access-review', 'status'],
    queryFn: () => call(client.GET('/api/v1/access-review/status')),
  });
  const campaigns = useQuery({
    queryKey: ['access-review', 'campaigns'],
    queryFn: () => call(client.GET('/api/v1/access-review/campaigns')),
  });

  const download = async (format: 'csv' | 'json') => {
    setBusy(format);
    try {
      const blob = await stepUp.run(() =>
        call(client.GET('/api/v1/access-review', { params: { query: { format } }, parseAs: 'blob' })),
      );
      const day = new Date().toISOString().slice(0, 10);
      saveFile(blob, `access-review-${day}.${format}`);
      toast.success(t('access.review.exported'));
    } catch (err) {
      toast.error(err);
    } finally {
      setBusy(null);
    }
  };

  const s = status.data;
  const list = (campaigns.data?.data ?? []) as Campaign[];
  return (
    <Stack>
      <Title order={2}>{t('access.review.title')}</Title>
      {s ? (
        <Alert
          color={s.overdue ? 'orange' : 'green'}
          title={s.overdue ? t('access.review.overdue') : t('access.review.up_to_date')}
          data-testid="review-status"
          variant="outline"
          styles={READABLE_ALERT}
        >
          {s.last_completed_campaign
            ? t('access.review.last', {
                name: s.last_completed_campaign.name,
                date: f.date(s.last_completed_campaign.completed_at),
              })
            : t('access.review.never')}{' '}
          {t('access.review.due', { date: f.date(s.due_at) })}
        </Alert>
      ) : null}
      <Card withBorder>
        <Title order={3} size="h4">
          {t('access.review.export_title')}
        </Title>
        <Text size="sm" c="dimmed" mb="sm">
          {t('access.review.export_help')}
        </Text>
        <Group>
          <Button onClick={() => download('csv')} loading={busy === 'csv'} disabled={busy !== null}>
            {t('access.review.export_csv')}
          </Button>
          <Button
            variant="default"
            onClick={() => download('json')}
            loading={busy === 'json'}
            disabled={busy !== null}
          >
            {t('access.review.export_json')}
          </Button>
        </Group>
      </Card>
      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          {t('access.review.start')}
        </Title>
        <StartCampaignForm
          onStarted={async (c) => {
            toast.success(t('access.review.started', { name: c.name }));
            await queryClient.invalidateQueries({ queryKey: ['access-review'] });
          }}
        />
      </Card>
      <Title order={3} size="h4">
        {t('access.review.campaigns')}
      </Title>
      <Table.ScrollContainer minWidth={640}>
        <Table striped>
          <TableHeader
            caption={t('access.review.campaigns')}
            columns={[
              t('access.review.col.name'),
              t('access.review.col.status'),
              t('access.review.col.progress'),
              t('access.review.col.due'),
              t('access.review.col.started'),
            ]}
          />
          <Table.Tbody>
            {list.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>
                  <AnchorLink to="/console/access-review/$campaignId" params={{ campaignId: c.id }} size="sm">
                    {c.name}
                  </AnchorLink>
                </Table.Td>
                <Table.Td>
                  <CampaignStatus status={c.status} />
                </Table.Td>
                <Table.Td>
                  {f.number(c.items_decided)} / {f.number(c.items_total)}
                </Table.Td>
                <Table.Td>{c.due_at ? f.date(c.due_at) : '—'}</Table.Td>
                <Table.Td>{f.dateTime(c.created_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {campaigns.isSuccess && !list.length ? <EmptyState title={t('access.review.no_campaigns')} /> : null}
      {stepUp.dialog}
    </Stack>
  );
}

function CampaignStatus(props: { status: Campaign['status'] }) {
  const { t } = useTranslation();
  const color = props.status === 'open' ? 'blue' : props.status === 'completed' ? 'green' : 'gray';
  return (
    <Badge variant="dot" color={color}>
      {t(`access.review.status.${props.status}`)}
    </Badge>
  );
}

function StartCampaignForm(props: { onStarted: (c: Campaign) => Promise<void> }) {
  const { t } = useTranslation();
  const form = useForm({ initialValues: { name: '', due_at: '' } });
  return (
    <ApiForm
      form={form}
      aria-label={t('access.review.start')}
      submitLabel={t('access.review.start_submit')}
      onSubmit={async (v) => {
        const due = localToIso(v.due_at);
        const c = await call(
          client.POST('/api/v1/access-review/campaigns', {
            body: { name: v.name, ...(due ? { due_at: due } : {}) },
          }),
        );
        form.reset();
        await props.onStarted(c);
      }}
    >
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput label={t('access.review.field.name')} required {...form.getInputProps('name')} />
        <TextInput
          label={t('access.review.field.due_at')}
          type="datetime-local"
          {...form.getInputProps('due_at')}
        />
      </SimpleGrid>
    </ApiForm>
  );
}

/** One campaign (GET /api/v1/access-review/campaigns/{id}): certify or revoke each assignment; close. */
export function CampaignPage(props: { campaignId: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const queryClient = useQueryClient();
  const roles = useQuery(rolesQuery);
  const campaign = useQuery({
    queryKey: ['access-review', 'campaign', props.campaignId],
    queryFn: () =>
      call(
        client.GET('/api/v1/access-review/campaigns/{campaign_id}', {
          params: { path: { campaign_id: props.campaignId } },
        }),
      ),
  });
  const c = campaign.data;
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['access-review'] });
  return (
    <Stack>
      <AnchorLink to="/console/access-review" size="sm">
        {t('access.review.back')}
      </AnchorLink>
      <Title order={2}>{c ? c.name : t('common.loading')}</Title>
      {c ? (
        <>
          <Group>
            <CampaignStatus status={c.status} />
            {c.due_at ? <Text size="sm">{t('access.review.due_on', { date: f.date(c.due_at) })}</Text> : null}
          </Group>
          <Progress
            value={c.items_total ? (100 * c.items_decided) / c.items_total : 100}
            aria-label={t('access.review.col.progress')}
          />
          <Text size="sm">
            {t('access.review.decided', {
              decided: f.number(c.items_decided),
              total: f.number(c.items_total),
            })}
          </Text>
          {c.status === 'open' ? (
            <Group>
              <ConfirmButton
                title={t('access.review.close_title')}
                message={t('access.review.close_message')}
                confirmLabel={t('access.review.close')}
                onConfirm={async () => {
                  await call(
                    client.POST('/api/v1/access-review/campaigns/{campaign_id}/close', {
                      params: { path: { campaign_id: c.id } },
                    }),
                  );
                  toast.success(t('access.review.closed'));
                  await refresh();
                }}
              >
                {t('access.review.close')}
              </ConfirmButton>
            </Group>
          ) : null}
          <Table.ScrollContainer minWidth={820}>
            <Table striped data-testid="campaign-items">
              <TableHeader
                caption={t('access.review.items')}
                columns={[
                  t('access.review.col.user'),
                  t('access.assignments.col.role'),
                  t('access.assignments.col.scope'),
                  t('access.assignments.col.expires'),
                  t('access.review.col.decision'),
                ]}
              />
              <Table.Tbody>
                {c.items.map((item) => (
                  <Table.Tr key={item.id}>
                    <Table.Td>
                      <Text size="sm">{item.user.display_name ?? item.user.id}</Text>
                      <Text size="xs" c="dimmed">
                        {item.user.email ?? ''}
                      </Text>
                    </Table.Td>
                    <Table.Td>{roleLabel(item.role, roles.data?.data)}</Table.Td>
                    <Table.Td>
                      {item.scope
                        ? `${item.scope.type} ${item.scope.id}`
                        : t('access.assignments.scope.tenant')}
                    </Table.Td>
                    <Table.Td>
                      {item.expires_at ? f.dateTime(item.expires_at) : t('access.assignments.permanent')}
                    </Table.Td>
                    <Table.Td>
                      <Decision
                        item={item}
                        campaignId={c.id}
                        open={c.status === 'open'}
                        onDecided={refresh}
                      />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </>
      ) : null}
    </Stack>
  );
}

function Decision(props: {
  item: Item;
  campaignId: string;
  open: boolean;
  onDecided: () => Promise<unknown>;
}) {
  const { t } = useTranslation();
  const [comment, setComment] = useState('');
  const { item } = props;
  if (item.decision || !props.open)
    return (
      <Stack gap={0}>
        <Badge
          variant="dot"
          color={item.decision === 'certified' ? 'green' : item.decision === 'revoked' ? 'red' : 'gray'}
        >
          {t(`access.review.decision.${item.decision ?? 'not_reviewed'}`)}
        </Badge>
        {item.comment ? (
          <Text size="xs" c="dimmed">
            {item.comment}
          </Text>
        ) : null}
      </Stack>
    );
  const who = item.user.display_name ?? item.user.id;
  const decide = async (decision: 'certify' | 'revoke') => {
    await call(
      client.POST('/api/v1/access-review/campaigns/{campaign_id}/items/{item_id}/decision', {
        params: { path: { campaign_id: props.campaignId, item_id: item.id } },
        body: { decision, ...(comment.trim() ? { comment: comment.trim() } : {}) },
      }),
    );
    toast.success(t(`access.review.${decision}_done`, { name: who }));
    await props.onDecided();
  };
  return (
    <Stack gap={4}>
      <Textarea
        size="xs"
        autosize
        minRows={1}
        label={t('access.review.comment')}
        value={comment}
        onChange={(e) => setComment(e.currentTarget.value)}
      />
      <Group gap={4}>
        <Button
          size="xs"
          variant="light"
          aria-label={t('access.review.certify_named', { name: who })}
          onClick={() => decide('certify').catch((err) => toast.error(err))}
        >
          {t('access.review.certify')}
        </Button>
        <ConfirmButton
          size="xs"
          title={t('access.review.revoke_title', { name: who })}
          message={t('access.review.revoke_message')}
          confirmLabel={t('access.review.revoke')}
          aria-label={t('access.review.revoke_named', { name: who })}
          onConfirm={() => decide('revoke')}
        >
          {t('access.review.revoke')}
        </ConfirmButton>
      </Group>
    </Stack>
  );
}
