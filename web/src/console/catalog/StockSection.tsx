import {
  ActionIcon,
  Button,
  Card,
  Group,
  Modal,
  Select,
  Stack,
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
import type { components } from '../../api/schema';
import { useCan } from '../../auth/permissions.ts';
import { useFormat } from '../../i18n/format.ts';
import { AvailabilityBadge } from '../../storefront/Availability.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { toast } from '../../ui/toast.ts';

type VariantStock = components['schemas']['VariantStock'];
type Warehouse = components['schemas']['Warehouse'];

const stockQuery = (variantId: string) => ({
  queryKey: ['inventory', 'stock', variantId],
  queryFn: () =>
    call(
      client.GET('/api/v1/inventory/variants/{variant_id}/stock', {
        params: { path: { variant_id: variantId } },
      }),
    ),
});

export function useWarehouses() {
  return useQuery({
    queryKey: ['inventory', 'warehouses', 'all'],
    queryFn: () => call(client.GET('/api/v1/inventory/warehouses', { params: { query: { limit: 200 } } })),
  }).data?.data;
}

/**
 * The product editor's stock tab: each variant's levels per warehouse (GET …/variants/{id}/stock),
 * with what a buyer is told, and — for holders of inventory.stock.write — an editor that replaces
 * the levels (PUT): one row per warehouse recording the variant.
 */
export function StockSection({ variants }: { variants: { id: string; sku: string }[] }) {
  const { t } = useTranslation();
  if (!variants.length) return <Text c="dimmed">{t('inventory.stock.no_variants')}</Text>;
  return (
    <Stack>
      {variants.map((v) => (
        <VariantStockCard key={v.id} variantId={v.id} sku={v.sku} />
      ))}
    </Stack>
  );
}

function VariantStockCard({ variantId, sku }: { variantId: string; sku: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const canWrite = useCan('inventory.stock.write');
  const [editing, setEditing] = useState(false);
  const stock = useQuery(stockQuery(variantId)).data;
  const qty = (s: string) => f.number(Number(s), { maximumFractionDigits: 4 });
  return (
    <Card withBorder data-testid={`stock-${sku}`}>
      <Stack gap="xs">
        <Group justify="space-between">
          <Group gap="xs">
            <Title order={3} size="h5">
              {sku}
            </Title>
            {stock ? <AvailabilityBadge status={stock.availability.status} /> : null}
            {stock ? (
              <Text size="sm" c="dimmed">
                {t('inventory.stock.totals', {
                  available: qty(stock.totals.available),
                  on_hand: qty(stock.totals.on_hand),
                })}
              </Text>
            ) : null}
          </Group>
          {canWrite ? (
            <Button
              size="xs"
              variant="default"
              onClick={() => setEditing(true)}
              aria-label={t('inventory.stock.edit_sku', { sku })}
            >
              {t('inventory.stock.edit')}
            </Button>
          ) : null}
        </Group>
        {stock?.levels.length ? (
          <Table.ScrollContainer minWidth={560}>
            <Table withTableBorder>
              <Table.Caption>{t('inventory.stock.caption', { sku })}</Table.Caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('inventory.stock.warehouse')}</Table.Th>
                  <Table.Th scope="col">{t('inventory.stock.on_hand')}</Table.Th>
                  <Table.Th scope="col">{t('inventory.stock.reserved')}</Table.Th>
                  <Table.Th scope="col">{t('inventory.stock.available')}</Table.Th>
                  <Table.Th scope="col">{t('inventory.stock.restock_date')}</Table.Th>
                  <Table.Th scope="col">{t('inventory.stock.restock_quantity')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {stock.levels.map((l) => (
                  <Table.Tr key={l.warehouse_id}>
                    <Table.Td>
                      {l.warehouse_name} ({l.warehouse_code})
                      {l.warehouse_active ? '' : ` ${t('inventory.stock.inactive')}`}
                    </Table.Td>
                    <Table.Td>{qty(l.on_hand)}</Table.Td>
                    <Table.Td>{qty(l.reserved)}</Table.Td>
                    <Table.Td>{qty(l.available)}</Table.Td>
                    <Table.Td>{l.restock_date ? f.date(`${l.restock_date}T12:00:00Z`) : '—'}</Table.Td>
                    <Table.Td>{l.restock_quantity ? qty(l.restock_quantity) : '—'}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        ) : stock ? (
          <Text c="dimmed" size="sm">
            {t('inventory.stock.none')}
          </Text>
        ) : null}
      </Stack>
      <Modal
        opened={editing}
        onClose={() => setEditing(false)}
        title={t('inventory.stock.edit_sku', { sku })}
        size="xl"
      >
        {editing && stock ? <StockForm stock={stock} onDone={() => setEditing(false)} /> : null}
      </Modal>
    </Card>
  );
}

interface Row {
  warehouse_id: string;
  on_hand: string;
  restock_date: string;
  restock_quantity: string;
}

function StockForm({ stock, onDone }: { stock: VariantStock; onDone: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const warehouses = useWarehouses() ?? [];
  const byId = new Map<string, Warehouse>(warehouses.map((w) => [w.id, w]));
  const form = useForm<{ levels: Row[] }>({
    mode: 'controlled',
    initialValues: {
      levels: stock.levels.map((l) => ({
        warehouse_id: l.warehouse_id,
        on_hand: l.on_hand,
        restock_date: l.restock_date ?? '',
        restock_quantity: l.restock_quantity ?? '',
      })),
    },
  });
  const used = new Set(form.values.levels.map((l) => l.warehouse_id));
  const addable = warehouses.filter((w) => !used.has(w.id));
  const nameOf = (id: string) => {
    const w = byId.get(id);
    return w ? `${w.name} (${w.code})` : id;
  };
  const text = (s: string) => s.trim().replace(',', '.');
  return (
    <ApiForm
      form={form}
      aria-label={t('inventory.stock.edit_sku', { sku: stock.sku })}
      submitLabel={t('inventory.stock.save')}
      onSubmit={async (v) => {
        await call(
          client.PUT('/api/v1/inventory/variants/{variant_id}/stock', {
            params: { path: { variant_id: stock.variant_id } },
            body: {
              levels: v.levels.map((l) => ({
                warehouse_id: l.warehouse_id,
                on_hand: text(l.on_hand),
                restock_date: l.restock_date || null,
                restock_quantity: text(l.restock_quantity) || null,
              })),
            },
          }),
        );
        await queryClient.invalidateQueries({ queryKey: ['inventory', 'stock', stock.variant_id] });
        await queryClient.invalidateQueries({ queryKey: ['catalog', 'availability'] });
        toast.success(t('inventory.stock.saved'));
        onDone();
      }}
    >
      {form.values.levels.map((l, i) => {
        const warehouse = nameOf(l.warehouse_id);
        return (
          <Group key={l.warehouse_id} align="flex-end" wrap="wrap" data-testid="stock-row">
            <Text fw={500} w={200}>
              {warehouse}
            </Text>
            <TextInput
              label={t('inventory.stock.on_hand_of', { warehouse })}
              inputMode="decimal"
              required
              w={140}
              {...form.getInputProps(`levels.${i}.on_hand`)}
            />
            <TextInput
              type="date"
              label={t('inventory.stock.restock_date_of', { warehouse })}
              w={180}
              {...form.getInputProps(`levels.${i}.restock_date`)}
            />
            <TextInput
              label={t('inventory.stock.restock_quantity_of', { warehouse })}
              inputMode="decimal"
              w={160}
              {...form.getInputProps(`levels.${i}.restock_quantity`)}
            />
            <ActionIcon
              variant="default"
              size="lg"
              aria-label={t('inventory.stock.remove_of', { warehouse })}
              onClick={() => form.removeListItem('levels', i)}
            >
              ×
            </ActionIcon>
          </Group>
        );
      })}
      {warehouses.length === 0 ? <Text c="dimmed">{t('inventory.stock.no_warehouse')}</Text> : null}
      {addable.length ? (
        <Select
          label={t('inventory.stock.add_warehouse')}
          placeholder={t('inventory.stock.add_placeholder')}
          data={addable.map((w) => ({ value: w.id, label: `${w.name} (${w.code})` }))}
          value={null}
          onChange={(id) => {
            if (id)
              form.insertListItem('levels', {
                warehouse_id: id,
                on_hand: '0',
                restock_date: '',
                restock_quantity: '',
              });
          }}
          w={320}
        />
      ) : null}
    </ApiForm>
  );
}
