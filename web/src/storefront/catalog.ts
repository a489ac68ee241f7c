import { keepPreviousData, queryOptions } from '@tanstack/react-query';
import { call, client } from '../api/client.ts';
import type { components, operations } from '../api/schema';

/**
 * The buyer's catalogue, read through the public API only: search (hits, totals and facets, already
 * restricted to what this buyer may see on this storefront), the category tree, products with their
 * variants, media and family (attribute labels), and the price-resolution endpoint (the buyer's own
 * price, the rule that produced it). Query keys start with 'catalog' or 'price'.
 */

export type SearchResult = operations['searchCatalog']['responses'][200]['content']['application/json'];
export type SearchHit = SearchResult['data'][number];
export type Facets = NonNullable<SearchResult['facets']>;
/** The price facet (null when no hit considered has a price for this buyer). */
export type PriceFacet = NonNullable<Facets['price']>;
export type CategoryNode = components['schemas']['CatalogCategoryNode'];
export type Product = components['schemas']['CatalogProduct'];
export type Variant = components['schemas']['CatalogVariant'];
export type Media = components['schemas']['CatalogMedia'];
export type Family = components['schemas']['CatalogFamily'];
export type ResolvedPrice = components['schemas']['ResolvedPrice'];

/** What the catalogue page filters on: the URL's search parameters. */
export interface CatalogFilters {
  q?: string | undefined;
  category?: string | undefined;
  brand?: string | undefined;
  /** `code:value` on filterable attributes. */
  attr?: string[] | undefined;
  /** The order of the hits (GET /catalog/search `sort`); relevance when absent. */
  sort?: CatalogSort | undefined;
  /**
   * A price range, in the currency the hits are priced in: `price_min <= price < price_max`
   * (either bound optional), decimal strings as the API takes them.
   */
  price_min?: string | undefined;
  price_max?: string | undefined;
}

export const CATALOG_SORTS = ['relevance', 'name', '-name', 'code', 'newest', 'price', '-price'] as const;
export type CatalogSort = (typeof CATALOG_SORTS)[number];
/** The sorts that need the buyer's prices. */
export const PRICE_SORTS: readonly CatalogSort[] = ['price', '-price'];

/** A price bound as GET /catalog/search takes it: at most 12 digits, at most 4 decimals. */
const PRICE_BOUND = /^\d{1,12}(\.\d{1,4})?$/;

/**
 * A price bound of the URL, or undefined. The router JSON-parses search values, so a bound typed by
 * hand (`?price_min=10`) arrives as a number; the page itself writes strings (the API's own decimal
 * strings, kept exact). A number is taken only when its decimal writing is a valid bound.
 */
export function priceBound(value: unknown): string | undefined {
  const text =
    typeof value === 'string'
      ? value.trim()
      : typeof value === 'number' && Number.isFinite(value)
        ? String(value)
        : undefined;
  return text !== undefined && PRICE_BOUND.test(text) ? text : undefined;
}

/** The URL's search parameters of /catalog, checked (TanStack Router's validateSearch). */
export function catalogSearch(search: Record<string, unknown>): CatalogFilters {
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const attr = Array.isArray(search.attr)
    ? search.attr.filter((a): a is string => typeof a === 'string')
    : [];
  const priceMin = priceBound(search.price_min);
  let priceMax = priceBound(search.price_max);
  // An empty range (min >= max) is refused by the API: the upper bound is dropped.
  if (priceMin !== undefined && priceMax !== undefined && compareDecimal(priceMin, priceMax) >= 0)
    priceMax = undefined;
  return {
    q: str(search.q),
    category: str(search.category),
    brand: str(search.brand),
    attr: attr.length ? attr : undefined,
    sort:
      typeof search.sort === 'string' && (CATALOG_SORTS as readonly string[]).includes(search.sort)
        ? (search.sort as CatalogSort)
        : undefined,
    price_min: priceMin,
    price_max: priceMax,
  };
}

/**
 * Compares two non-negative decimal strings (`^\d+(\.\d+)?$`) exactly, without floating point:
 * negative, zero or positive as `a` is below, equal to or above `b`.
 */
export function compareDecimal(a: string, b: string): number {
  const split = (x: string) => {
    const [int = '', frac = ''] = x.split('.');
    return [int.replace(/^0+(?=\d)/, ''), frac.replace(/0+$/, '')] as const;
  };
  const [ai, af] = split(a);
  const [bi, bf] = split(b);
  if (ai.length !== bi.length) return ai.length - bi.length;
  if (ai !== bi) return ai < bi ? -1 : 1;
  const width = Math.max(af.length, bf.length);
  const ap = af.padEnd(width, '0');
  const bp = bf.padEnd(width, '0');
  return ap === bp ? 0 : ap < bp ? -1 : 1;
}

export const PAGE_SIZE = 24;

/**
 * A search page. `priceFacet` false: the page is wanted for its hits or counts only (suggestions, the
 * category tree's counts), so the API prices no hit set for a price facet.
 */
export function searchQuery(
  filters: CatalogFilters,
  locale: string,
  cursor?: string,
  limit = PAGE_SIZE,
  priceFacet = true,
) {
  return queryOptions({
    queryKey: ['catalog', 'search', filters, locale, cursor ?? null, limit, priceFacet],
    queryFn: () =>
      call(
        client.GET('/api/v1/catalog/search', {
          params: {
            query: {
              ...(filters.q?.trim() ? { q: filters.q.trim() } : {}),
              ...(filters.category ? { category_id: filters.category } : {}),
              ...(filters.brand ? { brand_id: filters.brand } : {}),
              ...(filters.attr?.length ? { attr: filters.attr } : {}),
              ...(filters.sort && filters.sort !== 'relevance' ? { sort: filters.sort } : {}),
              ...(filters.price_min ? { price_min: filters.price_min } : {}),
              ...(filters.price_max ? { price_max: filters.price_max } : {}),
              ...(cursor ? { cursor } : {}),
              ...(priceFacet ? {} : { price_facet: false }),
              locale,
              limit,
            },
          },
        }),
      ),
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
}

export function categoryTreeQuery(locale: string) {
  return queryOptions({
    queryKey: ['catalog', 'category-tree', locale],
    queryFn: () => call(client.GET('/api/v1/catalog/categories/tree', { params: { query: { locale } } })),
    staleTime: 5 * 60_000,
  });
}

export function productQuery(productId: string, locale: string) {
  return queryOptions({
    queryKey: ['catalog', 'product', productId, locale],
    queryFn: () =>
      call(
        client.GET('/api/v1/catalog/products/{product_id}', {
          params: { path: { product_id: productId }, query: { locale } },
        }),
      ),
  });
}

export function productMediaQuery(productId: string) {
  return queryOptions({
    queryKey: ['catalog', 'product-media', productId],
    queryFn: () =>
      call(
        client.GET('/api/v1/catalog/products/{product_id}/media', {
          params: { path: { product_id: productId } },
        }),
      ),
  });
}

export function familyQuery(familyId: string) {
  return queryOptions({
    queryKey: ['catalog', 'family', familyId],
    queryFn: () =>
      call(client.GET('/api/v1/catalog/families/{family_id}', { params: { path: { family_id: familyId } } })),
    staleTime: 5 * 60_000,
  });
}

export function brandQuery(brandId: string) {
  return queryOptions({
    queryKey: ['catalog', 'brand', brandId],
    queryFn: () =>
      call(client.GET('/api/v1/catalog/brands/{brand_id}', { params: { path: { brand_id: brandId } } })),
    staleTime: 5 * 60_000,
  });
}

/**
 * The unit price this buyer pays for `quantity` of `sku`: the API binds the buyer's own account and
 * the storefront of the host, so the screen names neither.
 */
export function priceQuery(sku: string, quantity: string, currency: string) {
  return queryOptions({
    queryKey: ['price', sku, quantity, currency],
    queryFn: () =>
      call(client.GET('/api/v1/prices/resolve', { params: { query: { sku, quantity, currency } } })),
    staleTime: 60_000,
  });
}

export function quantityCheckQuery(variantId: string, quantity: string) {
  return queryOptions({
    queryKey: ['catalog', 'quantity-check', variantId, quantity],
    queryFn: () =>
      call(
        client.GET('/api/v1/catalog/variants/{variant_id}/quantity-check', {
          params: { path: { variant_id: variantId }, query: { quantity: Number(quantity) } },
        }),
      ),
    staleTime: 5 * 60_000,
  });
}

/** The URL the browser loads a medium's bytes from (same origin: the session cookie goes with it). */
export function mediaUrl(mediaId: string): string {
  return `/api/v1/catalog/media/${encodeURIComponent(mediaId)}/content`;
}

/** A translated text of the API (`{"fr": …, "en": …}`) in the reader's language, else any. */
export function pick(texts: Record<string, string> | null | undefined, language: string): string {
  if (!texts) return '';
  return texts[language] ?? texts.fr ?? texts.en ?? Object.values(texts)[0] ?? '';
}

/**
 * The rows of the buyer's quantity-break table from the API's `breaks` (each break of the lists that
 * apply to the buyer, priced at that quantity): the break in force at the minimum order quantity,
 * shown from that minimum, then the breaks above it.
 */
export function breakRows<B extends { min_quantity: string }>(
  breaks: readonly B[],
  minOrderQty: number,
): (B & { from: number })[] {
  const min = Math.max(1, minOrderQty);
  return breaks
    .filter((b, i) => Number(b.min_quantity) >= min || Number(breaks[i + 1]?.min_quantity ?? Infinity) > min)
    .map((b) => ({ ...b, from: Math.max(min, Number(b.min_quantity)) }));
}

/** Flattens the category tree into id → node, with each node's ancestors. */
export function indexTree(nodes: CategoryNode[]): Map<string, { node: CategoryNode; path: CategoryNode[] }> {
  const out = new Map<string, { node: CategoryNode; path: CategoryNode[] }>();
  const walk = (list: CategoryNode[], path: CategoryNode[]) => {
    for (const n of list) {
      out.set(n.id, { node: n, path });
      walk(n.children, [...path, n]);
    }
  };
  walk(nodes, []);
  return out;
}
