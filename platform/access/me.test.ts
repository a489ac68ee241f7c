import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { runAsTenant } from '../context.ts';
import { totpCodeAt } from '../identity/mfa.ts';
import { addUser } from '../identity/testing.ts';
import { createApiToken } from '../identity/users.ts';

async function userWithToken(t: TestApp, tenant: TestTenant, email: string, roles: string[], scopes = ['*']) {
  const id = await addUser(t, tenant.tenantId, { email, roles });
  const { token } = await runAsTenant(t.db, { tenantId: tenant.tenantId }, (ctx) =>
    createApiToken(ctx, { userId: id, name: 'test', scopes }),
  );
  return { id, auth: { authorization: `Bearer ${token}` } };
}

describe.each(DRIVERS)('my permissions and the users list, on %s', (driver) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  const bearer = (x: TestTenant) => ({ authorization: `Bearer ${x.token}` });

  beforeAll(async () => {
    t = await startTestApp(driver);
    a = await t.newTenant('Acme');
    b = await t.newTenant('Bricoles');
  });
  afterAll(() => t.close());

  it('GET /me gives the caller their effective permissions: an owner sees the catalogue, not `*`', async () => {
    const res = await t.api('GET', '/api/v1/me', { headers: bearer(a) });
    expect(res.status).toBe(200);
    expect(res.body.user_id).toBe(a.ownerId);
    expect(res.body.permissions).toContain('pricing.price_list.approve');
    expect(res.body.permissions).toContain('identity.user.read');
    expect(res.body.permissions).not.toContain('*');
    expect(res.body.permissions.some((p: string) => p.startsWith('platform.'))).toBe(false);
    expect(res.body.scopes).toEqual([]);
  });

  it('a sales administrator may prepare prices but not approve them; a token narrows to its scopes', async () => {
    const sales = await userWithToken(t, a, 'sales@acme.example', ['sales_admin']);
    const me = (await t.api('GET', '/api/v1/me', { headers: sales.auth })).body;
    expect(me.permissions).toContain('pricing.price_list.write');
    expect(me.permissions).not.toContain('pricing.price_list.approve');
    expect(me.permissions).not.toContain('identity.user.read');

    const narrow = await userWithToken(
      t,
      a,
      'narrow@acme.example',
      ['sales_admin'],
      ['catalog.product.read'],
    );
    const mine = (await t.api('GET', '/api/v1/me', { headers: narrow.auth })).body;
    expect(mine.permissions).toEqual(['catalog.product.read']);
  });

  it('a scoped assignment shows where its permissions apply', async () => {
    const sf = await t.api('POST', '/api/v1/storefronts', {
      headers: bearer(a),
      body: { name: 'Shop', code: 'shop' },
    });
    expect(sf.status).toBe(201);
    const u = await userWithToken(t, a, 'scoped@acme.example', []);
    const assign = await t.api('POST', `/api/v1/users/${u.id}/roles`, {
      headers: bearer(a),
      body: { role: 'catalogue_manager', scope: { type: 'storefront', id: sf.body.id } },
    });
    expect(assign.status).toBe(201);
    const me = (await t.api('GET', '/api/v1/me', { headers: u.auth })).body;
    const entry = me.scopes.find(
      (s: { permission: string }) => s.permission === 'storefronts.storefront.write',
    );
    expect(entry?.scopes).toEqual([{ type: 'storefront', id: sf.body.id }]);
  });

  it('GET /me without a token is a 401', async () => {
    expect((await t.api('GET', '/api/v1/me')).status).toBe(401);
  });

  it('the users list carries MFA and current roles, and `q` finds by name or e-mail', async () => {
    const u = await userWithToken(t, a, 'Claire.Martin@acme.example', ['catalogue_manager', 'read_only']);
    const start = await t.api('POST', '/api/v1/auth/mfa/totp', { headers: u.auth });
    expect(start.status).toBeLessThan(300);
    const confirm = await t.api('POST', '/api/v1/auth/mfa/totp/confirm', {
      headers: u.auth,
      body: { code: totpCodeAt(start.body.secret, new Date(Date.now() - 30_000)) },
    });
    expect(confirm.status).toBeLessThan(300);

    const found = await t.api('GET', '/api/v1/users?q=MARTIN', { headers: bearer(a) });
    expect(found.status).toBe(200);
    expect(found.body.data.map((x: { id: string }) => x.id)).toEqual([u.id]);
    expect(found.body.data[0].mfa).toEqual(['totp']);
    expect(found.body.data[0].roles).toEqual(['catalogue_manager', 'read_only']);

    const owner = (await t.api('GET', `/api/v1/users/${a.ownerId}`, { headers: bearer(a) })).body;
    expect(owner.roles).toEqual(['owner']);
    expect(owner.mfa).toEqual([]);

    // A revoked assignment is no longer listed.
    const list = await t.api('GET', `/api/v1/users/${u.id}/roles`, { headers: bearer(a) });
    const ro = list.body.data.find((x: { role: string }) => x.role === 'read_only');
    expect(
      (await t.api('DELETE', `/api/v1/users/${u.id}/roles/${ro.id}`, { headers: bearer(a) })).status,
    ).toBe(204);
    const after = await t.api('GET', '/api/v1/users?q=claire', { headers: bearer(a) });
    expect(after.body.data[0].roles).toEqual(['catalogue_manager']);

    // Display names match too (case-insensitive); another tenant finds none of them.
    const byName = await t.api('GET', '/api/v1/users?q=Owner%20of', { headers: bearer(a) });
    expect(byName.body.data.map((x: { id: string }) => x.id)).toEqual([a.ownerId]);
    expect((await t.api('GET', '/api/v1/users?q=martin', { headers: bearer(b) })).body.data).toEqual([]);
    expect((await t.api('GET', `/api/v1/users/${u.id}`, { headers: bearer(b) })).status).toBe(404);
  });

  it('an empty `q` is a 400 naming the parameter', async () => {
    const res = await t.api('GET', '/api/v1/users?q=', { headers: bearer(a) });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ in: 'query', pointer: '/q' });
  });
});
