import { Button, Group, Modal, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import type { components } from '../../api/schema';
import { useCan } from '../../auth/permissions.ts';
import { useFormat } from '../../i18n/format.ts';
import { AnchorLink } from '../../ui/AnchorLink.tsx';
import { ConfirmButton } from '../../ui/ConfirmButton.tsx';
import { type Column, DataTable } from '../../ui/DataTable.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { toast } from '../../ui/toast.ts';

export type CustomerGroup = components['schemas']['CustomerGroup'];

/** Everything cached about customer groups (lists, pickers, a group's page). */
export const GROUPS_KEY = ['customer-groups'] as const;

/**
 * Customer groups (GET /api/v1/customer-groups): name, code, how many accounts are in each; a
 * group's page lists its members. Groups are what price lists, discounts and visibility rules target.
 */
export function GroupsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const canWrite = useCan('storefronts.customer_group.write');
  const queryClient = useQueryClient();
  const [creating, { open, close }] = useDisclosure(false);
  const columns: Column<CustomerGroup>[] = [
    {
      key: 'name',
      header: t('groups.col.name'),
      render: (g) => (
        <AnchorLink to="/console/customer-groups/$groupId" params={{ groupId: g.id }}>
          {g.name}
        </AnchorLink>
      ),
    },
    { key: 'code', header: t('groups.col.code'), render: (g) => g.code },
    { key: 'members', header: t('groups.col.members'), render: (g) => f.number(g.member_count) },
    { key: 'description', header: t('groups.col.description'), render: (g) => g.description ?? '—' },
    ...(canWrite
      ? [
          {
            key: 'actions',
            header: t('common.actions'),
            render: (g: CustomerGroup) => (
              <ConfirmButton
                size="xs"
                title={t('groups.delete_title', { name: g.name })}
                message={t('groups.delete_message', { count: g.member_count })}
                confirmLabel={t('common.delete')}
                aria-label={t('groups.delete_name', { name: g.name })}
                onConfirm={async () => {
                  await call(
                    client.DELETE('/api/v1/customer-groups/{group_id}', {
                      params: { path: { group_id: g.id } },
                    }),
                  );
                  await queryClient.invalidateQueries({ queryKey: GROUPS_KEY });
                  toast.success(t('groups.deleted', { name: g.name }));
                }}
              >
                {t('common.delete')}
              </ConfirmButton>
            ),
          },
        ]
      : []),
  ];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('groups.title')}</Title>
        {canWrite ? <Button onClick={open}>{t('groups.create')}</Button> : null}
      </Group>
      <Text c="dimmed" size="sm">
        {t('groups.intro')}
      </Text>
      <DataTable<CustomerGroup, Record<string, never>>
        queryKey={[...GROUPS_KEY, 'page']}
        filters={{}}
        caption={t('groups.title')}
        columns={columns}
        rowKey={(g) => g.id}
        emptyTitle={t('groups.empty')}
        fetchPage={({ cursor, limit }) =>
          call(
            client.GET('/api/v1/customer-groups', {
              params: { query: { limit, ...(cursor ? { cursor } : {}) } },
            }),
          )
        }
      />
      <Modal opened={creating} onClose={close} title={t('groups.create')}>
        <CreateGroup onDone={close} />
      </Modal>
    </Stack>
  );
}

function CreateGroup(props: { onDone: () => void }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  return (
    <GroupForm
      group={null}
      submitLabel={t('groups.create')}
      onSaved={async (g) => {
        await queryClient.invalidateQueries({ queryKey: GROUPS_KEY });
        toast.success(t('groups.created', { name: g.name }));
        props.onDone();
        await navigate({ to: '/console/customer-groups/$groupId', params: { groupId: g.id } });
      }}
    />
  );
}

/** Creates a group, or changes one's name, code and description; refusals shown under the fields. */
export function GroupForm(props: {
  group: CustomerGroup | null;
  submitLabel: string;
  onSaved: (g: CustomerGroup) => Promise<void>;
}) {
  const { t } = useTranslation();
  const g = props.group;
  const form = useForm({
    mode: 'controlled',
    initialValues: { name: g?.name ?? '', code: g?.code ?? '', description: g?.description ?? '' },
  });
  const save = async (v: typeof form.values) => {
    const body = { name: v.name, code: v.code, description: v.description.trim() || null };
    const saved = g
      ? await call(
          client.PATCH('/api/v1/customer-groups/{group_id}', { params: { path: { group_id: g.id } }, body }),
        )
      : await call(client.POST('/api/v1/customer-groups', { body }));
    await props.onSaved(saved);
  };
  return (
    <ApiForm form={form} onSubmit={save} submitLabel={props.submitLabel} aria-label={props.submitLabel}>
      <TextInput label={t('groups.col.name')} required {...form.getInputProps('name')} />
      <TextInput
        label={t('groups.col.code')}
        description={t('groups.code_help')}
        required
        {...form.getInputProps('code')}
      />
      <Textarea
        label={t('groups.col.description')}
        autosize
        minRows={2}
        {...form.getInputProps('description')}
      />
    </ApiForm>
  );
}
