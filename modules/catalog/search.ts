import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Ctx } from '../../platform/context.ts';
import { rows } from '../../platform/db/database.ts';
import { decodeCursor, encodeCursor } from '../../platform/http/pagination.ts';
import { AppError, notFound } from '../../platform/http/problems.ts';
import { resolveText } from './rules.ts';
import { brands, categories, media, products, variants } from './schema.ts';
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

/** Installs the visibility rules (the storefronts module calls this when it is registered). */
export function setCatalogVisibility(predicate: VisibilityPredicate): void {
  visibility = predicate;
}

/**
 * Throws not-found when the caller may not see the product: a hidden product answers exactly like
 * one that does not exist (product pages, reads by ID). No query for unrestricted callers.
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

export interface SearchQuery {
  q?: string;
  limit: number;
  cursor?: string;
  brand_id?: string;
  category_id?: string;
  attr?: string[];
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
  } | null;
}

/**
 * Typo tolerance returns the closest FUZZY_LIMIT products only: a misspelt word wants the best
 * guesses, not every product sharing a few trigrams with it.
 */
const FUZZY_LIMIT = 200;

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
}

async function prepareQuery(ctx: Ctx, q: string, locale: string): Promise<PreparedQuery> {
  if (!q) return { tsquery: '', folded: '' };
  const [p] = rows<PreparedQuery>(
    await ctx.tx.execute(sql`select (websearch_to_tsquery(catalog_ts_config(${locale}), unaccent(${q}))
                                     || websearch_to_tsquery('simple', unaccent(${q})))::text as tsquery,
                                    lower(unaccent(${q})) as folded`),
  );
  return p ?? { tsquery: '', folded: '' };
}

/**
 * The matching products with a score, as a SELECT of (id, score, how). `text`: full text in the
 * reader's language (stemmed, unaccented) or unstemmed in any language, plus SKU / manufacturer
 * reference prefix and exact GTIN; `fuzzy`: trigram word similarity on names and references (typos).
 */
function matcher(ctx: Ctx, mode: string, q: string, prepared: PreparedQuery): SQL {
  const t = ctx.tenantId;
  if (mode === ALL_MODE)
    return sql`select p.id, 0::numeric as score, 'all' as how from catalog_products p where p.tenant_id = ${t}`;
  if (mode === FUZZY_MODE)
    return sql`select p.id, round(word_similarity(${prepared.folded}, p.search_text)::numeric, 6) as score, 'fuzzy' as how
      from catalog_products p where p.tenant_id = ${t} and p.search_text %> ${prepared.folded}
      order by score desc, p.id limit ${FUZZY_LIMIT}`;
  const digits = q.replace(/[\s-]/g, '');
  return sql`select id, max(score) as score, min(how) as how from (
      select p.id, round(ts_rank(p.search_document, ${prepared.tsquery}::tsquery)::numeric, 6) as score, 'text' as how
        from catalog_products p
       where p.tenant_id = ${t} and p.search_document @@ ${prepared.tsquery}::tsquery
      union all
      select v.product_id, 10::numeric, 'sku' from catalog_variants v
       where v.tenant_id = ${t} and upper(v.sku) like ${likePrefix(q)} escape '\\'
      union all
      select v.product_id, 9::numeric, 'sku' from catalog_variants v
       where v.tenant_id = ${t} and upper(v.mpn) like ${likePrefix(q)} escape '\\'
      union all
      select v.product_id, 10::numeric, 'sku' from catalog_variants v
       where v.tenant_id = ${t} and v.gtin = ${/^\d{8,14}$/.test(digits) ? digits : null}
    ) m group by id`;
}

/**
 * Search over the active, visible products with facets (first page). Ranked by score, then ID;
 * the cursor carries the mode, score and ID of the last hit. When the exact search finds nothing,
 * it falls back to typo-tolerant matching (the hits say `matched_by: fuzzy`).
 */
export async function searchCatalog(ctx: Ctx, query: SearchQuery, wanted: string[]): Promise<SearchResult> {
  const r = await readingFor(ctx, wanted);
  const q = query.q?.trim() ?? '';
  const after = decodeCursor(query.cursor, 3);
  const visible = await visibility(ctx);
  const prepared = await prepareQuery(ctx, q, r.locale);
  const filters = await filterConditions(ctx, query);
  // Trigram threshold for typos: a little more tolerant than pg_trgm's default of 0.6.
  await ctx.tx.execute(sql`select set_config('pg_trgm.word_similarity_threshold', '0.5', true)`);

  const candidates = (mode: string) =>
    sql`select m.id, m.score, m.how from (${matcher(ctx, mode, q, prepared)}) m
      join catalog_products p on p.tenant_id = ${ctx.tenantId} and p.id = m.id
      where p.status = 'active' and ${visible}${filters.length ? sql` and ${sql.join(filters, sql` and `)}` : sql``}`;

  if (
    after &&
    (![FTS_MODE, FUZZY_MODE, ALL_MODE].includes(String(after[0])) ||
      !/^-?\d{1,12}(\.\d{1,6})?$/.test(String(after[1])) ||
      typeof after[2] !== 'string')
  ) {
    throw new AppError('invalid-cursor', 'The cursor is not one this API returned.', [
      { in: 'query', pointer: '/cursor', detail: 'not a cursor returned by this endpoint' },
    ]);
  }
  let mode = after ? String(after[0]) : q ? FTS_MODE : ALL_MODE;
  type Hit = { id: string; score: string; how: SearchHit['matched_by'] };
  const ranked = (c: SQL, limit: number) =>
    ctx.tx.execute(
      sql`select id, score::text as score, how from (${c}) c order by c.score desc, c.id limit ${limit}`,
    );

  if (after) {
    // A later page: only the next hits, from the cursor's position (no count, no facets).
    const page = rows<Hit>(
      await ctx.tx.execute(sql`select id, score::text as score, how from (${candidates(mode)}) c
        where (c.score < ${String(after[1])}::numeric or (c.score = ${String(after[1])}::numeric and c.id > ${String(after[2])}))
        order by c.score desc, c.id limit ${query.limit + 1}`),
    );
    return finish(ctx, r, mode, page, query.limit, null, null);
  }

  // The first page: the matching set is computed once and serves the count, the page and the facets
  // (up to FIRST_PAGE_SET hits; beyond, the count and facets run on the database side).
  let all = rows<Hit>(await ranked(candidates(mode), FIRST_PAGE_SET + 1));
  if (all.length === 0 && mode === FTS_MODE && !looksLikeCode(q)) {
    mode = FUZZY_MODE;
    all = rows<Hit>(await ranked(candidates(mode), FIRST_PAGE_SET + 1));
  }
  const complete = all.length <= FIRST_PAGE_SET;
  const total = complete ? all.length : await count(ctx, candidates(mode));
  const hitSet = complete
    ? sql`select jsonb_array_elements_text(${JSON.stringify(all.map((h) => h.id))}::jsonb) as id`
    : candidates(mode);
  return finish(
    ctx,
    r,
    mode,
    all.slice(0, query.limit + 1),
    query.limit,
    total,
    await facets(ctx, hitSet, r),
  );
}

/** Beyond this many hits, the first page's count and facets are computed by the database. */
const FIRST_PAGE_SET = 5000;

async function finish(
  ctx: Ctx,
  r: Reading,
  mode: string,
  page: { id: string; score: string; how: SearchHit['matched_by'] }[],
  limit: number,
  total: number | null,
  facetCounts: SearchResult['facets'],
): Promise<SearchResult> {
  const hits = page.slice(0, limit);
  const last = hits.at(-1);
  return {
    locale: r.locale,
    data: await hydrateHits(ctx, hits, r),
    next_cursor: page.length > limit && last ? encodeCursor([mode, last.score, last.id]) : null,
    total,
    facets: facetCounts,
  };
}

async function count(ctx: Ctx, candidates: SQL): Promise<number> {
  const [c] = rows<{ n: number }>(
    await ctx.tx.execute(sql`select count(*)::int as n from (${candidates}) c`),
  );
  return c?.n ?? 0;
}

async function hydrateHits(
  ctx: Ctx,
  hits: { id: string; score: string; how: SearchHit['matched_by'] }[],
  r: Reading,
): Promise<SearchHit[]> {
  if (!hits.length) return [];
  const ids = hits.map((h) => h.id);
  const t = ctx.tenantId;
  const ps = new Map(
    (
      await ctx.tx
        .select()
        .from(products)
        .where(and(eq(products.tenantId, t), inArray(products.id, ids)))
    ).map((p) => [p.id, p]),
  );
  const brandIds = [...new Set([...ps.values()].map((p) => p.brandId).filter((b): b is string => !!b))];
  const bs = new Map(
    brandIds.length
      ? (
          await ctx.tx
            .select({ id: brands.id, name: brands.name })
            .from(brands)
            .where(and(eq(brands.tenantId, t), inArray(brands.id, brandIds)))
        ).map((b) => [b.id, b])
      : [],
  );
  const vs = await ctx.tx
    .select({ productId: variants.productId, sku: variants.sku })
    .from(variants)
    .where(and(eq(variants.tenantId, t), inArray(variants.productId, ids)))
    .orderBy(variants.position, variants.id);
  const images = await ctx.tx
    .select({ productId: media.productId, objectKey: media.objectKey, contentType: media.contentType })
    .from(media)
    .where(and(eq(media.tenantId, t), inArray(media.productId, ids), eq(media.kind, 'image')))
    .orderBy(media.position, media.id);
  return hits.map((h) => {
    const p = ps.get(h.id)!;
    const img = images.find((m) => m.productId === h.id);
    const b = p.brandId ? bs.get(p.brandId) : undefined;
    return {
      id: p.id,
      code: p.code,
      name: resolveText(p.name, r.locale, r.fallback, r.languages)?.text ?? null,
      description: resolveText(p.description, r.locale, r.fallback, r.languages)?.text ?? null,
      brand: b ? { id: b.id, name: b.name } : null,
      skus: vs.filter((v) => v.productId === h.id).map((v) => v.sku),
      image: img ? { object_key: img.objectKey, content_type: img.contentType } : null,
      score: Number(h.score),
      matched_by: h.how,
    };
  });
}

/**
 * Facet counts over every matching product (not only the page): brands, categories (a product
 * counts in its categories and all their ancestors, once each; active categories only) and the
 * values of filterable attributes (a product counts once per value any of its variants has).
 */
async function facets(ctx: Ctx, candidates: SQL, r: Reading): Promise<NonNullable<SearchResult['facets']>> {
  const t = ctx.tenantId;
  const defs = new Map<
    string,
    {
      code: string;
      type: string;
      unit?: string | null;
      label: Record<string, string>;
      values?: { code: string; label: Record<string, string> }[];
    }
  >();
  for (const f of rows<{
    attributes: {
      code: string;
      filterable: boolean;
      type: string;
      unit?: string | null;
      label: Record<string, string>;
      values?: { code: string; label: Record<string, string> }[];
    }[];
  }>(await ctx.tx.execute(sql`select attributes from catalog_families where tenant_id = ${t}`)))
    for (const d of f.attributes) if (d.filterable && !defs.has(d.code)) defs.set(d.code, d);
  const codes = [...defs.keys()];
  const counted = rows<{ facet: string; key: string; value: unknown; n: number }>(
    await ctx.tx.execute(sql`with hits as (${candidates}),
      anc(id, ancestor) as (
        with recursive a(id, ancestor) as (
          select id, id from catalog_categories where tenant_id = ${t} and active
          union all
          select a.id, c.parent_id from a join catalog_categories c on c.tenant_id = ${t} and c.id = a.ancestor
           where c.parent_id is not null)
        select a.id, a.ancestor from a join catalog_categories c on c.tenant_id = ${t} and c.id = a.ancestor and c.active)
      select 'brand' as facet, p.brand_id as key, null::jsonb as value, count(*)::int as n
        from hits h join catalog_products p on p.tenant_id = ${t} and p.id = h.id
       where p.brand_id is not null group by p.brand_id
      union all
      select 'category', anc.ancestor, null, count(distinct pc.product_id)::int
        from hits h join catalog_product_categories pc on pc.tenant_id = ${t} and pc.product_id = h.id
        join anc on anc.id = pc.category_id group by anc.ancestor
      union all
      select 'attr', a.key, a.value, count(distinct p.id)::int
        from hits h join catalog_products p on p.tenant_id = ${t} and p.id = h.id
        join catalog_variants v on v.tenant_id = ${t} and v.product_id = p.id
        cross join lateral jsonb_each(p.attributes || v.attributes) a
       where a.key in (select jsonb_array_elements_text(${JSON.stringify(codes)}::jsonb))
       group by a.key, a.value`),
  );
  const brandIds = counted.filter((c) => c.facet === 'brand').map((c) => c.key);
  const catIds = counted.filter((c) => c.facet === 'category').map((c) => c.key);
  const bNames = new Map(
    brandIds.length
      ? (
          await ctx.tx
            .select({ id: brands.id, name: brands.name })
            .from(brands)
            .where(and(eq(brands.tenantId, t), inArray(brands.id, brandIds)))
        ).map((b) => [b.id, b.name])
      : [],
  );
  const cats = new Map(
    catIds.length
      ? (
          await ctx.tx
            .select({ id: categories.id, name: categories.name, parentId: categories.parentId })
            .from(categories)
            .where(and(eq(categories.tenantId, t), inArray(categories.id, catIds)))
        ).map((c) => [c.id, c])
      : [],
  );
  const byCount = <T extends { count: number }>(a: T, b: T) => b.count - a.count;
  const attributes = codes
    .map((code) => {
      const d = defs.get(code)!;
      const values = counted
        .filter((c) => c.facet === 'attr' && c.key === code)
        .map((c) => {
          const value = (
            typeof c.value === 'string' && d.type !== 'text' && d.type !== 'enum'
              ? JSON.parse(c.value)
              : c.value
          ) as string | number | boolean;
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
