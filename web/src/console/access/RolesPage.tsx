import {
  Badge,
  Button,
  Checkbox,
  Code,
  Fieldset,
  Group,
  Modal,
  SegmentedControl,
  SimpleGrid,
  Spoiler,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import { ConfirmButton } from '../../ui/ConfirmButton.tsx';
import { EmptyState } from '../../ui/EmptyState.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { TableHeader } from '../../ui/TableHeader.tsx';
import { toast } from '../../ui/toast.ts';
import { groupByModule, permissionsQuery, type Role, rolesQuery } from './shared.ts';

type Audience = 'staff' | 'customer';

/**
 * Roles (GET /api/v1/roles): the predefined ones and the tenant's custom roles, with their
 * permissions; a custom role is built from the permission catalogue grouped by module
 * (POST /api/v1/roles) and deleted (DELETE /api/v1/roles/{role_id}).
 */
export function RolesPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const roles = useQuery(rolesQuery);
  const [audience, setAudience] = useState<Audience>('staff');
  const [opened, { open, close }] = useDisclosure(false);
  const list = (roles.data?.data ?? []).filter((r) => r.audience === audience);

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('access.roles.title')}</Title>
        <Button onClick={open}>{t('access.roles.create')}</Button>
      </Group>
      <SegmentedControl
        aria-label={t('access.roles.audience')}
        value={audience}
        onChange={(v) => setAudience(v as Audience)}
        data={[
          { value: 'staff', label: t('access.roles.audience_staff') },
          { value: 'customer', label: t('access.roles.audience_customer') },
        ]}
        w="fit-content"
      />
      <Table.ScrollContainer minWidth={720}>
        <Table striped data-testid="roles-table">
          <TableHeader
            caption={t('access.roles.title')}
            columns={[
              t('access.roles.col.name'),
              t('access.roles.col.key'),
              t('access.roles.col.kind'),
              t('access.roles.col.permissions'),
            ]}
            actions
          />
          <Table.Tbody>
            {list.map((r) => (
              <Table.Tr key={r.key}>
                <Table.Td>
                  <Text size="sm" fw={500}>
                    {r.name}
                  </Text>
                  {r.description ? (
                    <Text size="xs" c="dimmed">
                      {r.description}
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td>
                  <Code>{r.key}</Code>
                </Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    <Badge variant="dot" color={r.predefined ? 'gray' : 'blue'}>
                      {r.predefined ? t('access.roles.predefined') : t('access.roles.custom')}
                    </Badge>
                    {r.administrative ? (
                      <Badge variant="dot" color="orange">
                        {t('access.roles.administrative')}
                      </Badge>
                    ) : null}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <PermissionList permissions={r.permissions} />
                </Table.Td>
                <Table.Td>
                  {!r.predefined && r.id ? (
                    <ConfirmButton
                      size="xs"
                      title={t('access.roles.delete_title', { name: r.name })}
                      message={t('access.roles.delete_message')}
                      confirmLabel={t('access.roles.delete')}
                      aria-label={t('access.roles.delete_named', { name: r.name })}
                      onConfirm={async () => {
                        await call(
                          client.DELETE('/api/v1/roles/{role_id}', { params: { path: { role_id: r.id! } } }),
                        );
                        toast.success(t('access.roles.deleted', { name: r.name }));
                        await queryClient.invalidateQueries({ queryKey: ['roles'] });
                      }}
                    >
                      {t('access.roles.delete')}
                    </ConfirmButton>
                  ) : null}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {roles.isSuccess && !list.length ? <EmptyState title={t('access.roles.empty')} /> : null}
      <Modal opened={opened} onClose={close} title={t('access.roles.create')} size="xl">
        <CreateRoleForm
          defaultAudience={audience}
          onCreated={async (role) => {
            toast.success(t('access.roles.created', { name: role.name }));
            await queryClient.invalidateQueries({ queryKey: ['roles'] });
            close();
          }}
        />
      </Modal>
    </Stack>
  );
}

function PermissionList(props: { permissions: string[] }) {
  const { t } = useTranslation();
  if (props.permissions.includes('*'))
    return <Badge variant="outline">{t('access.roles.all_permissions')}</Badge>;
  return (
    <Spoiler
      maxHeight={48}
      showLabel={t('access.roles.show_all', { count: props.permissions.length })}
      hideLabel={t('access.roles.show_less')}
    >
      <Group gap={4}>
        {props.permissions.map((p) => (
          <Code key={p}>{p}</Code>
        ))}
      </Group>
    </Spoiler>
  );
}

function CreateRoleForm(props: { defaultAudience: Audience; onCreated: (role: Role) => Promise<void> }) {
  const { t } = useTranslation();
  const permissions = useQuery(permissionsQuery);
  const form = useForm({
    initialValues: {
      name: '',
      key: '',
      description: '',
      audience: props.defaultAudience as Audience,
      permissions: [] as string[],
    },
  });
  const groups = groupByModule(permissions.data?.data ?? []);
  return (
    <ApiForm
      form={form}
      aria-label={t('access.roles.create')}
      submitLabel={t('access.roles.create_submit')}
      onSubmit={async (v) => {
        const role = await call(
          client.POST('/api/v1/roles', {
            body: {
              key: v.key,
              name: v.name,
              audience: v.audience,
              permissions: v.permissions,
              ...(v.description.trim() ? { description: v.description.trim() } : {}),
            },
          }),
        );
        await props.onCreated(role);
      }}
    >
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <TextInput
          label={t('access.roles.field.name')}
          required
          {...form.getInputProps('name')}
          onChange={(e) => {
            const name = e.currentTarget.value;
            form.setFieldValue('name', name);
            if (!form.isTouched('key'))
              form.setFieldValue(
                'key',
                name
                  .normalize('NFD')
                  .replace(/[\u0300-\u036f]/g, '')
                  .toLowerCase()
                  .replace(/[^a-z0-9]+/g, '_')
                  .replace(/^[^a-z]+|_+$/g, '')
                  .slice(0, 63),
              );
          }}
        />
        <TextInput
          label={t('access.roles.field.key')}
          description={t('access.roles.field.key_help')}
          required
          {...form.getInputProps('key')}
        />
      </SimpleGrid>
      <Textarea
        label={t('access.roles.field.description')}
        autosize
        minRows={2}
        {...form.getInputProps('description')}
      />
      <Stack gap={4}>
        <Text size="sm" fw={500} id="role-audience-label">
          {t('access.roles.audience')}
        </Text>
        <SegmentedControl
          aria-labelledby="role-audience-label"
          data={[
            { value: 'staff', label: t('access.roles.audience_staff') },
            { value: 'customer', label: t('access.roles.audience_customer') },
          ]}
          {...form.getInputProps('audience')}
          w="fit-content"
        />
      </Stack>
      <Checkbox.Group
        label={t('access.roles.field.permissions')}
        description={t('access.roles.field.permissions_help', { count: form.values.permissions.length })}
        {...form.getInputProps('permissions')}
      >
        <Stack gap="xs" mt="xs">
          {groups.map(([module, perms]) => (
            <Fieldset key={module} legend={t('access.roles.module', { module })} variant="filled">
              <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
                {perms.map((p) => (
                  <Checkbox key={p.name} value={p.name} label={p.name} description={p.description} />
                ))}
              </SimpleGrid>
            </Fieldset>
          ))}
        </Stack>
      </Checkbox.Group>
    </ApiForm>
  );
}
