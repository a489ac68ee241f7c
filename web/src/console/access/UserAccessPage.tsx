import {
  Badge,
  Card,
  Group,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import { ApiError } from '../../api/problem.ts';
import { useFormat } from '../../i18n/format.ts';
import { AnchorLink } from '../../ui/AnchorLink.tsx';
import { ConfirmButton } from '../../ui/ConfirmButton.tsx';
import { EmptyState } from '../../ui/EmptyState.tsx';
import { ApiForm, bindProblem } from '../../ui/Form.tsx';
import { TableHeader } from '../../ui/TableHeader.tsx';
import { toast } from '../../ui/toast.ts';
import { localToIso, roleLabel, rolesQuery } from './shared.ts';
import { UserStatus } from './UsersPage.tsx';

type ScopeType = '' | 'storefront' | 'account';

/**
 * One user's role assignments (GET /api/v1/users/{user_id}/roles): assign a role with an optional
 * scope (a storefront, a customer account) and expiry; revoke an assignment. A conflicting
 * assignment is refused by the API (separation of duties) and the refusal is shown on the form.
 */
export function UserAccessPage(props: { userId: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const queryClient = useQueryClient();
  const [includeInactive, setIncludeInactive] = useState(false);
  const user = useQuery({
    queryKey: ['users', props.userId],
    queryFn: () =>
      call(client.GET('/api/v1/users/{user_id}', { params: { path: { user_id: props.userId } } })),
  });
  const roles = useQuery(rolesQuery);
  const assignments = useQuery({
    queryKey: ['users', props.userId, 'roles', includeInactive],
    queryFn: () =>
      call(
        client.GET('/api/v1/users/{user_id}/roles', {
          params: { path: { user_id: props.userId }, query: { include_inactive: includeInactive } },
        }),
      ),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['users', props.userId, 'roles'] });
  const u = user.data;
  const list = assignments.data?.data ?? [];

  return (
    <Stack>
      <AnchorLink to="/console/users" size="sm">
        {t('access.users.back')}
      </AnchorLink>
      <Title order={2}>
        {u ? t('access.assignments.title', { name: u.display_name }) : t('common.loading')}
      </Title>
      {u ? (
        <Group gap="md">
          <Text size="sm">{u.email}</Text>
          <UserStatus user={u} />
          <Text size="sm" c="dimmed">
            {t('access.users.col.last_login')}:{' '}
            {u.last_login_at ? f.dateTime(u.last_login_at) : t('access.users.never')}
          </Text>
        </Group>
      ) : null}
      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          {t('access.assignments.assign')}
        </Title>
        {u ? (
          <AssignForm
            userId={props.userId}
            audience={u.kind === 'buyer' ? 'customer' : 'staff'}
            onAssigned={async (role) => {
              toast.success(t('access.assignments.assigned', { role: roleLabel(role, roles.data?.data) }));
              await refresh();
            }}
          />
        ) : null}
      </Card>
      <Group justify="space-between">
        <Title order={3} size="h4">
          {t('access.assignments.list')}
        </Title>
        <Switch
          label={t('access.assignments.include_inactive')}
          checked={includeInactive}
          onChange={(e) => setIncludeInactive(e.currentTarget.checked)}
        />
      </Group>
      <Table.ScrollContainer minWidth={720}>
        <Table striped data-testid="assignments-table">
          <TableHeader
            caption={t('access.assignments.list')}
            columns={[
              t('access.assignments.col.role'),
              t('access.assignments.col.scope'),
              t('access.assignments.col.expires'),
              t('access.assignments.col.status'),
              t('access.assignments.col.granted'),
            ]}
            actions
          />
          <Table.Tbody>
            {list.map((a) => {
              const name = roleLabel(a.role, roles.data?.data);
              return (
                <Table.Tr key={a.id}>
                  <Table.Td>{name}</Table.Td>
                  <Table.Td>
                    {a.scope
                      ? `${t(`access.assignments.scope.${a.scope.type === 'account' ? 'account' : 'storefront'}`)} ${a.scope.id}`
                      : t('access.assignments.scope.tenant')}
                  </Table.Td>
                  <Table.Td>
                    {a.expires_at ? f.dateTime(a.expires_at) : t('access.assignments.permanent')}
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="dot" color={a.status === 'active' ? 'green' : 'gray'}>
                      {t(`access.assignments.status.${a.status}`)}
                    </Badge>
                    {a.sod_exception_id ? (
                      <Badge variant="dot" color="orange" ml={4}>
                        {t('access.assignments.sod_exception')}
                      </Badge>
                    ) : null}
                  </Table.Td>
                  <Table.Td>{f.dateTime(a.created_at)}</Table.Td>
                  <Table.Td>
                    {a.status === 'active' ? (
                      <ConfirmButton
                        size="xs"
                        title={t('access.assignments.revoke_title', { role: name })}
                        message={t('access.assignments.revoke_message')}
                        confirmLabel={t('access.assignments.revoke')}
                        aria-label={t('access.assignments.revoke_named', { role: name })}
                        onConfirm={async () => {
                          await call(
                            client.DELETE('/api/v1/users/{user_id}/roles/{assignment_id}', {
                              params: { path: { user_id: props.userId, assignment_id: a.id } },
                            }),
                          );
                          toast.success(t('access.assignments.revoked', { role: name }));
                          await refresh();
                        }}
                      >
                        {t('access.assignments.revoke')}
                      </ConfirmButton>
                    ) : null}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {assignments.isSuccess && !list.length ? <EmptyState title={t('access.assignments.empty')} /> : null}
    </Stack>
  );
}

function AssignForm(props: {
  userId: string;
  audience: 'staff' | 'customer';
  onAssigned: (role: string) => Promise<void>;
}) {
  const { t } = useTranslation();
  const roles = useQuery(rolesQuery);
  const form = useForm({
    initialValues: { role: '', scope_type: '' as ScopeType, scope_id: '', expires_at: '' },
  });
  const storefronts = useQuery({
    queryKey: ['storefronts', 'picker'],
    queryFn: () => call(client.GET('/api/v1/storefronts', { params: { query: { limit: 200 } } })),
    enabled: form.values.scope_type === 'storefront',
  });
  const accounts = useQuery({
    queryKey: ['accounts', 'picker'],
    queryFn: () => call(client.GET('/api/v1/accounts', { params: { query: { limit: 200 } } })),
    enabled: form.values.scope_type === 'account',
  });
  const scopeOptions =
    form.values.scope_type === 'storefront'
      ? (storefronts.data?.data ?? []).map((s) => ({ value: s.id, label: s.name }))
      : (accounts.data?.data ?? []).map((a) => ({ value: a.id, label: a.name }));
  return (
    <ApiForm
      form={form}
      aria-label={t('access.assignments.assign')}
      submitLabel={t('access.assignments.assign_submit')}
      onSubmit={async (v) => {
        const expires = localToIso(v.expires_at);
        try {
          await call(
            client.POST('/api/v1/users/{user_id}/roles', {
              params: { path: { user_id: props.userId } },
              body: {
                role: v.role,
                ...(v.scope_type && v.scope_id ? { scope: { type: v.scope_type, id: v.scope_id } } : {}),
                ...(expires ? { expires_at: expires } : {}),
              },
            }),
          );
        } catch (err) {
          // The API's refusal names a user ID and an endpoint: the person reads what to do in their
          // language above the form; the conflicting permissions stay under the role field.
          if (err instanceof ApiError && err.kind === 'sod-conflict') {
            bindProblem(err, form, '');
            throw new Error(t('access.assignments.sod_conflict'));
          }
          throw err;
        }
        form.reset();
        await props.onAssigned(v.role);
      }}
    >
      <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
        <Select
          label={t('access.assignments.field.role')}
          required
          searchable
          data={(roles.data?.data ?? [])
            .filter((r) => r.audience === props.audience)
            .map((r) => ({
              value: r.key,
              label: r.predefined ? r.name : `${r.name} (${t('access.roles.custom')})`,
            }))}
          {...form.getInputProps('role')}
        />
        <Select
          label={t('access.assignments.field.scope_type')}
          data={[
            { value: '', label: t('access.assignments.scope.tenant') },
            { value: 'storefront', label: t('access.assignments.scope.storefront') },
            { value: 'account', label: t('access.assignments.scope.account') },
          ]}
          allowDeselect={false}
          {...form.getInputProps('scope_type')}
          error={form.errors['scope.type'] ?? form.errors.scope_type}
        />
        <Select
          label={t('access.assignments.field.scope_id')}
          disabled={!form.values.scope_type}
          searchable
          data={scopeOptions}
          {...form.getInputProps('scope_id')}
          error={form.errors['scope.id'] ?? form.errors.scope_id}
        />
        <TextInput
          label={t('access.assignments.field.expires_at')}
          description={t('access.assignments.field.expires_help')}
          type="datetime-local"
          {...form.getInputProps('expires_at')}
        />
      </SimpleGrid>
    </ApiForm>
  );
}
