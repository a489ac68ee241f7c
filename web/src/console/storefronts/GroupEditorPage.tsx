import { Alert, Box, Card, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import { ApiError } from '../../api/problem.ts';
import type { components } from '../../api/schema';
import { useCan } from '../../auth/permissions.ts';
import { useFormat } from '../../i18n/format.ts';
import { AnchorLink } from '../../ui/AnchorLink.tsx';
import { ConfirmButton } from '../../ui/ConfirmButton.tsx';
import { type Column, DataTable } from '../../ui/DataTable.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { toast } from '../../ui/toast.ts';
import { AccountPicker } from './GroupAccountPicker.tsx';
import { GROUPS_KEY, GroupForm } from './GroupsPage.tsx';

type Member = components['schemas']['CustomerGroupMember'];

/** The API names the account only for a caller who may read it; else its ID. */
const nameOf = (m: Member) => m.account_name ?? m.account_id;

/**
 * One customer group: its name, code and description, and its members (a page at a time, from the
 * server); staff add an account found by name, or take one out.
 */
export function GroupEditorPage(props: { groupId: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const canWrite = useCan('storefronts.customer_group.write');
  // The account picker searches the accounts: adding a member needs the right to read them too.
  const canPickAccounts = useCan('accounts.account.read');
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const group = useQuery({
    queryKey: [...GROUPS_KEY, 'one', props.groupId],
    queryFn: () =>
      call(
        client.GET('/api/v1/customer-groups/{group_id}', { params: { path: { group_id: props.groupId } } }),
      ),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: GROUPS_KEY });

  if (group.error)
    return (
      <Alert color="red" role="alert">
        {group.error instanceof ApiError && group.error.status === 404
          ? t('groups.not_found')
          : t('common.unexpected_error')}
      </Alert>
    );
  if (!group.data) return <Loader role="status" aria-label={t('common.loading')} />;
  const g = group.data;

  const columns: Column<Member>[] = [
    { key: 'account', header: t('groups.members.col.account'), render: (m) => nameOf(m) },
    { key: 'added', header: t('groups.members.col.added'), render: (m) => f.dateTime(m.added_at) },
    ...(canWrite
      ? [
          {
            key: 'actions',
            header: t('common.actions'),
            render: (m: Member) => (
              <ConfirmButton
                size="xs"
                title={t('groups.members.remove_title', { account: nameOf(m) })}
                message={t('groups.members.remove_message', { account: nameOf(m), group: g.name })}
                confirmLabel={t('groups.members.remove')}
                aria-label={t('groups.members.remove_name', { account: nameOf(m) })}
                onConfirm={async () => {
                  await call(
                    client.DELETE('/api/v1/customer-groups/{group_id}/members/{account_id}', {
                      params: { path: { group_id: g.id, account_id: m.account_id } },
                    }),
                  );
                  await refresh();
                  toast.success(t('groups.members.removed', { account: nameOf(m) }));
                }}
              >
                {t('groups.members.remove')}
              </ConfirmButton>
            ),
          },
        ]
      : []),
  ];

  return (
    <Stack>
      <AnchorLink to="/console/customer-groups" size="sm">
        {t('groups.back')}
      </AnchorLink>
      <Group justify="space-between">
        <Title order={2}>{g.name}</Title>
        {canWrite ? (
          <ConfirmButton
            title={t('groups.delete_title', { name: g.name })}
            message={t('groups.delete_message', { count: g.member_count })}
            confirmLabel={t('common.delete')}
            onConfirm={async () => {
              await call(
                client.DELETE('/api/v1/customer-groups/{group_id}', { params: { path: { group_id: g.id } } }),
              );
              await refresh();
              toast.success(t('groups.deleted', { name: g.name }));
              await navigate({ to: '/console/customer-groups' });
            }}
          >
            {t('groups.delete')}
          </ConfirmButton>
        ) : null}
      </Group>
      {canWrite ? (
        <Card withBorder>
          <Title order={3} size="h4" mb="sm">
            {t('groups.details')}
          </Title>
          <GroupForm
            key={g.updated_at}
            group={g}
            submitLabel={t('common.save')}
            onSaved={async (saved) => {
              await refresh();
              toast.success(t('groups.saved', { name: saved.name }));
            }}
          />
        </Card>
      ) : (
        <Text>
          {g.code}
          {g.description ? ` — ${g.description}` : ''}
        </Text>
      )}
      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          {t('groups.members.title', { count: g.member_count })}
        </Title>
        {canWrite && canPickAccounts ? (
          <Box mb="md">
            <AddMember groupId={g.id} onAdded={refresh} />
          </Box>
        ) : canWrite ? (
          <Text size="sm" c="dimmed" mb="md">
            {t('groups.members.no_account_access')}
          </Text>
        ) : null}
        <DataTable<Member, Record<string, never>>
          queryKey={[...GROUPS_KEY, 'members', g.id]}
          filters={{}}
          caption={t('groups.members.caption', { group: g.name })}
          columns={columns}
          rowKey={(m) => m.account_id}
          emptyTitle={t('groups.members.empty')}
          fetchPage={({ cursor, limit }) =>
            call(
              client.GET('/api/v1/customer-groups/{group_id}/members', {
                params: { path: { group_id: g.id }, query: { limit, ...(cursor ? { cursor } : {}) } },
              }),
            )
          }
        />
      </Card>
    </Stack>
  );
}

function AddMember(props: { groupId: string; onAdded: () => Promise<unknown> }) {
  const { t } = useTranslation();
  const form = useForm({ mode: 'controlled', initialValues: { account_id: '' } });
  // A new picker after each addition: its search text goes with the account just added.
  const [round, setRound] = useState(0);
  const add = async (v: typeof form.values) => {
    if (!v.account_id) {
      form.setFieldError('account_id', t('groups.members.pick_account'));
      return;
    }
    const m = await call(
      client.POST('/api/v1/customer-groups/{group_id}/members', {
        params: { path: { group_id: props.groupId } },
        body: { account_id: v.account_id },
      }),
    );
    form.reset();
    setRound((r) => r + 1);
    await props.onAdded();
    toast.success(t('groups.members.added', { account: nameOf(m) }));
  };
  return (
    <ApiForm
      form={form}
      onSubmit={add}
      submitLabel={t('groups.members.add')}
      aria-label={t('groups.members.add')}
    >
      <AccountPicker
        key={round}
        label={t('groups.members.account')}
        value={form.values.account_id || null}
        onChange={(id) => form.setFieldValue('account_id', id ?? '')}
        error={form.errors.account_id as string | undefined}
      />
    </ApiForm>
  );
}
