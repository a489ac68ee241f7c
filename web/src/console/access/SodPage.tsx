import {
  Badge,
  Button,
  Card,
  Code,
  Group,
  Select,
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
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import { useFormat } from '../../i18n/format.ts';
import { ConfirmButton } from '../../ui/ConfirmButton.tsx';
import { EmptyState } from '../../ui/EmptyState.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { TableHeader } from '../../ui/TableHeader.tsx';
import { toast } from '../../ui/toast.ts';
import { localToIso, permissionsQuery, userPickerQuery } from './shared.ts';

/**
 * Separation of duties: the tenant's conflict rules (GET / PUT /api/v1/sod-rules) and the
 * justified, time-limited exceptions (GET / POST /api/v1/sod-exceptions, approved by someone else).
 */
export function SodPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const queryClient = useQueryClient();
  const rules = useQuery({ queryKey: ['sod-rules'], queryFn: () => call(client.GET('/api/v1/sod-rules')) });
  const exceptions = useQuery({
    queryKey: ['sod-exceptions'],
    queryFn: () => call(client.GET('/api/v1/sod-exceptions')),
  });
  const users = useQuery(userPickerQuery);
  const userName = (id: string | null) => {
    if (!id) return '—';
    const u = users.data?.data.find((x) => x.id === id);
    return u ? u.display_name : id;
  };
  const ruleList = rules.data?.rules ?? [];
  const saveRules = async (next: typeof ruleList) => {
    await call(client.PUT('/api/v1/sod-rules', { body: { rules: next } }));
    await queryClient.invalidateQueries({ queryKey: ['sod-rules'] });
  };
  const exceptionList = exceptions.data?.data ?? [];

  return (
    <Stack>
      <Title order={2}>{t('access.sod.title')}</Title>
      <Card withBorder>
        <Group justify="space-between" mb="sm">
          <Title order={3} size="h4">
            {t('access.sod.rules')}
          </Title>
          {rules.data?.is_default ? <Badge variant="dot">{t('access.sod.defaults')}</Badge> : null}
        </Group>
        <Table striped>
          <TableHeader
            caption={t('access.sod.rules')}
            columns={[t('access.sod.col.permissions'), t('access.sod.col.description')]}
            actions
          />
          <Table.Tbody>
            {ruleList.map((r, i) => (
              <Table.Tr key={r.permissions.join('|')}>
                <Table.Td>
                  <Code>{r.permissions[0]}</Code> ⟷ <Code>{r.permissions[1]}</Code>
                </Table.Td>
                <Table.Td>{r.description ?? '—'}</Table.Td>
                <Table.Td>
                  <ConfirmButton
                    size="xs"
                    title={t('access.sod.remove_title')}
                    message={t('access.sod.remove_message', { a: r.permissions[0], b: r.permissions[1] })}
                    confirmLabel={t('access.sod.remove')}
                    aria-label={t('access.sod.remove_named', { a: r.permissions[0], b: r.permissions[1] })}
                    onConfirm={async () => {
                      await saveRules(ruleList.filter((_, j) => j !== i));
                      toast.success(t('access.sod.rules_saved'));
                    }}
                  >
                    {t('access.sod.remove')}
                  </ConfirmButton>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {rules.isSuccess && !ruleList.length ? <EmptyState title={t('access.sod.no_rules')} /> : null}
        <Title order={4} size="h5" mt="md" mb="xs">
          {t('access.sod.add_rule')}
        </Title>
        <AddRuleForm
          onAdd={async (rule) => {
            await saveRules([...ruleList, rule]);
            toast.success(t('access.sod.rules_saved'));
          }}
        />
      </Card>
      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          {t('access.sod.exceptions')}
        </Title>
        <Table.ScrollContainer minWidth={820}>
          <Table striped>
            <TableHeader
              caption={t('access.sod.exceptions')}
              columns={[
                t('access.sod.col.user'),
                t('access.sod.col.permissions'),
                t('access.sod.col.justification'),
                t('access.sod.col.expires'),
                t('access.sod.col.status'),
              ]}
              actions
            />
            <Table.Tbody>
              {exceptionList.map((x) => (
                <Table.Tr key={x.id}>
                  <Table.Td>{userName(x.user_id)}</Table.Td>
                  <Table.Td>
                    <Code>{x.permissions.join(' + ')}</Code>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" lineClamp={3}>
                      {x.justification}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {t('access.sod.requested_by', { name: userName(x.requested_by) })}
                    </Text>
                  </Table.Td>
                  <Table.Td>{f.dateTime(x.expires_at)}</Table.Td>
                  <Table.Td>
                    <Badge
                      variant="dot"
                      color={x.status === 'approved' ? 'green' : x.status === 'pending' ? 'blue' : 'gray'}
                    >
                      {t(`access.sod.status.${x.status}`)}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    {x.status === 'pending' ? (
                      <Button
                        size="xs"
                        variant="light"
                        aria-label={t('access.sod.approve_named', { name: userName(x.user_id) })}
                        onClick={async () => {
                          try {
                            await call(
                              client.POST('/api/v1/sod-exceptions/{exception_id}/approve', {
                                params: { path: { exception_id: x.id } },
                              }),
                            );
                            toast.success(t('access.sod.approved'));
                            await queryClient.invalidateQueries({ queryKey: ['sod-exceptions'] });
                          } catch (err) {
                            toast.error(err);
                          }
                        }}
                      >
                        {t('access.sod.approve')}
                      </Button>
                    ) : null}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        {exceptions.isSuccess && !exceptionList.length ? (
          <EmptyState title={t('access.sod.no_exceptions')} />
        ) : null}
        <Title order={4} size="h5" mt="md" mb="xs">
          {t('access.sod.request_exception')}
        </Title>
        <ExceptionForm
          onCreated={async () => {
            toast.success(t('access.sod.exception_requested'));
            await queryClient.invalidateQueries({ queryKey: ['sod-exceptions'] });
          }}
        />
      </Card>
    </Stack>
  );
}

function usePermissionOptions() {
  const permissions = useQuery(permissionsQuery);
  return (permissions.data?.data ?? []).map((p) => ({ value: p.name, label: p.name }));
}

function AddRuleForm(props: {
  onAdd: (rule: { permissions: [string, string]; description?: string }) => Promise<void>;
}) {
  const { t } = useTranslation();
  const options = usePermissionOptions();
  const form = useForm({ initialValues: { first: '', second: '', description: '' } });
  return (
    <ApiForm
      form={form}
      aria-label={t('access.sod.add_rule')}
      submitLabel={t('access.sod.add')}
      onSubmit={async (v) => {
        await props.onAdd({
          permissions: [v.first, v.second],
          ...(v.description.trim() ? { description: v.description.trim() } : {}),
        });
        form.reset();
      }}
    >
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <Select
          label={t('access.sod.field.first')}
          searchable
          data={options}
          required
          {...form.getInputProps('first')}
        />
        <Select
          label={t('access.sod.field.second')}
          searchable
          data={options}
          required
          {...form.getInputProps('second')}
        />
        <TextInput label={t('access.sod.field.description')} {...form.getInputProps('description')} />
      </SimpleGrid>
    </ApiForm>
  );
}

function ExceptionForm(props: { onCreated: () => Promise<void> }) {
  const { t } = useTranslation();
  const options = usePermissionOptions();
  const users = useQuery(userPickerQuery);
  const form = useForm({
    initialValues: { user_id: '', first: '', second: '', justification: '', expires_at: '' },
  });
  return (
    <ApiForm
      form={form}
      aria-label={t('access.sod.request_exception')}
      submitLabel={t('access.sod.request_submit')}
      onSubmit={async (v) => {
        await call(
          client.POST('/api/v1/sod-exceptions', {
            body: {
              user_id: v.user_id,
              permissions: [v.first, v.second],
              justification: v.justification,
              expires_at: localToIso(v.expires_at) ?? '',
            },
          }),
        );
        form.reset();
        await props.onCreated();
      }}
    >
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <Select
          label={t('access.sod.col.user')}
          searchable
          required
          data={(users.data?.data ?? []).map((u) => ({
            value: u.id,
            label: `${u.display_name} (${u.email})`,
          }))}
          {...form.getInputProps('user_id')}
        />
        <TextInput
          label={t('access.sod.col.expires')}
          description={t('access.sod.expires_help')}
          type="datetime-local"
          required
          {...form.getInputProps('expires_at')}
        />
        <Select
          label={t('access.sod.field.first')}
          searchable
          data={options}
          required
          {...form.getInputProps('first')}
        />
        <Select
          label={t('access.sod.field.second')}
          searchable
          data={options}
          required
          {...form.getInputProps('second')}
        />
      </SimpleGrid>
      <Textarea
        label={t('access.sod.col.justification')}
        description={t('access.sod.justification_help')}
        required
        autosize
        minRows={2}
        {...form.getInputProps('justification')}
      />
    </ApiForm>
  );
}
