import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsTenant } from '../../platform/context.ts';
import { rows } from '../../platform/db/database.ts';
import { addUser, auditOf } from '../../platform/identity/testing.ts';
import { createApiToken } from '../../platform/identity/users.ts';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';

/** A date `days` from today (UTC), as the API takes it. */
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

describe.each(DRIVERS)('inventory: warehouses, stock levels and what buyers see, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  let rival: TestTenant;
  const ids: Record<string, string> = {};

  const api = (tenant: TestTenant | string, method: string, path: string, body?: unknown) =>
    t.api(method, path, {
      token: typeof tenant === 'string' ? tenant : tenant.token,
      ...(body !== undefined ? { body } : {}),
    });
  const ok = async (tenant: TestTenant, method: string, path: string, body?: unknown) => {
    const res = await api(tenant, method, path, body);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  beforeAll(async () => {
    t = await startTestApp(driver);
    acme = await t.newTenant('Électricité Martin');
    rival = await t.newTenant('Rival Négoce');
    const family = await ok(acme, 'POST', '/api/v1/catalog/families', {
      code: 'cables',
      name: { fr: 'Câbles' },
    });
    const cable = await ok(acme, 'POST', '/api/v1/catalog/products', {
      code: 'R2V',
      family_id: family.id,
      status: 'active',
      name: { fr: 'Câble R2V 3G2,5' },
      variants: [
        { sku: 'R2V-3G25-100', unit: 'm', position: 0 },
        { sku: 'R2V-3G25-50', unit: 'm', position: 1 },
      ],
    });
    ids.cable = cable.id;
    ids.v100 = cable.variants[0].id;
    ids.v50 = cable.variants[1].id;
    const breaker = await ok(acme, 'POST', '/api/v1/catalog/products', {
      code: 'DISJ',
      family_id: family.id,
      status: 'active',
      name: { fr: 'Disjoncteur C16' },
      variants: [{ sku: 'DISJ-C16' }],
    });
    ids.breaker = breaker.id;
    ids.vBreaker = breaker.variants[0].id;
    ids.lyon = (await ok(acme, 'POST', '/api/v1/inventory/warehouses', { code: 'LYON', name: 'Lyon' })).id;
    ids.paris = (await ok(acme, 'POST', '/api/v1/inventory/warehouses', { code: 'PARIS', name: 'Paris' })).id;
    ids.rivalWh = (
      await ok(rival, 'POST', '/api/v1/inventory/warehouses', { code: 'LYON', name: 'Rival' })
    ).id;
  });
  afterAll(() => t.close());

  describe('warehouses', () => {
    it('lists, renames and deactivates a warehouse; a code is unique per tenant only', async () => {
      const list = await ok(acme, 'GET', '/api/v1/inventory/warehouses');
      expect(list.data.map((w: { code: string }) => w.code)).toEqual(['LYON', 'PARIS']);
      const dup = await api(acme, 'POST', '/api/v1/inventory/warehouses', { code: 'LYON', name: 'Encore' });
      expect(dup.status).toBe(409);
      expect(dup.body.errors[0].pointer).toBe('/code');
      const tmp = await ok(acme, 'POST', '/api/v1/inventory/warehouses', { code: 'TMP', name: 'Provisoire' });
      const renamed = await ok(acme, 'PATCH', `/api/v1/inventory/warehouses/${tmp.id}`, {
        name: 'Dépôt provisoire',
        active: false,
      });
      expect(renamed).toMatchObject({ code: 'TMP', name: 'Dépôt provisoire', active: false });
      const active = await ok(acme, 'GET', '/api/v1/inventory/warehouses?active=true');
      expect(active.data.map((w: { code: string }) => w.code)).toEqual(['LYON', 'PARIS']);
      expect((await api(acme, 'DELETE', `/api/v1/inventory/warehouses/${tmp.id}`)).status).toBe(200);
      expect((await api(acme, 'GET', `/api/v1/inventory/warehouses/${tmp.id}`)).status).toBe(404);
    });

    it('refuses a code an ERP could not key on, naming the field', async () => {
      const res = await api(acme, 'POST', '/api/v1/inventory/warehouses', { code: 'dépôt 1', name: 'X' });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain('/code');
    });

    it("another tenant's warehouse does not exist for us", async () => {
      expect((await api(acme, 'GET', `/api/v1/inventory/warehouses/${ids.rivalWh}`)).status).toBe(404);
      expect(
        (await api(acme, 'PATCH', `/api/v1/inventory/warehouses/${ids.rivalWh}`, { name: 'Volé' })).status,
      ).toBe(404);
      expect((await api(acme, 'DELETE', `/api/v1/inventory/warehouses/${ids.rivalWh}`)).status).toBe(404);
      const theirs = await ok(rival, 'GET', `/api/v1/inventory/warehouses/${ids.rivalWh}`);
      expect(theirs.name).toBe('Rival');
    });
  });

  describe("a variant's stock per warehouse", () => {
    it('sets on hand and an expected delivery per warehouse, and totals them (audited)', async () => {
      const date = inDays(10);
      const res = await ok(acme, 'PUT', `/api/v1/inventory/variants/${ids.v100}/stock`, {
        levels: [
          { warehouse_id: ids.lyon, on_hand: '120.5' },
          { warehouse_id: ids.paris, on_hand: '0', restock_date: date, restock_quantity: '500' },
        ],
      });
      expect(res.sku).toBe('R2V-3G25-100');
      expect(
        res.levels.map((l: { warehouse_code: string; on_hand: string }) => [l.warehouse_code, l.on_hand]),
      ).toEqual([
        ['LYON', '120.5'],
        ['PARIS', '0'],
      ]);
      expect(res.levels[1]).toMatchObject({ restock_date: date, restock_quantity: '500', reserved: '0' });
      expect(res.totals).toEqual({ on_hand: '120.5', reserved: '0', available: '120.5' });
      expect(res.availability.status).toBe('in_stock');
      expect(await ok(acme, 'GET', `/api/v1/inventory/variants/${ids.v100}/stock`)).toEqual(res);
      const events = await auditOf(t, acme.tenantId, 'inventory.stock.update');
      expect(events.length).toBeGreaterThanOrEqual(1);
    });

    it('refuses a negative quantity, too many decimals and an unknown warehouse — each named, nothing saved', async () => {
      const before = await ok(acme, 'GET', `/api/v1/inventory/variants/${ids.v100}/stock`);
      const res = await api(acme, 'PUT', `/api/v1/inventory/variants/${ids.v100}/stock`, {
        levels: [
          { warehouse_id: ids.lyon, on_hand: '-3' },
          { warehouse_id: ids.paris, on_hand: '1.23456' },
          { warehouse_id: ids.rivalWh, on_hand: '5' },
          { warehouse_id: ids.lyon, on_hand: '5', restock_date: '2026-02-30' },
        ],
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      const byPointer = Object.fromEntries(
        res.body.errors.map((e: { pointer: string; detail: string }) => [e.pointer, e.detail]),
      );
      expect(byPointer['/levels/0/on_hand']).toBe('must not be negative');
      expect(byPointer['/levels/1/on_hand']).toBe('has 5 decimals, at most 4 are allowed');
      expect(byPointer['/levels/2/warehouse_id']).toMatch(/not a warehouse of this tenant/);
      expect(byPointer['/levels/3/warehouse_id']).toMatch(/also level 0/);
      expect(byPointer['/levels/3/restock_date']).toBe('is not a calendar date');
      expect(await ok(acme, 'GET', `/api/v1/inventory/variants/${ids.v100}/stock`)).toEqual(before);
    });

    it('a warehouse left out no longer records the variant, unless it has quantities reserved for orders', async () => {
      await ok(acme, 'PUT', `/api/v1/inventory/variants/${ids.v50}/stock`, {
        levels: [
          { warehouse_id: ids.lyon, on_hand: '8' },
          { warehouse_id: ids.paris, on_hand: '4' },
        ],
      });
      const res = await ok(acme, 'PUT', `/api/v1/inventory/variants/${ids.v50}/stock`, {
        levels: [{ warehouse_id: ids.lyon, on_hand: '8' }],
      });
      expect(res.levels.map((l: { warehouse_code: string }) => l.warehouse_code)).toEqual(['LYON']);
      // Ordering will write reservations; until then, one set by hand stands for it.
      await runAsTenant(t.db, { tenantId: acme.tenantId }, (ctx) =>
        ctx.tx.execute(sql`update inventory_stock_levels set reserved = 2
          where tenant_id = ${acme.tenantId} and variant_id = ${ids.v50!}`),
      );
      const refused = await api(acme, 'PUT', `/api/v1/inventory/variants/${ids.v50}/stock`, { levels: [] });
      expect(refused.status).toBe(409);
      const kept = await ok(acme, 'GET', `/api/v1/inventory/variants/${ids.v50}/stock`);
      expect(kept.totals).toEqual({ on_hand: '8', reserved: '2', available: '6' });
      // A warehouse holding stock is not deleted; deactivated, its stock is no longer counted.
      expect((await api(acme, 'DELETE', `/api/v1/inventory/warehouses/${ids.lyon}`)).status).toBe(409);
    });

    it("another tenant can neither read nor set our variants' stock, nor use its warehouse on ours", async () => {
      expect((await api(rival, 'GET', `/api/v1/inventory/variants/${ids.v100}/stock`)).status).toBe(404);
      const put = await api(rival, 'PUT', `/api/v1/inventory/variants/${ids.v100}/stock`, {
        levels: [{ warehouse_id: ids.rivalWh, on_hand: '1' }],
      });
      expect(put.status).toBe(404);
      const stored = await runAsTenant(t.db, { tenantId: rival.tenantId }, async (ctx) =>
        rows(await ctx.tx.execute(sql`select * from inventory_stock_levels`)),
      );
      expect(stored).toEqual([]);
    });
  });

  describe('bulk import by SKU and warehouse code (ERP)', () => {
    const skus: string[] = [];
    beforeAll(async () => {
      // 100 products × 10 variants = 1,000 SKUs, in two warehouses: 2,000 lines.
      const family = await ok(acme, 'POST', '/api/v1/catalog/families', {
        code: 'vis',
        name: { fr: 'Visserie' },
      });
      const items = Array.from({ length: 100 }, (_, p) => ({
        code: `VIS-${p}`,
        family_code: family.code,
        name: { fr: `Vis ${p}` },
        variants: Array.from({ length: 10 }, (_, v) => ({ sku: `VIS-${p}-${v}` })),
      }));
      await ok(acme, 'POST', '/api/v1/catalog/products/bulk', { items });
      for (const i of items) for (const v of i.variants) skus.push(v.sku);
    });
    const lines = (qty: (i: number) => string) =>
      skus.flatMap((sku, i) => [
        { sku, warehouse_code: 'LYON', on_hand: qty(i) },
        { sku, warehouse_code: 'PARIS', on_hand: '0', restock_date: inDays(20), restock_quantity: '100' },
      ]);

    it('sets 2,000 lines at once; the same file again changes nothing', async () => {
      const first = await ok(acme, 'POST', '/api/v1/inventory/stock-levels/bulk', {
        items: lines((i) => String(i % 7)),
      });
      expect(first).toMatchObject({ created: 2000, updated: 0, unchanged: 0 });
      expect(first.items[3]).toMatchObject({
        index: 3,
        sku: 'VIS-0-1',
        warehouse_code: 'PARIS',
        result: 'created',
      });
      const again = await ok(acme, 'POST', '/api/v1/inventory/stock-levels/bulk', {
        items: lines((i) => String(i % 7)),
      });
      expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 2000 });
      const changed = await ok(acme, 'POST', '/api/v1/inventory/stock-levels/bulk', {
        items: [{ sku: 'VIS-0-1', warehouse_code: 'LYON', on_hand: '42.25' }],
      });
      expect(changed).toMatchObject({ updated: 1 });
      const v = (await ok(acme, 'GET', '/api/v1/catalog/variants?sku=VIS-0-1')).data[0];
      const stock = await ok(acme, 'GET', `/api/v1/inventory/variants/${v.id}/stock`);
      // Absent restock fields were kept.
      expect(
        stock.levels.map((l: { on_hand: string; restock_quantity: string | null }) => [
          l.on_hand,
          l.restock_quantity,
        ]),
      ).toEqual([
        ['42.25', null],
        ['0', '100'],
      ]);
      const events = await auditOf(t, acme.tenantId, 'inventory.stock.bulk_upsert');
      expect(events.length).toBe(3);
    });

    it('refuses the whole file when one line is wrong, with every problem named by its line', async () => {
      const items = lines(() => '999');
      items[5] = { ...items[5]!, sku: 'NO-SUCH-SKU' };
      items[8] = { ...items[8]!, warehouse_code: 'NANTES' };
      items[12] = { ...items[12]!, on_hand: '-1' };
      items[14] = { ...items[14]!, on_hand: '0.00001' };
      const res = await api(acme, 'POST', '/api/v1/inventory/stock-levels/bulk', { items });
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/^4 problem\(s\); nothing was saved/);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual([
        '/items/5/sku',
        '/items/8/warehouse_code',
        '/items/12/on_hand',
        '/items/14/on_hand',
      ]);
      const v = (await ok(acme, 'GET', '/api/v1/catalog/variants?sku=VIS-3-0')).data[0];
      const stock = await ok(acme, 'GET', `/api/v1/inventory/variants/${v.id}/stock`);
      expect(stock.levels[0].on_hand).not.toBe('999');
    });

    it("another tenant's file cannot reach our SKUs", async () => {
      const res = await api(rival, 'POST', '/api/v1/inventory/stock-levels/bulk', {
        items: [{ sku: 'VIS-0-1', warehouse_code: 'LYON', on_hand: '1' }],
      });
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ pointer: '/items/0/sku' });
    });
  });

  describe('what a buyer sees on the product page', () => {
    let buyerToken: string;
    let accountId: string;
    beforeAll(async () => {
      accountId = (await ok(acme, 'POST', '/api/v1/accounts', { name: 'Installateur Dupont' })).id;
      const userId = await addUser(t, acme.tenantId, {
        email: 'buyer@dupont.example',
        kind: 'buyer',
        accountId,
        roles: ['buyer'],
      });
      buyerToken = (
        await runAsTenant(t.db, { tenantId: acme.tenantId }, (ctx) =>
          createApiToken(ctx, { userId, name: 'buyer', scopes: ['catalog.product.read'] }),
        )
      ).token;
      await ok(acme, 'PUT', `/api/v1/inventory/variants/${ids.v100}/stock`, {
        levels: [
          { warehouse_id: ids.lyon, on_hand: '12' },
          { warehouse_id: ids.paris, on_hand: '0', restock_date: inDays(10), restock_quantity: '500' },
        ],
      });
      await ok(acme, 'PUT', `/api/v1/inventory/variants/${ids.vBreaker}/stock`, {
        levels: [{ warehouse_id: ids.lyon, on_hand: '0' }],
      });
    });

    it('shows only a status by default, never a quantity', async () => {
      await ok(acme, 'PATCH', '/api/v1/inventory/settings', {
        quantity_display: 'status',
        low_stock_threshold: '5',
        default_lead_time_days: null,
      });
      const res = await api(
        buyerToken,
        'GET',
        `/api/v1/catalog/products/${ids.cable}/availability?quantity=30`,
      );
      expect(res.status).toBe(200);
      expect(res.body.quantity_display).toBe('status');
      const [v100] = res.body.variants;
      expect(v100).toMatchObject({
        sku: 'R2V-3G25-100',
        status: 'in_stock',
        available_quantity: null,
        restock_quantity: null,
        request: { fulfilment: 'partial', available_now: null, backordered: null, rest_date: inDays(10) },
      });
    });

    it('"12 available, the rest in 7 days" when the tenant shows quantities and a lead time', async () => {
      await ok(acme, 'PATCH', '/api/v1/inventory/settings', {
        quantity_display: 'exact',
        low_stock_threshold: '20',
        default_lead_time_days: 7,
      });
      // Without the Paris delivery, the rest waits for the default lead time.
      await ok(acme, 'PUT', `/api/v1/inventory/variants/${ids.v100}/stock`, {
        levels: [{ warehouse_id: ids.lyon, on_hand: '12' }],
      });
      const res = await api(
        buyerToken,
        'GET',
        `/api/v1/catalog/products/${ids.cable}/availability?quantity=30`,
      );
      expect(res.body.variants[0]).toMatchObject({
        status: 'low_stock',
        available_quantity: '12',
        request: { fulfilment: 'partial', available_now: '12', backordered: '18', rest_lead_time_days: 7 },
      });
      const breaker = await api(buyerToken, 'GET', `/api/v1/catalog/products/${ids.breaker}/availability`);
      expect(breaker.body.variants[0]).toMatchObject({
        status: 'out_of_stock',
        available_quantity: '0',
        lead_time_days: 7,
      });
    });

    it('deactivating a warehouse withdraws its stock from what buyers see', async () => {
      await ok(acme, 'PATCH', `/api/v1/inventory/warehouses/${ids.lyon}`, { active: false });
      const res = await api(buyerToken, 'GET', `/api/v1/catalog/products/${ids.cable}/availability`);
      // Lyon was the only warehouse recording the cable: with it closed, nobody stocks it.
      expect(res.body.variants[0]).toMatchObject({ status: 'on_request', available_quantity: null });
      await ok(acme, 'PATCH', `/api/v1/inventory/warehouses/${ids.lyon}`, { active: true });
    });

    it('a product hidden from the buyer has no availability either (404, like its product page)', async () => {
      const rule = await ok(acme, 'POST', '/api/v1/visibility-rules', {
        subject_type: 'account',
        subject_id: accountId,
        target_type: 'product',
        target_id: ids.breaker,
        effect: 'deny',
      });
      expect((await api(buyerToken, 'GET', `/api/v1/catalog/products/${ids.breaker}`)).status).toBe(404);
      const res = await api(buyerToken, 'GET', `/api/v1/catalog/products/${ids.breaker}/availability`);
      expect(res.status).toBe(404);
      await ok(acme, 'DELETE', `/api/v1/visibility-rules/${rule.id}`);
      expect(
        (await api(buyerToken, 'GET', `/api/v1/catalog/products/${ids.breaker}/availability`)).status,
      ).toBe(200);
    });

    it('a buyer cannot read the stock per warehouse; another tenant cannot read our availability', async () => {
      expect((await api(buyerToken, 'GET', `/api/v1/inventory/variants/${ids.v100}/stock`)).status).toBe(403);
      expect((await api(rival, 'GET', `/api/v1/catalog/products/${ids.cable}/availability`)).status).toBe(
        404,
      );
    });

    it('refuses a quantity that is not a positive decimal, naming the parameter', async () => {
      const res = await api(
        buyerToken,
        'GET',
        `/api/v1/catalog/products/${ids.cable}/availability?quantity=-2`,
      );
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toMatchObject({ in: 'query', pointer: '/quantity' });
    });
  });

  describe('settings', () => {
    it('refuses a negative threshold and a lead time over a year, naming the field', async () => {
      const neg = await api(acme, 'PATCH', '/api/v1/inventory/settings', { low_stock_threshold: '-1' });
      expect(neg.status).toBe(400);
      expect(neg.body.errors[0].pointer).toBe('/low_stock_threshold');
      const long = await api(acme, 'PATCH', '/api/v1/inventory/settings', { default_lead_time_days: 400 });
      expect(long.status).toBe(400);
      expect(long.body.errors[0].pointer).toBe('/default_lead_time_days');
    });
    it("are the tenant's own", async () => {
      const theirs = await ok(rival, 'GET', '/api/v1/inventory/settings');
      expect(theirs).toMatchObject({
        quantity_display: 'status',
        low_stock_threshold: '5',
        updated_at: null,
      });
    });
  });
});
