import { sql } from 'drizzle-orm';
import { NodePgSession } from 'drizzle-orm/node-postgres';
import { PgliteSession } from 'drizzle-orm/pglite';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readCacheOf, TenantReadCache } from '../../platform/cache/read-cache.ts';
import { runAsTenant } from '../../platform/context.ts';
import { addUser } from '../../platform/identity/testing.ts';
import { createApiToken } from '../../platform/identity/users.ts';
import {
  DRIVERS,
  eventually,
  getWithHost,
  startTestApp,
  type TestApp,
  type TestTenant,
} from '../../test/harness.ts';
import { planAllows, type RankedRule, type VisibilityPlan, visibilityKey } from '../storefronts/rules.ts';

// biome-ignore lint/suspicious/noExplicitAny: JSON of unknown shape, read by the assertions
type Json = any;

/**
 * The buyer's search page comes from the read cache when asked again (platform/cache/read-cache.ts):
 * the same query, filters, page, languages and the same visibility — whoever asks — answer without
 * the search's statements; the prices stay the caller's own; and a hidden product never reaches a
 * buyer through a page cached for someone who may see it (hits, total or facets).
 */

// Every statement Drizzle prepares in this process (the server runs in it), on either driver.
const prepared = [
  vi.spyOn(NodePgSession.prototype, 'prepareQuery'),
  vi.spyOn(PgliteSession.prototype, 'prepareQuery'),
];
const statementCount = () => prepared.map((s) => s.mock.calls.length);
const statementsSince = (from: number[]) =>
  prepared.flatMap((s, i) => s.mock.calls.slice(from[i]).map((c) => (c[0] as { sql: string }).sql));

// Cached pages are shared: frozen as they are stored, so that any change to one after it is
// stored (a caller's prices written into it) fails loudly instead of reaching the next caller.
const deepFreeze = (v: unknown): void => {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return;
  Object.freeze(v);
  for (const x of Object.values(v)) deepFreeze(x);
};
const store = TenantReadCache.prototype.store;
vi.spyOn(TenantReadCache.prototype, 'store').mockImplementation(function (
  this: TenantReadCache,
  stamp,
  key,
  value,
) {
  if (key.startsWith('catalog:search:')) deepFreeze(value);
  return store.call(this, stamp, key, value);
});

/** The search's own statements, by what they say. */
const MARKS = {
  /** Query preparation (full-text query of the reader's language). */
  prepare: 'websearch_to_tsquery',
  /** The first page's statement: hits, total and facet counts. */
  search: 'with hits as materialized',
  /** Hydration of the hits (their images). */
  hydration: 'from catalog_media',
  /** The pricing module reading SKUs' products and category paths itself. */
  placements: 'with recursive v as',
  /** Brand or category names read for hits or facets. */
  names: '"name" from "catalog_',
  /** The buyer's price lists with the entries of some SKUs. */
  lists: 'from price_lists l',
};

describe.each(DRIVERS)('the buyer’s search page and the read cache, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};

  const staff = (method: string, path: string, body?: unknown) =>
    t.api(method, path, { token: acme.token, ...(body !== undefined ? { body } : {}) });
  const ok = async (method: string, path: string, body?: unknown) => {
    const r = await staff(method, path, body);
    expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
    return r.body;
  };

  /** A search as `who` (a buyer's name, or `staff`), with the statements it ran. */
  const search = async (who: string, query: string, host?: string) => {
    const path = `/api/v1/catalog/search?${query}`;
    const from = statementCount();
    const token = who === 'staff' ? acme.token : tokens[who]!;
    const res = host ? await getWithHost(t.url, host, path, token) : await t.api('GET', path, { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const ran = statementsSince(from);
    const count = (mark: string) => ran.filter((s) => s.includes(mark)).length;
    return {
      body: res.body as Json,
      codes: (res.body.data as { code: string }[]).map((h) => h.code).sort(),
      prepare: count(MARKS.prepare),
      search: count(MARKS.search),
      hydration: count(MARKS.hydration),
      placements: count(MARKS.placements),
      names: count(MARKS.names),
      lists: count(MARKS.lists),
      /** Statements reading the hits' products on their own (not with the page, in the search's). */
      hydrationAlone: ran.filter((x) => x.trimStart().startsWith('select p.id, p.code')).length,
    };
  };
  const Q = 'q=perceuse&limit=20&currency=EUR';
  const forget = () => readCacheOf(t.db)?.invalidate(acme.tenantId);
  const priceOf = (body: Json, code: string) =>
    body.data.find((h: { code: string }) => h.code === code)?.price?.unit_price?.amount ?? null;
  const facetNames = (body: Json) => ({
    brands: body.facets.brands.map((b: { name: string }) => b.name).sort(),
    categories: body.facets.categories.map((c: { name: string }) => c.name).sort(),
    finishes: (body.facets.attributes.find((a: { code: string }) => a.code === 'finition')?.values ?? [])
      .map((v: { value: string }) => v.value)
      .sort(),
  });

  beforeAll(async () => {
    t = await startTestApp(driver);
    acme = await t.newTenant('Quincaillerie Recherche');
    const post = async (path: string, body: unknown) => (await ok('POST', path, body)).id as string;
    ids.family = await post('/api/v1/catalog/families', {
      code: 'outils',
      name: { fr: 'Outils' },
      attributes: [
        {
          code: 'finition',
          type: 'enum',
          label: { fr: 'Finition' },
          values: [
            { code: 'zinc', label: { fr: 'Zingué' } },
            { code: 'inox', label: { fr: 'Inox' } },
          ],
          filterable: true,
        },
      ],
    });
    ids.tools = await post('/api/v1/catalog/categories', { code: 'outillage', name: { fr: 'Outillage' } });
    ids.reserved = await post('/api/v1/catalog/categories', { code: 'pro', name: { fr: 'Réservé pro' } });
    ids.makita = await post('/api/v1/catalog/brands', { code: 'makita', name: 'Makita' });
    ids.hilti = await post('/api/v1/catalog/brands', { code: 'hilti', name: 'Hilti' });
    const product = (code: string, name: string, brand: string, category: string, finition: string) =>
      post('/api/v1/catalog/products', {
        code,
        family_id: ids.family,
        brand_id: brand,
        status: 'active',
        name: { fr: name },
        attributes: { finition },
        category_ids: [category],
        variants: [{ sku: code }],
      });
    ids.open = await product('PERC-OPEN', 'Perceuse visseuse', ids.makita, ids.tools, 'zinc');
    ids.pro = await product('PERC-PRO', 'Perceuse perforateur pro', ids.hilti, ids.reserved, 'inox');
    ids.image = await post(`/api/v1/catalog/products/${ids.open}/media`, {
      kind: 'image',
      object_key: 'catalog/perc-open/face.webp',
      content_type: 'image/webp',
      size_bytes: 1000,
      checksum_sha256: 'a'.repeat(64),
    });

    // Dupont and Martin are in the "standard" group, which may not see the reserved category; the
    // "premium" group (Grands Travaux) sees everything — except on the distributor's storefront.
    ids.standard = await post('/api/v1/customer-groups', { code: 'standard', name: 'Standard' });
    ids.premium = await post('/api/v1/customer-groups', { code: 'premium', name: 'Premium' });
    ids.dupont = await post('/api/v1/accounts', { name: 'Chantiers Dupont' });
    ids.martin = await post('/api/v1/accounts', { name: 'Bâtiment Martin' });
    ids.travaux = await post('/api/v1/accounts', { name: 'Grands Travaux' });
    for (const [group, account] of [
      [ids.standard, ids.dupont],
      [ids.standard, ids.martin],
      [ids.premium, ids.travaux],
    ])
      await ok('POST', `/api/v1/customer-groups/${group}/members`, { account_id: account });
    await post('/api/v1/visibility-rules', {
      subject_type: 'group',
      subject_id: ids.standard,
      target_type: 'category',
      target_id: ids.reserved,
      effect: 'deny',
    });
    ids.distrib = await post('/api/v1/storefronts', {
      code: 'distrib',
      name: 'Distrib',
      domains: ['distrib.recherche.test'],
      currencies: ['EUR'],
    });
    await post('/api/v1/visibility-rules', {
      subject_type: 'storefront',
      subject_id: ids.distrib,
      target_type: 'category',
      target_id: ids.reserved,
      effect: 'deny',
    });

    // Prices: the public list for all, and Martin's contract price on the drill.
    ids.public = await post('/api/v1/price-lists', {
      code: 'public',
      name: 'Public',
      currency: 'EUR',
      targets: [{ kind: 'all' }],
    });
    ids.contract = await post('/api/v1/price-lists', {
      code: 'contrat-martin',
      name: 'Contrat Martin',
      currency: 'EUR',
      targets: [{ kind: 'account', id: ids.martin }],
    });
    const entries = (list: string, sku: string, price: string) =>
      ok('PUT', `/api/v1/price-lists/${list}/entries`, {
        entries: [{ sku, breaks: [{ min_quantity: '1', unit_price: price }] }],
      });
    await entries(ids.public, 'PERC-OPEN', '100.00');
    await entries(ids.public, 'PERC-PRO', '300.00');
    await entries(ids.contract, 'PERC-OPEN', '80.00');

    for (const [who, account] of [
      ['dupont', ids.dupont],
      ['martin', ids.martin],
      ['travaux', ids.travaux],
    ] as const) {
      const userId = await addUser(t, acme.tenantId, {
        email: `${who}-${Math.random().toString(36).slice(2, 8)}@example.com`,
        kind: 'buyer',
        accountId: account!,
        roles: ['buyer'],
      });
      tokens[who] = await runAsTenant(
        t.db,
        { tenantId: acme.tenantId },
        async (ctx) => (await createApiToken(ctx, { userId, name: who, scopes: ['*'] })).token,
      );
    }
  });
  afterAll(() => t.close());

  it('a search the cache has not seen prices its page and hit set from what the hits carry, and names brands and categories from the cache', async () => {
    forget();
    // The first search of the tenant reads its brand and category names once.
    const first = await search('dupont', Q);
    expect(first.body.data.length).toBeGreaterThan(0);
    expect(first.body.facets.brands.length).toBeGreaterThan(0);
    expect(first.placements).toBe(0);
    // Another buyer (other lists, other products seen), never searched for: nothing of their prices
    // is in the cache.
    const other = await search('travaux', 'q=perceuse&limit=20&currency=EUR');
    expect(other.search).toBe(1);
    expect(other.codes).toEqual(['PERC-OPEN', 'PERC-PRO']);
    expect(other.body.facets.categories.length).toBe(2);
    expect(other.body.data.every((h: Json) => h.price !== null)).toBe(true);
    expect([other.placements, other.names]).toEqual([0, 0]);
    // The page's products come with the search statement.
    expect([other.search, other.hydrationAlone]).toEqual([1, 0]);
    expect(other.body.data.map((h: Json) => h.skus.length)).toEqual([1, 1]);
    // One read of the buyer's lists prices both the hit set (the price facet) and the page.
    expect(other.lists).toBe(1);
    expect(other.body.facets.price).not.toBeNull();
  });

  it('a repeated search is answered from the cache: no query preparation, search nor hydration statement', async () => {
    forget();
    const first = await search('dupont', Q);
    expect(readCacheOf(t.db)?.live).toBe(true);
    expect(first.codes).toEqual(['PERC-OPEN']);
    expect([first.prepare, first.search, first.hydration]).toEqual([1, 1, 1]);
    const again = await search('dupont', Q);
    expect([again.prepare, again.search, again.hydration]).toEqual([0, 0, 0]);
    expect(again.body).toEqual(first.body);
    // Another page size, another query: searched.
    expect((await search('dupont', 'q=perceuse&limit=1&currency=EUR')).search).toBe(1);
    expect((await search('dupont', 'q=visseuse&limit=20&currency=EUR')).search).toBe(1);
    // Spaces around the words and the order of the attribute filters change nothing.
    expect((await search('dupont', 'q=%20perceuse%20&limit=20&currency=EUR')).search).toBe(0);
    const both = await search('dupont', `${Q}&attr=finition:zinc&attr=finition:inox`);
    expect(both.search).toBe(1);
    const swapped = await search('dupont', `${Q}&attr=finition:inox&attr=finition:zinc`);
    expect(swapped.search).toBe(0);
    expect(swapped.body).toEqual(both.body);
  });

  it('buyers who see the same assortment share one cached page, each with their own prices', async () => {
    forget();
    const dupont = await search('dupont', Q);
    expect(dupont.search).toBe(1);
    const martin = await search('martin', Q);
    expect(martin.search).toBe(0);
    expect(martin.codes).toEqual(dupont.codes);
    expect(priceOf(dupont.body, 'PERC-OPEN')).toBe('100.00');
    expect(priceOf(martin.body, 'PERC-OPEN')).toBe('80.00');
    // Martin's price did not stick to the shared page.
    const dupontAgain = await search('dupont', Q);
    expect(dupontAgain.search).toBe(0);
    expect(priceOf(dupontAgain.body, 'PERC-OPEN')).toBe('100.00');
    // At the same time, too: each answer carries its own buyer's price.
    const together = await Promise.all(
      Array.from({ length: 6 }, (_, i) => (i % 2 ? 'martin' : 'dupont')).map(async (who) => ({
        who,
        price: priceOf((await search(who, Q)).body, 'PERC-OPEN'),
      })),
    );
    for (const { who, price } of together) expect(price).toBe(who === 'martin' ? '80.00' : '100.00');
  });

  it('a buyer who may not see a product never gets it from a page cached for one who may — hits, total, facets', async () => {
    forget();
    const premium = await search('travaux', Q);
    expect(premium.codes).toEqual(['PERC-OPEN', 'PERC-PRO']);
    expect(premium.body.total).toBe(2);
    expect(facetNames(premium.body)).toEqual({
      brands: ['Hilti', 'Makita'],
      categories: ['Outillage', 'Réservé pro'],
      finishes: ['inox', 'zinc'],
    });
    const standard = await search('dupont', Q);
    expect(standard.search).toBe(1);
    expect(standard.codes).toEqual(['PERC-OPEN']);
    expect(standard.body.total).toBe(1);
    expect(facetNames(standard.body)).toEqual({
      brands: ['Makita'],
      categories: ['Outillage'],
      finishes: ['zinc'],
    });
    // Filtered on the hidden product's brand: nothing, though the premium page for it is cached.
    expect((await search('travaux', `${Q}&brand_id=${ids.hilti}`)).codes).toEqual(['PERC-PRO']);
    const filtered = await search('dupont', `${Q}&brand_id=${ids.hilti}`);
    expect(filtered.codes).toEqual([]);
    expect(filtered.body.total).toBe(0);
    // The other way round: the premium buyer is not held to the standard page.
    forget();
    expect((await search('dupont', Q)).codes).toEqual(['PERC-OPEN']);
    const after = await search('travaux', Q);
    expect(after.search).toBe(1);
    expect(after.codes).toEqual(['PERC-OPEN', 'PERC-PRO']);
  });

  it('staff and buyers never share a page, even when they would see the same products', async () => {
    forget();
    const asStaff = await search('staff', Q);
    expect(asStaff.codes).toEqual(['PERC-OPEN', 'PERC-PRO']);
    const standard = await search('dupont', Q);
    expect(standard.search).toBe(1);
    expect(standard.codes).toEqual(['PERC-OPEN']);
    expect(standard.body.total).toBe(1);
    // The premium buyer sees what staff see, yet is searched for apart (no rule = a plan of its own).
    const premium = await search('travaux', Q);
    expect(premium.search).toBe(1);
    expect(premium.codes).toEqual(['PERC-OPEN', 'PERC-PRO']);
    expect((await search('staff', Q)).search).toBe(0);
  });

  it('the storefront of the Host the buyer came on is part of who sees what', async () => {
    forget();
    expect((await search('travaux', Q)).codes).toEqual(['PERC-OPEN', 'PERC-PRO']);
    const onDistrib = await search('travaux', Q, 'distrib.recherche.test');
    expect(onDistrib.search).toBe(1);
    expect(onDistrib.codes).toEqual(['PERC-OPEN']);
    expect(onDistrib.body.total).toBe(1);
    expect(facetNames(onDistrib.body).brands).toEqual(['Makita']);
    // The same assortment as the standard group's: the same page, from the cache.
    const standard = await search('dupont', Q);
    expect(standard.search).toBe(0);
    expect(standard.codes).toEqual(['PERC-OPEN']);
  });

  it('a product renamed through the API shows at the next search', async () => {
    forget();
    await search('dupont', Q);
    await ok('PATCH', `/api/v1/catalog/products/${ids.open}`, { name: { fr: 'Perceuse visseuse compacte' } });
    const next = await search('dupont', Q);
    expect(next.search).toBe(1);
    expect(next.body.data[0].name).toBe('Perceuse visseuse compacte');
    expect((await search('dupont', 'q=compacte&limit=20&currency=EUR')).codes).toEqual(['PERC-OPEN']);
  });

  it('a product hidden through the API leaves the next search, with its total and facets', async () => {
    forget();
    expect((await search('travaux', Q)).codes).toEqual(['PERC-OPEN', 'PERC-PRO']);
    // A rule for the premium account hiding the reserved product.
    const rule = await ok('POST', '/api/v1/visibility-rules', {
      subject_type: 'account',
      subject_id: ids.travaux,
      target_type: 'product',
      target_id: ids.pro,
      effect: 'deny',
    });
    const hidden = await search('travaux', Q);
    expect(hidden.codes).toEqual(['PERC-OPEN']);
    expect(hidden.body.total).toBe(1);
    expect(facetNames(hidden.body).brands).toEqual(['Makita']);
    await ok('DELETE', `/api/v1/visibility-rules/${rule.id}`);
    expect((await search('travaux', Q)).codes).toEqual(['PERC-OPEN', 'PERC-PRO']);
    // Taken out of the assortment (discontinued), then back.
    await ok('PATCH', `/api/v1/catalog/products/${ids.pro}`, { status: 'discontinued' });
    const gone = await search('travaux', Q);
    expect(gone.codes).toEqual(['PERC-OPEN']);
    expect(facetNames(gone.body).categories).toEqual(['Outillage']);
    await ok('PATCH', `/api/v1/catalog/products/${ids.pro}`, { status: 'active' });
    expect((await search('travaux', Q)).codes).toEqual(['PERC-OPEN', 'PERC-PRO']);
  });

  it('a brand renamed through the API shows in the hits and the brand facet at the next search', async () => {
    forget();
    await search('dupont', Q);
    await ok('PATCH', `/api/v1/catalog/brands/${ids.makita}`, { name: 'Makita Pro' });
    const next = await search('dupont', Q);
    expect(next.body.data[0].brand.name).toBe('Makita Pro');
    expect(facetNames(next.body).brands).toEqual(['Makita Pro']);
  });

  it('changes behind the API’s back (a brand, an image) reach the cached page by notification', async () => {
    forget();
    await search('dupont', Q);
    expect((await search('dupont', Q)).search).toBe(0);
    await runAsTenant(t.db, { tenantId: acme.tenantId }, async (ctx) => {
      await ctx.tx.execute(sql`update catalog_brands set name = 'Makita Outillage'
                                where tenant_id = ${acme.tenantId} and id = ${ids.makita}`);
    });
    expect(
      await eventually(async () => {
        const r = await search('dupont', Q);
        return (
          r.body.data[0].brand.name === 'Makita Outillage' &&
          facetNames(r.body).brands[0] === 'Makita Outillage'
        );
      }),
    ).toBe(true);
    expect((await search('dupont', Q)).search).toBe(0);
    await runAsTenant(t.db, { tenantId: acme.tenantId }, async (ctx) => {
      await ctx.tx.execute(sql`update catalog_media set object_key = 'catalog/perc-open/profil.webp'
                                where tenant_id = ${acme.tenantId} and id = ${ids.image}`);
    });
    expect(
      await eventually(
        async () =>
          (await search('dupont', Q)).body.data[0].image?.object_key === 'catalog/perc-open/profil.webp',
      ),
    ).toBe(true);
  });
});

// ─── The visibility key (pure) ───────────────────────────────────────────────────────────────

describe('the visibility key shared search pages are filed under', () => {
  const TARGETS = [
    { kind: 'all' as const },
    { kind: 'category' as const, categoryId: 'cat_a' },
    { kind: 'category' as const, categoryId: 'cat_b' },
    { kind: 'product' as const, productId: 'prod_1' },
  ];
  const SUBJECTS = [
    { kind: 'storefront' as const, storefrontId: 'sf_1' },
    { kind: 'group' as const, groupId: 'grp_1' },
    { kind: 'account' as const, accountId: 'acc_1' },
  ];
  // Small domains, so that different plans often have the same decisions.
  const ranked = fc
    .record({
      id: fc.constantFrom('vis_1', 'vis_2', 'vis_3'),
      subject: fc.constantFrom(...SUBJECTS),
      target: fc.constantFrom(...TARGETS),
      effect: fc.constantFrom('allow' as const, 'deny' as const),
      subjectRank: fc.integer({ min: 1, max: 3 }),
      specificity: fc.integer({ min: 0, max: 3 }),
    })
    .map(({ subjectRank, specificity, ...rule }): RankedRule => ({ rule, subjectRank, specificity }));
  const plan = fc.option(
    fc.array(ranked, { maxLength: 3 }).map((list): VisibilityPlan => ({ list })),
    { nil: null },
  );
  const PRODUCTS = ['prod_1', 'prod_2'].flatMap((id) =>
    [[], ['cat_a'], ['cat_b'], ['cat_a', 'cat_b']].flatMap((categoryPaths) =>
      ['active', 'draft'].map((status) => ({ id, status, categoryPaths })),
    ),
  );
  const allows = (p: VisibilityPlan | null, product: (typeof PRODUCTS)[number]) =>
    p === null || planAllows(p, product);

  it('two plans filed under the same key let their viewers see exactly the same products', () => {
    fc.assert(
      fc.property(plan, plan, (a, b) => {
        if (visibilityKey(a) !== visibilityKey(b)) return;
        for (const product of PRODUCTS) expect(allows(a, product)).toBe(allows(b, product));
      }),
      { numRuns: 2000 },
    );
  });

  it('the key ignores who the rules are about and their IDs, and unrestricted callers have a key of their own', () => {
    const deny = (id: string, subject: (typeof SUBJECTS)[number]): RankedRule => ({
      rule: { id, subject, target: TARGETS[1]!, effect: 'deny' },
      subjectRank: 2,
      specificity: 1,
    });
    expect(visibilityKey({ list: [deny('vis_1', SUBJECTS[1]!)] })).toBe(
      visibilityKey({ list: [deny('vis_2', SUBJECTS[0]!)] }),
    );
    expect(visibilityKey(null)).not.toBe(visibilityKey({ list: [] }));
    expect(visibilityKey({ list: [] })).not.toBe(visibilityKey({ list: [deny('vis_1', SUBJECTS[1]!)] }));
  });
});
