import { Button, Card, Group, Modal, SegmentedControl, Select, Stack, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import type { components } from '../../api/schema';
import { useFormat } from '../../i18n/format.ts';
import { AnchorLink } from '../../ui/AnchorLink.tsx';
import { type Column, DataTable } from '../../ui/DataTable.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { toast } from '../../ui/toast.ts';
import { dayToIso, useAccountsList } from '../catalog/shared.ts';
import { type Target, TargetBadges, type TargetKind, TargetPicker, toTarget } from './targets.tsx';

type PriceList = components['schemas']['PriceList'];

export function validity(
  f: ReturnType<typeof useFormat>,
  from: string | null,
  to: string | null,
  always: string,
) {
  if (!from && !to) return always;
  return `${from ? f.date(from) : '…'} → ${to ? f.date(to) : '…'}`;
}

/**
 * Price lists (GET /api/v1/price-lists): the public list, storefront and group lists, and contract
 * prices — lists targeted at one customer account.
 */
export function PriceListsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const [filters, setFilters] = useState({
    currency: '',
    contracts: false,
    accountId: null as string | null,
  });
  const accounts = useAccountsList();
  const [debounced] = useDebouncedValue(filters, 300);
  const [opened, { open, close }] = useDisclosure(false);
  const columns: Column<PriceList>[] = [
    {
      key: 'code',
      header: t('pricing.lists.col.code'),
      render: (l) => (
        <AnchorLink to="/console/price-lists/$priceListId" params={{ priceListId: l.id }}>
          {l.code}
        </AnchorLink>
      ),
    },
    { key: 'name', header: t('pricing.lists.col.name'), render: (l) => l.name },
    { key: 'currency', header: t('pricing.lists.col.currency'), render: (l) => l.currency },
    {
      key: 'targets',
      header: t('pricing.lists.col.targets'),
      render: (l) => <TargetBadges targets={l.targets as Target[]} />,
    },
    {
      key: 'validity',
      header: t('pricing.lists.col.validity'),
      render: (l) => validity(f, l.valid_from, l.valid_to, t('pricing.always')),
    },
    { key: 'skus', header: t('pricing.lists.col.skus'), render: (l) => f.number(l.sku_count) },
  ];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('pricing.lists.title')}</Title>
        <Button onClick={open}>{t('pricing.lists.create')}</Button>
      </Group>
      <Card withBorder>
        <Group align="flex-end">
          <TextInput
            label={t('pricing.lists.filter.currency')}
            placeholder="EUR"
            maxLength={3}
            value={filters.currency}
            onChange={(e) => {
              const currency = e.currentTarget.value.toUpperCase();
              setFilters((p) => ({ ...p, currency }));
            }}
          />
          <SegmentedControl
            aria-label={t('pricing.lists.filter.kind')}
            value={filters.contracts ? 'contracts' : 'all'}
            onChange={(v) => setFilters((p) => ({ ...p, contracts: v === 'contracts' }))}
            data={[
              { value: 'all', label: t('pricing.lists.filter.all') },
              { value: 'contracts', label: t('pricing.lists.filter.contracts') },
            ]}
          />
          {filters.contracts ? (
            <Select
              label={t('pricing.lists.filter.account')}
              placeholder={t('pricing.lists.filter.any_account')}
              clearable
              searchable
              data={(accounts.data?.data ?? []).map((a) => ({ value: a.id, label: a.name }))}
              value={filters.accountId}
              onChange={(accountId) => setFilters((p) => ({ ...p, accountId }))}
            />
          ) : null}
        </Group>
      </Card>
      <DataTable<PriceList, typeof filters>
        queryKey={['price-lists']}
        filters={debounced}
        caption={t('pricing.lists.title')}
        columns={columns}
        rowKey={(l) => l.id}
        emptyTitle={t('pricing.lists.empty')}
        fetchPage={({ cursor, limit, filters: q }) =>
          call(
            client.GET('/api/v1/price-lists', {
              params: {
                query: {
                  limit,
                  ...(cursor ? { cursor } : {}),
                  ...(/^[A-Z]{3}$/.test(q.currency) ? { currency: q.currency } : {}),
                  // Contract prices: lists targeted at an account (one account when picked).
                  ...(q.contracts ? { target_kind: 'account' as const } : {}),
                  ...(q.contracts && q.accountId ? { target_id: q.accountId } : {}),
                },
              },
            }),
          )
        }
      />
      <Modal opened={opened} onClose={close} title={t('pricing.lists.create')} size="lg">
        <CreatePriceList onDone={close} />
      </Modal>
    </Stack>
  );
}

function CreatePriceList(props: { onDone: () => void }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      code: '',
      name: '',
      currency: 'EUR',
      valid_from: '',
      valid_to: '',
      targets: { kind: 'account' as TargetKind, id: '' },
    },
  });
  const save = async (v: typeof form.values) => {
    const list = await call(
      client.POST('/api/v1/price-lists', {
        body: {
          code: v.code,
          name: v.name,
          currency: v.currency,
          valid_from: dayToIso(v.valid_from),
          valid_to: dayToIso(v.valid_to),
          targets: [toTarget(v.targets.kind, v.targets.id)],
        },
      }),
    );
    await queryClient.invalidateQueries({ queryKey: ['price-lists'] });
    toast.success(t('pricing.lists.created'));
    props.onDone();
    await navigate({ to: '/console/price-lists/$priceListId', params: { priceListId: list.id } });
  };
  return (
    <ApiForm form={form} onSubmit={save} submitLabel={t('pricing.lists.create')}>
      <Group grow align="flex-start">
        <TextInput label={t('pricing.lists.col.code')} required {...form.getInputProps('code')} />
        <TextInput
          label={t('pricing.lists.col.currency')}
          required
          maxLength={3}
          {...form.getInputProps('currency')}
        />
      </Group>
      <TextInput label={t('pricing.lists.col.name')} required {...form.getInputProps('name')} />
      <Group grow align="flex-start">
        <TextInput type="date" label={t('pricing.valid_from')} {...form.getInputProps('valid_from')} />
        <TextInput type="date" label={t('pricing.valid_to')} {...form.getInputProps('valid_to')} />
      </Group>
      <TargetPicker
        kind={form.values.targets.kind}
        id={form.values.targets.id}
        onChange={(kind, id) => form.setFieldValue('targets', { kind, id })}
        kindError={form.errors.targets as string | undefined}
        idError={(form.errors['targets.0.id'] ?? form.errors['targets.0']) as string | undefined}
      />
    </ApiForm>
  );
}
