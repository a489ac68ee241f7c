import { sql } from 'drizzle-orm';
import { NodePgSession } from 'drizzle-orm/node-postgres';
import { PgliteSession } from 'drizzle-orm/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCacheOf } from '../../platform/cache/read-cache.ts';
import { runAsTenant } from '../../platform/context.ts';
import { rows } from '../../platform/db/database.ts';
import { addUser } from '../../platform/identity/testing.ts';
import { createApiToken } from '../../platform/identity/users.ts';
import { DRIVERS, eventually, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { instantMicros, resolvePriceBatch } from './service.ts';

// biome-ignore lint/suspicious/noExplicitAny: JSON of unknown shape, read by the assertions
type Json = any;

/**
 * Every statement the application sends through Drizzle (both drivers), recorded by their text: the
 * statements a request sends are the ones recorded while it runs.
 */
const sent: string[] = [];
const sessions = [NodePgSession.prototype, PgliteSession.prototype] as unknown as {
  prepareQuery: (query: { sql: string }, ...rest: unknown[]) => unknown;
}[];
const originals = sessions.map((s) => s.prepareQuery);
const record = (on: boolean) => {
  for (const [i, s] of sessions.entries())
    s.prepareQuery = on
      ? function (this: unknown, query, ...rest) {
          sent.push(query.sql);
          return originals[i]!.call(this, query, ...rest);
        }
      : originals[i]!;
};

/** The tables the price context is read from (background jobs never read them). */
const PRICE_CONTEXT =
  /\b(price_lists|price_list_targets|price_list_entries|group_discounts|promotions|accounts|customer_group_members|storefronts|catalog_variants|catalog_products)\b/;

/**
 * The price context (lists, entries, group discounts, promotions, the account's groups, the SKUs'
 * categories) answers repeated read-only requests from the read cache (platform/cache/read-cache.ts,
 * migration 0021) and is never stale once a change is committed and notified; the date of the request
 * is applied to what is cached, so a list starting later applies when its time comes, with no write.
 */
describe.each(DRIVERS)('prices from the read cache, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  const DATE = '2026-06-01T10:00:00Z';

  const api = (method: string, path: string, body?: unknown, token = acme.token) =>
    t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
  const post = async (path: string, body: unknown) => {
    const res = await api('POST', path, body);
    if (res.status >= 300) throw new Error(`${path}: ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };
  const entries = async (listId: string, list: [string, string][]) => {
    const res = await api('PUT', `/api/v1/price-lists/${listId}/entries`, {
      entries: list.map(([sku, unit_price]) => ({ sku, breaks: [{ min_quantity: '1', unit_price }] })),
    });
    if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  };
  const batch = (body: Record<string, unknown>, token = acme.token) =>
    api('POST', '/api/v1/prices/resolve-batch', body, token);
  /** The unit prices of a cart (null: not priced), and the statements reading the price context. */
  const cart = async (body: Record<string, unknown>, token = acme.token) => {
    const from = sent.length;
    const res = await batch({ currency: 'EUR', ...body }, token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return {
      prices: (res.body.data as Json[]).map((l) => l.unit_price?.amount ?? l.reason),
      lines: res.body.data as Json[],
      reads: sent.slice(from).filter((s) => PRICE_CONTEXT.test(s)).length,
    };
  };
  const price = async (body: Record<string, unknown>, token = acme.token) =>
    (await cart({ lines: [{ sku: 'PERC-18V', quantity: '1' }], ...body }, token)).prices[0];
  const asTenant = <T>(fn: (ctx: Parameters<Parameters<typeof runAsTenant>[2]>[0]) => Promise<T>) =>
    runAsTenant(t.db, { tenantId: acme.tenantId }, fn);
  /** A change made behind the API's back (another process, a script): only the notification tells. */
  const behindTheBack = (statement: ReturnType<typeof sql>) => asTenant((ctx) => ctx.tx.execute(statement));

  beforeAll(async () => {
    record(true);
    t = await startTestApp(driver);
    acme = await t.newTenant('Outillage Cache');
    ids.family = await post('/api/v1/catalog/families', { code: 'tools', name: { fr: 'Outils' } });
    ids.tools = await post('/api/v1/catalog/categories', { code: 'tools', name: { fr: 'Outillage' } });
    for (const sku of ['PERC-18V', 'CABLE-3G', 'SECRET-1'])
      ids[sku] = await post('/api/v1/catalog/products', {
        code: sku,
        family_id: ids.family,
        status: 'active',
        name: { fr: sku },
        category_ids: [ids.tools],
        variants: [{ sku }],
      });
    ids.shop = await post('/api/v1/storefronts', { code: 'pro', name: 'Pro', currencies: ['EUR'] });
    ids.distributors = await post('/api/v1/customer-groups', { code: 'distributors', name: 'Distributeurs' });
    ids.acme = await post('/api/v1/accounts', { name: 'ACME' });
    ids.electro = await post('/api/v1/accounts', { name: 'Électro Sud' });
    await api('POST', `/api/v1/customer-groups/${ids.distributors}/members`, { account_id: ids.electro });
    ids.public = await post('/api/v1/price-lists', {
      code: 'public-2026',
      name: 'Tarif public 2026',
      currency: 'EUR',
      valid_from: '2026-01-01T00:00:00Z',
      targets: [{ kind: 'all' }],
    });
    await entries(ids.public, [
      ['PERC-18V', '100.00'],
      ['CABLE-3G', '2.50'],
      ['SECRET-1', '50.00'],
    ]);
    ids.contract = await post('/api/v1/price-lists', {
      code: 'contract-acme',
      name: 'Contrat ACME',
      currency: 'EUR',
      valid_from: '2026-01-01T00:00:00Z',
      targets: [{ kind: 'account', id: ids.acme }],
    });
    await entries(ids.contract, [['PERC-18V', '80.00']]);
    // Starts one microsecond after midnight, 1 January 2027.
    ids.public2027 = await post('/api/v1/price-lists', {
      code: 'public-2027',
      name: 'Tarif public 2027',
      currency: 'EUR',
      valid_from: '2027-01-01T00:00:00.000001Z',
      targets: [{ kind: 'all' }],
    });
    await entries(ids.public2027, [['PERC-18V', '90.00']]);
    ids.discount = await post('/api/v1/group-discounts', { group_id: ids.distributors, percent: '10' });
    // The distributors' own net price of cables.
    ids.groupList = await post('/api/v1/price-lists', {
      code: 'distributors',
      name: 'Tarif distributeurs',
      currency: 'EUR',
      targets: [{ kind: 'group', id: ids.distributors }],
    });
    await entries(ids.groupList, [['CABLE-3G', '2.10']]);
    // SECRET-1 is hidden from Électro Sud.
    ids.rule = await post('/api/v1/visibility-rules', {
      subject_type: 'account',
      subject_id: ids.electro,
      target_type: 'product',
      target_id: ids['SECRET-1'],
      effect: 'deny',
    });
    for (const account of ['acme', 'electro']) {
      const user = await addUser(t, acme.tenantId, {
        email: `cache-${account}-${Math.random().toString(36).slice(2, 8)}@example.com`,
        kind: 'buyer',
        accountId: ids[account]!,
        roles: ['buyer'],
      });
      tokens[account] = (
        await asTenant((ctx) => createApiToken(ctx, { userId: user, name: 'buyer', scopes: ['*'] }))
      ).token;
    }
  });
  afterAll(async () => {
    await t.close();
    record(false);
  });

  it('a second identical cart reads nothing of the price context from the database, and answers the same', async () => {
    expect(readCacheOf(t.db)?.live).toBe(true);
    const body = {
      date: DATE,
      account_id: ids.electro,
      storefront_id: ids.shop,
      lines: [
        { sku: 'PERC-18V', quantity: '3' },
        { sku: 'CABLE-3G', quantity: '10' },
        { sku: 'NOPE-1', quantity: '1' },
      ],
    };
    const first = await cart(body);
    const second = await cart(body);
    expect(first.prices).toEqual(['90.00', '2.10', 'sku-not-priced']);
    expect(second.lines).toEqual(first.lines);
    // Storefront, account, groups, lists, discounts, promotions, categories: all from the database…
    expect(first.reads).toBeGreaterThanOrEqual(5);
    // …then none of them.
    expect(second.reads).toBe(0);
    // The same for another quantity (the context does not depend on quantities), and for GET /prices/resolve.
    expect((await cart({ ...body, lines: [{ sku: 'CABLE-3G', quantity: '1' }, ...body.lines] })).reads).toBe(
      0,
    );
    const query = new URLSearchParams({ sku: 'PERC-18V', quantity: '3', currency: 'EUR', date: DATE });
    await api('GET', `/api/v1/prices/resolve?${query}&account_id=${ids.acme}`);
    const from = sent.length;
    const single = await api('GET', `/api/v1/prices/resolve?${query}&account_id=${ids.acme}`);
    expect(single.body.unit_price).toEqual({ amount: '80.00', currency: 'EUR' });
    expect(sent.slice(from).filter((s) => PRICE_CONTEXT.test(s))).toEqual([]);
  });

  it('a price changed through the API is the price of the next cart', async () => {
    expect(await price({ date: DATE })).toBe('100.00');
    await entries(ids.public!, [
      ['PERC-18V', '95.00'],
      ['CABLE-3G', '2.50'],
      ['SECRET-1', '50.00'],
    ]);
    expect(await price({ date: DATE })).toBe('95.00');
    await entries(ids.public!, [
      ['PERC-18V', '100.00'],
      ['CABLE-3G', '2.50'],
      ['SECRET-1', '50.00'],
    ]);
    expect(await price({ date: DATE })).toBe('100.00');
  });

  it('a change made behind the API’s back reaches the cached prices by notification, whatever the table', async () => {
    const tid = acme.tenantId;
    const settles = async (body: Record<string, unknown>, expected: string) =>
      eventually(async () => (await price({ date: DATE, ...body })) === expected);
    // A price list entry.
    expect(await price({ date: DATE })).toBe('100.00');
    await behindTheBack(sql`update price_list_entries set unit_price = 97 where tenant_id = ${tid}
      and price_list_id = ${ids.public} and sku = 'PERC-18V'`);
    expect(await settles({}, '97.00')).toBe(true);
    await behindTheBack(sql`update price_list_entries set unit_price = 100 where tenant_id = ${tid}
      and price_list_id = ${ids.public} and sku = 'PERC-18V'`);
    expect(await settles({}, '100.00')).toBe(true);
    // A promotion, created then deleted.
    await behindTheBack(sql`insert into promotions (tenant_id, id, name, discount_kind, percent)
      values (${tid}, 'promo_behind', 'Soldes', 'percent', 50)`);
    expect(await settles({}, '50.00')).toBe(true);
    await behindTheBack(sql`delete from promotions where tenant_id = ${tid} and id = 'promo_behind'`);
    expect(await settles({}, '100.00')).toBe(true);
    // A group discount level.
    expect(await price({ date: DATE, account_id: ids.electro })).toBe('90.00');
    await behindTheBack(
      sql`update group_discounts set percent = 20 where tenant_id = ${tid} and id = ${ids.discount}`,
    );
    expect(await settles({ account_id: ids.electro }, '80.00')).toBe(true);
    await behindTheBack(
      sql`update group_discounts set percent = 10 where tenant_id = ${tid} and id = ${ids.discount}`,
    );
    expect(await settles({ account_id: ids.electro }, '90.00')).toBe(true);
    // A list's validity, and its targets.
    expect(await price({ date: DATE, account_id: ids.acme })).toBe('80.00');
    await behindTheBack(
      sql`update price_lists set valid_to = '2026-02-01T00:00:00Z' where tenant_id = ${tid} and id = ${ids.contract}`,
    );
    expect(await settles({ account_id: ids.acme }, '100.00')).toBe(true);
    await behindTheBack(
      sql`update price_lists set valid_to = null where tenant_id = ${tid} and id = ${ids.contract}`,
    );
    expect(await settles({ account_id: ids.acme }, '80.00')).toBe(true);
    await behindTheBack(
      sql`delete from price_list_targets where tenant_id = ${tid} and price_list_id = ${ids.contract}`,
    );
    expect(await settles({ account_id: ids.acme }, '100.00')).toBe(true);
    await behindTheBack(sql`insert into price_list_targets (tenant_id, price_list_id, kind, account_id)
      values (${tid}, ${ids.contract}, 'account', ${ids.acme})`);
    expect(await settles({ account_id: ids.acme }, '80.00')).toBe(true);
    // An account: gone, it cannot be priced for any more.
    const doomed = await post('/api/v1/accounts', { name: 'Éphémère' });
    expect(await price({ date: DATE, account_id: doomed })).toBe('100.00');
    // (The application's role may not delete accounts: a script as the database owner does.)
    await t.db.session((s) =>
      s.query('delete from accounts where tenant_id = $1 and id = $2', [tid, doomed]),
    );
    expect(
      await eventually(
        async () =>
          (
            await batch({
              currency: 'EUR',
              date: DATE,
              account_id: doomed,
              lines: [{ sku: 'PERC-18V', quantity: '1' }],
            })
          ).status === 404,
      ),
    ).toBe(true);
  });

  it('the date is applied to the cached lists to the microsecond, as the database does', async () => {
    const at = (date: string) => price({ date });
    expect(await at('2027-01-01T00:00:00Z')).toBe('100.00');
    expect(await at('2027-01-01T00:00:00.000001Z')).toBe('90.00');
    // The same instants, written with offsets.
    expect(await at('2027-01-01T00:59:59.999999+01:00')).toBe('100.00');
    expect(await at('2027-01-01T01:00:00.000001+01:00')).toBe('90.00');
    expect(await at('2026-12-31T19:00:00.000001-05:00')).toBe('90.00');
    // Every one of these from one cached context, and equal to what the database alone answers.
    const dates = [
      '2025-12-31T23:59:59.999999Z',
      '2026-01-01T00:00:00Z',
      '2027-01-01T00:00:00Z',
      '2027-01-01T00:00:00.000001Z',
      '2027-01-01T00:00:00.0000001Z', // 7 decimals: left to the database
      '2027-01-01T01:00:00+01:00',
      '2027-01-01T01:00:00.000001+0100',
    ];
    for (const date of dates) {
      const lines = [
        { sku: 'PERC-18V', quantity: '1' },
        { sku: 'CABLE-3G', quantity: '4' },
      ];
      const cached = await cart({ date, account_id: ids.electro, lines });
      const uncached = await asTenant((ctx) =>
        resolvePriceBatch(ctx, { currency: 'EUR', date, account_id: ids.electro, lines }),
      );
      expect(cached.lines, date).toEqual(uncached.data);
    }
  });

  it('a list whose start comes while the cache holds its context applies then, with no write', async () => {
    const start = new Date(Date.now() + 1500);
    ids.flash = await post('/api/v1/price-lists', {
      code: 'flash',
      name: 'Vente flash',
      currency: 'EUR',
      valid_from: start.toISOString(),
      targets: [{ kind: 'all' }],
    });
    await entries(ids.flash, [['CABLE-3G', '2.00']]);
    const now = () => cart({ lines: [{ sku: 'CABLE-3G', quantity: '1' }] });
    const before = await now();
    expect(before.prices).toEqual(['2.50']);
    while (Date.now() <= start.getTime()) await new Promise((r) => setTimeout(r, 100));
    const after = await now();
    expect(after.prices).toEqual(['2.00']);
    expect(after.reads).toBe(0);
    await api('DELETE', `/api/v1/price-lists/${ids.flash}`);
  });

  it("a buyer never gets another company's contract price from the cache, nor misses their own group's", async () => {
    const lines = [
      { sku: 'PERC-18V', quantity: '1' },
      { sku: 'CABLE-3G', quantity: '1' },
    ];
    for (let round = 0; round < 2; round++) {
      expect((await cart({ date: DATE, lines }, tokens.acme)).prices).toEqual(['80.00', '2.50']);
      expect((await cart({ date: DATE, lines }, tokens.electro)).prices).toEqual(['90.00', '2.10']);
      expect((await cart({ date: DATE, account_id: ids.acme, lines })).prices).toEqual(['80.00', '2.50']);
      expect((await cart({ date: DATE, account_id: ids.electro, lines })).prices).toEqual(['90.00', '2.10']);
      expect((await cart({ date: DATE, lines })).prices).toEqual(['100.00', '2.50']);
    }
    // Naming the other company is refused, cached or not.
    const other = await batch({ currency: 'EUR', date: DATE, account_id: ids.acme, lines }, tokens.electro);
    expect(other.status).toBe(403);
  });

  it('a product hidden from a buyer stays unpriced for them, though others priced it from the same cache', async () => {
    const lines = [
      { sku: 'SECRET-1', quantity: '1' },
      { sku: 'PERC-18V', quantity: '1' },
    ];
    const unpriced = (await cart({ date: DATE, lines: [{ sku: 'NOPE-1', quantity: '1' }] })).lines[0];
    for (let round = 0; round < 2; round++) {
      const acmeCart = await cart({ date: DATE, lines }, tokens.acme);
      expect(acmeCart.prices).toEqual(['50.00', '80.00']);
      const hidden = await cart({ date: DATE, lines }, tokens.electro);
      expect(hidden.prices).toEqual(['sku-not-priced', '90.00']);
      expect(hidden.lines[0]).toEqual({
        ...unpriced,
        sku: 'SECRET-1',
        detail: unpriced.detail.replace('NOPE-1', 'SECRET-1'),
      });
      if (round === 1) expect(hidden.reads).toBe(0);
      expect((await cart({ date: DATE, lines })).prices).toEqual(['50.00', '100.00']);
    }
    // The single-SKU read answers as for a product that does not exist.
    const single = await api(
      'GET',
      `/api/v1/prices/resolve?sku=SECRET-1&quantity=1&currency=EUR&date=${DATE}`,
      undefined,
      tokens.electro,
    );
    expect(single.status).toBe(404);
    // The rule removed, the buyer sees it priced at the next cart.
    expect((await api('DELETE', `/api/v1/visibility-rules/${ids.rule}`)).status).toBe(200);
    expect((await cart({ date: DATE, lines }, tokens.electro)).prices).toEqual(['45.00', '90.00']);
  });

  it('reads RFC 3339 instants to the microsecond exactly as PostgreSQL does', async () => {
    const texts = [
      '2026-01-01T00:00:00Z',
      '2026-06-01T10:00:00.5Z',
      '2027-01-01T00:00:00.000001Z',
      '1969-12-31T23:59:59.999999Z',
      '1900-02-28T12:00:00.123+01:00',
      '2024-02-29T23:59:59.999999-09:30',
      '2026-03-29t01:30:00+0200',
      '0001-01-01 00:00:00+00',
      '9999-12-31T23:59:59.999999+14:00',
    ];
    const [found] = await asTenant(async (ctx) =>
      rows<{ us: string[] }>(
        await ctx.tx.execute(sql`select array(select trunc(extract(epoch from x::timestamptz) * 1000000)::text
          from jsonb_array_elements_text(${JSON.stringify(texts)}::jsonb) with ordinality as a(x, n) order by n) as us`),
      ),
    );
    expect(texts.map((x) => String(instantMicros(x)))).toEqual(found!.us);
    // What it does not read exactly is left to the database.
    for (const x of [
      '2027-01-01T00:00:00.0000001Z',
      '2027-01-01T00:00:00',
      '2027-02-30T00:00:00Z',
      '2026-12-31T23:59:60Z',
      '2026-12-31T24:00:00Z',
      'tomorrow',
    ])
      expect(instantMicros(x), x).toBeNull();
  });
});
