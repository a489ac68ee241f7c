import {
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  Modal,
  Radio,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import type { components } from '../../api/schema';
import { useCan } from '../../auth/permissions.ts';
import { EditDeleteActions } from '../../ui/ConfirmButton.tsx';
import { type Column, DataTable } from '../../ui/DataTable.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { toast } from '../../ui/toast.ts';

type Warehouse = components['schemas']['Warehouse'];
type Settings = components['schemas']['InventorySettings'];

/**
 * Warehouses (GET /api/v1/inventory/warehouses: list, create, edit, delete) and the availability
 * settings buyers' product pages follow (PATCH /api/v1/inventory/settings). Writing both takes
 * inventory.warehouse.write; without it the screen only reads.
 */
export function WarehousesPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const canWrite = useCan('inventory.warehouse.write');
  const [editing, setEditing] = useState<Warehouse | 'new' | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['inventory', 'warehouses'] });
  const columns: Column<Warehouse>[] = [
    { key: 'name', header: t('inventory.warehouses.name'), render: (w) => w.name },
    { key: 'code', header: t('inventory.warehouses.code'), render: (w) => <code>{w.code}</code> },
    {
      key: 'active',
      header: t('inventory.warehouses.status'),
      render: (w) => (
        <Badge color={w.active ? 'green' : 'gray'} variant="dot" miw="max-content">
          {w.active ? t('inventory.warehouses.status_active') : t('inventory.warehouses.status_inactive')}
        </Badge>
      ),
    },
  ];
  if (canWrite)
    columns.push({
      key: 'actions',
      header: t('common.actions'),
      render: (w) => (
        <EditDeleteActions
          onEdit={() => setEditing(w)}
          editLabel={t('inventory.warehouses.edit_name', { name: w.name })}
          deleteTitle={t('inventory.warehouses.delete_title', { name: w.name })}
          deleteMessage={t('inventory.warehouses.delete_message')}
          deleteLabel={t('inventory.warehouses.delete_name', { name: w.name })}
          onDelete={async () => {
            await call(
              client.DELETE('/api/v1/inventory/warehouses/{warehouse_id}', {
                params: { path: { warehouse_id: w.id } },
              }),
            );
            await refresh();
            toast.success(t('inventory.warehouses.deleted'));
          }}
        />
      ),
    });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('inventory.warehouses.title')}</Title>
        {canWrite ? (
          <Button onClick={() => setEditing('new')}>{t('inventory.warehouses.create')}</Button>
        ) : null}
      </Group>
      <DataTable<Warehouse, Record<string, never>>
        queryKey={['inventory', 'warehouses', 'page']}
        filters={{}}
        caption={t('inventory.warehouses.title')}
        columns={columns}
        rowKey={(w) => w.id}
        emptyTitle={t('inventory.warehouses.empty')}
        fetchPage={({ cursor, limit }) =>
          call(
            client.GET('/api/v1/inventory/warehouses', {
              params: { query: { limit, ...(cursor ? { cursor } : {}) } },
            }),
          )
        }
      />
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing && editing !== 'new' ? editing.name : t('inventory.warehouses.create')}
      >
        {editing ? (
          <WarehouseForm
            warehouse={editing === 'new' ? null : editing}
            onDone={async () => {
              setEditing(null);
              await refresh();
            }}
          />
        ) : null}
      </Modal>
      <SettingsCard canWrite={canWrite} />
    </Stack>
  );
}

function WarehouseForm(props: { warehouse: Warehouse | null; onDone: () => Promise<void> }) {
  const { t } = useTranslation();
  const w = props.warehouse;
  const form = useForm({
    mode: 'controlled',
    initialValues: { code: w?.code ?? '', name: w?.name ?? '', active: w?.active ?? true },
  });
  const save = async (v: typeof form.values) => {
    if (w)
      await call(
        client.PATCH('/api/v1/inventory/warehouses/{warehouse_id}', {
          params: { path: { warehouse_id: w.id } },
          body: v,
        }),
      );
    else await call(client.POST('/api/v1/inventory/warehouses', { body: v }));
    toast.success(t('inventory.warehouses.saved'));
    await props.onDone();
  };
  return (
    <ApiForm form={form} onSubmit={save} submitLabel={t('common.save')}>
      <TextInput
        label={t('inventory.warehouses.code')}
        description={t('inventory.warehouses.code_hint')}
        required
        {...form.getInputProps('code')}
      />
      <TextInput label={t('inventory.warehouses.name')} required {...form.getInputProps('name')} />
      <Checkbox
        label={t('inventory.warehouses.active')}
        description={t('inventory.warehouses.active_hint')}
        {...form.getInputProps('active', { type: 'checkbox' })}
      />
    </ApiForm>
  );
}

function SettingsCard({ canWrite }: { canWrite: boolean }) {
  const { t } = useTranslation();
  const settings = useQuery({
    queryKey: ['inventory', 'settings'],
    queryFn: () => call(client.GET('/api/v1/inventory/settings')),
  }).data;
  return (
    <Card withBorder>
      <Title order={3} size="h4" mb="sm">
        {t('inventory.settings.title')}
      </Title>
      {settings && canWrite ? (
        <SettingsForm key={settings.updated_at ?? 'default'} settings={settings} />
      ) : null}
      {settings && !canWrite ? (
        <Stack gap={4} data-testid="inventory-settings">
          {(
            [
              ['threshold', settings.low_stock_threshold],
              [
                'display',
                settings.quantity_display === 'exact'
                  ? t('inventory.settings.display_exact')
                  : t('inventory.settings.display_status'),
              ],
              [
                'lead_time',
                settings.default_lead_time_days === null ? '—' : String(settings.default_lead_time_days),
              ],
            ] as const
          ).map(([key, value]) => (
            <Text size="sm" key={key}>
              <Text span fw={500} size="sm">
                {t(`inventory.settings.${key}`)}
              </Text>{' '}
              — {value}
            </Text>
          ))}
        </Stack>
      ) : null}
    </Card>
  );
}

function SettingsForm({ settings }: { settings: Settings }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      low_stock_threshold: settings.low_stock_threshold,
      quantity_display: settings.quantity_display as string,
      default_lead_time_days:
        settings.default_lead_time_days === null ? '' : String(settings.default_lead_time_days),
    },
  });
  return (
    <ApiForm
      form={form}
      aria-label={t('inventory.settings.title')}
      submitLabel={t('inventory.settings.save')}
      onSubmit={async (v) => {
        const days = v.default_lead_time_days.trim();
        await call(
          client.PATCH('/api/v1/inventory/settings', {
            body: {
              low_stock_threshold: v.low_stock_threshold.trim().replace(',', '.'),
              quantity_display: v.quantity_display === 'exact' ? 'exact' : 'status',
              // A text that is not a whole number is sent as it is read: the API names the field.
              default_lead_time_days: days ? (Number.isInteger(Number(days)) ? Number(days) : -1) : null,
            },
          }),
        );
        await queryClient.invalidateQueries({ queryKey: ['inventory', 'settings'] });
        await queryClient.invalidateQueries({ queryKey: ['catalog', 'availability'] });
        toast.success(t('inventory.settings.saved'));
      }}
    >
      <Group grow align="flex-start">
        <TextInput
          label={t('inventory.settings.threshold')}
          description={t('inventory.settings.threshold_hint')}
          inputMode="decimal"
          {...form.getInputProps('low_stock_threshold')}
        />
        <TextInput
          label={t('inventory.settings.lead_time')}
          description={t('inventory.settings.lead_time_hint')}
          inputMode="numeric"
          {...form.getInputProps('default_lead_time_days')}
        />
      </Group>
      <Radio.Group label={t('inventory.settings.display')} {...form.getInputProps('quantity_display')}>
        <Group mt="xs">
          <Radio value="exact" label={t('inventory.settings.display_exact')} />
          <Radio value="status" label={t('inventory.settings.display_status')} />
        </Group>
      </Radio.Group>
    </ApiForm>
  );
}
