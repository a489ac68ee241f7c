import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { runAsTenant } from '../context.ts';
import { addUser, auditOf } from '../identity/testing.ts';
import { createApiToken } from '../identity/users.ts';

async function userWithToken(
  t: TestApp,
  tenant: TestTenant,
  email: string,
  o: { roles?: string[]; kind?: 'staff' | 'buyer'; accountId?: string } = {},
) {
  const id = await addUser(t, tenant.tenantId, { email, roles: o.roles ?? [], ...o });
  const { token } = await runAsTenant(t.db, { tenantId: tenant.tenantId }, (ctx) =>
    createApiToken(ctx, { userId: id, name: 'test', scopes: ['*'] }),
  );
  return { id, token };
}

describe.each(DRIVERS)("customer companies' own custom roles on %s", (driver) => {
  let t: TestApp;
  let a: TestTenant;
  let martin: string;
  let dupont: string;

  beforeAll(async () => {
    t = await startTestApp(driver);
    a = await t.newTenant('Acme');
    const mk = async (name: string) =>
      (await t.api('POST', '/api/v1/accounts', { token: a.token, body: { name } })).body.id as string;
    martin = await mk('Boulangerie Martin');
    dupont = await mk('Garage Dupont');
  });
  afterAll(() => t.close());

  it('a company admin builds roles from what the tenant allows, and gives them to their own company only', async () => {
    const admin = await userWithToken(t, a, 'admin@martin.example', {
      kind: 'buyer',
      accountId: martin,
      roles: ['company_admin'],
    });
    const colleague = await userWithToken(t, a, 'lea@martin.example', { kind: 'buyer', accountId: martin });
    const outsider = await userWithToken(t, a, 'paul@dupont.example', { kind: 'buyer', accountId: dupont });
    const staff = await addUser(t, a.tenantId, { email: 'staff@acme.example', roles: [] });

    const listed = await t.api('GET', '/api/v1/company/roles', { token: admin.token });
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.account_id).toBe(martin);
    expect(listed.body.allowed_permissions).toContain('catalog.product.read');
    expect(listed.body.allowed_permissions).not.toContain('catalog.product.write');
    expect(listed.body.data.map((r: { key: string }) => r.key)).toContain('buyer');

    // A staff permission is refused, naming it.
    const staffPerm = await t.api('POST', '/api/v1/company/roles', {
      token: admin.token,
      body: {
        key: 'martin_sneaky',
        name: 'Sneaky',
        permissions: ['catalog.product.read', 'catalog.product.write'],
      },
    });
    expect(staffPerm.status).toBe(403);
    expect(staffPerm.body.errors[0].pointer).toBe('/permissions/1');
    expect((await auditOf(t, a.tenantId, 'access.role.create')).at(-1)?.outcome).toBe('denied');

    const role = await t.api('POST', '/api/v1/company/roles', {
      token: admin.token,
      body: { key: 'martin_catalogue', name: 'Catalogue seulement', permissions: ['catalog.product.read'] },
    });
    expect(role.status, JSON.stringify(role.body)).toBe(201);
    expect(role.body).toMatchObject({ audience: 'customer', account_id: martin, predefined: false });

    const given = await t.api('POST', `/api/v1/company/users/${colleague.id}/roles`, {
      token: admin.token,
      body: { role: 'martin_catalogue' },
    });
    expect(given.status, JSON.stringify(given.body)).toBe(201);
    expect(given.body.scope).toEqual({ type: 'account', id: martin });
    expect((await t.api('GET', '/api/v1/catalog/products', { token: colleague.token })).status).toBe(200);

    const roles = await t.api('GET', `/api/v1/company/users/${colleague.id}/roles`, { token: admin.token });
    expect(roles.status).toBe(200);
    expect(roles.body.data.map((r: { role: string }) => r.role)).toEqual(['martin_catalogue']);
    expect(
      (await t.api('GET', `/api/v1/company/users/${outsider.id}/roles`, { token: admin.token })).status,
    ).toBe(404);
    const revoked = await t.api('DELETE', `/api/v1/company/users/${colleague.id}/roles/${given.body.id}`, {
      token: admin.token,
    });
    expect(revoked.status).toBe(204);
    expect((await t.api('GET', '/api/v1/catalog/products', { token: colleague.token })).status).toBe(403);
    // Another company's user, or a staff user, does not exist for a company admin.
    for (const target of [outsider.id, staff]) {
      const res = await t.api('POST', `/api/v1/company/users/${target}/roles`, {
        token: admin.token,
        body: { role: 'buyer' },
      });
      expect(res.status).toBe(404);
    }
    // A staff role is not a company role.
    const staffRole = await t.api('POST', `/api/v1/company/users/${colleague.id}/roles`, {
      token: admin.token,
      body: { role: 'catalogue_manager' },
    });
    expect(staffRole.status).toBe(400);

    // The merchant's staff cannot put Martin's role on Dupont's user either.
    const cross = await t.api('POST', `/api/v1/users/${outsider.id}/roles`, {
      token: a.token,
      body: { role: 'martin_catalogue' },
    });
    expect(cross.status).toBe(422);
    // The company endpoints are for customers' users.
    expect((await t.api('GET', '/api/v1/company/roles', { token: a.token })).status).toBe(422);
    // A plain buyer cannot build roles.
    expect(
      (
        await t.api('POST', '/api/v1/company/roles', {
          token: colleague.token,
          body: { key: 'martin_x', name: 'X', permissions: ['catalog.product.read'] },
        })
      ).status,
    ).toBe(403);
  });

  it('the tenant sets what company admins may use; administrative permissions never', async () => {
    const admin = await userWithToken(t, a, 'admin@dupont.example', {
      kind: 'buyer',
      accountId: dupont,
      roles: ['company_admin'],
    });
    const policy = await t.api('GET', '/api/v1/customer-role-policy', { token: a.token });
    expect(policy.body.is_default).toBe(true);
    const admins = await t.api('PUT', '/api/v1/customer-role-policy', {
      token: a.token,
      body: { permissions: ['catalog.product.read', 'iam.role.assign'] },
    });
    expect(admins.status).toBe(422);
    expect(admins.body.errors[0].pointer).toBe('/permissions/1');
    const narrowed = await t.api('PUT', '/api/v1/customer-role-policy', {
      token: a.token,
      body: { permissions: ['catalog.product.read'] },
    });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body).toEqual({ permissions: ['catalog.product.read'], is_default: false });
    const refused = await t.api('POST', '/api/v1/company/roles', {
      token: admin.token,
      body: { key: 'dupont_accounts', name: 'Comptes', permissions: ['accounts.account.read'] },
    });
    expect(refused.status).toBe(403);
    // Martin's role is not Dupont's to give.
    const foreign = await t.api('POST', `/api/v1/company/users/${admin.id}/roles`, {
      token: admin.token,
      body: { role: 'martin_catalogue' },
    });
    expect(foreign.status).toBe(400);
  });
});
