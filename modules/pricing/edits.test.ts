import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsTenant } from '../../platform/context.ts';
import { addUser, auditOf } from '../../platform/identity/testing.ts';
import { createApiToken } from '../../platform/identity/users.ts';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';

/** What the console's pricing screens need: lists by target, edits of discounts and promotions, names on requests. */
describe.each(DRIVERS)(
  'pricing: target filter, discount and promotion edits, request names, on %s',
  (driver) => {
    let t: TestApp;
    let acme: TestTenant;
    let rival: TestTenant;
    const ids: Record<string, string> = {};

    const api = (tenant: TestTenant | string, method: string, path: string, body?: unknown) =>
      t.api(method, path, {
        token: typeof tenant === 'string' ? tenant : tenant.token,
        ...(body !== undefined ? { body } : {}),
      });
    const post = async (path: string, body: unknown, tenant = acme) => {
      const res = await api(tenant, 'POST', path, body);
      if (res.status >= 300) throw new Error(`${path}: ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    };
    const idsOf = (res: { body: { data: { id: string }[] } }) => res.body.data.map((x) => x.id);

    beforeAll(async () => {
      t = await startTestApp(driver);
      acme = await t.newTenant('Outillage Martin');
      rival = await t.newTenant('Rival');
      ids.shop = await post('/api/v1/storefronts', { code: 'shop', name: 'Shop', currencies: ['EUR'] });
      ids.group = await post('/api/v1/customer-groups', { code: 'distributors', name: 'Distributeurs' });
      ids.a = await post('/api/v1/accounts', { name: 'ACME' });
      ids.b = await post('/api/v1/accounts', { name: 'Électro Sud' });
      const list = (code: string, targets: unknown[]) =>
        post('/api/v1/price-lists', { code, name: code, currency: 'EUR', targets });
      ids.public = await list('public', [{ kind: 'all' }]);
      ids.contractA = await list('contract-a', [{ kind: 'account', id: ids.a }]);
      ids.contractB = await list('contract-b', [
        { kind: 'account', id: ids.b },
        { kind: 'group', id: ids.group },
      ]);
      ids.shopList = await list('shop', [{ kind: 'storefront', id: ids.shop }]);
      ids.rivalAccount = await post('/api/v1/accounts', { name: 'Rival client' }, rival);
    });
    afterAll(() => t.close());

    it('price lists filter by target kind, and by kind and ID', async () => {
      const byKind = await api(acme, 'GET', '/api/v1/price-lists?target_kind=account');
      expect(byKind.status).toBe(200);
      expect(idsOf(byKind)).toEqual([ids.contractA, ids.contractB]);
      expect(
        idsOf(await api(acme, 'GET', `/api/v1/price-lists?target_kind=account&target_id=${ids.b}`)),
      ).toEqual([ids.contractB]);
      expect(idsOf(await api(acme, 'GET', '/api/v1/price-lists?target_kind=group'))).toEqual([ids.contractB]);
      expect(idsOf(await api(acme, 'GET', '/api/v1/price-lists?target_kind=all'))).toEqual([ids.public]);
      expect(
        idsOf(await api(acme, 'GET', `/api/v1/price-lists?target_kind=storefront&target_id=${ids.shop}`)),
      ).toEqual([ids.shopList]);
      // Another tenant's account finds nothing, and our account finds nothing in theirs.
      expect(
        idsOf(
          await api(acme, 'GET', `/api/v1/price-lists?target_kind=account&target_id=${ids.rivalAccount}`),
        ),
      ).toEqual([]);
      expect(
        idsOf(await api(rival, 'GET', `/api/v1/price-lists?target_kind=account&target_id=${ids.a}`)),
      ).toEqual([]);
    });

    it('a target ID without its kind, or of another kind, is a 400 naming target_id', async () => {
      for (const q of [
        `target_id=${ids.a}`,
        `target_kind=group&target_id=${ids.a}`,
        `target_kind=all&target_id=${ids.a}`,
      ]) {
        const res = await api(acme, 'GET', `/api/v1/price-lists?${q}`);
        expect(res.status, q).toBe(400);
        expect(res.body.errors[0]).toMatchObject({ in: 'query', pointer: '/target_id' });
      }
      const bad = await api(acme, 'GET', '/api/v1/price-lists?target_kind=planet');
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0]).toMatchObject({ in: 'query', pointer: '/target_kind' });
    });

    it('PATCH changes a group discount level, audited with its changes; another tenant gets 404', async () => {
      const id = await post('/api/v1/group-discounts', { group_id: ids.group, percent: '10' });
      const res = await api(acme, 'PATCH', `/api/v1/group-discounts/${id}`, {
        percent: '12.5',
        skus: ['PERC-18V'],
        valid_from: '2026-01-01T00:00:00Z',
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, group_id: ids.group, percent: '12.5', skus: ['PERC-18V'] });
      expect(res.body.valid_from).toBe('2026-01-01T00:00:00.000Z');
      const listed = await api(acme, 'GET', `/api/v1/group-discounts?group_id=${ids.group}`);
      expect(listed.body.data.find((d: { id: string }) => d.id === id).percent).toBe('12.5');
      const event = (await auditOf(t, acme.tenantId, 'pricing.group_discount.update')).at(-1);
      expect(event?.resource_id).toBe(id);
      expect(JSON.stringify(event)).toContain('12.5');

      expect((await api(rival, 'PATCH', `/api/v1/group-discounts/${id}`, { percent: '50' })).status).toBe(
        404,
      );
      const over = await api(acme, 'PATCH', `/api/v1/group-discounts/${id}`, { percent: '101' });
      expect(over.status).toBe(400);
      expect(over.body.errors[0]).toMatchObject({ in: 'body', pointer: '/percent' });
      const backwards = await api(acme, 'PATCH', `/api/v1/group-discounts/${id}`, {
        valid_to: '2025-06-01T00:00:00Z',
      });
      expect(backwards.status).toBe(400);
      expect(backwards.body.errors[0]).toMatchObject({ pointer: '/valid_to' });
      expect((await api(acme, 'PATCH', `/api/v1/group-discounts/${id}`, {})).status).toBe(400);
    });

    it('PATCH changes a promotion, keeping the fields not sent; another tenant gets 404', async () => {
      const id = await post('/api/v1/promotions', {
        name: 'Printemps',
        discount: { kind: 'percent', percent: '10' },
        stackable: true,
      });
      const res = await api(acme, 'PATCH', `/api/v1/promotions/${id}`, {
        name: 'Été',
        discount: { kind: 'amount', amount: '5.00', currency: 'EUR' },
        targets: [{ kind: 'account', id: ids.a }],
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id,
        name: 'Été',
        discount: { kind: 'amount', amount: '5', currency: 'EUR' },
        stackable: true,
        targets: [{ kind: 'account', id: ids.a }],
      });
      expect((await auditOf(t, acme.tenantId, 'pricing.promotion.update')).length).toBeGreaterThan(0);
      expect((await api(rival, 'PATCH', `/api/v1/promotions/${id}`, { name: 'x' })).status).toBe(404);
      const foreign = await api(acme, 'PATCH', `/api/v1/promotions/${id}`, {
        targets: [{ kind: 'account', id: ids.rivalAccount }],
      });
      expect(foreign.status).toBe(400);
      expect(foreign.body.errors[0].pointer).toMatch(/^\/targets/);
      const currency = await api(acme, 'PATCH', `/api/v1/promotions/${id}`, {
        discount: { kind: 'amount', amount: '5', currency: 'XXX' },
      });
      expect(currency.status).toBe(400);
      expect(currency.body.errors[0]).toMatchObject({ pointer: '/discount/currency' });
    });

    it('price change requests carry the initiator’s and the decider’s names', async () => {
      const set = (price: string) =>
        api(acme, 'PUT', `/api/v1/price-lists/${ids.contractA}/entries`, {
          entries: [{ sku: 'PERC-18V', breaks: [{ min_quantity: '1', unit_price: price }] }],
        });
      expect((await set('100.00')).status).toBe(200);
      const held = await set('150.00');
      expect(held.status).toBe(202);
      const request = held.body.price_change_request;
      expect(request.initiated_by).toBe(acme.ownerId);
      expect(request.initiated_by_name).toMatch(/^Owner of /);
      expect(request.decided_by_name).toBeNull();

      const financeId = await addUser(t, acme.tenantId, {
        email: 'claire.finance@acme.example',
        roles: ['finance_admin'],
      });
      const { token } = await runAsTenant(t.db, { tenantId: acme.tenantId }, (ctx) =>
        createApiToken(ctx, { userId: financeId, name: 'test', scopes: ['*'] }),
      );
      const approved = await api(token, 'POST', `/api/v1/price-change-requests/${request.id}/approve`);
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({ decided_by: financeId, decided_by_name: 'claire.finance' });
      const listed = await api(acme, 'GET', '/api/v1/price-change-requests');
      expect(listed.body.data[0]).toMatchObject({
        id: request.id,
        initiated_by_name: request.initiated_by_name,
        decided_by_name: 'claire.finance',
      });
      expect((await api(rival, 'GET', `/api/v1/price-change-requests/${request.id}`)).status).toBe(404);
    });
  },
);
