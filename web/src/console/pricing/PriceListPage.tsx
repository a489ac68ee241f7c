import {
  ActionIcon,
  Alert,
  Button,
  Card,
  Group,
  Modal,
  Skeleton,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import { ApiError } from '../../api/problem.ts';
import type { components } from '../../api/schema';
import { useFormat } from '../../i18n/format.ts';
import { AnchorLink } from '../../ui/AnchorLink.tsx';
import { ConfirmButton } from '../../ui/ConfirmButton.tsx';
import { type Column, DataTable } from '../../ui/DataTable.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { TableHeader } from '../../ui/TableHeader.tsx';
import { toast } from '../../ui/toast.ts';
import { dayToIso, isoToDay } from '../catalog/shared.ts';
import { validity } from './PriceListsPage.tsx';
import { type Target, TargetBadges } from './targets.tsx';

type Entry = components['schemas']['PriceListEntry'];
/** A quantity break as written (PUT): the unit price as an exact decimal string. */
type Break = { min_quantity: string; unit_price: string };
type EntryInput = { sku: string; breaks: Break[] };
type Money = { amount: string; currency: string };

/** What the last save did: applied at once, or held for approval (four-eyes). */
type Outcome = { status: 'applied' } | { status: 'pending'; requestId: string };

/** The pricing policy, in one sentence: which changes need someone else's approval. */
export function ThresholdNote() {
  const { t } = useTranslation();
  const f = useFormat();
  const settings = useQuery({
    queryKey: ['pricing-settings'],
    queryFn: () => call(client.GET('/api/v1/pricing/settings')),
  });
  const s = settings.data;
  if (!s) return null;
  const rules: string[] = [];
  if (s.approval_threshold_percent !== null)
    rules.push(t('pricing.threshold.percent', { percent: f.number(Number(s.approval_threshold_percent)) }));
  if (s.approval_threshold_amount !== null)
    rules.push(t('pricing.threshold.amount', { amount: s.approval_threshold_amount }));
  if (s.approve_additions_and_removals) rules.push(t('pricing.threshold.additions'));
  return (
    <Text size="sm" c="dimmed" data-testid="approval-threshold">
      {rules.length
        ? t('pricing.threshold.intro', { rules: rules.join(' ; ') })
        : t('pricing.threshold.none')}
    </Text>
  );
}

/** One price list: its details and its entries (SKU → quantity breaks), edited through PUT …/entries. */
export function PriceListPage(props: { priceListId: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const queryClient = useQueryClient();
  const list = useQuery({
    queryKey: ['price-list', props.priceListId],
    queryFn: () =>
      call(
        client.GET('/api/v1/price-lists/{price_list_id}', {
          params: { path: { price_list_id: props.priceListId } },
        }),
      ),
  });
  const [sku, setSku] = useState('');
  const [debounced] = useDebouncedValue(sku.trim(), 300);
  // The entry edited; kept while the dialog closes so that its title does not change.
  const [editing, setEditing] = useState<Entry | 'new' | null>(null);
  const [opened, setOpened] = useState(false);
  const [editingList, setEditingList] = useState(false);
  const navigate = useNavigate();
  const edit = (e: Entry | 'new') => {
    setEditing(e);
    setOpened(true);
  };
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const l = list.data;
  const currency = l?.currency ?? 'EUR';
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ['price-list-entries', props.priceListId] });
    await queryClient.invalidateQueries({ queryKey: ['price-list', props.priceListId] });
  };

  const save = async (entries: EntryInput[]) => {
    const res = await client.PUT('/api/v1/price-lists/{price_list_id}/entries', {
      params: { path: { price_list_id: props.priceListId } },
      body: { entries },
    });
    const data = await call(Promise.resolve(res));
    if (data.status === 'pending_approval') {
      setOutcome({ status: 'pending', requestId: data.price_change_request.id });
      toast.success(t('pricing.entries.pending'));
      await queryClient.invalidateQueries({ queryKey: ['price-change-requests'] });
    } else {
      setOutcome({ status: 'applied' });
      toast.success(t('pricing.entries.applied'));
    }
    await refresh();
  };

  const columns: Column<Entry>[] = [
    { key: 'sku', header: t('pricing.entries.sku'), render: (e) => e.sku },
    {
      key: 'breaks',
      header: t('pricing.entries.breaks'),
      render: (e) => (
        <Stack gap={0}>
          {(e.breaks as { min_quantity: string; unit_price: Money }[]).map((b) => (
            <Text key={b.min_quantity} size="sm">
              {t('pricing.entries.from_qty', {
                qty: b.min_quantity,
                price: f.money(b.unit_price.amount, b.unit_price.currency),
              })}
            </Text>
          ))}
        </Stack>
      ),
    },
    {
      key: 'actions',
      header: t('common.actions'),
      render: (e) => (
        <Group gap="xs" wrap="nowrap">
          <Button
            size="xs"
            variant="default"
            onClick={() => edit(e)}
            aria-label={t('pricing.entries.edit_sku', { sku: e.sku })}
          >
            {t('common.edit')}
          </Button>
          <ConfirmButton
            size="xs"
            title={t('pricing.entries.remove_title', { sku: e.sku })}
            message={t('pricing.entries.remove_message')}
            confirmLabel={t('pricing.entries.remove')}
            aria-label={t('pricing.entries.remove_sku', { sku: e.sku })}
            onConfirm={() => save([{ sku: e.sku, breaks: [] }])}
          >
            {t('pricing.entries.remove')}
          </ConfirmButton>
        </Group>
      ),
    },
  ];

  return (
    <Stack>
      <AnchorLink to="/console/price-lists" size="sm">
        {t('pricing.lists.back')}
      </AnchorLink>
      {list.error ? (
        <Alert color="red" role="alert">
          {list.error instanceof ApiError ? list.error.message : t('common.unexpected_error')}
        </Alert>
      ) : null}
      {!l ? (
        <Skeleton h={120} />
      ) : (
        <Card withBorder>
          <Group justify="space-between" align="flex-start">
            <Stack gap={4}>
              <Title order={2}>{l.name}</Title>
              <Text size="sm" c="dimmed">
                {l.code} · {l.currency} · {validity(f, l.valid_from, l.valid_to, t('pricing.always'))}
              </Text>
              <TargetBadges targets={l.targets as Target[]} />
            </Stack>
            <Group gap="xs">
              <Button variant="default" onClick={() => setEditingList(true)}>
                {t('pricing.lists.edit')}
              </Button>
              <ConfirmButton
                title={t('pricing.lists.delete_title', { name: l.name })}
                message={t('pricing.lists.delete_message')}
                confirmLabel={t('pricing.lists.delete')}
                onConfirm={async () => {
                  await call(
                    client.DELETE('/api/v1/price-lists/{price_list_id}', {
                      params: { path: { price_list_id: l.id } },
                    }),
                  );
                  await queryClient.invalidateQueries({ queryKey: ['price-lists'] });
                  toast.success(t('pricing.lists.deleted'));
                  await navigate({ to: '/console/price-lists' });
                }}
              >
                {t('pricing.lists.delete')}
              </ConfirmButton>
              <Button onClick={() => edit('new')}>{t('pricing.entries.add')}</Button>
            </Group>
          </Group>
          <ThresholdNote />
        </Card>
      )}
      {outcome?.status === 'pending' ? (
        <Alert color="yellow" title={t('pricing.entries.pending_title')} data-testid="price-change-pending">
          {t('pricing.entries.pending_detail')}{' '}
          <AnchorLink to="/console/price-changes">{t('pricing.entries.see_pending')}</AnchorLink>
        </Alert>
      ) : null}
      <TextInput
        label={t('pricing.entries.filter_sku')}
        value={sku}
        onChange={(e) => setSku(e.currentTarget.value)}
        w={320}
      />
      <DataTable<Entry, { sku: string }>
        queryKey={['price-list-entries', props.priceListId]}
        filters={{ sku: debounced }}
        caption={t('pricing.entries.title')}
        columns={columns}
        rowKey={(e) => e.sku}
        emptyTitle={t('pricing.entries.empty')}
        fetchPage={({ cursor, limit, filters: q }) =>
          call(
            client.GET('/api/v1/price-lists/{price_list_id}/entries', {
              params: {
                path: { price_list_id: props.priceListId },
                query: { limit, ...(cursor ? { cursor } : {}), ...(q.sku ? { sku: q.sku } : {}) },
              },
            }),
          )
        }
      />
      <Modal opened={editingList} onClose={() => setEditingList(false)} title={t('pricing.lists.edit')}>
        {l && editingList ? (
          <ListDetailsForm
            list={l}
            onDone={async () => {
              setEditingList(false);
              await refresh();
              await queryClient.invalidateQueries({ queryKey: ['price-lists'] });
            }}
          />
        ) : null}
      </Modal>
      <Modal
        opened={opened}
        onClose={() => setOpened(false)}
        title={
          editing && editing !== 'new'
            ? t('pricing.entries.edit_title', { sku: editing.sku })
            : t('pricing.entries.add')
        }
        size="lg"
      >
        {editing && opened ? (
          <EntryForm
            entry={editing === 'new' ? null : editing}
            currency={currency}
            onSave={async (entry) => {
              await save([entry]);
              setOpened(false);
            }}
          />
        ) : null}
      </Modal>
    </Stack>
  );
}

/** A SKU's quantity breaks: "from 1: 10.00; from 10: 9.50…", prices as exact decimal strings. */
function EntryForm(props: {
  entry: Entry | null;
  currency: string;
  onSave: (e: EntryInput) => Promise<void>;
}) {
  const { t } = useTranslation();
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      entries: [
        {
          sku: props.entry?.sku ?? '',
          breaks: props.entry?.breaks.map((b) => ({
            min_quantity: b.min_quantity,
            unit_price: (b.unit_price as Money).amount,
          })) ?? [{ min_quantity: '1', unit_price: '' }],
        },
      ],
    },
  });
  const breaks = form.values.entries[0]!.breaks;
  return (
    <ApiForm
      form={form}
      aria-label={t('pricing.entries.form')}
      submitLabel={t('common.save')}
      onSubmit={(v) =>
        props.onSave({
          sku: v.entries[0]!.sku.trim(),
          breaks: v.entries[0]!.breaks.map((b) => ({
            min_quantity: b.min_quantity.trim(),
            unit_price: b.unit_price.trim().replace(',', '.'),
          })),
        })
      }
    >
      <TextInput
        label={t('pricing.entries.sku')}
        required
        readOnly={Boolean(props.entry)}
        {...form.getInputProps('entries.0.sku')}
      />
      <Table>
        <TableHeader
          caption={t('pricing.entries.breaks_caption', { currency: props.currency })}
          columns={[
            t('pricing.entries.min_quantity'),
            t('pricing.entries.unit_price', { currency: props.currency }),
          ]}
          actions
          visibleCaption
        />
        <Table.Tbody>
          {breaks.map((_, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the rows are positions in the form
            <Table.Tr key={i}>
              <Table.Td>
                <TextInput
                  aria-label={t('pricing.entries.min_quantity_n', { n: i + 1 })}
                  inputMode="decimal"
                  {...form.getInputProps(`entries.0.breaks.${i}.min_quantity`)}
                />
              </Table.Td>
              <Table.Td>
                <TextInput
                  aria-label={t('pricing.entries.unit_price_n', { n: i + 1 })}
                  inputMode="decimal"
                  {...form.getInputProps(`entries.0.breaks.${i}.unit_price`)}
                />
              </Table.Td>
              <Table.Td>
                <ActionIcon
                  variant="subtle"
                  color="red"
                  aria-label={t('pricing.entries.remove_break_n', { n: i + 1 })}
                  onClick={() => form.removeListItem('entries.0.breaks', i)}
                >
                  ×
                </ActionIcon>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Group>
        <Button
          variant="default"
          size="xs"
          onClick={() => form.insertListItem('entries.0.breaks', { min_quantity: '', unit_price: '' })}
        >
          {t('pricing.entries.add_break')}
        </Button>
      </Group>
      <ThresholdNote />
    </ApiForm>
  );
}

/** A list's name, code and validity (PATCH /api/v1/price-lists/{id}); its targets stay as they are. */
function ListDetailsForm(props: {
  list: { id: string; code: string; name: string; valid_from: string | null; valid_to: string | null };
  onDone: () => Promise<void>;
}) {
  const { t } = useTranslation();
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      code: props.list.code,
      name: props.list.name,
      valid_from: isoToDay(props.list.valid_from),
      valid_to: isoToDay(props.list.valid_to),
    },
  });
  return (
    <ApiForm
      form={form}
      submitLabel={t('common.save')}
      onSubmit={async (v) => {
        await call(
          client.PATCH('/api/v1/price-lists/{price_list_id}', {
            params: { path: { price_list_id: props.list.id } },
            body: {
              code: v.code,
              name: v.name,
              valid_from: dayToIso(v.valid_from),
              valid_to: dayToIso(v.valid_to),
            },
          }),
        );
        toast.success(t('pricing.lists.saved'));
        await props.onDone();
      }}
    >
      <TextInput label={t('pricing.lists.col.code')} required {...form.getInputProps('code')} />
      <TextInput label={t('pricing.lists.col.name')} required {...form.getInputProps('name')} />
      <Group grow align="flex-start">
        <TextInput type="date" label={t('pricing.valid_from')} {...form.getInputProps('valid_from')} />
        <TextInput type="date" label={t('pricing.valid_to')} {...form.getInputProps('valid_to')} />
      </Group>
    </ApiForm>
  );
}
