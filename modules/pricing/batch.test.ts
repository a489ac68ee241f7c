import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Ctx, runAsTenant } from '../../platform/context.ts';
import { addUser } from '../../platform/identity/testing.ts';
import { createApiToken } from '../../platform/identity/users.ts';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { resolvePriceBatch } from './service.ts';

// biome-ignore lint/suspicious/noExplicitAny: JSON of unknown shape, read by the assertions
type Json = any;

/**
 * A cart priced in one call: the same answer, line by line, as GET /prices/resolve for each line,
 * with the price context loaded once (a constant number of statements whatever the number of lines).
 */
describe.each(DRIVERS)('batch price resolution, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  let buyerToken: string;
  const ids: Record<string, string> = {};
  const DATE = '2026-03-15T10:00:00Z';

  const api = (method: string, path: string, body?: unknown, token = acme.token) =>
    t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
  const post = async (path: string, body: unknown) => {
    const res = await api('POST', path, body);
    if (res.status >= 300) throw new Error(`${path}: ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };
  const entries = async (listId: string, list: { sku: string; breaks: [string, string][] }[]) => {
    const res = await api('PUT', `/api/v1/price-lists/${listId}/entries`, {
      entries: list.map((e) => ({
        sku: e.sku,
        breaks: e.breaks.map(([min_quantity, unit_price]) => ({ min_quantity, unit_price })),
      })),
    });
    if (res.status !== 200) throw new Error(JSON.stringify(res.body));
  };
  const batch = (body: Record<string, unknown>, token = acme.token) =>
    api('POST', '/api/v1/prices/resolve-batch', body, token);
  const single = (q: Record<string, string>) =>
    api('GET', `/api/v1/prices/resolve?${new URLSearchParams(q)}`);

  beforeAll(async () => {
    t = await startTestApp(driver);
    acme = await t.newTenant('Outillage Martin');
    ids.family = await post('/api/v1/catalog/families', { code: 'tools', name: { fr: 'Outils' } });
    ids.tools = await post('/api/v1/catalog/categories', { code: 'tools', name: { fr: 'Outillage' } });
    ids.power = await post('/api/v1/catalog/categories', {
      code: 'power',
      name: { fr: 'Électroportatif' },
      parent_id: ids.tools,
    });
    ids.cables = await post('/api/v1/catalog/categories', { code: 'cables', name: { fr: 'Câbles' } });
    const product = (sku: string, category: string) =>
      post('/api/v1/catalog/products', {
        code: sku,
        family_id: ids.family,
        status: 'active',
        name: { fr: sku },
        category_ids: [category],
        variants: [{ sku }],
      });
    await product('PERC-18V', ids.power);
    await product('CABLE-3G', ids.cables);
    ids.secret = await product('SECRET-1', ids.tools);
    ids.shop = await post('/api/v1/storefronts', {
      code: 'pro-distrib',
      name: 'Pro Distrib',
      currencies: ['EUR'],
      domains: ['pro.martin.test'],
    });
    ids.distributors = await post('/api/v1/customer-groups', { code: 'distributors', name: 'Distributeurs' });
    ids.electro = await post('/api/v1/accounts', { name: 'Électro Sud' });
    ids.acme = await post('/api/v1/accounts', { name: 'ACME' });
    for (const a of [ids.electro, ids.acme])
      await api('POST', `/api/v1/customer-groups/${ids.distributors}/members`, { account_id: a });
    ids.public = await post('/api/v1/price-lists', {
      code: 'public-2026',
      name: 'Tarif public 2026',
      currency: 'EUR',
      valid_from: '2026-01-01T00:00:00Z',
      targets: [{ kind: 'all' }],
    });
    ids.shopList = await post('/api/v1/price-lists', {
      code: 'pro-distrib',
      name: 'Tarif Pro Distrib',
      currency: 'EUR',
      targets: [{ kind: 'storefront', id: ids.shop }],
    });
    ids.contract = await post('/api/v1/price-lists', {
      code: 'contract-acme',
      name: 'Contrat ACME',
      currency: 'EUR',
      valid_from: '2026-01-01T00:00:00Z',
      targets: [{ kind: 'account', id: ids.acme }],
    });
    await entries(ids.public, [
      {
        sku: 'PERC-18V',
        breaks: [
          ['1', '100.00'],
          ['10', '92.00'],
        ],
      },
      { sku: 'CABLE-3G', breaks: [['1', '2.5000']] },
      { sku: 'SECRET-1', breaks: [['1', '7.00']] },
      { sku: 'NOT-IN-CATALOG', breaks: [['5', '1.00']] },
    ]);
    await entries(ids.shopList, [{ sku: 'PERC-18V', breaks: [['1', '98.00']] }]);
    await entries(ids.contract, [
      { sku: 'PERC-18V', breaks: [['50', '80.00']] },
      { sku: 'CABLE-3G', breaks: [['1', '1.9990']] },
    ]);
    await post('/api/v1/group-discounts', { group_id: ids.distributors, percent: '30' });
    await post('/api/v1/group-discounts', {
      group_id: ids.distributors,
      percent: '10',
      category_ids: [ids.cables],
    });
    await post('/api/v1/promotions', {
      name: 'Printemps',
      category_ids: [ids.tools],
      discount: { kind: 'percent', percent: '10' },
      priority: 1,
      valid_from: '2026-03-01T00:00:00Z',
      valid_to: '2026-04-01T00:00:00Z',
    });
    await post('/api/v1/promotions', {
      name: 'Bienvenue',
      discount: { kind: 'amount', amount: '5.00', currency: 'EUR' },
      stackable: true,
      exclude_net_prices: true,
    });
    // SECRET-1 is hidden from Électro Sud.
    await post('/api/v1/visibility-rules', {
      subject_type: 'account',
      subject_id: ids.electro,
      target_type: 'product',
      target_id: ids.secret,
      effect: 'deny',
    });
    const buyerId = await addUser(t, acme.tenantId, {
      email: 'buyer@electro.test',
      kind: 'buyer',
      accountId: ids.electro!,
      roles: ['buyer'],
    });
    buyerToken = (
      await runAsTenant(t.db, { tenantId: acme.tenantId }, (ctx) =>
        createApiToken(ctx, { userId: buyerId, name: 'buyer', scopes: ['*'] }),
      )
    ).token;
  });
  afterAll(() => t.close());

  it('each line equals GET /prices/resolve for it, whoever buys (property, over generated carts)', async () => {
    const cache = new Map<string, Json>();
    const singleOf = async (who: Record<string, string>, sku: string, quantity: string) => {
      const key = JSON.stringify([who, sku, quantity]);
      if (!cache.has(key)) {
        const res = await single({ ...who, sku, quantity, currency: 'EUR', date: DATE });
        expect(res.status).toBe(200);
        cache.set(key, res.body);
      }
      return cache.get(key);
    };
    const who = fc.constantFrom<Record<string, string>>(
      {},
      { storefront_id: 'shop' },
      { account_id: 'electro' },
      { account_id: 'electro', storefront_id: 'shop' },
      { account_id: 'acme', storefront_id: 'shop' },
      { account_id: 'acme' },
    );
    const line = fc.record({
      sku: fc.constantFrom('PERC-18V', 'CABLE-3G', 'SECRET-1', 'NOT-IN-CATALOG', 'UNKNOWN-9'),
      quantity: fc.constantFrom('1', '3', '5', '9', '10', '12', '49', '50', '60', '2.5'),
    });
    await fc.assert(
      fc.asyncProperty(who, fc.array(line, { minLength: 1, maxLength: 8 }), async (w, lines) => {
        const named = Object.fromEntries(Object.entries(w).map(([k, v]) => [k, ids[v]!]));
        const res = await batch({ currency: 'EUR', date: DATE, ...named, lines });
        expect(res.status).toBe(200);
        expect(res.body.data).toHaveLength(lines.length);
        let total = 0;
        for (const [i, l] of lines.entries()) {
          const one = await singleOf(named, l.sku, l.quantity);
          expect(res.body.data[i]).toEqual(one);
          if (one.priced) total += Math.round(Number(one.line_total.amount) * 100);
        }
        expect(res.body.total).toEqual({ amount: (total / 100).toFixed(2), currency: 'EUR' });
      }),
      { numRuns: 25, seed: 6 },
    );
  });

  it('the worked example in one cart, with the total of the priced lines and unknown SKUs unpriced', async () => {
    const res = await batch({
      currency: 'EUR',
      date: DATE,
      account_id: ids.acme,
      storefront_id: ids.shop,
      lines: [
        { sku: 'PERC-18V', quantity: '12' },
        { sku: 'PERC-18V', quantity: '60' },
        { sku: 'NOPE-1', quantity: '1' },
        { sku: 'CABLE-3G', quantity: '3' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.data.map((l: Json) => l.unit_price?.amount ?? null)).toEqual([
      '61.74',
      '72.00',
      null,
      '1.999',
    ]);
    expect(res.body.data[2]).toMatchObject({ priced: false, reason: 'sku-not-priced', breaks: [] });
    // 740.88 + 4320.00 + 6.00 (3 × 1.999 = 5.997)
    expect(res.body.total).toEqual({ amount: '5066.88', currency: 'EUR' });
    // The buyer's break table: the storefront price from 1, the contract price from 50.
    expect(res.body.data[0].breaks).toEqual([
      { min_quantity: '1', unit_price: { amount: '61.74', currency: 'EUR' }, level: 'storefront' },
      { min_quantity: '50', unit_price: { amount: '72.00', currency: 'EUR' }, level: 'account' },
    ]);
  });

  it('the break table of a visitor of the main shop: public breaks, after promotions', async () => {
    const res = await single({ sku: 'PERC-18V', quantity: '1', currency: 'EUR', date: DATE });
    expect(res.body.breaks).toEqual([
      { min_quantity: '1', unit_price: { amount: '90.00', currency: 'EUR' }, level: 'tenant' },
      { min_quantity: '10', unit_price: { amount: '82.80', currency: 'EUR' }, level: 'tenant' },
    ]);
    // A list pricing only from 5: the line below it is unpriced, its break table still says from when.
    const below = await single({ sku: 'NOT-IN-CATALOG', quantity: '2', currency: 'EUR', date: DATE });
    expect(below.body).toMatchObject({ priced: false, reason: 'below-minimum-quantity' });
    expect(below.body.breaks).toEqual([
      { min_quantity: '5', unit_price: { amount: '0.00', currency: 'EUR' }, level: 'tenant' },
    ]);
  });

  it('loads the price context with a constant number of statements: 1 line or 50', async () => {
    const count = async (n: number) => {
      let statements = 0;
      const skus = ['PERC-18V', 'CABLE-3G', 'SECRET-1', 'NOT-IN-CATALOG', 'UNKNOWN-9'];
      const lines = Array.from({ length: n }, (_, i) => ({
        sku: skus[i % skus.length]!,
        quantity: String(1 + i),
      }));
      await runAsTenant(t.db, { tenantId: acme.tenantId }, async (ctx) => {
        const tx = new Proxy(ctx.tx, {
          get(target, prop, receiver) {
            const v = Reflect.get(target, prop, receiver);
            if (typeof v !== 'function') return v;
            if (['execute', 'select', 'insert', 'update', 'delete'].includes(String(prop)))
              return (...args: unknown[]) => {
                statements++;
                return v.apply(target, args);
              };
            return v.bind(target);
          },
        });
        const counted = new Proxy(ctx, {
          get: (target, prop, receiver) => (prop === 'tx' ? tx : Reflect.get(target, prop, receiver)),
        }) as Ctx;
        const r = await resolvePriceBatch(counted, {
          currency: 'EUR',
          date: DATE,
          account_id: ids.acme,
          storefront_id: ids.shop,
          lines,
        });
        expect(r.data).toHaveLength(n);
      });
      return statements;
    };
    const one = await count(1);
    expect(one).toBeGreaterThan(0);
    expect(await count(50)).toBe(one);
    expect(await count(500)).toBe(one);
  });

  it('a buyer prices their own company on the Host’s storefront only', async () => {
    const lines = [{ sku: 'PERC-18V', quantity: '12' }];
    const own = await batch({ currency: 'EUR', date: DATE, lines }, buyerToken);
    expect(own.status).toBe(200);
    // Électro Sud (distributors, 30 %), no storefront (the test host is not a storefront domain).
    expect(own.body.data[0].unit_price).toEqual({ amount: '57.96', currency: 'EUR' });
    const other = await batch({ currency: 'EUR', date: DATE, account_id: ids.acme, lines }, buyerToken);
    expect(other.status).toBe(403);
    expect(other.body.errors).toEqual([expect.objectContaining({ in: 'body', pointer: '/account_id' })]);
    const shop = await batch({ currency: 'EUR', date: DATE, storefront_id: ids.shop, lines }, buyerToken);
    expect(shop.status).toBe(403);
    expect(shop.body.errors[0].pointer).toBe('/storefront_id');
  });

  it('a product hidden from the buyer is an unpriced line, exactly like an SKU nobody sells', async () => {
    const res = await batch(
      {
        currency: 'EUR',
        date: DATE,
        lines: [
          { sku: 'SECRET-1', quantity: '1' },
          { sku: 'NOPE-1', quantity: '1' },
        ],
      },
      buyerToken,
    );
    expect(res.status).toBe(200);
    const [hidden, unknown] = res.body.data;
    expect(hidden).toEqual({
      ...unknown,
      sku: 'SECRET-1',
      detail: unknown.detail.replace('NOPE-1', 'SECRET-1'),
    });
    // Staff see it priced.
    const staff = await batch({ currency: 'EUR', date: DATE, lines: [{ sku: 'SECRET-1', quantity: '1' }] });
    expect(staff.body.data[0].priced).toBe(true);
  });

  it('bad input names the field: /lines/3/quantity, unknown currency, no lines, too many lines', async () => {
    const lines = [
      { sku: 'PERC-18V', quantity: '1' },
      { sku: 'PERC-18V', quantity: '2' },
      { sku: 'PERC-18V', quantity: '3' },
      { sku: 'PERC-18V', quantity: '0' },
    ];
    const zero = await batch({ currency: 'EUR', lines });
    expect(zero.status).toBe(400);
    expect(zero.body.errors).toEqual([expect.objectContaining({ in: 'body', pointer: '/lines/3/quantity' })]);
    const typo = await batch({ currency: 'EUR', lines: [{ sku: 'PERC-18V', quantity: '1.23456' }] });
    expect(typo.status).toBe(400);
    expect(typo.body.errors[0].pointer).toBe('/lines/0/quantity');
    const xxx = await batch({ currency: 'XXX', lines: [{ sku: 'PERC-18V', quantity: '1' }] });
    expect(xxx.status).toBe(400);
    expect(xxx.body.errors[0].pointer).toBe('/currency');
    expect((await batch({ currency: 'EUR', lines: [] })).status).toBe(400);
    const many = Array.from({ length: 501 }, () => ({ sku: 'PERC-18V', quantity: '1' }));
    const tooMany = await batch({ currency: 'EUR', lines: many });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors[0].pointer).toBe('/lines');
    const usd = await batch({
      currency: 'USD',
      storefront_id: ids.shop,
      lines: [{ sku: 'PERC-18V', quantity: '1' }],
    });
    expect(usd.status).toBe(422);
    expect(usd.body.errors[0]).toMatchObject({ in: 'body', pointer: '/currency' });
  });

  it('search hits carry the buyer’s price: contract price for ACME, list price for another buyer', async () => {
    const acmeBuyer = await addUser(t, acme.tenantId, {
      email: 'buyer@acme.test',
      kind: 'buyer',
      accountId: ids.acme!,
      roles: ['buyer'],
    });
    const acmeToken = (
      await runAsTenant(t.db, { tenantId: acme.tenantId }, (ctx) =>
        createApiToken(ctx, { userId: acmeBuyer, name: 'buyer', scopes: ['*'] }),
      )
    ).token;
    const search = (token: string) =>
      api('GET', '/api/v1/catalog/search?limit=50&currency=EUR', undefined, token);
    const priceOf = (body: Json, code: string) => body.data.find((h: Json) => h.code === code)?.price ?? null;
    const forAcme = await search(acmeToken);
    expect(forAcme.status).toBe(200);
    // The contract cable price (a net price: no group discount, no Bienvenue).
    expect(priceOf(forAcme.body, 'CABLE-3G')).toMatchObject({
      sku: 'CABLE-3G',
      quantity: '1',
      rule: { level: 'account', price_list_id: ids.contract },
    });
    const forElectro = await search(buyerToken);
    expect(priceOf(forElectro.body, 'CABLE-3G')).toMatchObject({
      rule: { level: 'tenant', price_list_id: ids.public, group_discount_id: expect.any(String) },
    });
    // Hidden products never appear, priced or not.
    expect(forElectro.body.data.map((h: Json) => h.code)).not.toContain('SECRET-1');
    expect(forAcme.body.data.map((h: Json) => h.code)).toContain('SECRET-1');
    // Staff without a currency and outside a storefront: no price to show.
    const staff = await api('GET', '/api/v1/catalog/search?limit=50');
    expect(staff.body.data.every((h: Json) => h.price === null)).toBe(true);
    const staffEur = await api('GET', '/api/v1/catalog/search?limit=50&currency=EUR');
    expect(priceOf(staffEur.body, 'PERC-18V')).toMatchObject({
      unit_price: { currency: 'EUR' },
      rule: { level: 'tenant' },
    });
  });
});
