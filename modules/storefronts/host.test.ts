import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsTenant } from '../../platform/context.ts';
import { addUser } from '../../platform/identity/testing.ts';
import { createApiToken } from '../../platform/identity/users.ts';
import { DRIVERS, getWithHost, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { resolveUnitPrice } from '../pricing/service.ts';

/** A buyer's catalogue and prices follow the storefront of the Host the request came on. */
describe.each(DRIVERS)('buyer requests bound to the storefront of their Host, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  const ids: Record<string, string> = {};
  let buyerId: string;
  let buyerToken: string;

  beforeAll(async () => {
    t = await startTestApp(driver);
    acme = await t.newTenant('Acme Industrie');
    const post = async (path: string, body: unknown) => {
      const res = await t.api('POST', path, { token: acme.token, body });
      if (res.status >= 300) throw new Error(`${path}: ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    };
    ids.family = await post('/api/v1/catalog/families', { code: 'tools', name: { fr: 'Outils' } });
    ids.tools = await post('/api/v1/catalog/categories', { code: 'tools', name: { fr: 'Outillage' } });
    ids.safety = await post('/api/v1/catalog/categories', { code: 'safety', name: { fr: 'Sécurité' } });
    const product = (code: string, name: string, category: string) =>
      post('/api/v1/catalog/products', {
        code,
        family_id: ids.family,
        status: 'active',
        name: { fr: name },
        category_ids: [category],
        variants: [{ sku: code }],
      });
    ids.drill = await product('PERC-18V', 'Perceuse 18 V', ids.tools!);
    ids.gloves = await product('GANT-9', 'Gants de protection', ids.safety!);
    ids.distrib = await post('/api/v1/storefronts', {
      code: 'distrib',
      name: 'Distrib Pro',
      domains: ['distrib.acme.test'],
      currencies: ['EUR'],
    });
    ids.shop = await post('/api/v1/storefronts', { code: 'acme', name: 'Acme', domains: ['shop.acme.test'] });
    await post('/api/v1/visibility-rules', {
      subject_type: 'storefront',
      subject_id: ids.distrib,
      target_type: 'all',
      target_id: null,
      effect: 'deny',
    });
    await post('/api/v1/visibility-rules', {
      subject_type: 'storefront',
      subject_id: ids.distrib,
      target_type: 'category',
      target_id: ids.safety,
      effect: 'allow',
    });
    ids.account = await post('/api/v1/accounts', { name: 'Client' });
    ids.other = await post('/api/v1/accounts', { name: 'Autre client' });
    ids.public = await post('/api/v1/price-lists', {
      code: 'public',
      name: 'Public',
      currency: 'EUR',
      targets: [{ kind: 'all' }],
    });
    ids.distribList = await post('/api/v1/price-lists', {
      code: 'distrib',
      name: 'Distrib',
      currency: 'EUR',
      targets: [{ kind: 'storefront', id: ids.distrib }],
    });
    const price = (list: string, unit: string) =>
      t.api('PUT', `/api/v1/price-lists/${list}/entries`, {
        token: acme.token,
        body: { entries: [{ sku: 'GANT-9', breaks: [{ min_quantity: '1', unit_price: unit }] }] },
      });
    await price(ids.public!, '10.00');
    await price(ids.distribList!, '8.00');
    buyerId = await addUser(t, acme.tenantId, {
      email: 'buyer@client.test',
      kind: 'buyer',
      accountId: ids.account!,
      roles: ['buyer'],
    });
    buyerToken = (
      await runAsTenant(t.db, { tenantId: acme.tenantId }, (ctx) =>
        createApiToken(ctx, { userId: buyerId, name: 'buyer', scopes: ['*'] }),
      )
    ).token;
  });
  afterAll(() => t.close());

  const codes = (body: { data: { code: string }[] }) => body.data.map((h) => h.code).sort();

  it('on the distributor’s domain the buyer sees its assortment only — in search and by ID', async () => {
    const there = await getWithHost(
      t.url,
      'distrib.acme.test',
      '/api/v1/catalog/search?limit=50',
      buyerToken,
    );
    expect(there.status).toBe(200);
    expect(codes(there.body)).toEqual(['GANT-9']);
    const hidden = await getWithHost(
      t.url,
      'distrib.acme.test',
      `/api/v1/catalog/products/${ids.drill}`,
      buyerToken,
    );
    expect(hidden.status).toBe(404);
    // The same buyer on the main shop's domain (or with a port) sees the whole assortment.
    const main = await getWithHost(
      t.url,
      'shop.acme.test:443',
      '/api/v1/catalog/search?limit=50',
      buyerToken,
    );
    expect(codes(main.body)).toEqual(['GANT-9', 'PERC-18V']);
    // Staff are never restricted by the Host.
    const staff = await getWithHost(
      t.url,
      'distrib.acme.test',
      '/api/v1/catalog/search?limit=50',
      acme.token,
    );
    expect(codes(staff.body)).toEqual(['GANT-9', 'PERC-18V']);
  });

  it('a buyer’s price is the one of the Host’s storefront and their own account; naming another is refused', async () => {
    const asBuyer = (host: string | null, q: Record<string, string>) =>
      runAsTenant(
        t.db,
        {
          tenantId: acme.tenantId,
          host,
          actor: { type: 'user', id: buyerId, userId: buyerId, displayName: 'Buyer', permissions: new Set() },
        },
        (ctx) => resolveUnitPrice(ctx, { sku: 'GANT-9', quantity: '1', currency: 'EUR', ...q }),
      );
    expect((await asBuyer('distrib.acme.test', {})).unit_price).toEqual({ amount: '8.00', currency: 'EUR' });
    expect((await asBuyer('shop.acme.test', {})).unit_price).toEqual({ amount: '10.00', currency: 'EUR' });
    await expect(asBuyer('shop.acme.test', { storefront_id: ids.distrib! })).rejects.toMatchObject({
      status: 403,
    });
    await expect(asBuyer('distrib.acme.test', { account_id: ids.other! })).rejects.toMatchObject({
      status: 403,
    });
    expect(
      (await asBuyer('distrib.acme.test', { account_id: ids.account!, storefront_id: ids.distrib! }))
        .unit_price,
    ).toEqual({ amount: '8.00', currency: 'EUR' });
  });

  it('the predefined buyer role may resolve its own prices over HTTP, and only its own', async () => {
    const own = await getWithHost(
      t.url,
      'distrib.acme.test',
      '/api/v1/prices/resolve?sku=GANT-9&quantity=1&currency=EUR',
      buyerToken,
    );
    expect(own.status).toBe(200);
    expect(own.body.unit_price).toEqual({ amount: '8.00', currency: 'EUR' });
    const other = await getWithHost(
      t.url,
      'distrib.acme.test',
      `/api/v1/prices/resolve?sku=GANT-9&quantity=1&currency=EUR&account_id=${ids.other}`,
      buyerToken,
    );
    expect(other.status).toBe(403);
  });
});
