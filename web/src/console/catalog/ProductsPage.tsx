import { Badge, Card, Group, Progress, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import { AnchorLink } from '../../ui/AnchorLink.tsx';
import { type Column, DataTable, type Page } from '../../ui/DataTable.tsx';
import { useBrands, useCategoryOptions } from './shared.ts';

type Status = 'draft' | 'active' | 'discontinued';
export const PRODUCT_STATUSES: Status[] = ['draft', 'active', 'discontinued'];
export const STATUS_COLOR: Record<Status, string> = {
  draft: 'gray',
  active: 'green',
  discontinued: 'orange',
};

interface Row {
  id: string;
  code: string;
  name: string | null;
  status: Status | null;
  brand: string | null;
  skus: string[];
  completeness: number | null;
}

interface Filters {
  q: string;
  status: Status | null;
  category_id: string | null;
  brand_id: string | null;
}

/**
 * Products (GET /api/v1/catalog/products, filtered by status, category and brand and paged by the
 * server). A search text goes to the catalogue search (GET /api/v1/catalog/search: names, SKU
 * prefixes, typos), which filters by category and brand but not by status.
 */
export function ProductsPage() {
  const { t, i18n } = useTranslation();
  const brands = useBrands();
  const categories = useCategoryOptions();
  const brandName = new Map((brands.data?.data ?? []).map((b) => [b.id, b.name] as const));
  const [filters, setFilters] = useState<Filters>({ q: '', status: null, category_id: null, brand_id: null });
  const [debounced] = useDebouncedValue(filters, 300);
  const searching = filters.q.trim() !== '';

  const columns: Column<Row>[] = [
    {
      key: 'code',
      header: t('catalog.products.col.code'),
      render: (p) => (
        <AnchorLink to="/console/products/$productId" params={{ productId: p.id }}>
          {p.code}
        </AnchorLink>
      ),
    },
    { key: 'name', header: t('catalog.products.col.name'), render: (p) => p.name ?? '—' },
    { key: 'brand', header: t('catalog.products.col.brand'), render: (p) => p.brand ?? '—' },
    {
      key: 'skus',
      header: t('catalog.products.col.skus'),
      render: (p) => (
        <Text size="sm" lineClamp={1}>
          {p.skus.join(', ') || '—'}
        </Text>
      ),
    },
    {
      key: 'status',
      header: t('catalog.products.col.status'),
      render: (p) =>
        p.status ? (
          <Badge color={STATUS_COLOR[p.status]} variant="dot" miw="max-content">
            {t(`catalog.status.${p.status}`)}
          </Badge>
        ) : (
          '—'
        ),
    },
    {
      key: 'completeness',
      header: t('catalog.products.col.completeness'),
      render: (p) =>
        p.completeness === null ? (
          '—'
        ) : (
          <Group gap={6} wrap="nowrap">
            <Progress
              value={p.completeness}
              w={60}
              aria-label={t('catalog.products.completeness_of', { code: p.code })}
            />
            <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
              {p.completeness} %
            </Text>
          </Group>
        ),
    },
  ];

  const fetchPage = async ({
    cursor,
    limit,
    filters: f,
  }: {
    cursor: string | undefined;
    limit: number;
    filters: Filters;
  }): Promise<Page<Row>> => {
    const common = {
      limit,
      locale: i18n.language,
      ...(cursor ? { cursor } : {}),
      ...(f.category_id ? { category_id: f.category_id } : {}),
      ...(f.brand_id ? { brand_id: f.brand_id } : {}),
    };
    if (f.q.trim()) {
      const res = await call(
        client.GET('/api/v1/catalog/search', { params: { query: { ...common, q: f.q.trim() } } }),
      );
      return {
        next_cursor: res.next_cursor,
        data: res.data.map((h) => ({
          id: h.id,
          code: h.code,
          name: h.name,
          status: null,
          brand: (h.brand as { name?: string } | null)?.name ?? null,
          skus: h.skus,
          completeness: null,
        })),
      };
    }
    const res = await call(
      client.GET('/api/v1/catalog/products', {
        params: { query: { ...common, ...(f.status ? { status: f.status } : {}) } },
      }),
    );
    return {
      next_cursor: res.next_cursor,
      data: res.data.map((p) => ({
        id: p.id,
        code: p.code,
        name: p.localized.name,
        status: p.status,
        brand: p.brand_id ? (brandName.get(p.brand_id) ?? null) : null,
        skus: p.variants.map((v) => v.sku),
        completeness: p.completeness.score,
      })),
    };
  };

  return (
    <Stack>
      <Title order={2}>{t('catalog.products.title')}</Title>
      <Card withBorder>
        <Group grow align="flex-end">
          <TextInput
            type="search"
            label={t('catalog.products.filter.search')}
            description={t('catalog.products.filter.search_hint')}
            value={filters.q}
            onChange={(e) => {
              const q = e.currentTarget.value;
              setFilters((p) => ({ ...p, q }));
            }}
          />
          <Select
            label={t('catalog.products.filter.status')}
            placeholder={t('catalog.products.filter.any')}
            clearable
            disabled={searching}
            data={PRODUCT_STATUSES.map((s) => ({ value: s, label: t(`catalog.status.${s}`) }))}
            value={filters.status}
            onChange={(v) => setFilters((p) => ({ ...p, status: v as Status | null }))}
          />
          <Select
            label={t('catalog.products.filter.category')}
            placeholder={t('catalog.products.filter.any')}
            clearable
            searchable
            data={categories}
            value={filters.category_id}
            onChange={(v) => setFilters((p) => ({ ...p, category_id: v }))}
          />
          <Select
            label={t('catalog.products.filter.brand')}
            placeholder={t('catalog.products.filter.any')}
            clearable
            searchable
            data={(brands.data?.data ?? []).map((b) => ({ value: b.id, label: b.name }))}
            value={filters.brand_id}
            onChange={(v) => setFilters((p) => ({ ...p, brand_id: v }))}
          />
        </Group>
      </Card>
      <DataTable<Row, Filters>
        queryKey={['catalog-products', i18n.language, brands.data ? 'b' : '-']}
        filters={debounced}
        caption={t('catalog.products.title')}
        columns={columns}
        rowKey={(p) => p.id}
        emptyTitle={t('catalog.products.empty')}
        fetchPage={fetchPage}
      />
    </Stack>
  );
}
