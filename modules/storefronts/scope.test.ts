import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsTenant } from '../../platform/context.ts';
import { addUser } from '../../platform/identity/testing.ts';
import { createApiToken } from '../../platform/identity/users.ts';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';

/**
 * A staff role limited to one storefront (issue 4, scoped assignments): the distributor's shop
 * manager changes that shop — its settings and its visibility rules — and nothing else of the tenant.
 */
describe.each(DRIVERS)('a staff role scoped to one storefront, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  let scopedToken: string;
  const ids: Record<string, string> = {};
  const tag = Math.random().toString(36).slice(2, 8);

  beforeAll(async () => {
    t = await startTestApp(driver);
    acme = await t.newTenant('Acme Scope');
    const owner = (method: string, path: string, body?: unknown) =>
      t.api(method, path, { token: acme.token, ...(body !== undefined ? { body } : {}) });
    for (const code of ['distrib', 'main']) {
      const res = await owner('POST', '/api/v1/storefronts', {
        code,
        name: `Shop ${code}`,
        domains: [`${code}-${tag}.example.com`],
      });
      expect(res.status).toBe(201);
      ids[code] = res.body.id;
    }
    const group = await owner('POST', '/api/v1/customer-groups', { code: 'resellers', name: 'Resellers' });
    expect(group.status).toBe(201);
    ids.group = group.body.id;
    const manager = await addUser(t, acme.tenantId, { email: `shop-manager-${tag}@acme.test`, roles: [] });
    const assigned = await owner('POST', `/api/v1/users/${manager}/roles`, {
      role: 'catalogue_manager',
      scope: { type: 'storefront', id: ids.distrib },
    });
    expect(assigned.status).toBe(201);
    scopedToken = (
      await runAsTenant(t.db, { tenantId: acme.tenantId }, (ctx) =>
        createApiToken(ctx, { userId: manager, name: 'scoped', scopes: ['*'] }),
      )
    ).token;
  });
  afterAll(() => t.close());

  const asManager = (method: string, path: string, body?: unknown) =>
    t.api(method, path, { token: scopedToken, ...(body !== undefined ? { body } : {}) });

  it('sees only its storefront: the other one is unknown to it, in the list and by ID', async () => {
    const list = await asManager('GET', '/api/v1/storefronts');
    expect(list.status).toBe(200);
    expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([ids.distrib]);
    expect((await asManager('GET', `/api/v1/storefronts/${ids.distrib}`)).status).toBe(200);
    expect((await asManager('GET', `/api/v1/storefronts/${ids.main}`)).status).toBe(404);
  });

  it('changes its storefront, not the other one, and cannot create a new one', async () => {
    const mine = await asManager('PATCH', `/api/v1/storefronts/${ids.distrib}`, { name: 'Distrib Pro' });
    expect(mine.status).toBe(200);
    expect(mine.body.name).toBe('Distrib Pro');
    const other = await asManager('PATCH', `/api/v1/storefronts/${ids.main}`, { name: 'Hijacked' });
    expect(other.status).toBe(404);
    const created = await asManager('POST', '/api/v1/storefronts', { code: 'extra', name: 'Extra' });
    expect(created.status).toBe(403);
    expect(created.headers.get('content-type')).toContain('application/problem+json');
    const main = await t.api('GET', `/api/v1/storefronts/${ids.main}`, { token: acme.token });
    expect(main.body.name).toBe('Shop main');
  });

  it('sets visibility rules for its storefront only; a rule for a customer group is tenant-wide, so refused', async () => {
    const mine = await asManager('POST', '/api/v1/visibility-rules', {
      subject_type: 'storefront',
      subject_id: ids.distrib,
      target_type: 'all',
      effect: 'deny',
    });
    expect(mine.status).toBe(201);
    const other = await asManager('POST', '/api/v1/visibility-rules', {
      subject_type: 'storefront',
      subject_id: ids.main,
      target_type: 'all',
      effect: 'deny',
    });
    // The other storefront is unknown to this manager: the rule names no storefront it can see.
    expect(other.status).toBe(400);
    expect(other.body.errors[0].pointer).toBe('/subject_id');
    const group = await asManager('POST', '/api/v1/visibility-rules', {
      subject_type: 'group',
      subject_id: ids.group,
      target_type: 'all',
      effect: 'deny',
    });
    expect(group.status).toBe(403);
    // The owner's rule for the other storefront is invisible to the scoped manager.
    const ownerRule = await t.api('POST', '/api/v1/visibility-rules', {
      token: acme.token,
      body: { subject_type: 'storefront', subject_id: ids.main, target_type: 'all', effect: 'deny' },
    });
    expect(ownerRule.status).toBe(201);
    const listed = await asManager('GET', '/api/v1/visibility-rules');
    expect(listed.body.data.map((r: { id: string }) => r.id)).toEqual([mine.body.id]);
    expect((await asManager('GET', `/api/v1/visibility-rules/${ownerRule.body.id}`)).status).toBe(404);
    expect((await asManager('DELETE', `/api/v1/visibility-rules/${ownerRule.body.id}`)).status).toBe(404);
  });
});
