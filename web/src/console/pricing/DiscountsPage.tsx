import {
  Button,
  Checkbox,
  Group,
  Modal,
  MultiSelect,
  NumberInput,
  Select,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import type { components } from '../../api/schema';
import { useCan } from '../../auth/permissions.ts';
import { useFormat } from '../../i18n/format.ts';
import { EditDeleteActions } from '../../ui/ConfirmButton.tsx';
import { type Column, DataTable } from '../../ui/DataTable.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { toast } from '../../ui/toast.ts';
import { dayToIso, isoToDay, useCategoryOptions, useCustomerGroups } from '../catalog/shared.ts';
import { validity } from './PriceListsPage.tsx';
import { type Target, TargetBadges, type TargetKind, TargetPicker, toTarget } from './targets.tsx';

type GroupDiscount = components['schemas']['GroupDiscount'];
type Promotion = components['schemas']['Promotion'];

const skuList = (s: string) =>
  s
    .split(/[\s,;]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/** What a discount or promotion covers: everything, some categories, some SKUs. */
function Scope(props: { categoryIds: string[]; skus: string[] }) {
  const { t } = useTranslation();
  const categories = useCategoryOptions();
  const name = new Map(categories.map((c) => [c.value, c.label] as const));
  if (!props.categoryIds.length && !props.skus.length) return <>{t('pricing.scope.everything')}</>;
  return (
    <Text size="sm">{[...props.categoryIds.map((id) => name.get(id) ?? id), ...props.skus].join(', ')}</Text>
  );
}

/** Group discount levels (GET/POST/PATCH/DELETE /api/v1/group-discounts): a percentage off public prices. */
export function GroupDiscountsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const groups = useCustomerGroups();
  const queryClient = useQueryClient();
  const [opened, { open, close }] = useDisclosure(false);
  const [editing, setEditing] = useState<GroupDiscount | null>(null);
  const canWrite = useCan('pricing.discount.write');
  const groupName = new Map((groups.data?.data ?? []).map((g) => [g.id, g.name] as const));
  const columns: Column<GroupDiscount>[] = [
    {
      key: 'group',
      header: t('pricing.discounts.group'),
      render: (d) => groupName.get(d.group_id) ?? d.group_id,
    },
    { key: 'percent', header: t('pricing.discounts.percent'), render: (d) => `${d.percent} %` },
    {
      key: 'scope',
      header: t('pricing.scope.title'),
      render: (d) => <Scope categoryIds={d.category_ids} skus={d.skus} />,
    },
    {
      key: 'validity',
      header: t('pricing.lists.col.validity'),
      render: (d) => validity(f, d.valid_from, d.valid_to, t('pricing.always')),
    },
    {
      key: 'actions',
      header: t('common.actions'),
      render: (d) =>
        canWrite ? (
          <EditDeleteActions
            onEdit={() => setEditing(d)}
            editLabel={t('pricing.discounts.edit_named', {
              group: groupName.get(d.group_id) ?? d.group_id,
            })}
            deleteTitle={t('pricing.discounts.delete_title')}
            deleteMessage={t('pricing.discounts.delete_message')}
            onDelete={async () => {
              await call(
                client.DELETE('/api/v1/group-discounts/{group_discount_id}', {
                  params: { path: { group_discount_id: d.id } },
                }),
              );
              await queryClient.invalidateQueries({ queryKey: ['group-discounts'] });
              toast.success(t('pricing.discounts.deleted'));
            }}
          />
        ) : null,
    },
  ];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('pricing.discounts.title')}</Title>
        {canWrite ? <Button onClick={open}>{t('pricing.discounts.create')}</Button> : null}
      </Group>
      <Text size="sm" c="dimmed">
        {t('pricing.discounts.intro')}
      </Text>
      <DataTable<GroupDiscount, Record<string, never>>
        queryKey={['group-discounts']}
        filters={{}}
        caption={t('pricing.discounts.title')}
        columns={columns}
        rowKey={(d) => d.id}
        emptyTitle={t('pricing.discounts.empty')}
        fetchPage={({ cursor, limit }) =>
          call(
            client.GET('/api/v1/group-discounts', {
              params: { query: { limit, ...(cursor ? { cursor } : {}) } },
            }),
          )
        }
      />
      <Modal opened={opened} onClose={close} title={t('pricing.discounts.create')} size="lg">
        <DiscountForm
          onDone={async () => {
            close();
            await queryClient.invalidateQueries({ queryKey: ['group-discounts'] });
          }}
        />
      </Modal>
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={t('pricing.discounts.edit')}
        size="lg"
      >
        {editing ? (
          <DiscountForm
            editing={editing}
            onDone={async () => {
              setEditing(null);
              await queryClient.invalidateQueries({ queryKey: ['group-discounts'] });
            }}
          />
        ) : null}
      </Modal>
    </Stack>
  );
}

/** Creates a group discount level, or changes one (PATCH: the group stays). */
function DiscountForm(props: { editing?: GroupDiscount; onDone: () => Promise<void> }) {
  const { t } = useTranslation();
  const groups = useCustomerGroups();
  const categories = useCategoryOptions();
  const e = props.editing;
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      group_id: e?.group_id ?? '',
      percent: e?.percent ?? '',
      category_ids: e?.category_ids ?? ([] as string[]),
      skus: e?.skus.join(', ') ?? '',
      valid_from: isoToDay(e?.valid_from),
      valid_to: isoToDay(e?.valid_to),
    },
  });
  return (
    <ApiForm
      form={form}
      submitLabel={e ? t('common.save') : t('pricing.discounts.create')}
      onSubmit={async (v) => {
        const fields = {
          percent: v.percent.trim().replace(',', '.'),
          category_ids: v.category_ids,
          skus: skuList(v.skus),
          valid_from: dayToIso(v.valid_from),
          valid_to: dayToIso(v.valid_to),
        };
        if (e)
          await call(
            client.PATCH('/api/v1/group-discounts/{group_discount_id}', {
              params: { path: { group_discount_id: e.id } },
              body: fields,
            }),
          );
        else
          await call(client.POST('/api/v1/group-discounts', { body: { group_id: v.group_id, ...fields } }));
        toast.success(e ? t('pricing.discounts.updated') : t('pricing.discounts.created'));
        await props.onDone();
      }}
    >
      <Select
        label={t('pricing.discounts.group')}
        required
        disabled={Boolean(e)}
        searchable
        data={(groups.data?.data ?? []).map((g) => ({ value: g.id, label: g.name }))}
        value={form.values.group_id || null}
        onChange={(v) => form.setFieldValue('group_id', v ?? '')}
        error={form.errors.group_id}
      />
      <TextInput
        label={t('pricing.discounts.percent')}
        required
        inputMode="decimal"
        {...form.getInputProps('percent')}
      />
      <MultiSelect
        label={t('pricing.scope.categories')}
        searchable
        data={categories}
        {...form.getInputProps('category_ids')}
      />
      <TextInput
        label={t('pricing.scope.skus')}
        description={t('pricing.scope.skus_hint')}
        {...form.getInputProps('skus')}
      />
      <Group grow align="flex-start">
        <TextInput type="date" label={t('pricing.valid_from')} {...form.getInputProps('valid_from')} />
        <TextInput type="date" label={t('pricing.valid_to')} {...form.getInputProps('valid_to')} />
      </Group>
    </ApiForm>
  );
}

/** Promotions (GET/POST/PATCH/DELETE /api/v1/promotions): explicit rules, stackable or by priority. */
export function PromotionsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const queryClient = useQueryClient();
  const [opened, { open, close }] = useDisclosure(false);
  const [editing, setEditing] = useState<Promotion | null>(null);
  const canWrite = useCan('pricing.promotion.write');
  const columns: Column<Promotion>[] = [
    { key: 'name', header: t('pricing.promotions.name'), render: (p) => p.name },
    {
      key: 'discount',
      header: t('pricing.promotions.discount'),
      render: (p) =>
        p.discount.kind === 'percent'
          ? `${p.discount.percent} %`
          : f.money(p.discount.amount, p.discount.currency),
    },
    {
      key: 'targets',
      header: t('pricing.lists.col.targets'),
      render: (p) => <TargetBadges targets={p.targets as Target[]} />,
    },
    {
      key: 'scope',
      header: t('pricing.scope.title'),
      render: (p) => <Scope categoryIds={p.category_ids} skus={p.skus} />,
    },
    {
      key: 'rules',
      header: t('pricing.promotions.rules'),
      render: (p) =>
        [
          p.stackable
            ? t('pricing.promotions.stackable')
            : t('pricing.promotions.priority_n', { n: p.priority }),
          p.exclude_net_prices ? t('pricing.promotions.not_net') : null,
        ]
          .filter(Boolean)
          .join(' · '),
    },
    {
      key: 'validity',
      header: t('pricing.lists.col.validity'),
      render: (p) => validity(f, p.valid_from, p.valid_to, t('pricing.always')),
    },
    {
      key: 'actions',
      header: t('common.actions'),
      render: (p) =>
        canWrite ? (
          <EditDeleteActions
            onEdit={() => setEditing(p)}
            editLabel={t('pricing.promotions.edit_named', { name: p.name })}
            deleteTitle={t('pricing.promotions.delete_title', { name: p.name })}
            deleteMessage={t('pricing.promotions.delete_message')}
            onDelete={async () => {
              await call(
                client.DELETE('/api/v1/promotions/{promotion_id}', {
                  params: { path: { promotion_id: p.id } },
                }),
              );
              await queryClient.invalidateQueries({ queryKey: ['promotions'] });
              toast.success(t('pricing.promotions.deleted'));
            }}
          />
        ) : null,
    },
  ];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('pricing.promotions.title')}</Title>
        {canWrite ? <Button onClick={open}>{t('pricing.promotions.create')}</Button> : null}
      </Group>
      <DataTable<Promotion, Record<string, never>>
        queryKey={['promotions']}
        filters={{}}
        caption={t('pricing.promotions.title')}
        columns={columns}
        rowKey={(p) => p.id}
        emptyTitle={t('pricing.promotions.empty')}
        fetchPage={({ cursor, limit }) =>
          call(
            client.GET('/api/v1/promotions', { params: { query: { limit, ...(cursor ? { cursor } : {}) } } }),
          )
        }
      />
      <Modal opened={opened} onClose={close} title={t('pricing.promotions.create')} size="lg">
        <PromotionForm
          onDone={async () => {
            close();
            await queryClient.invalidateQueries({ queryKey: ['promotions'] });
          }}
        />
      </Modal>
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={t('pricing.promotions.edit')}
        size="lg"
      >
        {editing ? (
          <PromotionForm
            editing={editing}
            onDone={async () => {
              setEditing(null);
              await queryClient.invalidateQueries({ queryKey: ['promotions'] });
            }}
          />
        ) : null}
      </Modal>
    </Stack>
  );
}

/** Creates a promotion, or changes one (PATCH; its targets are sent only when changed here). */
function PromotionForm(props: { editing?: Promotion; onDone: () => Promise<void> }) {
  const { t } = useTranslation();
  const categories = useCategoryOptions();
  const e = props.editing;
  const firstTarget = (e?.targets[0] ?? { kind: 'all' }) as Target;
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      name: e?.name ?? '',
      discount: !e
        ? { kind: 'percent' as 'percent' | 'amount', value: '', currency: 'EUR' }
        : e.discount.kind === 'percent'
          ? { kind: 'percent' as 'percent' | 'amount', value: e.discount.percent, currency: 'EUR' }
          : {
              kind: 'amount' as 'percent' | 'amount',
              value: e.discount.amount,
              currency: e.discount.currency,
            },
      targets: { kind: firstTarget.kind as TargetKind, id: 'id' in firstTarget ? firstTarget.id : '' },
      category_ids: e?.category_ids ?? ([] as string[]),
      skus: e?.skus.join(', ') ?? '',
      stackable: e?.stackable ?? false,
      priority: e?.priority ?? 0,
      exclude_net_prices: e?.exclude_net_prices ?? false,
      valid_from: isoToDay(e?.valid_from),
      valid_to: isoToDay(e?.valid_to),
    },
  });
  const d = form.values.discount;
  return (
    <ApiForm
      form={form}
      submitLabel={e ? t('common.save') : t('pricing.promotions.create')}
      onSubmit={async (v) => {
        const value = v.discount.value.trim().replace(',', '.');
        const body = {
          name: v.name,
          discount:
            v.discount.kind === 'percent'
              ? { kind: 'percent' as const, percent: value }
              : { kind: 'amount' as const, amount: value, currency: v.discount.currency },
          category_ids: v.category_ids,
          skus: skuList(v.skus),
          stackable: v.stackable,
          priority: Number(v.priority),
          exclude_net_prices: v.exclude_net_prices,
          valid_from: dayToIso(v.valid_from),
          valid_to: dayToIso(v.valid_to),
        };
        const targets = [toTarget(v.targets.kind, v.targets.id)];
        if (e)
          await call(
            client.PATCH('/api/v1/promotions/{promotion_id}', {
              params: { path: { promotion_id: e.id } },
              // A promotion with several targets keeps them unless the target is changed here.
              body: form.isDirty('targets') ? { ...body, targets } : body,
            }),
          );
        else await call(client.POST('/api/v1/promotions', { body: { ...body, targets } }));
        toast.success(e ? t('pricing.promotions.updated') : t('pricing.promotions.created'));
        await props.onDone();
      }}
    >
      <TextInput label={t('pricing.promotions.name')} required {...form.getInputProps('name')} />
      <Group grow align="flex-start">
        <Select
          label={t('pricing.promotions.discount_kind')}
          allowDeselect={false}
          data={[
            { value: 'percent', label: t('pricing.promotions.kind_percent') },
            { value: 'amount', label: t('pricing.promotions.kind_amount') },
          ]}
          {...form.getInputProps('discount.kind')}
        />
        <TextInput
          label={d.kind === 'percent' ? t('pricing.promotions.percent') : t('pricing.promotions.amount')}
          required
          inputMode="decimal"
          {...form.getInputProps('discount.value')}
          error={
            form.errors['discount.value'] ?? form.errors['discount.percent'] ?? form.errors['discount.amount']
          }
        />
        {d.kind === 'amount' ? (
          <TextInput
            label={t('pricing.lists.col.currency')}
            maxLength={3}
            {...form.getInputProps('discount.currency')}
          />
        ) : null}
      </Group>
      <TargetPicker
        kind={form.values.targets.kind}
        id={form.values.targets.id}
        onChange={(kind, id) => form.setFieldValue('targets', { kind, id })}
        idError={form.errors['targets.0.id'] as string | undefined}
      />
      <MultiSelect
        label={t('pricing.scope.categories')}
        searchable
        data={categories}
        {...form.getInputProps('category_ids')}
      />
      <TextInput
        label={t('pricing.scope.skus')}
        description={t('pricing.scope.skus_hint')}
        {...form.getInputProps('skus')}
      />
      <Group grow align="flex-end">
        <Checkbox
          label={t('pricing.promotions.stackable')}
          {...form.getInputProps('stackable', { type: 'checkbox' })}
        />
        <NumberInput
          label={t('pricing.promotions.priority')}
          allowDecimal={false}
          {...form.getInputProps('priority')}
        />
        <Checkbox
          label={t('pricing.promotions.not_net')}
          {...form.getInputProps('exclude_net_prices', { type: 'checkbox' })}
        />
      </Group>
      <Group grow align="flex-start">
        <TextInput type="date" label={t('pricing.valid_from')} {...form.getInputProps('valid_from')} />
        <TextInput type="date" label={t('pricing.valid_to')} {...form.getInputProps('valid_to')} />
      </Group>
    </ApiForm>
  );
}
