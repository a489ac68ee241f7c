import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCacheOf } from '../../platform/cache/read-cache.ts';
import { runAsTenant } from '../../platform/context.ts';
import { addUser } from '../../platform/identity/testing.ts';
import { createApiToken } from '../../platform/identity/users.ts';
import { DRIVERS, eventually, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';

/**
 * The product page answers from the read cache (platform/cache/read-cache.ts) and is never stale
 * after a committed change: through the API (this process drops the tenant's entries before
 * answering the write) and behind the API's back (the database's notification, migration 0019).
 */
describe.each(DRIVERS)('the product page and the read cache, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  let rival: TestTenant;
  let buyerToken: string;
  const ids: Record<string, string> = {};

  const staff = (method: string, path: string, body?: unknown) =>
    t.api(method, path, { token: acme.token, ...(body !== undefined ? { body } : {}) });
  const asBuyer = (path: string) => t.api('GET', path, { token: buyerToken });

  beforeAll(async () => {
    t = await startTestApp(driver);
    acme = await t.newTenant('Quincaillerie Cache');
    rival = await t.newTenant('Rival Cache');
    const post = async (path: string, body: unknown) => {
      const r = await staff('POST', path, body);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id as string;
    };
    ids.family = await post('/api/v1/catalog/families', { code: 'outils', name: { fr: 'Outils' } });
    ids.tools = await post('/api/v1/catalog/categories', { code: 'outillage', name: { fr: 'Outillage' } });
    ids.product = await post('/api/v1/catalog/products', {
      code: 'MART-01',
      family_id: ids.family,
      status: 'active',
      name: { fr: 'Marteau de coffreur' },
      category_ids: [ids.tools],
      variants: [{ sku: 'MART-01' }],
    });
    ids.account = await post('/api/v1/accounts', { name: 'Chantiers Dupont' });
    const buyer = await addUser(t, acme.tenantId, {
      email: `cache-buyer-${Math.random().toString(36).slice(2, 8)}@example.com`,
      kind: 'buyer',
      accountId: ids.account,
      roles: ['buyer'],
    });
    buyerToken = await runAsTenant(
      t.db,
      { tenantId: acme.tenantId },
      async (ctx) => (await createApiToken(ctx, { userId: buyer, name: 'cache test', scopes: ['*'] })).token,
    );
  });
  afterAll(() => t.close());

  it('serves the second read from the cache, with the same answer', async () => {
    const first = await asBuyer(`/api/v1/catalog/products/${ids.product}`);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(readCacheOf(t.db)?.live).toBe(true);
    expect(readCacheOf(t.db)!.size).toBeGreaterThan(0);
    const second = await asBuyer(`/api/v1/catalog/products/${ids.product}`);
    expect(second.body).toEqual(first.body);
  });

  it('a change through the API shows at the next read', async () => {
    await asBuyer(`/api/v1/catalog/products/${ids.product}`);
    const patched = await staff('PATCH', `/api/v1/catalog/products/${ids.product}`, {
      name: { fr: 'Marteau de menuisier' },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const read = await asBuyer(`/api/v1/catalog/products/${ids.product}`);
    expect(read.body.name.fr).toBe('Marteau de menuisier');
  });

  it('a visibility rule hiding the product applies at the next read (404), and its removal too', async () => {
    expect((await asBuyer(`/api/v1/catalog/products/${ids.product}`)).status).toBe(200);
    const rule = await staff('POST', '/api/v1/visibility-rules', {
      subject_type: 'account',
      subject_id: ids.account,
      target_type: 'category',
      target_id: ids.tools,
      effect: 'deny',
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    expect((await asBuyer(`/api/v1/catalog/products/${ids.product}`)).status).toBe(404);
    // Staff are not bound by the rules (and their reads are cached apart).
    expect((await staff('GET', `/api/v1/catalog/products/${ids.product}`)).status).toBe(200);
    expect((await staff('DELETE', `/api/v1/visibility-rules/${rule.body.id}`)).status).toBe(200);
    expect((await asBuyer(`/api/v1/catalog/products/${ids.product}`)).status).toBe(200);
  });

  it("a change made behind the API's back (another process, a migration) reaches the cache by notification", async () => {
    await asBuyer(`/api/v1/catalog/products/${ids.product}`);
    await runAsTenant(t.db, { tenantId: acme.tenantId }, (ctx) =>
      ctx.tx.execute(sql`update catalog_products set name = jsonb_set(name, '{fr}', '"Marteau de charpentier"')
                          where tenant_id = ${acme.tenantId} and id = ${ids.product}`),
    );
    expect(
      await eventually(
        async () =>
          (await asBuyer(`/api/v1/catalog/products/${ids.product}`)).body.name?.fr ===
          'Marteau de charpentier',
      ),
    ).toBe(true);
  });

  it('another tenant never gets the product from the cache (404, as if it did not exist)', async () => {
    expect((await asBuyer(`/api/v1/catalog/products/${ids.product}`)).status).toBe(200);
    const other = await t.api('GET', `/api/v1/catalog/products/${ids.product}`, { token: rival.token });
    expect(other.status).toBe(404);
  });
});
