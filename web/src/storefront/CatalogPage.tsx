import {
  Alert,
  Avatar,
  Badge,
  Button,
  Card,
  Checkbox,
  CloseButton,
  Grid,
  Group,
  NativeSelect,
  NavLink,
  Radio,
  SegmentedControl,
  SimpleGrid,
  Skeleton,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/problem.ts';
import { useFormat } from '../i18n/format.ts';
import { AnchorLink } from '../ui/AnchorLink.tsx';
import { EmptyState } from '../ui/EmptyState.tsx';
import {
  CATALOG_SORTS,
  type CatalogFilters,
  type CatalogSort,
  type CategoryNode,
  catalogSearch,
  categoryTreeQuery,
  compareDecimal,
  type Facets,
  PRICE_SORTS,
  type PriceFacet,
  type SearchHit,
  searchQuery,
} from './catalog.ts';

type View = 'grid' | 'list';

export { catalogSearch };

/**
 * The catalogue: category tree, facets (price ranges, brands, filterable attributes) and the products
 * that match, a page at a time (cursor pagination of GET /catalog/search). The same screen shows search
 * results (`?q=`): the query is the header's search or the field above the results. Price sorts, the
 * price facet and the price filter work on the buyer's own prices, over the best-ranked hits only
 * (`price_scope`): the screen says so when that is not all of them.
 */
export function CatalogPage(props: { filters: CatalogFilters }) {
  const { t, i18n } = useTranslation();
  const f = useFormat();
  const navigate = useNavigate();
  const filters = props.filters;
  const lang = i18n.language;
  const [view, setView] = useState<View>('grid');
  const [text, setText] = useState(filters.q ?? '');
  const [debounced] = useDebouncedValue(text.trim(), 300);
  // cursors[i]: the cursor of page i (undefined for the first), for these filters and language only:
  // other filters (or another order, whose cursors the API refuses) restart from the first page.
  const filtersKey = JSON.stringify([filters, lang]);
  const [paging, setPaging] = useState<{ key: string; cursors: (string | undefined)[] }>({
    key: filtersKey,
    cursors: [undefined],
  });
  const cursors = paging.key === filtersKey ? paging.cursors : [undefined];
  const setCursors = (change: (c: (string | undefined)[]) => (string | undefined)[]) =>
    setPaging({ key: filtersKey, cursors: change(cursors) });
  // The header's search (or a link) changed ?q=: the field follows.
  useEffect(() => setText(filters.q ?? ''), [filters.q]);

  const setFilters = (next: CatalogFilters) =>
    void navigate({ to: '/catalog', search: catalogSearch(next as Record<string, unknown>) });

  // Results as you type in the field above the results.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only the typed text triggers the search
  useEffect(() => {
    if (debounced !== (filters.q ?? '')) setFilters({ ...filters, q: debounced || undefined });
  }, [debounced]);

  const cursor = cursors[cursors.length - 1];
  const results = useQuery(searchQuery(filters, lang, cursor));
  // The first page carries the facets and the total; later pages keep showing them.
  const first = useQuery({ ...searchQuery(filters, lang), enabled: Boolean(cursor) });
  const head = cursor ? first.data : results.data;
  const hits = results.data?.data ?? [];
  const next = results.data?.next_cursor ?? null;
  const fuzzy = hits.length > 0 && hits.every((h) => h.matched_by === 'fuzzy');
  const priceScope = head?.price_scope ?? results.data?.price_scope ?? null;
  const priceSort = Boolean(filters.sort && PRICE_SORTS.includes(filters.sort));
  // Price sorts are offered unless this buyer has no price on these results (no price facet).
  const sorts = CATALOG_SORTS.filter(
    (s) => !PRICE_SORTS.includes(s) || priceSort || !head?.facets || (head.facets.price ?? null) !== null,
  );

  return (
    <Grid gap="lg">
      <Grid.Col span={{ base: 12, md: 3 }}>
        <Stack gap="md">
          <CategoryTree
            selected={filters.category}
            onSelect={(category) => setFilters({ ...filters, category })}
          />
          {head?.facets ? (
            <FacetPanel
              facets={head.facets}
              filters={filters}
              onChange={setFilters}
              // Under a price sort the notice is above the results instead (said once).
              priceScope={priceSort ? null : (head.price_scope ?? null)}
            />
          ) : (
            <Skeleton height={200} />
          )}
        </Stack>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 9 }}>
        <Stack gap="md">
          <Title order={2}>
            {filters.q
              ? t('storefront.catalog.results_for', { q: filters.q })
              : t('storefront.catalog.title')}
          </Title>
          <Group justify="space-between" align="flex-end">
            <TextInput
              type="search"
              label={t('storefront.catalog.search_label')}
              placeholder={t('storefront.search.placeholder')}
              value={text}
              onChange={(e) => setText(e.currentTarget.value)}
              w={{ base: '100%', sm: 360 }}
              data-testid="catalog-search"
              rightSection={
                text ? (
                  <CloseButton
                    aria-label={t('storefront.catalog.clear_search')}
                    onClick={() => setText('')}
                  />
                ) : null
              }
            />
            <NativeSelect
              label={t('storefront.catalog.sort')}
              value={filters.sort ?? 'relevance'}
              onChange={(e) =>
                setFilters({
                  ...filters,
                  sort:
                    e.currentTarget.value === 'relevance'
                      ? undefined
                      : (e.currentTarget.value as CatalogSort),
                })
              }
              data={sorts.map((s) => ({
                value: s,
                label: t(`storefront.catalog.sort_${s.replace('-', 'desc_')}`),
              }))}
              data-testid="catalog-sort"
            />
            <SegmentedControl
              aria-label={t('storefront.catalog.view')}
              value={view}
              onChange={(v) => setView(v as View)}
              data={[
                { value: 'grid', label: t('storefront.catalog.view_grid') },
                { value: 'list', label: t('storefront.catalog.view_list') },
              ]}
            />
          </Group>
          <ActiveFilters filters={filters} facets={head?.facets ?? null} onChange={setFilters} />
          <Text size="sm" c="dimmed" aria-live="polite" data-testid="catalog-total">
            {head?.total !== undefined && head.total !== null
              ? t('storefront.catalog.total', { count: head.total, formatted: f.number(head.total) })
              : ''}
          </Text>
          {priceSort && priceScope && !priceScope.complete ? (
            <Alert color="blue" variant="light" data-testid="catalog-price-scope">
              <PriceScopeNotice considered={priceScope.considered} />
            </Alert>
          ) : null}
          {fuzzy ? (
            <Alert color="blue" variant="light" data-testid="catalog-fuzzy">
              {t('storefront.catalog.fuzzy', { q: filters.q ?? '' })}
            </Alert>
          ) : null}
          {results.error ? (
            <Alert color="red" role="alert">
              {results.error instanceof ApiError ? results.error.message : t('common.unexpected_error')}
            </Alert>
          ) : null}
          {results.isPending ? (
            <Skeleton height={240} aria-label={t('common.loading')} />
          ) : hits.length ? (
            view === 'grid' ? (
              <SimpleGrid
                cols={{ base: 1, xs: 2, lg: 3 }}
                data-testid="catalog-results"
                aria-busy={results.isFetching}
              >
                {hits.map((hit) => (
                  <HitCard key={hit.id} hit={hit} />
                ))}
              </SimpleGrid>
            ) : (
              <Stack gap="xs" data-testid="catalog-results" aria-busy={results.isFetching}>
                {hits.map((hit) => (
                  <HitRow key={hit.id} hit={hit} />
                ))}
              </Stack>
            )
          ) : !results.error ? (
            <EmptyState
              title={t('storefront.catalog.empty')}
              description={filters.q ? t('storefront.catalog.empty_hint') : undefined}
            />
          ) : null}
          <Group justify="space-between">
            <Text size="sm" c="dimmed">
              {t('table.page', { page: cursors.length })}
            </Text>
            <Group gap="xs">
              <Button
                variant="default"
                disabled={cursors.length === 1}
                onClick={() => setCursors((c) => c.slice(0, -1))}
              >
                {t('table.previous')}
              </Button>
              <Button
                variant="default"
                disabled={!next || results.isFetching}
                onClick={() => next && setCursors((c) => [...c, next])}
              >
                {t('table.next')}
              </Button>
            </Group>
          </Group>
        </Stack>
      </Grid.Col>
    </Grid>
  );
}

function MatchBadge({ hit }: { hit: SearchHit }) {
  const { t } = useTranslation();
  if (hit.matched_by === 'sku')
    return (
      <Badge variant="light" color="gray">
        {t('storefront.catalog.matched_sku')}
      </Badge>
    );
  if (hit.matched_by === 'fuzzy')
    return (
      <Badge variant="light" color="gray">
        {t('storefront.catalog.matched_fuzzy')}
      </Badge>
    );
  return null;
}

/** The buyer's unit price of the hit's first variant at its minimum order quantity, as search resolved it. */
function HitPrice({ hit }: { hit: SearchHit }) {
  const { t } = useTranslation();
  const f = useFormat();
  if (!hit.price) return null;
  return (
    <Text size="sm" fw={600} data-testid="hit-price" data-amount={hit.price.unit_price.amount}>
      {f.unitPrice(hit.price.unit_price.amount, hit.price.unit_price.currency)}{' '}
      <Text span size="xs" c="dimmed" fw={400}>
        {t('storefront.price.per_unit_ht')}
      </Text>
    </Text>
  );
}

function HitCard({ hit }: { hit: SearchHit }) {
  const { t } = useTranslation();
  return (
    <Card withBorder padding="md" data-testid="catalog-hit">
      <Stack gap={6} h="100%">
        <Avatar radius="sm" size="lg" color="gray" aria-hidden>
          {(hit.name ?? hit.code).slice(0, 1)}
        </Avatar>
        <AnchorLink to="/products/$productId" params={{ productId: hit.id }} fw={600} data-testid="hit-name">
          {hit.name ?? hit.code}
        </AnchorLink>
        {hit.brand ? (
          <Text size="sm" c="dimmed">
            {hit.brand.name}
          </Text>
        ) : null}
        <Text size="xs" c="dimmed" lineClamp={2}>
          {hit.description ?? ''}
        </Text>
        <HitPrice hit={hit} />
        <Group gap={6} mt="auto">
          <Text size="xs">{t('storefront.catalog.skus', { count: hit.skus.length })}</Text>
          <MatchBadge hit={hit} />
        </Group>
      </Stack>
    </Card>
  );
}

function HitRow({ hit }: { hit: SearchHit }) {
  const { t } = useTranslation();
  return (
    <Card withBorder padding="sm" data-testid="catalog-hit">
      <Group justify="space-between" wrap="nowrap">
        <div>
          <AnchorLink to="/products/$productId" params={{ productId: hit.id }} fw={600}>
            {hit.name ?? hit.code}
          </AnchorLink>
          <Text size="xs" c="dimmed">
            {[hit.brand?.name, hit.code, hit.skus.slice(0, 3).join(', ')].filter(Boolean).join(' · ')}
          </Text>
        </div>
        <Group gap={6} wrap="nowrap">
          <HitPrice hit={hit} />
          <Text size="xs">{t('storefront.catalog.skus', { count: hit.skus.length })}</Text>
          <MatchBadge hit={hit} />
        </Group>
      </Group>
    </Card>
  );
}

/**
 * The category tree, limited to the categories with products this buyer may see here (counts of
 * the whole assortment, from the search facets: a distributor's shop shows only its own).
 */
function CategoryTree(props: { selected: string | undefined; onSelect: (id: string | undefined) => void }) {
  const { t, i18n } = useTranslation();
  const tree = useQuery(categoryTreeQuery(i18n.language));
  const assortment = useQuery(searchQuery({}, i18n.language, undefined, 1, false));
  const counts = new Map((assortment.data?.facets?.categories ?? []).map((c) => [c.id, c.count]));
  if (tree.isPending || assortment.isPending) return <Skeleton height={160} />;
  const render = (nodes: CategoryNode[]) =>
    nodes
      .filter((n) => n.active && (counts.get(n.id) ?? 0) > 0)
      .map((n) => {
        const children = render(n.children);
        return (
          <NavLink
            key={n.id}
            label={n.label ?? n.code}
            description={String(counts.get(n.id) ?? '')}
            active={props.selected === n.id}
            onClick={() => props.onSelect(n.id)}
            defaultOpened={Boolean(props.selected)}
            childrenOffset="sm"
            component="button"
            data-testid={`category-${n.code}`}
          >
            {children.length ? children : undefined}
          </NavLink>
        );
      });
  return (
    <nav aria-label={t('storefront.catalog.categories')}>
      <Title order={3} size="h5" mb="xs">
        {t('storefront.catalog.categories')}
      </Title>
      <NavLink
        label={t('storefront.catalog.all_categories')}
        active={!props.selected}
        onClick={() => props.onSelect(undefined)}
        component="button"
      />
      {render(tree.data?.data ?? [])}
    </nav>
  );
}

/** "Prices computed over the N most relevant results — refine your search". */
function PriceScopeNotice(props: { considered: number }) {
  const { t } = useTranslation();
  const f = useFormat();
  return <>{t('storefront.catalog.price_scope', { formatted: f.number(props.considered) })}</>;
}

/** A price range's label: "Moins de 10,00 €", "10,00 € – 50,00 €", "500,00 € et plus". */
function usePriceRangeLabel() {
  const { t } = useTranslation();
  const f = useFormat();
  return (from: string | null | undefined, to: string | null | undefined, currency: string) => {
    const money = (amount: string) => f.money(amount, currency);
    if (from && to) return t('storefront.catalog.price_between', { from: money(from), to: money(to) });
    if (to) return t('storefront.catalog.price_under', { to: money(to) });
    if (from) return t('storefront.catalog.price_over', { from: money(from) });
    return t('storefront.catalog.all_prices');
  };
}

const sameBound = (a: string | null | undefined, b: string | null | undefined) =>
  a && b ? compareDecimal(a, b) === 0 : !a && !b;

/**
 * The price facet: the API's ranges of the buyer's prices over these results (computed without the
 * price filter, so every range stays offered once one is chosen), each with its number of products.
 * Choosing one sets `price_min`/`price_max` (max exclusive, like the ranges).
 */
function PriceFacetGroup(props: {
  price: PriceFacet;
  scope: { considered: number; complete: boolean } | null;
  filters: CatalogFilters;
  onChange: (f: CatalogFilters) => void;
}) {
  const { t } = useTranslation();
  const f = useFormat();
  const label = usePriceRangeLabel();
  const { price, filters } = props;
  const keyOf = (from: string | null | undefined, to: string | null | undefined) =>
    `${from ?? ''}~${to ?? ''}`;
  const options = price.ranges.map((r) => ({
    key: keyOf(r.from, r.to),
    from: r.from,
    to: r.to,
    label: `${label(r.from, r.to, price.currency)} (${f.number(r.count)})`,
  }));
  const filtered = Boolean(filters.price_min || filters.price_max);
  const current = filtered
    ? (options.find((o) => sameBound(o.from, filters.price_min) && sameBound(o.to, filters.price_max)) ?? {
        // A range of the URL that is not one of these results' ranges (another search's): shown chosen.
        key: keyOf(filters.price_min, filters.price_max),
        from: filters.price_min ?? null,
        to: filters.price_max ?? null,
        label: label(filters.price_min, filters.price_max, price.currency),
      })
    : null;
  const all = current && !options.some((o) => o.key === current.key) ? [...options, current] : options;
  return (
    <Radio.Group
      label={t('storefront.catalog.price')}
      description={
        props.scope && !props.scope.complete ? (
          <PriceScopeNotice considered={props.scope.considered} />
        ) : undefined
      }
      value={current?.key ?? ''}
      onChange={(v) => {
        const o = all.find((x) => x.key === v);
        props.onChange({ ...filters, price_min: o?.from ?? undefined, price_max: o?.to ?? undefined });
      }}
      data-testid="price-facet"
    >
      <Stack gap={4} mt={4}>
        <Radio value="" label={t('storefront.catalog.all_prices')} size="xs" />
        {all.map((o) => (
          <Radio key={o.key} value={o.key} size="xs" label={o.label} />
        ))}
      </Stack>
    </Radio.Group>
  );
}

/** Prices, brands and filterable attributes of the current results, with their counts. */
function FacetPanel(props: {
  facets: Facets;
  filters: CatalogFilters;
  onChange: (f: CatalogFilters) => void;
  priceScope: { considered: number; complete: boolean } | null;
}) {
  const { t } = useTranslation();
  const f = useFormat();
  const { facets, filters } = props;
  const attrs = filters.attr ?? [];
  const setValues = (code: string, values: string[]) => {
    const next = [...attrs.filter((a) => !a.startsWith(`${code}:`)), ...values];
    props.onChange({ ...filters, attr: next.length ? next : undefined });
  };
  return (
    <Stack gap="md" data-testid="facets">
      {facets.price ? (
        <PriceFacetGroup
          price={facets.price}
          scope={props.priceScope}
          filters={filters}
          onChange={props.onChange}
        />
      ) : null}
      {facets.brands.length ? (
        <Radio.Group
          label={t('storefront.catalog.brands')}
          value={filters.brand ?? ''}
          onChange={(v) => props.onChange({ ...filters, brand: v || undefined })}
        >
          <Stack gap={4} mt={4}>
            <Radio value="" label={t('storefront.catalog.all_brands')} size="xs" />
            {facets.brands.map((b) => (
              <Radio key={b.id} value={b.id} size="xs" label={`${b.name} (${f.number(b.count)})`} />
            ))}
          </Stack>
        </Radio.Group>
      ) : null}
      {facets.attributes
        .filter((a) => a.values.length)
        .map((a) => (
          <Checkbox.Group
            key={a.code}
            label={a.label ?? a.code}
            value={attrs.filter((x) => x.startsWith(`${a.code}:`))}
            onChange={(values) => setValues(a.code, values)}
          >
            <Stack gap={4} mt={4}>
              {a.values.map((v) => {
                const token = `${a.code}:${String(v.value)}`;
                const label =
                  typeof v.value === 'boolean'
                    ? v.value
                      ? t('storefront.product.yes')
                      : t('storefront.product.no')
                    : v.label;
                return (
                  <Checkbox key={token} value={token} size="xs" label={`${label} (${f.number(v.count)})`} />
                );
              })}
            </Stack>
          </Checkbox.Group>
        ))}
    </Stack>
  );
}

/** The filters in force, each removable. */
function ActiveFilters(props: {
  filters: CatalogFilters;
  facets: Facets | null;
  onChange: (f: CatalogFilters) => void;
}) {
  const { t } = useTranslation();
  const priceLabel = usePriceRangeLabel();
  const { filters, facets } = props;
  const chips: { key: string; label: string; clear: CatalogFilters }[] = [];
  if (filters.price_min || filters.price_max) {
    const currency = facets?.price?.currency;
    chips.push({
      key: 'price',
      label: currency
        ? priceLabel(filters.price_min, filters.price_max, currency)
        : t('storefront.catalog.price'),
      clear: { ...filters, price_min: undefined, price_max: undefined },
    });
  }
  if (filters.category) {
    const c = facets?.categories.find((x) => x.id === filters.category);
    chips.push({
      key: 'category',
      label: c?.name ?? t('storefront.catalog.category'),
      clear: { ...filters, category: undefined },
    });
  }
  if (filters.brand) {
    const b = facets?.brands.find((x) => x.id === filters.brand);
    chips.push({
      key: 'brand',
      label: b?.name ?? t('storefront.catalog.brand'),
      clear: { ...filters, brand: undefined },
    });
  }
  for (const a of filters.attr ?? []) {
    const rest = (filters.attr ?? []).filter((x) => x !== a);
    chips.push({
      key: a,
      label: a.replace(':', ' : '),
      clear: { ...filters, attr: rest.length ? rest : undefined },
    });
  }
  if (!chips.length) return null;
  return (
    <Group gap="xs" aria-label={t('storefront.catalog.active_filters')} role="group">
      {chips.map((c) => (
        <Badge
          key={c.key}
          variant="outline"
          rightSection={
            <CloseButton
              size="xs"
              aria-label={t('storefront.catalog.remove_filter', { filter: c.label })}
              onClick={() => props.onChange(c.clear)}
            />
          }
        >
          {c.label}
        </Badge>
      ))}
    </Group>
  );
}
