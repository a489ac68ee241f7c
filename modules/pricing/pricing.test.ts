import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';

/** The worked example of docs/pricing.md, through the API: Outillage Martin sells the drill PERC-18V. */
describe.each(DRIVERS)('price lists, discounts, promotions and resolution, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  let rival: TestTenant;
  const ids: Record<string, string> = {};

  const api = (tenant: TestTenant, method: string, path: string, body?: unknown) =>
    t.api(method, path, { token: tenant.token, ...(body !== undefined ? { body } : {}) });
  const post = async (path: string, body: unknown) => {
    const res = await api(acme, 'POST', path, body);
    if (res.status >= 300) throw new Error(`${path}: ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };
  const entries = (listId: string, list: { sku: string; breaks: [string, string][] }[], tenant = acme) =>
    api(tenant, 'PUT', `/api/v1/price-lists/${listId}/entries`, {
      entries: list.map((e) => ({
        sku: e.sku,
        breaks: e.breaks.map(([min_quantity, unit_price]) => ({ min_quantity, unit_price })),
      })),
    });
  const resolve = (q: Record<string, string>, tenant = acme) =>
    api(
      tenant,
      'GET',
      `/api/v1/prices/resolve?${new URLSearchParams({ sku: 'PERC-18V', currency: 'EUR', date: '2026-03-15T10:00:00Z', ...q })}`,
    );

  beforeAll(async () => {
    t = await startTestApp(driver);
    acme = await t.newTenant('Outillage Martin');
    rival = await t.newTenant('Rival');
    ids.family = await post('/api/v1/catalog/families', { code: 'tools', name: { fr: 'Outils' } });
    ids.tools = await post('/api/v1/catalog/categories', { code: 'tools', name: { fr: 'Outillage' } });
    ids.power = await post('/api/v1/catalog/categories', {
      code: 'power',
      name: { fr: 'Électroportatif' },
      parent_id: ids.tools,
    });
    ids.cables = await post('/api/v1/catalog/categories', { code: 'cables', name: { fr: 'Câbles' } });
    await post('/api/v1/catalog/products', {
      code: 'PERC-18V',
      family_id: ids.family,
      status: 'active',
      name: { fr: 'Perceuse 18 V' },
      category_ids: [ids.power],
      variants: [{ sku: 'PERC-18V' }],
    });
    ids.shop = await post('/api/v1/storefronts', {
      code: 'pro-distrib',
      name: 'Pro Distrib',
      currencies: ['EUR'],
    });
    ids.distributors = await post('/api/v1/customer-groups', { code: 'distributors', name: 'Distributeurs' });
    ids.electro = await post('/api/v1/accounts', { name: 'Électro Sud' });
    ids.acme = await post('/api/v1/accounts', { name: 'ACME' });
    for (const a of [ids.electro, ids.acme])
      await api(acme, 'POST', `/api/v1/customer-groups/${ids.distributors}/members`, { account_id: a });

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
      valid_to: '2027-01-01T00:00:00Z',
      targets: [{ kind: 'account', id: ids.acme }],
    });
    expect(
      (
        await entries(ids.public!, [
          {
            sku: 'PERC-18V',
            breaks: [
              ['1', '100.00'],
              ['10', '92.00'],
            ],
          },
        ])
      ).status,
    ).toBe(200);
    expect((await entries(ids.shopList!, [{ sku: 'PERC-18V', breaks: [['1', '98.00']] }])).status).toBe(200);
    expect((await entries(ids.contract!, [{ sku: 'PERC-18V', breaks: [['50', '80.00']] }])).status).toBe(200);
    await post('/api/v1/group-discounts', { group_id: ids.distributors, percent: '30' });
    await post('/api/v1/group-discounts', {
      group_id: ids.distributors,
      percent: '10',
      category_ids: [ids.cables],
    });
    ids.spring = await post('/api/v1/promotions', {
      name: 'Printemps',
      category_ids: [ids.tools],
      discount: { kind: 'percent', percent: '10' },
      stackable: false,
      priority: 1,
      valid_from: '2026-03-01T00:00:00Z',
      valid_to: '2026-04-01T00:00:00Z',
    });
    ids.welcome = await post('/api/v1/promotions', {
      name: 'Bienvenue',
      discount: { kind: 'amount', amount: '5.00', currency: 'EUR' },
      stackable: true,
    });
  });
  afterAll(() => t.close());

  it('Électro Sud on the distributor shop: storefront list, then the group discount, then Spring — 61.74 €', async () => {
    const res = await resolve({ quantity: '12', account_id: ids.electro!, storefront_id: ids.shop! });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      priced: true,
      unit_price: { amount: '61.74', currency: 'EUR' },
      line_total: { amount: '740.88', currency: 'EUR' },
      rule: {
        level: 'storefront',
        price_list_id: ids.shopList,
        min_quantity: '1',
        promotion_ids: [ids.spring],
      },
    });
    expect(
      res.body.breakdown.map((s: { step: string; unit_price: string }) => [s.step, s.unit_price]),
    ).toEqual([
      ['base', '98.00'],
      ['group-discount', '68.60'],
      ['promotion', '61.74'],
    ]);
  });

  it('ACME: its contract from 50 units does not apply to 12 (61.74 €); for 60 the contract price, no group discount, then Spring — 72.00 €', async () => {
    const twelve = await resolve({ quantity: '12', account_id: ids.acme!, storefront_id: ids.shop! });
    expect(twelve.body.unit_price).toEqual({ amount: '61.74', currency: 'EUR' });
    const sixty = await resolve({ quantity: '60', account_id: ids.acme!, storefront_id: ids.shop! });
    expect(sixty.body).toMatchObject({
      unit_price: { amount: '72.00', currency: 'EUR' },
      rule: { level: 'account', price_list_id: ids.contract, group_discount_id: null },
    });
  });

  it('a visitor of the main shop pays the public price from 10 with Spring — 82.80 €; before the list starts there is no price', async () => {
    expect((await resolve({ quantity: '12' })).body.unit_price).toEqual({ amount: '82.80', currency: 'EUR' });
    const before = await resolve({ quantity: '12', date: '2025-12-31T23:59:59Z' });
    expect(before.body).toMatchObject({ priced: false, reason: 'no-price-list', unit_price: null });
    const unknown = await resolve({ quantity: '1', sku: 'NOPE-1' });
    expect(unknown.body).toMatchObject({ priced: false, reason: 'sku-not-priced' });
  });

  it('refuses a currency the storefront does not sell in, an unknown currency, a zero quantity — naming the field', async () => {
    const usd = await resolve({ quantity: '1', currency: 'USD', storefront_id: ids.shop! });
    expect(usd.status).toBe(422);
    expect(usd.body.errors).toEqual([expect.objectContaining({ in: 'query', pointer: '/currency' })]);
    const xxx = await resolve({ quantity: '1', currency: 'XXX' });
    expect(xxx.status).toBe(400);
    expect(xxx.body.errors[0].pointer).toBe('/currency');
    const zero = await resolve({ quantity: '0' });
    expect(zero.status).toBe(400);
    expect(zero.body.errors[0].pointer).toBe('/quantity');
  });

  it('upserts thousands of entries in one call, all or nothing; too many decimals are refused naming the entry', async () => {
    const list = await post('/api/v1/price-lists', {
      code: 'bulk',
      name: 'Bulk',
      currency: 'EUR',
      valid_from: '2026-02-01T00:00:00Z',
      targets: [{ kind: 'group', id: ids.distributors }],
    });
    const many = Array.from({ length: 3000 }, (_, i) => ({
      sku: `BULK-${String(i).padStart(5, '0')}`,
      breaks: [
        ['1', `${10 + (i % 90)}.1234`],
        ['100', `${9 + (i % 90)}.5`],
      ] as [string, string][],
    }));
    const ok = await entries(list, many);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      status: 'applied',
      price_list_id: list,
      skus: 3000,
      breaks: 6000,
      removed_skus: 0,
    });
    const page = await api(acme, 'GET', `/api/v1/price-lists/${list}/entries?sku=BULK-00007`);
    expect(page.body.data).toEqual([
      {
        sku: 'BULK-00007',
        breaks: [
          { min_quantity: '1', unit_price: { amount: '17.1234', currency: 'EUR' } },
          { min_quantity: '100', unit_price: { amount: '16.5', currency: 'EUR' } },
        ],
      },
    ]);
    const bad = many.map((e, i) =>
      i === 2500 ? { ...e, breaks: [['1', '9.99999']] as [string, string][] } : e,
    );
    bad[0] = { sku: 'BULK-00000', breaks: [['1', '1.00']] };
    const refused = await entries(list, bad);
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ pointer: '/entries/2500/breaks/0/unit_price' }),
    ]);
    const unchanged = await api(acme, 'GET', `/api/v1/price-lists/${list}/entries?sku=BULK-00000`);
    expect(unchanged.body.data[0].breaks[0].unit_price.amount).toBe('10.1234');
    expect((await api(acme, 'GET', `/api/v1/price-lists/${list}`)).body.sku_count).toBe(3000);
  });

  it('refuses a second list of the same currency, target and start date pricing the same SKU (422, nothing saved)', async () => {
    const twin = await post('/api/v1/price-lists', {
      code: 'public-2026-bis',
      name: 'Doublon',
      currency: 'EUR',
      valid_from: '2026-01-01T00:00:00Z',
      targets: [{ kind: 'all' }],
    });
    const res = await entries(twin, [{ sku: 'PERC-18V', breaks: [['1', '95.00']] }]);
    expect(res.status).toBe(422);
    expect(res.body.detail).toContain('public-2026');
    expect((await api(acme, 'GET', `/api/v1/price-lists/${twin}`)).body.sku_count).toBe(0);
    expect((await resolve({ quantity: '1' })).body.breakdown[0].unit_price).toBe('100.00');
  });

  it('another tenant gets 404 for the lists, cannot price for the accounts, and resolves nothing of ours', async () => {
    expect((await api(rival, 'GET', `/api/v1/price-lists/${ids.public}`)).status).toBe(404);
    expect((await api(rival, 'PATCH', `/api/v1/price-lists/${ids.public}`, { name: 'x' })).status).toBe(404);
    expect((await entries(ids.public!, [{ sku: 'PERC-18V', breaks: [['1', '1.00']] }], rival)).status).toBe(
      404,
    );
    expect((await api(rival, 'GET', '/api/v1/price-lists')).body.data).toEqual([]);
    expect((await resolve({ quantity: '1', account_id: ids.acme! }, rival)).status).toBe(404);
    expect((await resolve({ quantity: '1', storefront_id: ids.shop! }, rival)).status).toBe(404);
    expect((await resolve({ quantity: '1' }, rival)).body).toMatchObject({
      priced: false,
      reason: 'no-price-list',
    });
    const foreignTarget = await api(rival, 'POST', '/api/v1/price-lists', {
      code: 'steal',
      name: 'Steal',
      currency: 'EUR',
      targets: [{ kind: 'account', id: ids.acme }],
    });
    expect(foreignTarget.status).toBe(400);
    expect(foreignTarget.body.errors[0].pointer).toBe('/targets/0/id');
    expect((await api(rival, 'DELETE', `/api/v1/promotions/${ids.spring}`)).status).toBe(404);
  });
});
