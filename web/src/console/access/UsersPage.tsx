import {
  Badge,
  Button,
  Card,
  Group,
  Modal,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import { useCan } from '../../auth/permissions.ts';
import { useFormat } from '../../i18n/format.ts';
import { AnchorLink } from '../../ui/AnchorLink.tsx';
import { ConfirmButton } from '../../ui/ConfirmButton.tsx';
import { type Column, DataTable } from '../../ui/DataTable.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { toast } from '../../ui/toast.ts';
import { type AppUser, roleLabel, rolesQuery } from './shared.ts';

interface UserFilters {
  kind: 'staff' | 'buyer' | null;
  status: 'active' | 'deactivated' | null;
  /** Part of the name or e-mail (the API's `q`). */
  q: string;
}

/**
 * Users (GET /api/v1/users): status, roles, last login; invite (POST /api/v1/users/invitations);
 * deactivate / reactivate; each user's role assignments on their own page.
 */
export function UsersPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const queryClient = useQueryClient();
  const [filters, setFilters] = useState<UserFilters>({ kind: 'staff', status: null, q: '' });
  const [debounced] = useDebouncedValue(filters, 200);
  const canWrite = useCan('identity.user.write');
  const roles = useQuery(rolesQuery);
  const [inviting, invite] = useDisclosure(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['users'] });

  const columns: Column<AppUser>[] = [
    {
      key: 'name',
      header: t('access.users.col.name'),
      render: (u) => (
        <Stack gap={0}>
          <AnchorLink to="/console/users/$userId" params={{ userId: u.id }} size="sm">
            {u.display_name}
          </AnchorLink>
          <Text size="xs" c="dimmed">
            {u.email}
          </Text>
        </Stack>
      ),
    },
    { key: 'kind', header: t('access.users.col.kind'), render: (u) => t(`access.users.kind.${u.kind}`) },
    { key: 'status', header: t('access.users.col.status'), render: (u) => <UserStatus user={u} /> },
    {
      key: 'roles',
      header: t('access.users.col.roles'),
      render: (u) =>
        u.roles.length ? (
          <Group gap={4}>
            {u.roles.map((key) => (
              <Badge key={key} variant="outline" tt="none">
                {roleLabel(key, roles.data?.data)}
              </Badge>
            ))}
          </Group>
        ) : (
          <Text size="sm">—</Text>
        ),
    },
    {
      key: 'mfa',
      header: t('access.users.col.mfa'),
      render: (u) =>
        u.mfa.length ? (
          <Group gap={4}>
            {u.mfa.map((m) => (
              <Badge key={m} variant="dot" color="green" tt="none">
                {t(`access.users.mfa.${m}`)}
              </Badge>
            ))}
          </Group>
        ) : (
          <Text size="sm" c="dimmed">
            {t('access.users.mfa.none')}
          </Text>
        ),
    },
    {
      key: 'last_login',
      header: t('access.users.col.last_login'),
      render: (u) => (u.last_login_at ? f.dateTime(u.last_login_at) : t('access.users.never')),
    },
    {
      key: 'actions',
      header: t('common.actions'),
      render: (u) =>
        !canWrite ? null : u.status === 'active' ? (
          <ConfirmButton
            size="xs"
            title={t('access.users.deactivate_title', { name: u.display_name })}
            message={t('access.users.deactivate_message')}
            confirmLabel={t('access.users.deactivate')}
            aria-label={t('access.users.deactivate_named', { name: u.display_name })}
            onConfirm={async () => {
              await call(
                client.POST('/api/v1/users/{user_id}/deactivate', { params: { path: { user_id: u.id } } }),
              );
              toast.success(t('access.users.deactivated', { name: u.display_name }));
              await refresh();
            }}
          >
            {t('access.users.deactivate')}
          </ConfirmButton>
        ) : (
          <Button
            size="xs"
            variant="default"
            aria-label={t('access.users.reactivate_named', { name: u.display_name })}
            onClick={async () => {
              try {
                await call(
                  client.POST('/api/v1/users/{user_id}/reactivate', { params: { path: { user_id: u.id } } }),
                );
                toast.success(t('access.users.reactivated', { name: u.display_name }));
                await refresh();
              } catch (err) {
                toast.error(err);
              }
            }}
          >
            {t('access.users.reactivate')}
          </Button>
        ),
    },
  ];

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('access.users.title')}</Title>
        {canWrite ? <Button onClick={invite.open}>{t('access.users.invite')}</Button> : null}
      </Group>
      <Card withBorder>
        <Group grow align="flex-end">
          <TextInput
            type="search"
            label={t('access.users.filter.search')}
            placeholder={t('access.users.filter.search_placeholder')}
            value={filters.q}
            onChange={(e) => {
              const q = e.currentTarget.value;
              setFilters((p) => ({ ...p, q }));
            }}
          />
          <Select
            label={t('access.users.filter.kind')}
            placeholder={t('access.users.filter.any_kind')}
            clearable
            data={[
              { value: 'staff', label: t('access.users.kind.staff') },
              { value: 'buyer', label: t('access.users.kind.buyer') },
            ]}
            value={filters.kind}
            onChange={(v) => setFilters((p) => ({ ...p, kind: v as UserFilters['kind'] }))}
          />
          <Select
            label={t('access.users.filter.status')}
            placeholder={t('access.users.filter.any_status')}
            clearable
            data={[
              { value: 'active', label: t('access.users.status.active') },
              { value: 'deactivated', label: t('access.users.status.deactivated') },
            ]}
            value={filters.status}
            onChange={(v) => setFilters((p) => ({ ...p, status: v as UserFilters['status'] }))}
          />
        </Group>
      </Card>
      <DataTable<AppUser, UserFilters>
        queryKey={['users', 'list']}
        filters={debounced}
        caption={t('access.users.title')}
        columns={columns}
        rowKey={(u) => u.id}
        emptyTitle={t('access.users.empty')}
        fetchPage={({ cursor, limit, filters: q }) =>
          call(
            client.GET('/api/v1/users', {
              params: {
                query: {
                  limit,
                  ...(cursor ? { cursor } : {}),
                  ...(q.kind ? { kind: q.kind } : {}),
                  ...(q.status ? { status: q.status } : {}),
                  ...(q.q.trim() ? { q: q.q.trim() } : {}),
                },
              },
            }),
          )
        }
      />
      <Modal opened={inviting} onClose={invite.close} title={t('access.users.invite')} size="lg">
        <InviteForm
          onInvited={async (email) => {
            toast.success(t('access.users.invited', { email }));
            invite.close();
            await refresh();
          }}
        />
      </Modal>
    </Stack>
  );
}

export function UserStatus(props: { user: AppUser }) {
  const { t } = useTranslation();
  const u = props.user;
  const locked = u.locked_until && new Date(u.locked_until) > new Date();
  return (
    <Group gap={4}>
      <Badge variant="dot" color={u.status === 'active' ? 'green' : 'gray'}>
        {t(`access.users.status.${u.status}`)}
      </Badge>
      {!u.has_password ? (
        <Badge variant="dot" color="blue">
          {t('access.users.invitation_pending')}
        </Badge>
      ) : null}
      {locked ? (
        <Badge variant="dot" color="red">
          {t('access.users.locked')}
        </Badge>
      ) : null}
    </Group>
  );
}

function InviteForm(props: { onInvited: (email: string) => Promise<void> }) {
  const { t } = useTranslation();
  const form = useForm({
    initialValues: { email: '', display_name: '', kind: 'staff' as 'staff' | 'buyer', account_id: '' },
  });
  const accounts = useQuery({
    queryKey: ['accounts', 'picker'],
    queryFn: () => call(client.GET('/api/v1/accounts', { params: { query: { limit: 200 } } })),
    enabled: form.values.kind === 'buyer',
  });
  return (
    <ApiForm
      form={form}
      aria-label={t('access.users.invite')}
      submitLabel={t('access.users.invite_submit')}
      onSubmit={async (v) => {
        const res = await call(
          client.POST('/api/v1/users/invitations', {
            body: {
              email: v.email.trim(),
              kind: v.kind,
              ...(v.display_name.trim() ? { display_name: v.display_name.trim() } : {}),
              ...(v.kind === 'buyer' && v.account_id ? { account_id: v.account_id } : {}),
            },
          }),
        );
        form.reset();
        await props.onInvited(res.email);
      }}
    >
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput
          label={t('access.users.field.email')}
          type="email"
          required
          {...form.getInputProps('email')}
        />
        <TextInput label={t('access.users.field.display_name')} {...form.getInputProps('display_name')} />
        <Select
          label={t('access.users.field.kind')}
          data={[
            { value: 'staff', label: t('access.users.kind.staff') },
            { value: 'buyer', label: t('access.users.kind.buyer') },
          ]}
          allowDeselect={false}
          {...form.getInputProps('kind')}
        />
        {form.values.kind === 'buyer' ? (
          <Select
            label={t('access.users.field.account')}
            searchable
            data={(accounts.data?.data ?? []).map((a) => ({ value: a.id, label: a.name }))}
            {...form.getInputProps('account_id')}
          />
        ) : null}
      </SimpleGrid>
    </ApiForm>
  );
}
