import { createHash } from 'node:crypto';
import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { cachedRead, readCacheOf } from '../../platform/cache/read-cache.ts';
import type { Ctx } from '../../platform/context.ts';
import { rows } from '../../platform/db/database.ts';
import { decodeCursor, encodeCursor } from '../../platform/http/pagination.ts';
import { AppError, notFound } from '../../platform/http/problems.ts';
import { type PriceRange, priceRanges, priceUnits, resolveText } from './rules.ts';
import { brands, categories } from './schema.ts';
import { catalogLanguages, filterConditions, type Reading, readingFor } from './service.ts';

/**
 * Which products the caller may see, as an SQL condition on `p` (catalog_products). Today every
 * active product of the tenant is visible to every caller of the tenant. The storefronts module
 * replaces this with the storefront / customer group / account rules (assortments): the search,
 * its facets and its counts all go through this one predicate, so hidden products never leak
 * through a facet count.
 */
export type VisibilityPredicate = (ctx: Ctx) => Promise<SQL> | SQL;

/** "Everything is visible": a predicate returns this very object for unrestricted callers (staff). */
export const ALL_VISIBLE: SQL = sql`true`;

let visibility: VisibilityPredicate = () => ALL_VISIBLE;

/**
 * The caller's visibility condition together with a key naming it: two callers with the same key
 * get the very same condition, so a search result computed for one may be served to the other from
 * the read cache. The key says nothing else (not the user): buyers who see the same share entries.
 */
export type KeyedVisibility = (ctx: Ctx) => Promise<{ condition: SQL; key: string }>;

let keyedVisibility: KeyedVisibility | null = async () => ({ condition: ALL_VISIBLE, key: 'all' });

/**
 * Installs the visibility rules (the storefronts module calls this when it is registered), and the
 * keyed form of the same rules for the search's read cache. A predicate installed without its keyed
 * form turns the search's cache off: nothing would say who may share a result.
 */
export function setCatalogVisibility(predicate: VisibilityPredicate, keyed?: KeyedVisibility): void {
  visibility = predicate;
  keyedVisibility = keyed ?? null;
}

/**
 * Throws not-found when the caller may not see the product: a hidden product answers exactly like
 * one that does not exist (reads about one product by ID, e.g. its availability). No query for
 * unrestricted callers.
 */
export async function assertProductVisible(ctx: Ctx, productId: string): Promise<void> {
  const visible = await visibility(ctx);
  if (visible === ALL_VISIBLE) return;
  const found = rows<{ id: string }>(
    await ctx.tx.execute(sql`select p.id from catalog_products p
      where p.tenant_id = ${ctx.tenantId} and p.id = ${productId} and ${visible}`),
  );
  if (!found.length) throw notFound(`Product ${productId}`);
}

/**
 * For reads of one product (the product page): the caller's visibility as a check on that product's
 * placement — the same decisions as the search's condition — or null for unrestricted callers (no
 * query).
 */
export type ProductVisibility = (
  ctx: Ctx,
) => Promise<((p: { id: string; status: string; categoryPaths: readonly string[] }) => boolean) | null>;

let productCheck: ProductVisibility = async () => null;

/** Installs the per-product check (the storefronts module, with `setCatalogVisibility`). */
export function setProductVisibility(check: ProductVisibility): void {
  productCheck = check;
}

export function productVisibility(ctx: Ctx) {
  return productCheck(ctx);
}

/**
 * For the pricing module (which the catalogue does not import): the products of these SKUs, each
 * with the category path prices use — its first category (by ID, as `getProduct` lists them) and
 * that category's ancestors, root first — and whether the caller may see it (the same visibility
 * rules as search and product reads). One statement whatever the number of SKUs; an unknown SKU
 * is absent from the map.
 *
 * For a read-only request with the read cache on, what is read is the same for every caller — each
 * SKU's product, status and category paths (`skuPlacements`, cached under the SKU set) — and
 * visibility is decided in JavaScript with the product page's check (`productVisibility`: the same
 * decisions as the SQL condition). Otherwise the SQL condition decides, in the same statement.
 */
export async function categoryPathsOfSkus(
  ctx: Ctx,
  skus: readonly string[],
  opts: {
    knownVisible?: boolean;
    /** false: read for this call only, never stored in the read cache (a search's whole hit set). */
    store?: boolean;
  } = {},
): Promise<Map<string, { productId: string; categoryPath: string[]; visible: boolean }>> {
  const out = new Map<string, { productId: string; categoryPath: string[]; visible: boolean }>();
  const wanted = [...new Set(skus)];
  if (!wanted.length) return out;
  if (ctx.readOnly && readCacheOf(ctx.db)) {
    // `knownVisible`: SKUs of search hits, which the search already filtered.
    const mayShow = opts.knownVisible ? null : await productVisibility(ctx);
    const placed =
      opts.store === false
        ? await skuPlacements(ctx, wanted, ALL_VISIBLE)
        : await cachedRead(ctx, `catalog:sku-placements:${skuSetKey(wanted)}`, () =>
            skuPlacements(ctx, wanted, ALL_VISIBLE),
          );
    for (const p of placed)
      out.set(p.sku, {
        productId: p.placement.id,
        categoryPath: p.categoryPath,
        visible: mayShow ? mayShow(p.placement) : true,
      });
    return out;
  }
  const visible = opts.knownVisible ? ALL_VISIBLE : await visibility(ctx);
  for (const p of await skuPlacements(ctx, wanted, visible))
    out.set(p.sku, { productId: p.placement.id, categoryPath: p.categoryPath, visible: p.visible });
  return out;
}

/** A set of SKUs as a short text for cache keys: the SHA-256 of the sorted, distinct SKUs. */
export function skuSetKey(skus: readonly string[]): string {
  return createHash('sha256')
    .update(JSON.stringify([...new Set(skus)].sort()))
    .digest('base64url');
}

interface SkuPlacement {
  sku: string;
  /** What visibility rules look at (as the product page's `placement`). */
  placement: { id: string; status: string; categoryPaths: string[] };
  /** The path prices use: the first category and its ancestors, root first. */
  categoryPath: string[];
  /** `visible` evaluated in SQL (`true` when called with ALL_VISIBLE). */
  visible: boolean;
}

async function skuPlacements(ctx: Ctx, wanted: readonly string[], visible: SQL): Promise<SkuPlacement[]> {
  const t = ctx.tenantId;
  const skus = sql`array(select jsonb_array_elements_text(${JSON.stringify(wanted)}::jsonb))`;
  const textArray = (a: string[] | string | null) => (typeof a === 'string' ? parseTextArray(a) : (a ?? []));
  type Row = {
    sku: string;
    product_id: string;
    status: string;
    category_paths: string[] | string | null;
    visible: boolean;
    path: string[] | string | null;
  };
  const found = rows<Row>(
    await ctx.tx.execute(sql`with recursive v as (
        select v.sku, v.product_id,
               (select min(pc.category_id) from catalog_product_categories pc
                 where pc.tenant_id = v.tenant_id and pc.product_id = v.product_id) as category_id
          from catalog_variants v
         where v.tenant_id = ${t} and v.sku = any(${skus})),
      up(sku, id, depth) as (
        select v.sku, v.category_id, 0 from v where v.category_id is not null
        union all
        select up.sku, c.parent_id, up.depth + 1 from up
          join catalog_categories c on c.tenant_id = ${t} and c.id = up.id
         where c.parent_id is not null and up.depth < 49),
      -- Each SKU's path in one pass (a subquery per SKU over the whole walk was quadratic).
      paths as (select up.sku, array_agg(up.id order by up.depth desc) as path from up group by up.sku)
      select v.sku, v.product_id, p.status, p.category_paths, (${visible}) as visible,
             coalesce(paths.path, '{}'::text[]) as path
        from v join catalog_products p on p.tenant_id = ${t} and p.id = v.product_id
        left join paths on paths.sku = v.sku`),
  );
  return found.map((r) => ({
    sku: r.sku,
    placement: { id: r.product_id, status: r.status, categoryPaths: textArray(r.category_paths) },
    categoryPath: textArray(r.path),
    visible: r.visible === true,
  }));
}

/** A category as facets and prices see it: its parent (null: a root) and its names. */
interface CategoryNode {
  parentId: string | null;
  name: Record<string, string>;
}

/**
 * The tenant's categories by ID, from the read cache when it can (one entry for the whole tree,
 * dropped at any change of the tenant): facets name them and hit lines walk up their parents.
 */
function categoryIndex(ctx: Ctx): Promise<Map<string, CategoryNode>> {
  return cachedRead(ctx, 'catalog:category-index', () => readCategories(ctx, null), SEARCH_PAGE_UNITS);
}

/** These categories (absent: no such category): from `categoryIndex` when the read cache is on, else read. */
async function categoryNodes(ctx: Ctx, ids: readonly string[]): Promise<ReadonlyMap<string, CategoryNode>> {
  if (!ids.length) return new Map();
  return ctx.readOnly && readCacheOf(ctx.db) ? categoryIndex(ctx) : readCategories(ctx, ids);
}

/** The tenant's categories (`only`: these), by ID. */
async function readCategories(ctx: Ctx, only: readonly string[] | null): Promise<Map<string, CategoryNode>> {
  const found = await ctx.tx
    .select({ id: categories.id, parentId: categories.parentId, name: categories.name })
    .from(categories)
    .where(and(eq(categories.tenantId, ctx.tenantId), only ? inArray(categories.id, [...only]) : undefined));
  return new Map(found.map((c) => [c.id, { parentId: c.parentId, name: c.name }]));
}

/**
 * The names of these brands: from the tenant's brand names kept whole in the read cache when it is
 * on (a search names the hits' brands and the brand facet's without a statement), else read.
 */
async function brandNames(ctx: Ctx, ids: readonly string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const read = (only: readonly string[] | null) =>
    ctx.tx
      .select({ id: brands.id, name: brands.name })
      .from(brands)
      .where(and(eq(brands.tenantId, ctx.tenantId), only ? inArray(brands.id, [...only]) : undefined));
  if (!(ctx.readOnly && readCacheOf(ctx.db))) return new Map((await read(ids)).map((b) => [b.id, b.name]));
  return cachedRead(
    ctx,
    'catalog:brand-names',
    async () => new Map((await read(null)).map((b) => [b.id, b.name])),
    SEARCH_PAGE_UNITS,
  );
}

/** A category and its ancestors, root first (50 levels at most, as `skuPlacements` walks them). */
function pathOf(index: ReadonlyMap<string, CategoryNode>, category: string | null): string[] {
  const path: string[] = [];
  for (let id = category; id !== null && path.length < 50; id = index.get(id)?.parentId ?? null)
    path.push(id);
  return path.reverse();
}

/** A `{a,b}` text array as some drivers return it (IDs: no quoting needed). */
const parseTextArray = (s: string) => (s === '{}' ? [] : s.slice(1, -1).split(','));

/** What the pricing module gives each hit: the resolved unit price of its first variant, or null. */
export interface HitPrice {
  sku: string;
  quantity: string;
  unit_price: { amount: string; currency: string };
  rule: Record<string, unknown>;
}

/** The line a hit is priced with: its first variant at its minimum order quantity (or 1). */
export interface HitLine {
  sku: string;
  quantity: string;
  /**
   * What prices need of the hit's product, when the search already knows it (the hit set): its ID
   * and its first category with that category's ancestors, root first — as `categoryPathsOfSkus`
   * gives them. A hit is visible to the caller, or it would not be one.
   */
  product?: { id: string; categoryPath: string[] };
}

/**
 * How hits are priced, installed by the pricing module (`setSearchPricing`) so that the catalogue
 * never imports pricing; without it, every hit's price is null and there is no price facet. Every
 * price of one search is resolved at the same instant `at`.
 */
export interface SearchPricing {
  /** The currency of the caller's prices (`requested`, else the storefront's), or null: no prices. */
  currency(ctx: Ctx, requested: string | undefined): Promise<string | null>;
  /** The returned page's prices, in one batch. */
  page(ctx: Ctx, lines: HitLine[], currency: string, at: string): Promise<(HitPrice | null)[]>;
  /**
   * The unit prices alone (decimal strings; null: no price) of many lines: the hits whose prices the
   * price facet, filter and sort compare. `setKey` names the set for the read cache (null: keep nothing).
   */
  amounts(
    ctx: Ctx,
    lines: HitLine[],
    currency: string,
    at: string,
    setKey: string | null,
  ): Promise<(string | null)[]>;
}

let searchPricing: SearchPricing | null = null;

/** Installs the price resolution of search hits (the pricing module calls this when it is registered). */
export function setSearchPricing(pricing: SearchPricing | null): void {
  searchPricing = pricing;
}

/** The orders a search can be returned in (`sort`); `relevance` is the default. */
export const SEARCH_SORTS = ['relevance', 'name', '-name', 'code', 'newest', 'price', '-price'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

export interface SearchQuery {
  q?: string;
  sort?: SearchSort;
  /** The currency hits are priced in; default the storefront's (pricing module). */
  currency?: string;
  limit: number;
  cursor?: string;
  brand_id?: string;
  category_id?: string;
  attr?: string[];
  /** The caller's price is at least this (decimal string). */
  price_min?: string;
  /** The caller's price is below this. */
  price_max?: string;
  /** false: no price facet (no hit set priced for it). */
  price_facet?: boolean;
}

export interface SearchHit {
  id: string;
  code: string;
  name: string | null;
  description: string | null;
  brand: { id: string; name: string } | null;
  skus: string[];
  image: { object_key: string; content_type: string } | null;
  score: number;
  /** `text` (full-text), `sku` (reference prefix / GTIN), `fuzzy` (typo tolerance) or `all` (no query). */
  matched_by: 'text' | 'sku' | 'fuzzy' | 'all';
  /** The caller's price of the first variant at its minimum order quantity; null when not priced. */
  price: HitPrice | null;
}

export interface FacetValue {
  value: string | number | boolean;
  label: string;
  count: number;
}

export interface SearchResult {
  locale: string;
  data: SearchHit[];
  next_cursor: string | null;
  /** Number of matching products (first page only; null on later pages). */
  total: number | null;
  facets: {
    brands: { id: string; name: string; count: number }[];
    categories: { id: string; name: string | null; parent_id: string | null; count: number }[];
    attributes: {
      code: string;
      label: string | null;
      type: string;
      unit: string | null;
      values: FacetValue[];
    }[];
    /** Ranges of the caller's prices over the hits of `price_scope`; null: none of them is priced. */
    price: PriceFacet | null;
  } | null;
  /** The hits whose prices were compared (price facet, filter, sort); null: none were. */
  price_scope: { considered: number; complete: boolean } | null;
}

export interface PriceFacet {
  currency: string;
  min: string;
  max: string;
  unpriced: number;
  ranges: PriceRange[];
}

/**
 * The price facet, the price filter and the price sort compare the caller's prices of this many
 * hits at most: all of them when the search has no more, else the best-ranked (relevance, then ID).
 * Each price is the one pure price function's answer for this buyer, so a search's hit set is priced
 * in JavaScript (about 20 µs a hit) and kept in the read cache per buyer while prices stay the same.
 */
export const PRICE_SAMPLE = 2_000;

/**
 * Typo tolerance returns the closest FUZZY_LIMIT products only: a misspelt word wants the best
 * guesses, not every product sharing a few trigrams with it.
 */
const FUZZY_LIMIT = 200;
/**
 * Typo tolerance ranks at most this many matching products — the first the full-text index finds —
 * and returns the FUZZY_LIMIT best of them: a misspelt common word would otherwise rank every
 * product having its correction.
 */
const FUZZY_RANKED = 2_000;

/** A reference-like query (digits, no space): an exact or prefix match or nothing, never a guess. */
const looksLikeCode = (q: string) => /\d/.test(q) && !/\s/.test(q);

const FTS_MODE = 't';
const FUZZY_MODE = 'f';
const ALL_MODE = 'a';

/** Escapes LIKE wildcards so that the user's text is taken literally. */
const likePrefix = (s: string) => `${s.toUpperCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The user's text turned into constants once per search — the full-text query of the reader's
 * language (stemmed, unaccented) OR'ed with the unstemmed one, and the folded text for trigrams —
 * so that each row is compared with a constant the GIN indexes can look up (computing them inside
 * the WHERE clause evaluated them for every row). See migrations/0013 for the indexes under RLS.
 */
interface PreparedQuery {
  tsquery: string;
  folded: string;
  /** For typo tolerance: each word of the query OR its closest words of the tenant's vocabulary, AND'ed. */
  fuzzy?: string | null;
}

async function prepareQuery(ctx: Ctx, q: string, locale: string): Promise<PreparedQuery> {
  // Trigram threshold for typos: a little more tolerant than pg_trgm's default of 0.6. JIT off: on a
  // large catalogue the planner's estimates pass jit_above_cost and compiling the expressions cost
  // 40–80 ms per search (more than running them); these statements are short and planned each time.
  // Set in the same statement as the query's constants: one round trip.
  const settings = sql`set_config('pg_trgm.word_similarity_threshold', '0.5', true) as trgm,
                       set_config('jit', 'off', true) as jit`;
  const [p] = rows<PreparedQuery>(
    await ctx.tx.execute(
      q
        ? sql`select (websearch_to_tsquery(catalog_ts_config(${locale}), unaccent(${q}))
                      || websearch_to_tsquery('simple', unaccent(${q})))::text as tsquery,
                     lower(unaccent(${q})) as folded, ${settings}`
        : sql`select '' as tsquery, '' as folded, ${settings}`,
    ),
  );
  return { tsquery: p?.tsquery ?? '', folded: p?.folded ?? '' };
}

/**
 * The typo-tolerant full-text query: for each word of 3+ characters of the folded query, the word
 * itself or one of the 5 most similar words (trigram similarity ≥ pg_trgm.similarity_threshold) of
 * the tenant's vocabulary (catalog_search_words, migration 0016), AND'ed. Null when no word is long
 * enough. The few thousand short vocabulary words are compared, not every product's text.
 */
async function fuzzyQuery(ctx: Ctx, folded: string): Promise<string | null> {
  const [r] = rows<{ q: string | null }>(
    await ctx.tx.execute(sql`select string_agg(alts, ' & ' order by i) as q from (
        select t.i, '(' || string_agg(quote_literal(x.word), ' | ') || ')' as alts
          from unnest(regexp_split_to_array(${folded}, '[^[:alnum:]]+')) with ordinality t(tok, i)
          cross join lateral (
            select t.tok as word
            union
            (select w.word from catalog_search_words w where w.tenant_id = ${ctx.tenantId} and w.word % t.tok
              order by similarity(w.word, t.tok) desc, w.word limit 5)) x
         where length(t.tok) >= 3
         group by t.i) s`),
  );
  return r?.q ?? null;
}

/**
 * The matching, active, visible products (`where`: visibility and filters on `p`) with a score, as
 * a SELECT of (id, score, how, brand_id, facet_categories, facet_attrs) — one pass over
 * catalog_products, which carries what the facets count (migration 0016). `text`: full text in the
 * reader's language (stemmed, unaccented) or unstemmed in any language, plus SKU / manufacturer
 * reference prefix and exact GTIN (their product IDs looked up first through the variants' indexes,
 * then OR'ed with the full-text match so that one bitmap scan finds both); `fuzzy`: trigram word
 * similarity on names and references (typos), the FUZZY_LIMIT closest.
 */
function matcher(ctx: Ctx, mode: string, q: string, prepared: PreparedQuery, where: SQL, sortKey: SQL): SQL {
  const t = ctx.tenantId;
  const columns = sql`p.brand_id, p.facet_categories, p.facet_attrs, p.price_sku, p.price_qty, p.price_category,
                      ${sortKey} as sk`;
  const base = sql`p.tenant_id = ${t} and p.status = 'active' and ${where}`;
  if (mode === ALL_MODE)
    return sql`select p.id, 0::numeric as score, 'all' as how, ${columns} from catalog_products p where ${base}`;
  if (mode === FUZZY_MODE) {
    // Products having each word of the query or one of its closest vocabulary words (full-text
    // index), ranked like a text search, the FUZZY_LIMIT best.
    if (!prepared.fuzzy)
      return sql`select p.id, 0::numeric as score, 'fuzzy' as how, ${columns} from catalog_products p where false`;
    // Ranking reads each document: the FUZZY_RANKED first matches found are ranked, not every
    // product having a common corrected word (at 1M SKUs, tens of thousands: 240 ms).
    const fq = sql`${prepared.fuzzy}::tsquery`;
    return sql`select * from (select p.id, round(ts_rank(p.search_document, ${fq})::numeric, 6) as score,
        'fuzzy' as how, ${columns}
      from (select * from catalog_products p where ${base} and p.search_document @@ ${fq} limit ${FUZZY_RANKED}) p
      order by score desc, p.id limit ${FUZZY_LIMIT}) f`;
  }
  const digits = q.replace(/[\s-]/g, '');
  const gtin = /^\d{8,14}$/.test(digits) ? digits : null;
  const bySku = sql`array(select v.product_id from catalog_variants v
      where v.tenant_id = ${t} and upper(v.sku) like ${likePrefix(q)} escape '\\'
      union all
      select v.product_id from catalog_variants v where v.tenant_id = ${t} and v.gtin = ${gtin})`;
  const byMpn = sql`array(select v.product_id from catalog_variants v
      where v.tenant_id = ${t} and upper(v.mpn) like ${likePrefix(q)} escape '\\')`;
  const tsq = sql`${prepared.tsquery}::tsquery`;
  return sql`select p.id,
        greatest(case when p.search_document @@ ${tsq} then round(ts_rank(p.search_document, ${tsq})::numeric, 6) end,
                 case when p.id = any(${bySku}) then 10::numeric end,
                 case when p.id = any(${byMpn}) then 9::numeric end) as score,
        case when p.id = any(${bySku}) or p.id = any(${byMpn}) then 'sku' else 'text' end as how,
        ${columns}
      from catalog_products p
     where ${base} and (p.search_document @@ ${tsq} or p.id = any(${bySku}) or p.id = any(${byMpn}))`;
}

/**
 * Search over the active, visible products with facets (first page). Ranked by score, then ID;
 * the cursor carries the mode, score and ID of the last hit. When the exact search finds nothing,
 * it falls back to typo-tolerant matching (the hits say `matched_by: fuzzy`).
 *
 * Everything but the prices — the query, the search statement with its total and facets, the
 * hydration of the hits — comes from the read cache for a read-only request (`cachedRead`), keyed by
 * what changes the result: the normalised query parameters, the reading languages and the caller's
 * visibility key (`KeyedVisibility`: callers who see the same products share entries, whoever they
 * are). The cache is dropped at every committed change of a table these statements read (migrations
 * 0019 and 0022). The prices of the page's hits are resolved for this caller at every request, on a
 * copy of the cached page.
 */
export async function searchCatalog(ctx: Ctx, query: SearchQuery, wanted: string[]): Promise<SearchResult> {
  const r = await readingFor(ctx, wanted);
  const q = query.q?.trim() ?? '';
  const after = decodeCursor(query.cursor, 3);
  const sort = query.sort ?? 'relevance';
  const byPrice = sort === 'price' || sort === '-price';
  // A cursor continues the order it was returned with: [mode, score, ID] by relevance,
  // ['<mode>:<sort>', sort key, ID] otherwise (the key of a price sort: the price, '' for none).
  const [cursorMode, cursorSort] = after ? String(after[0]).split(':') : [];
  if (
    after &&
    (![FTS_MODE, FUZZY_MODE, ALL_MODE].includes(String(cursorMode)) ||
      (cursorSort ?? 'relevance') !== sort ||
      (sort === 'relevance' && !/^-?\d{1,12}(\.\d{1,6})?$/.test(String(after[1]))) ||
      (byPrice && !/^(\d{1,12}(\.\d{1,4})?)?$/.test(String(after[1]))) ||
      typeof after[1] !== 'string' ||
      typeof after[2] !== 'string')
  ) {
    throw new AppError('invalid-cursor', 'The cursor is not one this API returned.', [
      { in: 'query', pointer: '/cursor', detail: 'not a cursor returned by this endpoint' },
    ]);
  }
  const range = priceBounds(query);
  const currency = searchPricing ? await searchPricing.currency(ctx, query.currency) : null;
  if ((byPrice || range) && currency === null) {
    const pointer = byPrice ? '/sort' : query.price_min !== undefined ? '/price_min' : '/price_max';
    throw new AppError('validation-error', 'Sorting or filtering by price needs your prices.', [
      {
        in: 'query',
        pointer,
        detail:
          'needs prices: pass `currency` (staff outside a storefront), with the right to resolve prices',
      },
    ]);
  }
  // Every price of this search, the page's and the hit set's, is resolved at the same instant.
  const at = new Date().toISOString();
  // The condition and its key come from one plan: the result stored under the key is computed with
  // exactly that condition. No key (a predicate installed alone): no cache.
  const seen = keyedVisibility ? await keyedVisibility(ctx) : { condition: await visibility(ctx), key: null };
  const attrs = typeof query.attr === 'string' ? [query.attr] : (query.attr ?? []);
  /** The unpriced page of `of` (a first page carries its hit set when `consider`), through the cache. */
  const unpriced = (of: SearchQuery, from: unknown[] | null, consider: boolean) => {
    const load = () => unpricedSearch(ctx, of, q, from, r, seen.condition, consider);
    if (seen.key === null) return { key: null, page: load() };
    const key = `catalog:search:${JSON.stringify([
      seen.key,
      r.locale,
      r.fallback,
      r.languages,
      q,
      of.limit,
      of.sort ?? 'relevance',
      from,
      of.brand_id ?? null,
      of.category_id ?? null,
      // The attribute filters are a set: OR within a code, AND across codes, whatever their order.
      [...new Set(attrs)].sort(),
      consider,
    ])}`;
    return { key, page: cachedRead(ctx, key, load, SEARCH_PAGE_UNITS + (consider ? PRICE_SAMPLE / 50 : 0)) };
  };

  if (byPrice || range) {
    // Price sort or filter: the first page's hit set (ranked by relevance for a price sort, else in
    // the order asked), priced for this caller, filtered and ordered here.
    const base = unpriced({ ...query, sort: byPrice ? 'relevance' : sort, cursor: undefined }, null, true);
    const result = await pricedSearch(ctx, await base.page, base.key, {
      sort,
      after,
      range,
      limit: query.limit,
      currency: currency!,
      at,
      r,
    });
    return query.price_facet === false && result.facets
      ? { ...result, facets: { ...result.facets, price: null } }
      : result;
  }
  // The first page of a caller with prices carries the price facet, over its hit set.
  const consider = currency !== null && !after && query.price_facet !== false;
  const found = unpriced(query, after, consider);
  const page = await found.page;
  // The hit set first: when its prices are computed, the page's are resolved from the same price
  // context (its SKUs are among the set's).
  const amounts =
    consider && currency !== null && page.result.facets
      ? await amountsOf(ctx, page.considered, currency, at, amountsKey(found.key))
      : null;
  const result = await priceHits(ctx, page, currency, at);
  if (!amounts || currency === null || !result.facets) return result;
  return {
    ...result,
    facets: { ...result.facets, price: priceFacet(amounts, currency) },
    price_scope: scopeOf(page),
  };
}

/** The name under which a hit set's prices are kept (per buyer, by the pricing module). */
const amountsKey = (pageKey: string | null) =>
  pageKey === null ? null : createHash('sha256').update(pageKey).digest('base64url');

/** `price_min` / `price_max` read exactly (or null when neither is given); min < max. */
function priceBounds(query: SearchQuery): { min: bigint | null; max: bigint | null } | null {
  if (query.price_min === undefined && query.price_max === undefined) return null;
  const read = (v: string | undefined, pointer: string) => {
    if (v === undefined) return null;
    if (!/^\d{1,12}(\.\d{1,4})?$/.test(v))
      throw new AppError('validation-error', 'A price bound is a decimal number.', [
        { in: 'query', pointer, detail: 'a price ≥ 0 with at most 4 decimals, like 12.50' },
      ]);
    return priceUnits(v);
  };
  const min = read(query.price_min, '/price_min');
  const max = read(query.price_max, '/price_max');
  if (min !== null && max !== null && min >= max)
    throw new AppError('validation-error', 'The price range is empty.', [
      { in: 'query', pointer: '/price_max', detail: `must be above price_min (${query.price_min})` },
    ]);
  return { min, max };
}

/** The price facet of a hit set's prices (null: none priced). */
function priceFacet(amounts: readonly (string | null)[], currency: string): PriceFacet | null {
  const d = derivedOf(amounts);
  if (d.facet === undefined) d.facet = computePriceFacet(amounts, currency);
  return d.facet;
}

function computePriceFacet(amounts: readonly (string | null)[], currency: string): PriceFacet | null {
  const priced = amounts.filter((a): a is string => a !== null);
  if (!priced.length) return null;
  // The lowest and highest as the prices show them (with the currency's decimals).
  let [min, max] = [priced[0]!, priced[0]!];
  let [lo, hi] = [priceUnits(min), priceUnits(max)];
  for (const a of priced) {
    const u = priceUnits(a);
    if (u < lo) [min, lo] = [a, u];
    if (u > hi) [max, hi] = [a, u];
  }
  return {
    currency,
    min,
    max,
    unpriced: amounts.length - priced.length,
    ranges: priceRanges(priced),
  };
}

const scopeOf = (page: UnpricedPage) => ({
  considered: page.considered.ids.length,
  complete: (page.result.total ?? 0) <= page.considered.ids.length,
});

/**
 * A price-sorted or price-filtered page: the hit set of the first page (`base`, at most
 * PRICE_SAMPLE hits) with this caller's prices, filtered by the range, ordered by the sort (price:
 * priced hits first, then by price; otherwise the base's own order) with ties by ID, and cut after
 * the cursor's position. The page's hits are then hydrated (cached by product) and priced with their
 * rules, at the same instant.
 */
async function pricedSearch(
  ctx: Ctx,
  base: UnpricedPage,
  baseKey: string | null,
  o: {
    sort: SearchSort;
    after: unknown[] | null;
    range: { min: bigint | null; max: bigint | null } | null;
    limit: number;
    currency: string;
    at: string;
    r: Reading;
  },
): Promise<SearchResult> {
  const c = base.considered;
  const amounts = await amountsOf(ctx, c, o.currency, o.at, amountsKey(baseKey));
  const descending = o.sort === '-price' || o.sort === '-name' || o.sort === 'newest';
  const byPrice = o.sort === 'price' || o.sort === '-price';
  const compare = (a: HitPlace, b: HitPlace): number => {
    if (byPrice) {
      // Unpriced last, whichever the direction.
      if (a.price === null || b.price === null)
        return (a.price === null ? 1 : 0) - (b.price === null ? 1 : 0);
      const d = a.price < b.price ? -1 : a.price > b.price ? 1 : 0;
      return descending ? -d : d;
    }
    // Scores have at most 6 decimals: distinct scores are distinct numbers.
    if (o.sort === 'relevance') return b.score - a.score;
    const d = byteOrder(a.key, b.key);
    return descending ? -d : d;
  };
  // Every hit's place (prices in ten-thousandths: exact, and cheap to compare), read once for as long
  // as these prices are held, like the orders below.
  const held = derivedOf(amounts);
  if (!held.places)
    held.places = c.ids.map((_, i) => {
      const a = amounts[i];
      return {
        price: a == null ? null : priceUnits(a),
        score: Number(c.scores[i]),
        key: c.sortKeys[i] ?? '',
      };
    });
  const places = held.places;
  const { min, max } = o.range ?? { min: null, max: null };
  // The hits in range, in order (indexes into the set): computed once per order and range for as
  // long as these prices are held.
  const orders = held.orders;
  const orderKey = `${o.sort}|${min ?? ''}|${max ?? ''}`;
  let ordered = orders.get(orderKey);
  if (!ordered) {
    ordered = c.ids
      .map((_, i) => i)
      .filter((i) => {
        if (!o.range) return true;
        const p = places[i]!.price;
        return p !== null && (min === null || p >= min) && (max === null || p < max);
      })
      .sort((x, y) => compare(places[x]!, places[y]!) || byteOrder(c.ids[x]!, c.ids[y]!));
    orders.set(orderKey, ordered);
  }
  type Item = { i: number };
  let items: Item[] = ordered.map((i) => ({ i }));
  /** What the cursor carries of an item: its price ('' for none), score or sort key. */
  const cursorKey = (it: Item) =>
    byPrice ? (amounts[it.i] ?? '') : o.sort === 'relevance' ? c.scores[it.i]! : (c.sortKeys[it.i] ?? '');
  if (o.after) {
    const [k, id] = [String(o.after[1]), String(o.after[2])];
    const from: HitPlace = { price: byPrice && k !== '' ? priceUnits(k) : null, score: Number(k), key: k };
    // The first hit after the cursor's place; everything after it follows.
    const start = items.findIndex((it) => {
      const d = compare(places[it.i]!, from);
      return d > 0 || (d === 0 && byteOrder(c.ids[it.i]!, id) > 0);
    });
    items = start === -1 ? [] : items.slice(start);
  }
  const shown = items.slice(0, o.limit);
  const mode = c.mode;
  const last = shown.at(-1);
  const next =
    items.length > o.limit && last
      ? encodeCursor([o.sort === 'relevance' ? mode : `${mode}:${o.sort}`, cursorKey(last), c.ids[last.i]!])
      : null;
  const hydrated = await cachedRead(
    ctx,
    `catalog:hits:${JSON.stringify([o.r.locale, o.r.fallback, o.r.languages, shown.map((it) => c.ids[it.i])])}`,
    () =>
      hydrateHits(
        ctx,
        shown.map((it) => ({ id: c.ids[it.i]!, score: c.scores[it.i]!, how: c.how[it.i]! })),
        o.r,
      ),
    Math.max(1, Math.ceil(shown.length / 2)),
  );
  const first = !o.after;
  // Within a price range, the brand, category and attribute counts are those of the hits in range
  // (once per range for as long as these prices are held); the price facet stays the whole search's,
  // so that every range can still be chosen.
  let counts = base.result.facets;
  if (first && counts && o.range) {
    const rangeKey = JSON.stringify([String(min), String(max), o.r.locale, o.r.fallback, o.r.languages]);
    let inRange = held.facets.get(rangeKey);
    if (!inRange) {
      inRange = await facetsOfProducts(
        ctx,
        ordered.map((i) => c.ids[i]!),
        o.r,
      );
      held.facets.set(rangeKey, inRange);
    }
    counts = inRange;
  }
  const page: UnpricedPage = {
    result: {
      locale: o.r.locale,
      data: hydrated.hits,
      next_cursor: next,
      // Without a price filter the search's own total (exact, however many hits); with one, the
      // considered hits in range.
      total: first ? (o.range ? items.length : base.result.total) : null,
      facets: first && counts ? { ...counts, price: priceFacet(amounts, o.currency) } : null,
      price_scope: scopeOf(base),
    },
    lines: hydrated.lines,
    considered: EMPTY_SET,
  };
  return priceHits(ctx, page, o.currency, o.at);
}

/** Byte order of UTF-8 texts (PostgreSQL's `collate "C"`), which sort keys and IDs are compared in. */
const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * What a cached search page weighs in the read cache, against READ_CACHE_MAX_ENTRIES: about as much
 * memory as ten product pages (twenty hits and their facets); a first page that carries its hit set
 * for the price facet weighs one more unit per 50 hits of it.
 */
const SEARCH_PAGE_UNITS = 10;

/**
 * A search page without prices (every hit's `price` null), and the line each hit is priced with: its
 * first variant at its minimum order quantity, or null (no variant). What the read cache keeps: it is
 * shared by every caller of the same visibility key and never mutated.
 */
interface UnpricedPage {
  result: SearchResult;
  lines: (HitLine | null)[];
  /** A first page's hit set for the price facet, filter and sort (else empty). */
  considered: ConsideredSet;
}

/**
 * The hits whose prices a search compares: the first PRICE_SAMPLE by relevance (then ID), each with
 * its score, its key in the requested sort (null by relevance), how it matched and its line, in
 * parallel arrays (a cached first page holds up to PRICE_SAMPLE of them).
 */
interface ConsideredSet {
  mode: string;
  ids: string[];
  scores: string[];
  sortKeys: (string | null)[];
  how: SearchHit['matched_by'][];
  /** Each hit's first category (by ID, as prices use it), or null. */
  categories: (string | null)[];
  lines: (HitLine | null)[];
}

const EMPTY_SET: ConsideredSet = {
  mode: FTS_MODE,
  ids: [],
  scores: [],
  sortKeys: [],
  how: [],
  categories: [],
  lines: [],
};

async function unpricedSearch(
  ctx: Ctx,
  query: SearchQuery,
  q: string,
  after: unknown[] | null,
  r: Reading,
  visible: SQL,
  consider: boolean,
): Promise<UnpricedPage> {
  const prepared = await prepareQuery(ctx, q, r.locale);
  // The category filter reads the product's precomputed category paths (migration 0016, GIN-indexed)
  // instead of walking the tree below the category for every candidate.
  const filters = await filterConditions(ctx, { ...query, category_id: undefined });
  if (query.category_id) filters.push(sql`p.category_paths @> array[${query.category_id}]::text[]`);
  const where = filters.length ? sql`${visible} and ${sql.join(filters, sql` and `)}` : visible;
  const order = sortOrder(query.sort ?? 'relevance', r);
  const candidates = (mode: string) => matcher(ctx, mode, q, prepared, where, order.key);

  let mode = after ? String(after[0]).split(':')[0]! : q ? FTS_MODE : ALL_MODE;
  if (mode === FUZZY_MODE) prepared.fuzzy = await fuzzyQuery(ctx, prepared.folded);
  if (after) {
    // A later page: only the next hits, from the cursor's position (no count, no facets).
    const position = order.relevance
      ? sql`(c.score < ${String(after[1])}::numeric or (c.score = ${String(after[1])}::numeric and c.id > ${String(after[2])}))`
      : order.descending
        ? sql`(c.sk < ${String(after[1])} or (c.sk = ${String(after[1])} and c.id > ${String(after[2])}))`
        : sql`(c.sk > ${String(after[1])} or (c.sk = ${String(after[1])} and c.id > ${String(after[2])}))`;
    // The page's products with it (`hitDoc`, computed for the page's rows only): no hydration statement.
    const page = rows<PageHit>(
      await ctx.tx.execute(sql`select n.*, ${hitDoc(ctx.tenantId, sql`n.id`)} as doc from (
          select id, score::text as score, how, sk from (${candidates(mode)}) c
           where ${position} order by ${order.by(sql`c`)} limit ${query.limit + 1}) n`),
    );
    return finish(ctx, r, mode, page, query.limit, null, null, query.sort ?? 'relevance', EMPTY_SET);
  }

  // The first page: one statement computes the matching set once and returns the page, the total
  // and the facet counts (over the best FACET_SAMPLE hits), from the precomputed facet columns.
  const codes = await filterableDefinitions(ctx);
  let first = await firstPage(ctx, candidates(mode), query.limit, [...codes.keys()], order, consider);
  if (first.total === 0 && mode === FTS_MODE && !looksLikeCode(q)) {
    mode = FUZZY_MODE;
    prepared.fuzzy = await fuzzyQuery(ctx, prepared.folded);
    first = await firstPage(ctx, candidates(mode), query.limit, [...codes.keys()], order, consider);
  }
  return finish(
    ctx,
    r,
    mode,
    first.page,
    query.limit,
    first.total,
    await facets(ctx, first.counted, codes, r),
    query.sort ?? 'relevance',
    { ...first.considered, mode },
  );
}

type PageHit = {
  id: string;
  score: string;
  how: SearchHit['matched_by'];
  sk: string | null;
  /** The hit's product as returned, when the search statement read it with the page. */
  doc?: HitRow | null;
};

/**
 * The order of a sort: the sort key each candidate carries (`sk`, text compared byte by byte so that
 * the page and the cursor's position agree on every database) and the `order by` of a relation.
 * Ties are broken by product ID, ascending, in every order.
 */
function sortOrder(
  sort: SearchSort,
  r: Reading,
): { key: SQL; relevance: boolean; descending: boolean; by: (rel: SQL) => SQL } {
  const byKey = (descending: boolean) => (rel: SQL) =>
    descending ? sql`${rel}.sk desc, ${rel}.id` : sql`${rel}.sk, ${rel}.id`;
  switch (sort) {
    case 'name':
    case '-name': {
      const descending = sort === '-name';
      return {
        // At most 200 characters: the cursor carries it (longer names tie, then order by ID).
        key: sql`left(lower(unaccent(coalesce(p.name->>${r.locale}, p.name->>${r.fallback}, p.code))), 200) collate "C"`,
        relevance: false,
        descending,
        by: byKey(descending),
      };
    }
    case 'code':
      return {
        key: sql`left(p.code, 200) collate "C"`,
        relevance: false,
        descending: false,
        by: byKey(false),
      };
    case 'newest':
      return {
        key: sql`to_char(p.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') collate "C"`,
        relevance: false,
        descending: true,
        by: byKey(true),
      };
    default:
      return {
        key: sql`null::text`,
        relevance: true,
        descending: true,
        by: (rel) => sql`${rel}.score desc, ${rel}.id`,
      };
  }
}

/**
 * The caller's prices on a copy of the page (the cached one stays as it is), resolved in one batch
 * at `at` by the pricing module (`setSearchPricing`); without a currency (no prices for this caller)
 * or without priced lines, the page as is.
 */
async function priceHits(
  ctx: Ctx,
  found: UnpricedPage,
  currency: string | null,
  at: string,
): Promise<SearchResult> {
  const priced = found.lines.flatMap((line, i) => (line ? [{ i, ...line }] : []));
  if (!searchPricing || currency === null || !priced.length) return found.result;
  const resolved = await searchPricing.page(
    ctx,
    priced.map(({ i: _, ...line }) => line),
    currency,
    at,
  );
  const prices: (HitPrice | null)[] = found.result.data.map(() => null);
  priced.forEach(({ i }, k) => {
    prices[i] = resolved[k] ?? null;
  });
  return { ...found.result, data: found.result.data.map((h, i) => ({ ...h, price: prices[i] ?? null })) };
}

/** The caller's prices of a hit set, by hit (null: no variant, or no price). */
async function amountsOf(
  ctx: Ctx,
  set: ConsideredSet,
  currency: string,
  at: string,
  key: string | null,
): Promise<(string | null)[]> {
  const out: (string | null)[] = set.lines.map(() => null);
  const priced = await linesOf(ctx, set);
  if (!searchPricing || !priced.length) return out;
  const amounts = await searchPricing.amounts(
    ctx,
    priced.map((p) => p.line),
    currency,
    at,
    key,
  );
  // The pricing module hands back the same array while its cached prices hold: so do we, with what
  // is derived from it (facet, orders — `derivedOf`).
  const held = byHitOf.get(set)?.get(amounts);
  if (held) return held;
  priced.forEach(({ i }, k) => {
    out[i] = amounts[k] ?? null;
  });
  let sets = byHitOf.get(set);
  if (!sets) {
    sets = new WeakMap();
    byHitOf.set(set, sets);
  }
  sets.set(amounts, out);
  return out;
}

/**
 * A hit set's lines with what the search knows of their products (`HitLine.product`: the pricing
 * module then reads no placements), made once per set — the set and the category tree are dropped
 * from the read cache together, at any change of the tenant.
 */
async function linesOf(ctx: Ctx, set: ConsideredSet): Promise<{ i: number; line: HitLine }[]> {
  const held = placedLines.get(set);
  if (held) return held;
  const index = await categoryIndex(ctx);
  const lines = set.lines.flatMap((line, i) =>
    line
      ? [
          {
            i,
            line: {
              ...line,
              product: { id: set.ids[i]!, categoryPath: pathOf(index, set.categories[i] ?? null) },
            },
          },
        ]
      : [],
  );
  placedLines.set(set, lines);
  return lines;
}
const placedLines = new WeakMap<ConsideredSet, { i: number; line: HitLine }[]>();

/** A hit's (or a cursor's) place in an order, before its ID: its price, score or sort key. */
type HitPlace = { price: bigint | null; score: number; key: string };

/** Per hit set and pricing module's answer, the prices by hit (`amountsOf`). */
const byHitOf = new WeakMap<ConsideredSet, WeakMap<readonly (string | null)[], (string | null)[]>>();

/**
 * What is computed from a hit set's prices and kept as long as they are (weakly, with them): the
 * price facet, and the hits in each price order / range asked for (indexes into the set).
 */
const derived = new WeakMap<
  readonly (string | null)[],
  {
    facet?: PriceFacet | null;
    places?: HitPlace[];
    orders: Map<string, number[]>;
    /** The other facets within a price range (and reading languages). */
    facets: Map<string, NonNullable<SearchResult['facets']>>;
  }
>();
function derivedOf(amounts: readonly (string | null)[]) {
  let d = derived.get(amounts);
  if (!d) {
    d = { orders: new Map(), facets: new Map() };
    derived.set(amounts, d);
  }
  return d;
}

/**
 * Facet counts are exact up to this many hits; beyond (a broad query or a large category), they
 * count the FACET_SAMPLE best-ranked hits — the total stays exact. Hidden products are never in the
 * hit set, so they are never counted either way.
 */
export const FACET_SAMPLE = 10_000;

type Counted = { facet: string; key: string; n: number };

async function firstPage(
  ctx: Ctx,
  candidates: SQL,
  limit: number,
  codes: string[],
  order: ReturnType<typeof sortOrder>,
  consider: boolean,
): Promise<{
  page: PageHit[];
  total: number;
  counted: Counted[];
  considered: ConsideredSet;
}> {
  // `consider`: the PRICE_SAMPLE best hits too (relevance, then ID), each with its price line — its
  // first variant (by position) at that variant's minimum order quantity, and its first category —
  // as the product row carries them (migration 0024): what the price facet compares.
  const considered = consider
    ? sql`union all
      select 'cand', h.id, h.score::text, h.how, h.price_sku, h.n, h.sk::text, h.price_qty, h.price_category,
             null::jsonb
        from (select id, score, how, sk, price_sku, price_qty, price_category,
                     (row_number() over (order by score desc, id))::int as n
                from hits order by score desc, id limit ${PRICE_SAMPLE}) h`
    : sql``;
  const out = rows<{
    kind: string;
    id: string | null;
    score: string | null;
    how: string | null;
    key: string | null;
    n: number;
    sk: string | null;
    qty: number | null;
    cat: string | null;
    doc: HitRow | null;
  }>(
    // `counted`: the hits themselves when there are at most FACET_SAMPLE (no sort), else the best
    // FACET_SAMPLE (the branch not taken is never run). One unnest pass counts brands (`b…`),
    // categories (`c…`) and attribute values (`a…`) together; the page is a top-N of the hits.
    await ctx.tx.execute(sql`with hits as materialized (${candidates}),
      total as materialized (select count(*)::int as n from hits),
      counted as (select * from hits where (select n from total) <= ${FACET_SAMPLE}
                  union all
                  select * from (select * from hits order by score desc, id limit ${FACET_SAMPLE}) best
                   where (select n from total) > ${FACET_SAMPLE})
      select pg.*, ${hitDoc(ctx.tenantId, sql`pg.id`)} as doc
        from (select 'page' as kind, id, score::text as score, how, null::text as key,
                     (row_number() over (order by ${order.by(sql`hits`)}))::int as n, sk::text as sk,
                     null::int as qty, null::text as cat
                from hits order by ${order.by(sql`hits`)} limit ${limit + 1}) pg
      union all
      select 'total', null, null, null, null, n, null, null, null, null from total
      union all
      select 'facet', null, null, null, k, count(*)::int, null, null, null, null
        from counted p, unnest(${FACET_KEYS}) k
       where k is not null group by k
      ${considered}`),
  );
  const cands = out.filter((o) => o.kind === 'cand').sort((a, b) => Number(a.n) - Number(b.n));
  const wanted = new Set(codes);
  // UNION ALL keeps no order: the page is put back in the statement's order (its row numbers).
  const page = out
    .filter((o) => o.kind === 'page')
    .sort((a, b) => Number(a.n) - Number(b.n))
    .map((o) => ({
      id: o.id!,
      score: o.score!,
      how: o.how as SearchHit['matched_by'],
      sk: o.sk,
      doc: o.doc,
    }));
  return {
    page,
    considered: {
      mode: '',
      ids: cands.map((o) => o.id!),
      scores: cands.map((o) => o.score!),
      sortKeys: cands.map((o) => o.sk),
      how: cands.map((o) => o.how as SearchHit['matched_by']),
      categories: cands.map((o) => o.cat),
      // No variant: no line, so no price.
      lines: cands.map((o) => (o.key ? { sku: o.key, quantity: String(o.qty ?? 1) } : null)),
    },
    total: Number(out.find((o) => o.kind === 'total')?.n ?? 0),
    counted: countedOf(
      out.filter((o) => o.kind === 'facet'),
      wanted,
    ),
  };
}

/** The facet counts of a statement's (key, n) rows: `b…` brands, `c…` categories, `a…` attributes. */
function countedOf(found: { key: string | null; n: number }[], wanted: ReadonlySet<string>): Counted[] {
  return found.flatMap((o): Counted[] => {
    if (!o.key) return [];
    const key = o.key.slice(1);
    const n = Number(o.n);
    if (o.key[0] === 'b') return [{ facet: 'brand', key, n }];
    if (o.key[0] === 'c') return [{ facet: 'category', key, n }];
    return wanted.has(key.slice(0, key.indexOf('='))) ? [{ facet: 'attr', key, n }] : [];
  });
}

/** One facet key per brand, category and attribute value a product counts in (see `facets`). */
const FACET_KEYS = sql`array['b' || p.brand_id] || array(select 'c' || c from unnest(p.facet_categories) c)
                       || array(select 'a' || a from unnest(p.facet_attrs) a)`;

/**
 * The brand, category and attribute facets of these products (hits within a price range): one
 * statement over their precomputed facet columns, counted as the first page counts its hits.
 */
async function facetsOfProducts(
  ctx: Ctx,
  ids: readonly string[],
  r: Reading,
): Promise<NonNullable<SearchResult['facets']>> {
  const defs = await filterableDefinitions(ctx);
  const found = ids.length
    ? rows<{ key: string | null; n: number }>(
        await ctx.tx.execute(sql`select k as key, count(*)::int as n
            from catalog_products p, unnest(${FACET_KEYS}) k
           where p.tenant_id = ${ctx.tenantId}
             and p.id = any(array(select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)))
             and k is not null
           group by k`),
      )
    : [];
  return facets(ctx, countedOf(found, new Set(defs.keys())), defs, r);
}

async function finish(
  ctx: Ctx,
  r: Reading,
  mode: string,
  page: PageHit[],
  limit: number,
  total: number | null,
  facetCounts: SearchResult['facets'],
  sort: SearchSort,
  considered: ConsideredSet,
): Promise<UnpricedPage> {
  const hits = page.slice(0, limit);
  const last = hits.at(-1);
  const hydrated = await hydrateHits(
    ctx,
    hits,
    r,
    new Map(hits.flatMap((h) => (h.doc ? [[h.id, h.doc] as const] : []))),
  );
  const next = !(page.length > limit && last)
    ? null
    : sort === 'relevance'
      ? encodeCursor([mode, last.score, last.id])
      : encodeCursor([`${mode}:${sort}`, last.sk ?? '', last.id]);
  return {
    result: {
      locale: r.locale,
      data: hydrated.hits,
      next_cursor: next,
      total,
      facets: facetCounts,
      price_scope: null,
    },
    lines: hydrated.lines,
    considered,
  };
}

/** A hit's product as the search returns it (see `hitColumns`). */
interface HitRow {
  id: string;
  code: string;
  name: Record<string, string>;
  description: Record<string, string> | null;
  brand_id: string | null;
  skus: string[] | null;
  price_sku: string | null;
  price_qty: number | null;
  price_category: string | null;
  image: { object_key: string; content_type: string } | null;
}

/** The columns of `HitRow` for the product `p` (its SKUs in order, its first image). */
const hitColumns = (t: string) => sql`p.id, p.code, p.name, p.description, p.brand_id,
    p.price_sku, p.price_qty, p.price_category,
    (select jsonb_agg(v.sku order by v.position, v.id) from catalog_variants v
      where v.tenant_id = ${t} and v.product_id = p.id) as skus,
    (select jsonb_build_object('object_key', m.object_key, 'content_type', m.content_type)
       from catalog_media m
      where m.tenant_id = ${t} and m.product_id = p.id and m.kind = 'image'
      order by m.position, m.id limit 1) as image`;

/** The `HitRow` of product `id` as one JSON value: what a search statement returns with its page. */
const hitDoc = (t: string, id: SQL) =>
  sql`(select to_jsonb(d) from (select ${hitColumns(t)} from catalog_products p
        where p.tenant_id = ${t} and p.id = ${id}) d)`;

/**
 * The page's hits as returned (texts in the reader's language, brand, SKUs, first image) and the
 * line each is priced with — its first variant at its minimum order quantity, as the product row
 * carries it (migration 0024), with its product and category path so that pricing reads no
 * placements. `known`: the rows the search statement already returned with its page (no statement);
 * else one statement.
 */
async function hydrateHits(
  ctx: Ctx,
  hits: { id: string; score: string; how: SearchHit['matched_by'] }[],
  r: Reading,
  known?: ReadonlyMap<string, HitRow>,
): Promise<{ hits: SearchHit[]; lines: UnpricedPage['lines'] }> {
  if (!hits.length) return { hits: [], lines: [] };
  const t = ctx.tenantId;
  const ps =
    known && hits.every((h) => known.has(h.id))
      ? known
      : new Map(
          rows<HitRow>(
            await ctx.tx.execute(sql`select ${hitColumns(t)} from catalog_products p
               where p.tenant_id = ${t}
                 and p.id = any(array(select jsonb_array_elements_text(${JSON.stringify(hits.map((h) => h.id))}::jsonb)))`),
          ).map((p) => [p.id, p]),
        );
  const found = hits.map((h) => ps.get(h.id)!);
  const bs = await brandNames(ctx, [...new Set(found.flatMap((p) => (p.brand_id ? [p.brand_id] : [])))]);
  const index = found.some((p) => p.price_sku !== null && p.price_category !== null)
    ? await categoryIndex(ctx)
    : null;
  return {
    hits: hits.map((h, i) => {
      const p = found[i]!;
      const brand = p.brand_id ? bs.get(p.brand_id) : undefined;
      return {
        id: p.id,
        code: p.code,
        name: resolveText(p.name, r.locale, r.fallback, r.languages)?.text ?? null,
        description: p.description
          ? (resolveText(p.description, r.locale, r.fallback, r.languages)?.text ?? null)
          : null,
        brand: p.brand_id && brand !== undefined ? { id: p.brand_id, name: brand } : null,
        skus: p.skus ?? [],
        image: p.image ? { object_key: p.image.object_key, content_type: p.image.content_type } : null,
        score: Number(h.score),
        matched_by: h.how,
        price: null,
      };
    }),
    lines: found.map((p) =>
      p.price_sku
        ? {
            sku: p.price_sku,
            quantity: String(p.price_qty ?? 1),
            product: { id: p.id, categoryPath: index ? pathOf(index, p.price_category) : [] },
          }
        : null,
    ),
  };
}

interface FacetDefinition {
  code: string;
  type: string;
  unit?: string | null;
  label: Record<string, string>;
  values?: { code: string; label: Record<string, string> }[];
}

/** The filterable attribute definitions of the tenant's families, by code (first definition wins). */
async function filterableDefinitions(ctx: Ctx): Promise<Map<string, FacetDefinition>> {
  return cachedRead(ctx, 'catalog:filterable-definitions', async () => {
    const defs = new Map<string, FacetDefinition>();
    for (const f of rows<{ attributes: (FacetDefinition & { filterable: boolean })[] }>(
      await ctx.tx.execute(sql`select attributes from catalog_families where tenant_id = ${ctx.tenantId}`),
    ))
      for (const d of f.attributes) if (d.filterable && !defs.has(d.code)) defs.set(d.code, d);
    return defs;
  });
}

/**
 * Facets from the counts of `firstPage`: brands, categories (a product counts in its active
 * categories and their active ancestors, once each — `facet_categories`) and the values of filterable
 * attributes (a product counts once per value any of its variants has — `facet_attrs`, `code=<json>`).
 */
async function facets(
  ctx: Ctx,
  rawCounts: Counted[],
  defs: Map<string, FacetDefinition>,
  r: Reading,
): Promise<NonNullable<SearchResult['facets']>> {
  const codes = [...defs.keys()];
  const counted = rawCounts.map((c) => {
    if (c.facet !== 'attr') return { ...c, value: null as unknown };
    const i = c.key.indexOf('=');
    return {
      facet: c.facet,
      key: c.key.slice(0, i),
      value: JSON.parse(c.key.slice(i + 1)) as unknown,
      n: c.n,
    };
  });
  const brandIds = counted.filter((c) => c.facet === 'brand').map((c) => c.key);
  const catIds = counted.filter((c) => c.facet === 'category').map((c) => c.key);
  const bNames = await brandNames(ctx, brandIds);
  const cats = await categoryNodes(ctx, catIds);
  const byCount = <T extends { count: number }>(a: T, b: T) => b.count - a.count;
  const attributes = codes
    .map((code) => {
      const d = defs.get(code)!;
      const values = counted
        .filter((c) => c.facet === 'attr' && c.key === code)
        .map((c) => {
          const value = c.value as string | number | boolean;
          const enumLabel = d.values?.find((v) => v.code === value)?.label;
          return {
            value,
            label: enumLabel
              ? (resolveText(enumLabel, r.locale, r.fallback, r.languages)?.text ?? String(value))
              : `${String(value)}${d.unit ? ` ${d.unit}` : ''}`,
            count: c.n,
          };
        })
        .sort(
          (a, b) =>
            b.count - a.count || String(a.value).localeCompare(String(b.value), undefined, { numeric: true }),
        );
      return {
        code,
        label: resolveText(d.label, r.locale, r.fallback, r.languages)?.text ?? null,
        type: d.type,
        unit: d.unit ?? null,
        values,
      };
    })
    .filter((a) => a.values.length > 0);
  return {
    brands: counted
      .filter((c) => c.facet === 'brand')
      .map((c) => ({ id: c.key, name: bNames.get(c.key) ?? c.key, count: c.n }))
      .sort(byCount),
    categories: counted
      .filter((c) => c.facet === 'category' && cats.has(c.key))
      .map((c) => {
        const cat = cats.get(c.key)!;
        return {
          id: c.key,
          name: resolveText(cat.name, r.locale, r.fallback, r.languages)?.text ?? null,
          parent_id: cat.parentId,
          count: c.n,
        };
      })
      .sort(byCount),
    attributes,
    // Added by the caller, for this caller's prices (the counts above are shared).
    price: null,
  };
}

// ─── Catalogue health ────────────────────────────────────────────────────────────────────────

export interface CatalogHealth {
  languages: string[];
  /** Products counted: draft and active (discontinued ones are out of the assortment). */
  products: number;
  by_status: { draft: number; active: number; discontinued: number };
  incomplete_products: number;
  average_completeness: number;
  products_without_image: number;
  products_without_active_category: number;
  products_missing_required_attributes: number;
  missing_translations: { locale: string; products: number; names: number; descriptions: number }[];
  categories: { total: number; inactive: number };
}

/** Tenant-wide figures for the dashboard, from the completeness stored on each product. */
export async function catalogHealth(ctx: Ctx): Promise<CatalogHealth> {
  const t = ctx.tenantId;
  const { languages } = await catalogLanguages(ctx);
  const has = (item: object) => sql`p.completeness_missing @> ${JSON.stringify([item])}::jsonb`;
  const [a] = rows<Record<string, number | string | null>>(
    await ctx.tx.execute(sql`select
        count(*) filter (where p.status <> 'discontinued')::int as products,
        count(*) filter (where p.status = 'draft')::int as draft,
        count(*) filter (where p.status = 'active')::int as active,
        count(*) filter (where p.status = 'discontinued')::int as discontinued,
        count(*) filter (where p.status <> 'discontinued' and p.completeness < 100)::int as incomplete,
        round(coalesce(avg(p.completeness) filter (where p.status <> 'discontinued'), 0), 1)::text as average,
        count(*) filter (where p.status <> 'discontinued' and ${has({ check: 'image' })})::int as without_image,
        count(*) filter (where p.status <> 'discontinued' and ${has({ check: 'category' })})::int as without_category,
        count(*) filter (where p.status <> 'discontinued' and ${has({ check: 'attribute' })})::int as missing_attributes
      from catalog_products p where p.tenant_id = ${t}`),
  );
  const missing_translations = [];
  for (const locale of languages) {
    const [m] = rows<{ products: number; names: number; descriptions: number }>(
      await ctx.tx.execute(sql`select
          count(*) filter (where ${has({ check: 'name', locale })} or ${has({ check: 'description', locale })})::int as products,
          count(*) filter (where ${has({ check: 'name', locale })})::int as names,
          count(*) filter (where ${has({ check: 'description', locale })})::int as descriptions
        from catalog_products p where p.tenant_id = ${t} and p.status <> 'discontinued'`),
    );
    missing_translations.push({
      locale,
      products: m?.products ?? 0,
      names: m?.names ?? 0,
      descriptions: m?.descriptions ?? 0,
    });
  }
  const [c] = rows<{ total: number; inactive: number }>(
    await ctx.tx.execute(sql`select count(*)::int as total, count(*) filter (where not active)::int as inactive
      from catalog_categories where tenant_id = ${t}`),
  );
  return {
    languages,
    products: Number(a?.products ?? 0),
    by_status: {
      draft: Number(a?.draft ?? 0),
      active: Number(a?.active ?? 0),
      discontinued: Number(a?.discontinued ?? 0),
    },
    incomplete_products: Number(a?.incomplete ?? 0),
    average_completeness: Number(a?.average ?? 0),
    products_without_image: Number(a?.without_image ?? 0),
    products_without_active_category: Number(a?.without_category ?? 0),
    products_missing_required_attributes: Number(a?.missing_attributes ?? 0),
    missing_translations,
    categories: { total: c?.total ?? 0, inactive: c?.inactive ?? 0 },
  };
}
