import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCacheOf } from '../../platform/cache/read-cache.ts';
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

// biome-ignore lint/suspicious/noExplicitAny: JSON of unknown shape, read by the assertions
type Json = any;

/**
 * Searching the catalogue by price (GET /api/v1/catalog/search, `sort=price|-price`, `price_min`,
 * `price_max`, `facets.price`, `price_scope`), as a merchant would check it: every buyer sees the
 * products in the order of THEIR prices (contract lists, promotions, dates), page after page, the
 * price bounds keep exactly what they say, the price facet adds up, hidden products and other
 * tenants' products never show, bad input is a 400 naming the field — and the read cache (on in
 * tests) never hands one buyer's order to another.
 *
 * Amounts are compared as decimals (decimal.js), never as floating-point numbers.
 */

/** The quincaillerie's catalogue: product code → public price (null: on no list), in EUR. */
const PUBLIC: Record<string, string | null> = {
  'X-PERC': '120.00',
  'A-01': '12.50',
  'A-02': '3.50',
  'A-03': '100.00',
  'A-04': '12.5',
  'A-05': '49.99',
  'A-06': '50.00',
  'A-07': '9.99',
  'A-08': '10.00',
  'A-09': '812.00',
  'A-10': '7.1234',
  'A-11': '250.00',
  'A-12': '12.50',
  'N-01': null,
  'N-02': null,
  'N-03': null,
  HIDDEN: '0.50',
};
/** Martin's contract price: the drill X-PERC, the cheapest product of all for Martin only. */
const MARTIN_X = '0.10';
/** The rival tenant's catalogue (same currency; one code the same as ours, another price). */
const RIVAL: Record<string, string | null> = { 'B-01': '0.01', 'B-02': '5.00', 'A-01': '1.00', 'B-03': null };
const HOST = 'prix.quincaillerie.test';
/** A product's name (French, the tenant's language). */
const nameOf = (code: string) =>
  code === 'X-PERC'
    ? 'Perceuse sans fil'
    : code.startsWith('N-')
      ? `Article gabarit ${code}`
      : `Article ${code}`;

const dec = (s: string) => new Decimal(s);
const amountOf = (hit: Json): string | null => hit.price?.unit_price?.amount ?? null;

/** A "nice" range boundary: 1, 2, 2.5 or 5 × 10^k. */
function isNice(s: string): boolean {
  let d = dec(s);
  if (d.lte(0)) return false;
  while (d.gte(10)) d = d.div(10);
  while (d.lt(1)) d = d.mul(10);
  return ['1', '2', '2.5', '5'].some((m) => d.eq(m));
}

describe.each(DRIVERS)('searching the catalogue by price, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  let rival: TestTenant;
  /** Product IDs by code (ours), and other IDs by name. */
  const ids: Record<string, string> = {};
  const rivalIds: Record<string, string> = {};
  const tokens: Record<string, string> = {};

  const call = (token: string, method: string, path: string, body?: unknown) =>
    t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
  const ok = async (method: string, path: string, body?: unknown, token = acme.token) => {
    const r = await call(token, method, path, body);
    expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
    return r.body;
  };
  const post = async (path: string, body: unknown, token = acme.token) =>
    (await ok('POST', path, body, token)).id as string;
  const putEntries = async (list: string, prices: [string, string][], token = acme.token) => {
    const r = await call(token, 'PUT', `/api/v1/price-lists/${list}/entries`, {
      entries: prices.map(([sku, unit_price]) => ({ sku, breaks: [{ min_quantity: '1', unit_price }] })),
    });
    // Applied at once (200), not held for approval (202).
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  };

  const tokenOf = (who: string) =>
    who === 'staff' ? acme.token : who === 'rival' ? rival.token : (tokens[who] ?? '');
  /** A search as `who` (a buyer, `staff`, `rival`), on the storefront's host when `host`. */
  const raw = (who: string, query: string, host?: string) =>
    getWithHost(t.url, host, `/api/v1/catalog/search?${query}`, tokenOf(who));
  const search = async (who: string, query: string, host?: string): Promise<Json> => {
    const r = await raw(who, query, host);
    expect(r.status, `${who} GET search?${query}: ${JSON.stringify(r.body)}`).toBe(200);
    return r.body;
  };
  /** Every page of a search, following `next_cursor`. */
  const walk = async (who: string, query: string, host?: string) => {
    const pages: Json[] = [];
    let cursor: string | null = null;
    do {
      const body = await search(who, cursor ? `${query}&cursor=${encodeURIComponent(cursor)}` : query, host);
      pages.push(body);
      cursor = body.next_cursor;
      expect(pages.length, 'too many pages').toBeLessThan(60);
    } while (cursor);
    return { pages, hits: pages.flatMap((p) => p.data as Json[]) };
  };
  const codes = (hits: Json[]) => hits.map((h) => h.code as string);

  // ─── What each buyer should see ────────────────────────────────────────────────────────────

  /** The products `who` may see (active ones): Durand may not see HIDDEN. */
  const visibleCodes = (who: string) =>
    Object.keys(PUBLIC).filter((c) => !(who === 'durand' && c === 'HIDDEN'));
  /** `who`'s unit price of a product today, with the catalogue as set up in beforeAll. */
  const priceFor = (who: string, code: string) =>
    who === 'martin' && code === 'X-PERC' ? MARTIN_X : (PUBLIC[code] ?? null);
  /** IDs compared as the database compares them (byte order; they are lowercase ASCII). */
  const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  /**
   * The expected order: priced products by price (ascending for `price`, descending for `-price`),
   * ties by product ID ascending; then the unpriced ones, by product ID.
   */
  const expectedOrder = (
    entries: { code: string; id: string; price: string | null }[],
    sort: 'price' | '-price',
  ) => {
    const priced = entries.filter((e) => e.price !== null);
    const unpriced = entries.filter((e) => e.price === null);
    priced.sort((a, b) => {
      const c = dec(a.price!).cmp(dec(b.price!));
      return (sort === 'price' ? c : -c) || byId(a.id, b.id);
    });
    unpriced.sort((a, b) => byId(a.id, b.id));
    return [...priced, ...unpriced].map((e) => e.code);
  };
  const expected = (who: string, sort: 'price' | '-price', keep: (code: string) => boolean = () => true) =>
    expectedOrder(
      visibleCodes(who)
        .filter(keep)
        .map((code) => ({ code, id: ids[code]!, price: priceFor(who, code) })),
      sort,
    );
  /** Each hit carries `who`'s own price, in EUR (null when none). */
  const expectOwnPrices = (who: string, hits: Json[], prices: (code: string) => string | null) => {
    for (const h of hits) {
      const want = prices(h.code);
      if (want === null) expect(h.price, `${who}: ${h.code}`).toBeNull();
      else {
        expect(h.price?.unit_price?.currency, `${who}: ${h.code}`).toBe('EUR');
        expect(dec(amountOf(h) ?? 'NaN').eq(want), `${who}: ${h.code} at ${amountOf(h)}, not ${want}`).toBe(
          true,
        );
      }
    }
  };
  /** The order of a page sequence, read from the hits' own prices: priced (ordered), then unpriced. */
  const expectOrderedByOwnPrices = (hits: Json[], sort: 'price' | '-price') => {
    const firstUnpriced = hits.findIndex((h) => amountOf(h) === null);
    if (firstUnpriced >= 0)
      expect(
        hits.slice(firstUnpriced).every((h) => amountOf(h) === null),
        'unpriced hits last',
      ).toBe(true);
    for (let i = 1; i < hits.length; i++) {
      const [a, b] = [hits[i - 1], hits[i]];
      const [pa, pb] = [amountOf(a), amountOf(b)];
      if (pa === null || pb === null) {
        if (pa === null && pb === null) expect(byId(a.id, b.id), `${a.code} before ${b.code}`).toBe(-1);
        continue;
      }
      const c = dec(pa).cmp(dec(pb));
      expect(sort === 'price' ? c : -c, `${a.code} (${pa}) before ${b.code} (${pb})`).toBeLessThanOrEqual(0);
      if (c === 0) expect(byId(a.id, b.id), `tie ${a.code}/${b.code} by ID`).toBe(-1);
    }
  };

  /**
   * `facets.price` checked against the hits it describes (all of them, fetched on one page): currency,
   * min/max, unpriced count, ranges ascending, half-open, non-empty, at most 6, nice boundaries, the
   * first from null and the last to null, each priced hit in exactly one range and each range's count
   * the number of hits in it.
   */
  const expectPriceFacet = (body: Json, hits: Json[]) => {
    const f = body.facets.price;
    const prices = hits.map(amountOf).filter((p): p is string => p !== null);
    expect(prices.length, 'some hits are priced').toBeGreaterThan(0);
    expect(f, JSON.stringify(body.facets)).toBeTruthy();
    expect(f.currency).toBe('EUR');
    expect(f.unpriced).toBe(hits.length - prices.length);
    expect(dec(f.min).eq(Decimal.min(...prices)), `min ${f.min}`).toBe(true);
    expect(dec(f.max).eq(Decimal.max(...prices)), `max ${f.max}`).toBe(true);
    const ranges = f.ranges as { from: string | null; to: string | null; count: number }[];
    expect(ranges.length).toBeGreaterThanOrEqual(1);
    expect(ranges.length).toBeLessThanOrEqual(6);
    expect(ranges[0]!.from).toBeNull();
    expect(ranges.at(-1)!.to).toBeNull();
    expect(ranges.reduce((n, r) => n + r.count, 0)).toBe(prices.length);
    for (const [i, r] of ranges.entries()) {
      expect(r.count, JSON.stringify(r)).toBeGreaterThan(0);
      if (i > 0) expect(r.from, JSON.stringify(ranges)).not.toBeNull();
      if (i < ranges.length - 1) expect(r.to, JSON.stringify(ranges)).not.toBeNull();
      if (r.from !== null)
        expect(isNice(r.from), `nice boundary ${r.from} in ${JSON.stringify(ranges)}`).toBe(true);
      if (r.to !== null)
        expect(isNice(r.to), `nice boundary ${r.to} in ${JSON.stringify(ranges)}`).toBe(true);
      if (r.from !== null && r.to !== null) expect(dec(r.from).lt(r.to), JSON.stringify(r)).toBe(true);
      const next = ranges[i + 1];
      if (next && r.to !== null && next.from !== null)
        expect(dec(r.to).lte(next.from), JSON.stringify(ranges)).toBe(true);
    }
    const inRange = (p: string, r: { from: string | null; to: string | null }) =>
      (r.from === null || dec(p).gte(r.from)) && (r.to === null || dec(p).lt(r.to));
    for (const p of prices)
      expect(
        ranges.filter((r) => inRange(p, r)).length,
        `${p} in exactly one of ${JSON.stringify(ranges)}`,
      ).toBe(1);
    for (const r of ranges)
      expect(prices.filter((p) => inRange(p, r)).length, `count of ${JSON.stringify(r)}`).toBe(r.count);
    expect(body.price_scope).toEqual({ considered: hits.length, complete: true });
  };

  beforeAll(async () => {
    t = await startTestApp(driver);
    acme = await t.newTenant('Quincaillerie Prix');
    rival = await t.newTenant('Rival Prix');
    for (const [tenant, catalogue, out] of [
      [acme, PUBLIC, ids],
      [rival, RIVAL, rivalIds],
    ] as const) {
      const family = await post(
        '/api/v1/catalog/families',
        { code: 'articles', name: { fr: 'Articles' } },
        tenant.token,
      );
      out.family = family;
      out.category = await post(
        '/api/v1/catalog/categories',
        { code: 'quincaillerie', name: { fr: 'Quincaillerie' } },
        tenant.token,
      );
      for (const code of Object.keys(catalogue)) {
        out[code] = await post(
          '/api/v1/catalog/products',
          {
            code,
            family_id: family,
            status: 'active',
            name: { fr: nameOf(code) },
            category_ids: [out.category],
            variants: [{ sku: code }],
          },
          tenant.token,
        );
      }
      // A draft, priced lowest of all: never in a search.
      await post(
        '/api/v1/catalog/products',
        {
          code: 'DRAFT',
          family_id: family,
          status: 'draft',
          name: { fr: 'Article brouillon' },
          category_ids: [out.category],
          variants: [{ sku: 'DRAFT' }],
        },
        tenant.token,
      );
      const list = await post(
        '/api/v1/price-lists',
        { code: 'public', name: 'Tarif public', currency: 'EUR', targets: [{ kind: 'all' }] },
        tenant.token,
      );
      await putEntries(
        list,
        [
          ...Object.entries(catalogue).flatMap(([code, price]) => (price === null ? [] : [[code, price]])),
          ['DRAFT', '0.001'],
        ] as [string, string][],
        tenant.token,
      );
    }

    ids.shop = await post('/api/v1/storefronts', {
      code: 'prix',
      name: 'Boutique Prix',
      domains: [HOST],
      currencies: ['EUR'],
    });
    ids.dupont = await post('/api/v1/accounts', { name: 'Chantiers Dupont' });
    ids.martin = await post('/api/v1/accounts', { name: 'Bâtiment Martin' });
    ids.durand = await post('/api/v1/accounts', { name: 'Durand Rénovation' });
    ids.contract = await post('/api/v1/price-lists', {
      code: 'contrat-martin',
      name: 'Contrat Martin',
      currency: 'EUR',
      targets: [{ kind: 'account', id: ids.martin }],
    });
    await putEntries(ids.contract, [['X-PERC', MARTIN_X]]);
    // Durand may not see HIDDEN (the cheapest product of the public list).
    await post('/api/v1/visibility-rules', {
      subject_type: 'account',
      subject_id: ids.durand,
      target_type: 'product',
      target_id: ids.HIDDEN,
      effect: 'deny',
    });
    for (const who of ['dupont', 'martin', 'durand']) {
      const userId = await addUser(t, acme.tenantId, {
        email: `${who}-${Math.random().toString(36).slice(2, 8)}@example.com`,
        kind: 'buyer',
        accountId: ids[who]!,
        roles: ['buyer'],
      });
      tokens[who] = await runAsTenant(
        t.db,
        { tenantId: acme.tenantId },
        async (ctx) => (await createApiToken(ctx, { userId, name: who, scopes: ['*'] })).token,
      );
    }
    // Staff who read the catalogue but not prices.
    const clerk = await addUser(t, acme.tenantId, {
      email: `clerk-${Math.random().toString(36).slice(2, 8)}@example.com`,
      kind: 'staff',
      roles: ['customer_service'],
    });
    tokens.clerk = await runAsTenant(
      t.db,
      { tenantId: acme.tenantId },
      async (ctx) => (await createApiToken(ctx, { userId: clerk, name: 'clerk', scopes: ['*'] })).token,
    );
  });
  afterAll(() => t.close());

  // ─── 1. Each buyer's own order ─────────────────────────────────────────────────────────────

  it('two buyers of the same storefront each get the cheapest first by their own prices, asked again and again with the read cache on', async () => {
    expect(readCacheOf(t.db)?.live).toBe(true);
    const check = async (who: 'dupont' | 'martin', sort: 'price' | '-price', limit: number) => {
      const body = await search(who, `sort=${sort}&limit=${limit}`, HOST);
      const want = expected(who, sort).slice(0, limit);
      expect(codes(body.data), `${who} sort=${sort} limit=${limit}`).toEqual(want);
      expectOwnPrices(who, body.data, (c) => priceFor(who, c));
      expect(body.facets.price.currency).toBe('EUR');
      expect(dec(body.facets.price.min).eq(who === 'martin' ? MARTIN_X : '0.50'), `${who} min`).toBe(true);
      return body;
    };
    // Their orders differ: the drill is first for Martin, among the most expensive for Dupont.
    expect(expected('martin', 'price')[0]).toBe('X-PERC');
    expect(expected('dupont', 'price')[0]).toBe('HIDDEN');
    for (let round = 0; round < 3; round++) {
      for (const who of ['dupont', 'martin', 'dupont'] as const) {
        await check(who, 'price', 50);
        await check(who, 'price', 3);
        await check(who, '-price', 50);
        await check(who, '-price', 3);
      }
    }
    // Both at the same time, the cache emptied first (so that both compute at once), then from it:
    // each answer is its own buyer's order and prices.
    readCacheOf(t.db)?.invalidate(acme.tenantId);
    const together = (
      await Promise.all(
        [0, 1].map(() =>
          Promise.all(
            Array.from({ length: 8 }, (_, i) => (i % 2 ? 'martin' : 'dupont')).map(async (who) => ({
              who,
              body: await search(who, 'sort=price&limit=3', HOST),
            })),
          ),
        ),
      )
    ).flat();
    for (const { who, body } of together) {
      expect(codes(body.data), who).toEqual(expected(who, 'price').slice(0, 3));
      expectOwnPrices(who, body.data, (c) => priceFor(who, c));
    }
  }, 120_000);

  // ─── 2. Page after page ────────────────────────────────────────────────────────────────────

  it('cheapest or dearest first, walked three hits at a time: every product once, in order, unpriced last, ties by ID', async () => {
    for (const who of ['dupont', 'martin'] as const)
      for (const sort of ['price', '-price'] as const) {
        const { pages, hits } = await walk(who, `sort=${sort}&limit=3`, HOST);
        expect(codes(hits), `${who} sort=${sort}`).toEqual(expected(who, sort));
        expect(new Set(hits.map((h) => h.id)).size).toBe(hits.length);
        expectOwnPrices(who, hits, (c) => priceFor(who, c));
        expectOrderedByOwnPrices(hits, sort);
        expect(pages.length).toBe(Math.ceil(visibleCodes(who).length / 3));
        expect(pages[0].total).toBe(visibleCodes(who).length);
        for (const [i, p] of pages.entries()) {
          expect(p.data.length).toBeLessThanOrEqual(3);
          if (i > 0) expect(p.total).toBeNull();
          // Facets, the price facet with them, come with the first page only.
          if (i > 0) expect(p.facets).toBeNull();
          else expect(p.facets.price).not.toBeNull();
          expect(p.price_scope, `${who} sort=${sort} page ${i + 1}`).toEqual({
            considered: visibleCodes(who).length,
            complete: true,
          });
        }
      }
    // The ties are real: three products at 12.50 (one written 12.5), ordered by ID in both orders.
    const ties = ['A-01', 'A-04', 'A-12'].sort((a, b) => byId(ids[a]!, ids[b]!));
    for (const sort of ['price', '-price'] as const) {
      const order = expected('dupont', sort);
      const at = order.indexOf(ties[0]!);
      expect(order.slice(at, at + 3)).toEqual(ties);
    }
    // With a text query too: the words choose the hits, the prices their order.
    const { hits } = await walk('dupont', 'q=article&sort=price&limit=4&currency=EUR');
    expect(codes(hits)).toEqual(expected('dupont', 'price', (c) => c !== 'X-PERC'));
  }, 120_000);

  it('a cursor keeps its sort: refused for another one', async () => {
    const first = await search('dupont', 'sort=price&limit=3', HOST);
    expect(first.next_cursor).toBeTruthy();
    const cursor = encodeURIComponent(first.next_cursor);
    for (const other of ['-price', 'name', 'relevance']) {
      const r = await raw('dupont', `sort=${other}&limit=3&cursor=${cursor}`, HOST);
      expect(r.status, `${other}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.type).toMatch(/invalid-cursor$/);
      expect(r.body.errors.map((e: Json) => e.pointer)).toEqual(['/cursor']);
    }
    const byName = await search('dupont', 'sort=name&limit=3', HOST);
    const r = await raw(
      'dupont',
      `sort=price&limit=3&cursor=${encodeURIComponent(byName.next_cursor)}`,
      HOST,
    );
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: Json) => e.pointer)).toEqual(['/cursor']);
    // The same sort continues.
    expect((await raw('dupont', `sort=price&limit=3&cursor=${cursor}`, HOST)).status).toBe(200);
    // A cursor made up or altered (its price not one a price could be): refused, never a 500.
    const [mode, , id] = JSON.parse(Buffer.from(first.next_cursor, 'base64url').toString()).k;
    for (const k of [
      [mode, 'abc', id],
      [mode, '-1', id],
      [mode, '1.23456', id],
      [mode, '1e3', id],
      [mode, 12.5, id],
      [mode, '12.50', 42],
      ['z:price', '12.50', id],
    ]) {
      const forged = Buffer.from(JSON.stringify({ k })).toString('base64url');
      const r = await raw('dupont', `sort=price&limit=3&cursor=${forged}`, HOST);
      expect(r.status, `${JSON.stringify(k)}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.errors.map((e: Json) => e.pointer)).toEqual(['/cursor']);
    }
  });

  // ─── 3. Price bounds ───────────────────────────────────────────────────────────────────────

  it('price_min is inclusive, price_max exclusive, total counts what is kept, unpriced products are left out', async () => {
    const all = await search('dupont', 'limit=50&currency=EUR');
    const cases: { who: 'dupont' | 'martin'; q: string; min?: string; max?: string }[] = [
      { who: 'dupont', q: 'price_min=12.5&price_max=50' },
      { who: 'dupont', q: 'price_min=50' },
      { who: 'dupont', q: 'price_max=10' },
      { who: 'dupont', q: 'price_max=10.0000' },
      { who: 'dupont', q: 'price_min=9.99&price_max=10.01' },
      { who: 'dupont', q: 'price_min=7.1234&price_max=7.1235' },
      { who: 'dupont', q: 'price_min=7.1235' },
      { who: 'dupont', q: 'price_max=7.1234' },
      { who: 'dupont', q: 'price_min=0' },
      { who: 'dupont', q: 'price_min=1000' },
      { who: 'dupont', q: 'price_min=0.10&price_max=0.11' },
      { who: 'martin', q: 'price_min=0.10&price_max=0.11' },
      { who: 'martin', q: 'price_min=100' },
    ];
    for (const c of cases) {
      const p = new URLSearchParams(c.q);
      const min = p.get('price_min');
      const max = p.get('price_max');
      const keep = (code: string) => {
        const price = priceFor(c.who, code);
        return (
          price !== null && (min === null || dec(price).gte(min)) && (max === null || dec(price).lt(max))
        );
      };
      const label = `${c.who} ${c.q}`;
      // Relevance order, two at a time: the same set, counted by total.
      const byRelevance = await walk(c.who, `${c.q}&limit=2&currency=EUR`);
      expect(codes(byRelevance.hits).sort(), label).toEqual(visibleCodes(c.who).filter(keep).sort());
      expect(byRelevance.pages[0].total, label).toBe(visibleCodes(c.who).filter(keep).length);
      expect(byRelevance.pages[0].price_scope, label).toEqual({
        considered: visibleCodes(c.who).length,
        complete: true,
      });
      expectOwnPrices(c.who, byRelevance.hits, (code) => priceFor(c.who, code));
      // Cheapest first, on the storefront (its currency by default): the same, in price order.
      const byPrice = await walk(c.who, `${c.q}&limit=3&sort=price`, HOST);
      expect(codes(byPrice.hits), label).toEqual(expected(c.who, 'price', keep));
      expect(byPrice.pages[0].total, label).toBe(visibleCodes(c.who).filter(keep).length);
      const dearest = await walk(c.who, `${c.q}&limit=3&sort=-price`, HOST);
      expect(codes(dearest.hits), label).toEqual(expected(c.who, '-price', keep));
      // The price ranges stay all visible (the price facet ignores its own filter); the categories
      // count the hits in range.
      const unfiltered = c.who === 'dupont' ? all : await search(c.who, 'limit=50&currency=EUR');
      const filtered = byRelevance.pages[0];
      expect(filtered.facets.price, label).toEqual(unfiltered.facets.price);
      const kept = visibleCodes(c.who).filter(keep).length;
      expect(filtered.facets.categories, label).toEqual(
        kept ? unfiltered.facets.categories.map((x: Json) => ({ ...x, count: kept })) : [],
      );
    }
  }, 120_000);

  it('a price bound with another order (name, code, newest): the order asked for, page after page, only what is in range', async () => {
    const nameKey = (code: string) => nameOf(code).toLowerCase();
    const creation = Object.keys(PUBLIC);
    const orders: Record<string, (a: string, b: string) => number> = {
      name: (a, b) => byId(nameKey(a), nameKey(b)),
      '-name': (a, b) => byId(nameKey(b), nameKey(a)),
      code: (a, b) => byId(a, b),
      newest: (a, b) => creation.indexOf(b) - creation.indexOf(a),
    };
    for (const [sort, bounds] of [
      ['name', 'price_min=10'],
      ['-name', 'price_max=50'],
      ['code', 'price_min=3.5&price_max=100'],
      ['newest', 'price_min=1'],
      ['name', 'price_max=0.5'],
    ] as const) {
      const p = new URLSearchParams(bounds);
      const [min, max] = [p.get('price_min'), p.get('price_max')];
      const keep = (code: string) => {
        const price = priceFor('dupont', code);
        return (
          price !== null && (min === null || dec(price).gte(min)) && (max === null || dec(price).lt(max))
        );
      };
      const want = visibleCodes('dupont').filter(keep).sort(orders[sort]);
      const { pages, hits } = await walk('dupont', `sort=${sort}&${bounds}&limit=2`, HOST);
      expect(codes(hits), `sort=${sort}&${bounds}`).toEqual(want);
      expect(pages[0].total, `sort=${sort}&${bounds}`).toBe(want.length);
      expectOwnPrices('dupont', hits, (c) => priceFor('dupont', c));
      for (const page of pages) expect(page.price_scope).toEqual({ considered: 17, complete: true });
    }
    // With a text query as well: its hits, in range.
    const { hits } = await walk('dupont', 'q=article&price_max=10&limit=2', HOST);
    expect(codes(hits).sort()).toEqual(['A-02', 'A-07', 'A-10', 'HIDDEN']);
  }, 120_000);

  // ─── 4. The price facet ────────────────────────────────────────────────────────────────────

  it('the price facet adds up: ranges ascending and half-open, every priced product in one, unpriced counted apart', async () => {
    for (const [who, host, currency] of [
      ['dupont', HOST, ''],
      ['martin', HOST, ''],
      ['dupont', undefined, '&currency=EUR'],
      ['staff', undefined, '&currency=EUR'],
    ] as const) {
      const body = await search(who, `limit=50${currency}`, host);
      expect(body.next_cursor).toBeNull();
      expect(body.total).toBe(body.data.length);
      expect(codes(body.data).sort()).toEqual(visibleCodes(who).sort());
      expectOwnPrices(who, body.data, (c) => priceFor(who, c));
      expectPriceFacet(body, body.data);
      expect(body.facets.price.unpriced).toBe(3);
    }
    // Martin's facet starts at his contract price; Dupont's at the public list's lowest.
    expect((await search('martin', 'limit=50', HOST)).facets.price.min).toMatch(/^0\.10*$/);
    // The facet describes the whole search, not the page: the same on a page of three.
    const small = await search('dupont', 'limit=3', HOST);
    expect(small.facets.price).toEqual((await search('dupont', 'limit=50', HOST)).facets.price);
    expect(small.price_scope).toEqual({ considered: 17, complete: true });
    // With a text query: over its hits only.
    const articles = await search('dupont', 'q=article&limit=50', HOST);
    expect(articles.total).toBe(16);
    expectPriceFacet(articles, articles.data);
    expect(dec(articles.facets.price.max).eq('812.00')).toBe(true);
    const drills = await search('dupont', 'q=perceuse&limit=50', HOST);
    expect(codes(drills.data)).toEqual(['X-PERC']);
    expectPriceFacet(drills, drills.data);
    expect(drills.facets.price.ranges).toEqual([{ from: null, to: null, count: 1 }]);
    // Nothing priced among the hits, or no prices for the caller (staff without a currency): no facet.
    const jigs = await search('dupont', 'q=gabarit&limit=50', HOST);
    expect(codes(jigs.data).sort()).toEqual(['N-01', 'N-02', 'N-03']);
    expect(jigs.facets.price).toBeNull();
    const staff = await search('staff', 'limit=50');
    expect(staff.total).toBe(17);
    expect(staff.facets.price).toBeNull();
    // A currency no list is in: nothing priced, so no facet; a price sort is then the ID order, and a
    // bound keeps nothing.
    const dollars = await search('staff', 'limit=50&currency=USD');
    expect(dollars.data.every((h: Json) => h.price === null)).toBe(true);
    expect(dollars.facets.price).toBeNull();
    const byPrice = await walk('staff', 'sort=price&limit=5&currency=USD');
    expect(byPrice.hits.map((h) => h.id)).toEqual(
      Object.keys(PUBLIC)
        .map((c) => ids[c]!)
        .sort(byId),
    );
    expect(byPrice.pages[0].total).toBe(17);
    const bounded = await search('staff', 'price_min=0&currency=USD');
    expect([bounded.total, bounded.data.length]).toEqual([0, 0]);
  }, 120_000);

  it('within a price range, brands and categories count the hits in range, by each buyer’s prices; the price facet stays the whole search’s', async () => {
    const brand = await post('/api/v1/catalog/brands', { code: 'forge', name: 'Forge' });
    const branded = ['A-01', 'A-05', 'A-09', 'X-PERC'];
    for (const c of branded) await ok('PATCH', `/api/v1/catalog/products/${ids[c]}`, { brand_id: brand });
    try {
      for (const [who, min, max] of [
        ['dupont', '10', '100'],
        ['martin', '0', '1'],
        ['dupont', '0', '1'],
        ['martin', '10', '100'],
      ] as const) {
        const all = await search(who, 'limit=50', HOST);
        const query = `limit=50&price_min=${min}&price_max=${max}`;
        const ranged = await search(who, query, HOST);
        const inRange = visibleCodes(who).filter((c) => {
          const p = priceFor(who, c);
          return p !== null && dec(p).gte(min) && dec(p).lt(max);
        });
        expect(codes(ranged.data).sort(), `${who} ${query}`).toEqual([...inRange].sort());
        expect(ranged.facets.price, `${who} ${query}`).toEqual(all.facets.price);
        const inBrand = branded.filter((c) => inRange.includes(c)).length;
        expect(ranged.facets.brands, `${who} ${query}`).toEqual(
          inBrand ? [{ id: brand, name: 'Forge', count: inBrand }] : [],
        );
        expect(
          ranged.facets.categories.map((c: Json) => [c.id, c.count]),
          `${who} ${query}`,
        ).toEqual(inRange.length ? [[ids.category, inRange.length]] : []);
        // Asked again (the held prices and their counts): the same answer.
        expect(await search(who, query, HOST)).toEqual(ranged);
      }
      // Martin's contract price puts the drill in his cheap range, not in Dupont's.
      expect((await search('martin', 'price_min=0&price_max=1', HOST)).facets.brands).toEqual([
        { id: brand, name: 'Forge', count: 1 },
      ]);
    } finally {
      for (const c of branded) await ok('PATCH', `/api/v1/catalog/products/${ids[c]}`, { brand_id: null });
    }
  }, 120_000);

  it('price_facet=false: the same hits, prices and other counts, without the price facet; a price sort still sorts', async () => {
    const full = await search('dupont', 'limit=5', HOST);
    const lean = await search('dupont', 'limit=5&price_facet=false', HOST);
    expect(lean.facets.price).toBeNull();
    expect(lean.price_scope).toBeNull();
    expect(lean.data).toEqual(full.data);
    expect(lean.total).toBe(full.total);
    expect({ ...lean.facets, price: 'x' }).toEqual({ ...full.facets, price: 'x' });
    // Asked again (from the read cache this time), the same answer; with the facet again, the facet.
    expect(await search('dupont', 'limit=5&price_facet=false', HOST)).toEqual(lean);
    expect((await search('dupont', 'limit=5&price_facet=true', HOST)).facets.price).toEqual(
      full.facets.price,
    );
    const sorted = await search('dupont', 'sort=price&limit=50&price_facet=false', HOST);
    expect(codes(sorted.data)).toEqual(expected('dupont', 'price'));
    expect(sorted.facets.price).toBeNull();
    const r = await raw('dupont', 'price_facet=perhaps', HOST);
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('/price_facet');
  }, 120_000);

  // ─── 5. Hidden products ────────────────────────────────────────────────────────────────────

  it('a product hidden from a buyer is never counted in the price facet nor returned under a price sort, cached or not', async () => {
    for (let round = 0; round < 2; round++) {
      // Others who see it search first (their pages cached), then Durand, then the others again.
      for (const who of ['dupont', 'durand', 'martin', 'durand'] as const) {
        const all = await search(who, 'limit=50', HOST);
        const sees = who !== 'durand';
        expect(codes(all.data).includes('HIDDEN'), who).toBe(sees);
        expectPriceFacet(all, all.data);
        expect(all.facets.price.ranges.reduce((n: number, r: Json) => n + r.count, 0)).toBe(sees ? 14 : 13);
        if (!sees) expect(dec(all.facets.price.min).eq('3.50')).toBe(true);
        for (const sort of ['price', '-price'] as const) {
          const { hits } = await walk(who, `sort=${sort}&limit=4`, HOST);
          expect(codes(hits), `${who} sort=${sort}`).toEqual(expected(who, sort));
        }
        const cheap = await search(who, 'sort=price&price_max=1&limit=10', HOST);
        const wanted = who === 'martin' ? ['X-PERC', 'HIDDEN'] : sees ? ['HIDDEN'] : [];
        expect(codes(cheap.data), who).toEqual(wanted);
        expect(cheap.total, who).toBe(wanted.length);
        expect(cheap.price_scope, who).toEqual({ considered: sees ? 17 : 16, complete: true });
      }
    }
  }, 120_000);

  // ─── 6. Bad input ──────────────────────────────────────────────────────────────────────────

  it('refuses a bad price bound or a price sort without prices: 400 naming the field, never a 500', async () => {
    const refused = async (who: string, query: string, pointer: string, host?: string) => {
      const r = await raw(who, query, host);
      expect(r.status, `${who} ${query}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.type, query).toMatch(/validation-error$/);
      expect(
        (r.body.errors ?? []).map((e: Json) => e.pointer),
        `${who} ${query}: ${JSON.stringify(r.body)}`,
      ).toContain(pointer);
      return r.body;
    };
    for (const [query, pointer] of [
      ['price_min=-1', '/price_min'],
      ['price_min=1.23456', '/price_min'],
      ['price_max=1.23456', '/price_max'],
      ['price_min=10&price_max=5', '/price_max'],
      ['price_min=10&price_max=10', '/price_max'],
      ['price_min=10.00&price_max=10', '/price_max'],
      ['price_min=abc', '/price_min'],
      ['price_max=abc', '/price_max'],
      ['price_min=1e3', '/price_min'],
      ['price_min=', '/price_min'],
      ['price_min=%201', '/price_min'],
      ['price_min=1234567890123', '/price_min'],
      ['price_max=0x10', '/price_max'],
      ['sort=cheapest', '/sort'],
    ]) {
      await refused('dupont', `${query}&currency=EUR`, pointer!);
      await refused('dupont', query!, pointer!, HOST);
      await refused('staff', `${query}&currency=EUR`, pointer!);
    }
    // Staff searching outside a storefront without a currency get no prices: no price sort or bound.
    for (const [query, pointer] of [
      ['sort=price', '/sort'],
      ['sort=-price', '/sort'],
      ['price_min=1', '/price_min'],
      ['price_max=1', '/price_max'],
    ] as const) {
      const body = await refused('staff', query, pointer);
      expect(body.errors.find((e: Json) => e.pointer === pointer).detail, query).toMatch(/pric/i);
    }
    // Staff who may read the catalogue but not prices: the same, even with a currency.
    for (const [query, pointer] of [
      ['sort=price&currency=EUR', '/sort'],
      ['price_min=1&currency=EUR', '/price_min'],
    ] as const)
      await refused('clerk', query, pointer);
    // Not refused: the largest bound the pattern allows, and 4 decimals.
    expect(
      (await raw('dupont', 'price_min=0.0001&price_max=999999999999.9999&sort=price', HOST)).status,
    ).toBe(200);
    expect((await raw('staff', 'sort=price&currency=EUR')).status).toBe(200);
    expect((await raw('clerk', 'sort=name')).status).toBe(200);
  }, 120_000);

  it('a buyer with no storefront and no currency gets no prices: a price sort or bound is refused too', async () => {
    // "when the caller gets no prices": this buyer's hits are priced nowhere (no currency to price in).
    const priceless = await search('dupont', 'limit=50');
    expect(priceless.data.every((h: Json) => h.price === null)).toBe(true);
    for (const [query, pointer] of [
      ['sort=price', '/sort'],
      ['price_max=100', '/price_max'],
    ] as const) {
      const r = await raw('dupont', query);
      expect(r.status, `${query}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.errors.map((e: Json) => e.pointer)).toContain(pointer);
    }
  });

  // ─── 7. Changes through the API ────────────────────────────────────────────────────────────

  it('a promotion or a price list created through the API changes the order at the next search', async () => {
    const cheapest = async (who: string) => codes((await search(who, 'sort=price&limit=3', HOST)).data);
    expect(await cheapest('dupont')).toEqual(expected('dupont', 'price').slice(0, 3));
    expect(await cheapest('martin')).toEqual(expected('martin', 'price').slice(0, 3));
    // 99.95 % off A-03 (100.00 → 0.05): the cheapest of all, for everyone.
    const promo = await post('/api/v1/promotions', {
      name: 'Déstockage',
      skus: ['A-03'],
      discount: { kind: 'percent', percent: '99.95' },
    });
    for (const who of ['dupont', 'martin'] as const) {
      const body = await search(who, 'sort=price&limit=3', HOST);
      expect(codes(body.data)[0], who).toBe('A-03');
      expect(dec(amountOf(body.data[0])!).eq('0.05'), who).toBe(true);
      expect(dec(body.facets.price.min).eq('0.05'), who).toBe(true);
      const dearest = await walk(who, 'sort=-price&limit=5', HOST);
      expect(codes(dearest.hits).indexOf('A-03'), who).toBe(13);
      expect((await search(who, 'price_max=0.06&limit=10', HOST)).total, who).toBe(1);
    }
    expect((await call(acme.token, 'DELETE', `/api/v1/promotions/${promo}`)).status).toBeLessThan(300);
    expect(await cheapest('dupont')).toEqual(expected('dupont', 'price').slice(0, 3));
    // A contract list for Dupont pricing N-01 at 0.20: out of the unpriced tail, first — for Dupont only.
    const list = await post('/api/v1/price-lists', {
      code: 'contrat-dupont',
      name: 'Contrat Dupont',
      currency: 'EUR',
      targets: [{ kind: 'account', id: ids.dupont }],
    });
    await putEntries(list, [['N-01', '0.20']]);
    const dupont = await search('dupont', 'sort=price&limit=50', HOST);
    expect(codes(dupont.data)[0]).toBe('N-01');
    expect(dupont.facets.price.unpriced).toBe(2);
    const martin = await search('martin', 'sort=price&limit=50', HOST);
    expect(codes(martin.data)).toEqual(expected('martin', 'price'));
    expect(martin.facets.price.unpriced).toBe(3);
    expect((await call(acme.token, 'DELETE', `/api/v1/price-lists/${list}`)).status).toBeLessThan(300);
    expect(codes((await search('dupont', 'sort=price&limit=50', HOST)).data)).toEqual(
      expected('dupont', 'price'),
    );
  }, 120_000);

  it('a group discount level reaches a buyer when their account joins the group, at the next search', async () => {
    const group = await post('/api/v1/customer-groups', { code: 'pros', name: 'Professionnels' });
    const discount = await post('/api/v1/group-discounts', { group_id: group, percent: '50' });
    // Half the public price; the drill's contract price is net (no group discount on it).
    const half = (code: string) =>
      code === 'X-PERC' ? MARTIN_X : PUBLIC[code] == null ? null : dec(PUBLIC[code]!).div(2).toFixed();
    const halfOrder = (sort: 'price' | '-price') =>
      expectedOrder(
        visibleCodes('martin').map((code) => ({ code, id: ids[code]!, price: half(code) })),
        sort,
      );
    // No member yet: nothing changes.
    const before = await search('martin', 'sort=-price&limit=50', HOST);
    expect(codes(before.data)).toEqual(expected('martin', '-price'));
    expectOwnPrices('martin', before.data, (c) => priceFor('martin', c));
    await ok('POST', `/api/v1/customer-groups/${group}/members`, { account_id: ids.martin });
    for (const sort of ['price', '-price'] as const) {
      const { hits } = await walk('martin', `sort=${sort}&limit=4`, HOST);
      expect(codes(hits), `martin sort=${sort}`).toEqual(halfOrder(sort));
      expectOwnPrices('martin', hits, half);
    }
    const all = await search('martin', 'limit=50', HOST);
    expectPriceFacet(all, all.data);
    expect(dec(all.facets.price.max).eq('406')).toBe(true);
    const cheap = await search('martin', 'sort=price&price_max=2&limit=10', HOST);
    expect(codes(cheap.data)).toEqual(['X-PERC', 'HIDDEN', 'A-02']);
    expect(cheap.total).toBe(3);
    // Dupont, of no group, keeps the public prices and order.
    const dupont = await search('dupont', 'sort=-price&limit=50', HOST);
    expect(codes(dupont.data)).toEqual(expected('dupont', '-price'));
    expectOwnPrices('dupont', dupont.data, (c) => priceFor('dupont', c));
    expect((await call(acme.token, 'DELETE', `/api/v1/group-discounts/${discount}`)).status).toBeLessThan(
      300,
    );
    const after = await search('martin', 'sort=-price&limit=50', HOST);
    expect(codes(after.data)).toEqual(expected('martin', '-price'));
    expectOwnPrices('martin', after.data, (c) => priceFor('martin', c));
  }, 120_000);

  it('the hit set is priced with each product’s category path: the deepest category’s discount level wins, as on the page', async () => {
    // Outillage > Visseuses: 10 % for the group on the whole of Outillage, 40 % on Visseuses. A
    // screwdriver in Visseuses pays 60.00 (the deeper level wins), one in Outillage only 90.00. The
    // sort and the bounds compare the hit set's prices; each hit's `price` comes from the page's own
    // resolution: they must agree.
    const root = await post('/api/v1/catalog/categories', { code: 'outillage', name: { fr: 'Outillage' } });
    const child = await post('/api/v1/catalog/categories', {
      code: 'visseuses',
      name: { fr: 'Visseuses' },
      parent_id: root,
    });
    const made: string[] = [];
    for (const [code, category] of [
      ['VIS-ENFANT', child],
      ['VIS-RACINE', root],
    ] as const)
      made.push(
        await post('/api/v1/catalog/products', {
          code,
          family_id: ids.family,
          status: 'active',
          name: { fr: `Visseuse ${code}` },
          category_ids: [category],
          variants: [{ sku: code }],
        }),
      );
    const list = await post('/api/v1/price-lists', {
      code: 'visseuses',
      name: 'Visseuses',
      currency: 'EUR',
      targets: [{ kind: 'all' }],
    });
    await putEntries(list, [
      ['VIS-ENFANT', '100.00'],
      ['VIS-RACINE', '100.00'],
    ]);
    const group = await post('/api/v1/customer-groups', { code: 'outilleurs', name: 'Outilleurs' });
    await ok('POST', `/api/v1/customer-groups/${group}/members`, { account_id: ids.martin });
    const levels = [
      await post('/api/v1/group-discounts', { group_id: group, percent: '10', category_ids: [root] }),
      await post('/api/v1/group-discounts', { group_id: group, percent: '40', category_ids: [child] }),
    ];
    try {
      for (const round of [1, 2]) {
        const cheapest = await search('martin', 'q=visseuse&sort=price', HOST);
        expect(codes(cheapest.data), `round ${round}`).toEqual(['VIS-ENFANT', 'VIS-RACINE']);
        expect(cheapest.data.map(amountOf).map((a: string) => dec(a).toFixed(2))).toEqual(['60.00', '90.00']);
        expect(codes((await search('martin', 'q=visseuse&sort=-price', HOST)).data)).toEqual([
          'VIS-RACINE',
          'VIS-ENFANT',
        ]);
        expect(codes((await search('martin', 'q=visseuse&price_max=70', HOST)).data)).toEqual(['VIS-ENFANT']);
        expect(codes((await search('martin', 'q=visseuse&price_min=70', HOST)).data)).toEqual(['VIS-RACINE']);
        const facet = (await search('martin', 'q=visseuse', HOST)).facets.price;
        expect([dec(facet.min).toFixed(2), dec(facet.max).toFixed(2)]).toEqual(['60.00', '90.00']);
      }
      // Dupont, of no group, pays 100.00 for both.
      const dupont = await search('dupont', 'q=visseuse&price_min=100&price_max=100.0001', HOST);
      expect(codes(dupont.data).sort()).toEqual(['VIS-ENFANT', 'VIS-RACINE']);
    } finally {
      for (const id of levels) await call(acme.token, 'DELETE', `/api/v1/group-discounts/${id}`);
      await call(acme.token, 'DELETE', `/api/v1/customer-groups/${group}/members/${ids.martin}`);
      for (const id of made) await ok('PATCH', `/api/v1/catalog/products/${id}`, { status: 'discontinued' });
      await call(acme.token, 'DELETE', `/api/v1/price-lists/${list}`);
    }
  }, 120_000);

  it('a product made free by a promotion is the cheapest, and a bound from 0 keeps it', async () => {
    const promo = await post('/api/v1/promotions', {
      name: 'Offert',
      skus: ['A-02'],
      discount: { kind: 'percent', percent: '100' },
    });
    try {
      const body = await search('dupont', 'sort=price&limit=50', HOST);
      expect(codes(body.data)[0]).toBe('A-02');
      expect(dec(amountOf(body.data[0])!).eq(0)).toBe(true);
      expectPriceFacet(body, body.data);
      expect(dec(body.facets.price.min).eq(0)).toBe(true);
      expect(codes((await search('dupont', 'price_min=0&price_max=0.0001', HOST)).data)).toEqual(['A-02']);
      expect(codes((await search('dupont', 'price_max=0.0001', HOST)).data)).toEqual(['A-02']);
      expect(codes((await search('dupont', 'price_min=0.0001&price_max=0.6', HOST)).data)).toEqual([
        'HIDDEN',
      ]);
      const dearest = await walk('dupont', 'sort=-price&limit=5', HOST);
      expect(codes(dearest.hits).indexOf('A-02')).toBe(13);
    } finally {
      await call(acme.token, 'DELETE', `/api/v1/promotions/${promo}`);
    }
    expect(codes((await search('dupont', 'sort=price&limit=50', HOST)).data)).toEqual(
      expected('dupont', 'price'),
    );
  });

  // ─── 8. Tenants ────────────────────────────────────────────────────────────────────────────

  it("another tenant's products and prices never appear, and ours never appear to it", async () => {
    const rivalHits = (await walk('rival', 'sort=price&limit=2&currency=EUR')).hits;
    const rivalExpected = expectedOrder(
      Object.keys(RIVAL).map((code) => ({ code, id: rivalIds[code]!, price: RIVAL[code] ?? null })),
      'price',
    );
    expect(codes(rivalHits)).toEqual(rivalExpected);
    expect(rivalHits.every((h: Json) => Object.values(rivalIds).includes(h.id))).toBe(true);
    expectOwnPrices('rival', rivalHits, (c) => RIVAL[c] ?? null);
    const rivalAll = await search('rival', 'limit=50&currency=EUR');
    expectPriceFacet(rivalAll, rivalAll.data);
    expect(dec(rivalAll.facets.price.max).eq('5.00')).toBe(true);
    const rivalDearest = await search('rival', 'sort=-price&limit=50&currency=EUR');
    expect(codes(rivalDearest.data)).toEqual(
      expectedOrder(
        Object.keys(RIVAL).map((code) => ({ code, id: rivalIds[code]!, price: RIVAL[code] ?? null })),
        '-price',
      ),
    );
    expect((await search('rival', 'sort=price&price_min=100&currency=EUR')).total).toBe(0);
    // Ours: none of theirs, not their 0.01 nor their price of A-01.
    const ours = await search('staff', 'sort=price&limit=50&currency=EUR');
    expect(ours.data.some((h: Json) => Object.values(rivalIds).includes(h.id))).toBe(false);
    expect(codes(ours.data)).toEqual(
      expectedOrder(
        Object.keys(PUBLIC).map((code) => ({ code, id: ids[code]!, price: PUBLIC[code] ?? null })),
        'price',
      ),
    );
    expect(dec(ours.facets.price.min).eq('0.50')).toBe(true);
    expect((await search('staff', 'price_max=0.02&currency=EUR')).total).toBe(0);
  });

  // ─── 9. Dates ──────────────────────────────────────────────────────────────────────────────

  it('a storefront list starting a few seconds later changes the order when it starts, with no write', async () => {
    const start = new Date(Date.now() + 4000);
    const list = await post('/api/v1/price-lists', {
      code: 'flash',
      name: 'Vente flash',
      currency: 'EUR',
      valid_from: start.toISOString(),
      targets: [{ kind: 'storefront', id: ids.shop }],
    });
    // A-09, the dearest product (812.00), at 0.05 from `start`.
    await putEntries(list, [['A-09', '0.05']]);
    const before = await search('dupont', 'sort=price&limit=50', HOST);
    expect(Date.now(), 'the set-up took too long to see the list before it starts').toBeLessThan(
      start.getTime(),
    );
    expect(codes(before.data)).toEqual(expected('dupont', 'price'));
    expect(dec(before.facets.price.max).eq('812.00')).toBe(true);
    // Asked again while it has not started: cached, still the old order.
    expect(codes((await search('dupont', 'sort=-price&limit=3', HOST)).data)[0]).toBe('A-09');
    while (Date.now() <= start.getTime()) await new Promise((r) => setTimeout(r, 100));
    let last: Json = null;
    const started = await eventually(async () => {
      last = await search('dupont', 'sort=price&limit=3', HOST);
      return codes(last.data)[0] === 'A-09';
    });
    expect(started, `still ${JSON.stringify(codes(last?.data ?? []))} after the list started`).toBe(true);
    expect(dec(amountOf(last.data[0])!).eq('0.05')).toBe(true);
    const after = await search('dupont', 'sort=price&limit=50', HOST);
    expect(codes(after.data)).toEqual(['A-09', ...expected('dupont', 'price').filter((c) => c !== 'A-09')]);
    expect(dec(after.facets.price.min).eq('0.05')).toBe(true);
    expect(dec(after.facets.price.max).eq('250.00')).toBe(true);
    expect(codes((await search('dupont', 'sort=-price&limit=3', HOST)).data)[0]).toBe('A-11');
    expect((await search('dupont', 'price_min=500&limit=10', HOST)).total).toBe(0);
    // Not on the storefront (no storefront list applies): the public price still.
    const offShop = await search('dupont', 'sort=-price&limit=3&currency=EUR');
    expect(codes(offShop.data)[0]).toBe('A-09');
    expect((await call(acme.token, 'DELETE', `/api/v1/price-lists/${list}`)).status).toBeLessThan(300);
  });

  it('a promotion ending a few seconds later stops changing the order when it ends, with no write', async () => {
    const end = new Date(Date.now() + 4000);
    // A-11 (250.00) at 0.05 until `end`.
    const promo = await post('/api/v1/promotions', {
      name: 'Flash',
      skus: ['A-11'],
      discount: { kind: 'percent', percent: '99.98' },
      valid_to: end.toISOString(),
    });
    const during = await search('dupont', 'sort=price&limit=3', HOST);
    const filtered = await search('dupont', 'price_max=0.06&limit=10', HOST);
    expect(Date.now(), 'the set-up took too long to see the promotion before it ends').toBeLessThan(
      end.getTime(),
    );
    expect(codes(during.data)[0]).toBe('A-11');
    expect(dec(amountOf(during.data[0])!).eq('0.05')).toBe(true);
    expect(codes(filtered.data)).toEqual(['A-11']);
    while (Date.now() <= end.getTime()) await new Promise((r) => setTimeout(r, 100));
    let last: Json = null;
    const ended = await eventually(async () => {
      last = await search('dupont', 'sort=price&limit=50', HOST);
      return codes(last.data).indexOf('A-11') === expected('dupont', 'price').indexOf('A-11');
    });
    expect(ended, `still ${JSON.stringify(codes(last?.data ?? []))} after the promotion ended`).toBe(true);
    expect(codes(last.data)).toEqual(expected('dupont', 'price'));
    expectOwnPrices('dupont', last.data, (c) => priceFor('dupont', c));
    expect((await search('dupont', 'price_max=0.06&limit=10', HOST)).total).toBe(0);
    expect(dec((await search('dupont', 'limit=3', HOST)).facets.price.min).eq('0.50')).toBe(true);
    expect((await call(acme.token, 'DELETE', `/api/v1/promotions/${promo}`)).status).toBeLessThan(300);
  });

  // ─── The price of a product: its first variant, at its minimum order quantity ──────────────

  it('a product is placed by the price of its first variant at its minimum order quantity', async () => {
    const product = (code: string, variants: Record<string, unknown>[]) =>
      post('/api/v1/catalog/products', {
        code,
        family_id: ids.family,
        status: 'active',
        name: { fr: `Article ${code}` },
        category_ids: [ids.category],
        variants,
      });
    const moq = await product('MOQ', [{ sku: 'MOQ-10', min_order_qty: 10 }]);
    const multi = await product('MULTI', [{ sku: 'MULTI-A' }, { sku: 'MULTI-B' }]);
    const list = await post('/api/v1/price-lists', {
      code: 'complements',
      name: 'Compléments',
      currency: 'EUR',
      targets: [{ kind: 'all' }],
    });
    const r = await call(acme.token, 'PUT', `/api/v1/price-lists/${list}/entries`, {
      entries: [
        // 500.00 each below 10, 0.03 from 10 — sold by 10 at least.
        {
          sku: 'MOQ-10',
          breaks: [
            { min_quantity: '1', unit_price: '500.00' },
            { min_quantity: '10', unit_price: '0.03' },
          ],
        },
        { sku: 'MULTI-A', breaks: [{ min_quantity: '1', unit_price: '300.00' }] },
        { sku: 'MULTI-B', breaks: [{ min_quantity: '1', unit_price: '0.02' }] },
      ],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const cheapest = await search('dupont', 'sort=price&limit=2', HOST);
    expect(codes(cheapest.data)).toEqual(['MOQ', 'HIDDEN']);
    expect(cheapest.data[0].price).toMatchObject({ sku: 'MOQ-10', quantity: '10' });
    expect(dec(amountOf(cheapest.data[0])!).eq('0.03')).toBe(true);
    expect(dec(cheapest.facets.price.min).eq('0.03')).toBe(true);
    const dearest = await search('dupont', 'sort=-price&limit=3', HOST);
    expect(codes(dearest.data)).toEqual(['A-09', 'MULTI', 'A-11']);
    expect(dearest.data[1].price.sku).toBe('MULTI-A');
    expect(dec(amountOf(dearest.data[1])!).eq('300.00')).toBe(true);
    expect(codes((await search('dupont', 'price_min=0.02&price_max=0.03', HOST)).data)).toEqual([]);
    expect(codes((await search('dupont', 'price_min=0.03&price_max=0.04', HOST)).data)).toEqual(['MOQ']);
    expect(codes((await search('dupont', 'price_min=300&price_max=300.0001', HOST)).data)).toEqual(['MULTI']);
    // The second variant moved first: the product is placed by it at the next search, on the page
    // and in the facet alike.
    const variantOf = async (productId: string, sku: string) =>
      ((await ok('GET', `/api/v1/catalog/products/${productId}`)).variants as Json[]).find(
        (v) => v.sku === sku,
      )!.id as string;
    await ok('PATCH', `/api/v1/catalog/variants/${await variantOf(multi, 'MULTI-A')}`, { position: 5 });
    const reordered = await search('dupont', 'sort=price&limit=2', HOST);
    expect(codes(reordered.data)).toEqual(['MULTI', 'MOQ']);
    expect(reordered.data[0].price.sku).toBe('MULTI-B');
    expect(dec(reordered.facets.price.min).eq('0.02')).toBe(true);
    // Sold by the unit now: priced at 1, where the list says 500.00.
    await ok('PATCH', `/api/v1/catalog/variants/${await variantOf(moq, 'MOQ-10')}`, { min_order_qty: 1 });
    const byUnit = await search('dupont', 'sort=-price&limit=2', HOST);
    expect(codes(byUnit.data)).toEqual(['A-09', 'MOQ']);
    expect(byUnit.data[1].price).toMatchObject({ sku: 'MOQ-10', quantity: '1' });
    expect(dec(amountOf(byUnit.data[1])!).eq('500.00')).toBe(true);
    expect(codes((await search('dupont', 'price_min=500&price_max=501', HOST)).data)).toEqual(['MOQ']);
    // Out of the assortment again.
    for (const id of [moq, multi])
      await ok('PATCH', `/api/v1/catalog/products/${id}`, { status: 'discontinued' });
    expect((await call(acme.token, 'DELETE', `/api/v1/price-lists/${list}`)).status).toBeLessThan(300);
    expect(codes((await search('dupont', 'sort=price&limit=50', HOST)).data)).toEqual(
      expected('dupont', 'price'),
    );
  }, 120_000);

  it('the price ranges keep round boundaries even when the prices are close together', async () => {
    // No 1, 2, 2.5 or 5 × 10^k lies in (3.50, 3.60]: one range for both, or round boundaries anyway.
    const FIXINGS: [string, string][] = [
      ['CHEV-1', '3.50'],
      ['CHEV-2', '3.60'],
      ['CLOU-1', '3.50'],
      ['CLOU-2', '5.10'],
    ];
    const made: string[] = [];
    for (const [code] of FIXINGS)
      made.push(
        await post('/api/v1/catalog/products', {
          code,
          family_id: ids.family,
          status: 'active',
          name: { fr: code.startsWith('CHEV') ? `Cheville ${code}` : `Clou ${code}` },
          category_ids: [ids.category],
          variants: [{ sku: code }],
        }),
      );
    const list = await post('/api/v1/price-lists', {
      code: 'fixations',
      name: 'Fixations',
      currency: 'EUR',
      targets: [{ kind: 'all' }],
    });
    await putEntries(list, FIXINGS);
    try {
      const nails = await search('dupont', 'q=clou&limit=50', HOST);
      expect(codes(nails.data).sort()).toEqual(['CLOU-1', 'CLOU-2']);
      expectPriceFacet(nails, nails.data);
      const anchors = await search('dupont', 'q=cheville&limit=50', HOST);
      expect(codes(anchors.data).sort()).toEqual(['CHEV-1', 'CHEV-2']);
      expectPriceFacet(anchors, anchors.data);
    } finally {
      for (const id of made) await ok('PATCH', `/api/v1/catalog/products/${id}`, { status: 'discontinued' });
      await call(acme.token, 'DELETE', `/api/v1/price-lists/${list}`);
    }
  }, 120_000);

  // ─── Beyond PRICE_SAMPLE hits ──────────────────────────────────────────────────────────────

  describe('beyond 2,000 hits', () => {
    const N = 2050;
    const SAMPLE = 2000;
    /** Product code → price (null: unpriced), and the IDs. */
    const bigPrices: Record<string, string | null> = {};
    const bigIds: Record<string, string> = {};
    /** The 2,000 best-ranked hits of a search without words: all tie, so the 2,000 first IDs. */
    let considered: { code: string; id: string; price: string | null }[] = [];

    beforeAll(async () => {
      const big = await t.newTenant('Grossiste');
      tokens.big = big.token;
      await post('/api/v1/catalog/families', { code: 'vrac', name: { fr: 'Vrac' } }, big.token);
      const codesOf = Array.from({ length: N }, (_, i) => `G-${String(i).padStart(5, '0')}`);
      for (let from = 0; from < N; from += 1000) {
        const res = await call(big.token, 'POST', '/api/v1/catalog/products/bulk', {
          items: codesOf.slice(from, from + 1000).map((code) => ({
            code,
            family_code: 'vrac',
            status: 'active',
            name: { fr: `Produit ${code}` },
            variants: [{ sku: code }],
          })),
        });
        expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(200);
        for (const item of res.body.items) bigIds[item.code] = item.product_id;
      }
      codesOf.forEach((code, i) => {
        bigPrices[code] =
          i % 10 === 3 ? null : `${(i * 37) % 1000}.${String((i * 13) % 100).padStart(2, '0')}`;
      });
      const list = await post(
        '/api/v1/price-lists',
        { code: 'public', name: 'Tarif', currency: 'EUR', targets: [{ kind: 'all' }] },
        big.token,
      );
      await putEntries(
        list,
        Object.entries(bigPrices).flatMap(([code, price]) => (price === null ? [] : [[code, price]])) as [
          string,
          string,
        ][],
        big.token,
      );
      considered = codesOf
        .map((code) => ({ code, id: bigIds[code]!, price: bigPrices[code] ?? null }))
        .sort((a, b) => byId(a.id, b.id))
        .slice(0, SAMPLE);
    }, 180_000);

    it('the price facet, sort and bounds consider the 2,000 best-ranked hits, and say it is not complete', async () => {
      const scope = { considered: SAMPLE, complete: false };
      const first = await search('big', 'limit=20&currency=EUR');
      expect(first.total).toBe(N);
      expect(first.price_scope).toEqual(scope);
      const f = first.facets.price;
      const prices = considered.map((c) => c.price).filter((p): p is string => p !== null);
      expect(f.unpriced).toBe(SAMPLE - prices.length);
      expect(f.ranges.reduce((n: number, r: Json) => n + r.count, 0)).toBe(prices.length);
      expect(dec(f.min).eq(Decimal.min(...prices))).toBe(true);
      expect(dec(f.max).eq(Decimal.max(...prices))).toBe(true);
      expect(f.ranges.length).toBeLessThanOrEqual(6);
      for (const r of f.ranges as { from: string | null; to: string | null; count: number }[]) {
        const inIt = prices.filter(
          (p) => (r.from === null || dec(p).gte(r.from)) && (r.to === null || dec(p).lt(r.to)),
        );
        expect(inIt.length, JSON.stringify(r)).toBe(r.count);
      }
      // Cheapest first, 200 at a time: exactly the 2,000 considered, in price order.
      const sorted = await walk('big', 'sort=price&limit=200&currency=EUR');
      expect(codes(sorted.hits)).toEqual(expectedOrder(considered, 'price'));
      for (const page of sorted.pages) expect(page.price_scope).toEqual(scope);
      expectOwnPrices('big', sorted.hits, (c) => bigPrices[c] ?? null);
      // A bound: what is in range among the 2,000, counted by total.
      const inRange = considered.filter(
        (c) => c.price !== null && dec(c.price).gte(500) && dec(c.price).lt(600),
      );
      const bounded = await walk('big', 'price_min=500&price_max=600&limit=200&currency=EUR');
      expect(codes(bounded.hits).sort()).toEqual(inRange.map((c) => c.code).sort());
      expect(bounded.pages[0].total).toBe(inRange.length);
      expect(bounded.pages[0].price_scope).toEqual(scope);
      expect(bounded.pages[0].facets.price).toEqual(f);
    }, 180_000);

    it('a price sort without a bound still says how many products match (total), as every other order does', async () => {
      // Only a price filter changes what `total` counts (the considered hits in range).
      const byPrice = await search('big', 'sort=price&limit=20&currency=EUR');
      expect(byPrice.total).toBe(N);
      expect((await search('big', 'sort=name&limit=20&currency=EUR')).total).toBe(N);
    }, 60_000);
  });
});
