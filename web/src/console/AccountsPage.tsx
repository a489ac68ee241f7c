import { Badge, Card, Group, Select, Stack, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../api/client.ts';
import type { components } from '../api/schema';
import { useFormat } from '../i18n/format.ts';
import { type Column, DataTable } from '../ui/DataTable.tsx';

type Account = components['schemas']['Account'];

/**
 * Customer accounts (GET /api/v1/accounts) — the worked example of a console list: filters in a
 * card above, the DataTable below; the server filters and pages.
 */
export function AccountsPage() {
  const { t } = useTranslation();
  const f = useFormat();
  const [filters, setFilters] = useState<{ name: string; status: 'active' | 'blocked' | null }>({
    name: '',
    status: null,
  });
  const [debounced] = useDebouncedValue(filters, 300);
  const columns: Column<Account>[] = [
    { key: 'name', header: t('accounts.col.name'), render: (a) => a.name },
    { key: 'siret', header: t('accounts.col.siret'), render: (a) => a.siret ?? '—' },
    { key: 'vat', header: t('accounts.col.vat'), render: (a) => a.vat_number ?? '—' },
    { key: 'ref', header: t('accounts.col.external_ref'), render: (a) => a.external_ref ?? '—' },
    {
      key: 'status',
      header: t('accounts.col.status'),
      render: (a) => (
        <Badge color={a.status === 'active' ? 'green' : 'red'} variant="light">
          {t(`accounts.status.${a.status}`)}
        </Badge>
      ),
    },
    { key: 'created', header: t('accounts.col.created'), render: (a) => f.date(a.created_at) },
  ];
  return (
    <Stack>
      <Title order={2}>{t('accounts.title')}</Title>
      <Card withBorder>
        <Group grow align="flex-end">
          <TextInput
            label={t('accounts.filter.name')}
            value={filters.name}
            onChange={(e) => {
              const name = e.currentTarget.value;
              setFilters((p) => ({ ...p, name }));
            }}
          />
          <Select
            label={t('accounts.filter.status')}
            placeholder={t('accounts.filter.any_status')}
            clearable
            data={[
              { value: 'active', label: t('accounts.status.active') },
              { value: 'blocked', label: t('accounts.status.blocked') },
            ]}
            value={filters.status}
            onChange={(v) => setFilters((p) => ({ ...p, status: v as 'active' | 'blocked' | null }))}
          />
        </Group>
      </Card>
      <DataTable<Account, typeof filters>
        queryKey={['accounts']}
        filters={debounced}
        caption={t('accounts.title')}
        columns={columns}
        rowKey={(a) => a.id}
        emptyTitle={t('accounts.empty')}
        fetchPage={({ cursor, limit, filters: q }) =>
          call(
            client.GET('/api/v1/accounts', {
              params: {
                query: {
                  limit,
                  ...(cursor ? { cursor } : {}),
                  ...(q.name.trim() ? { name: q.name.trim() } : {}),
                  ...(q.status ? { status: q.status } : {}),
                },
              },
            }),
          )
        }
      />
    </Stack>
  );
}
