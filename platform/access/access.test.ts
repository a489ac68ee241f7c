import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { runAsTenant } from '../context.ts';
import { rows } from '../db/database.ts';
import { inSystemTransaction } from '../db/scope.ts';
import { advanceClock } from '../identity/clock.ts';
import { addUser, auditOf } from '../identity/testing.ts';
import { createApiToken } from '../identity/users.ts';
import { resolveRule } from './roles.ts';
import { conflictsOf, DEFAULT_SOD_RULES } from './sod.ts';

/** A user of `tenant` with the given roles, and an API token carrying all of their permissions. */
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

describe('predefined roles and SoD rules (pure)', () => {
  const catalogue = [
    'accounts.account.read',
    'accounts.account.write',
    'audit.event.read',
    'iam.role.assign',
    'pricing.price_list.write',
    'pricing.price_list.approve',
    'billing.credit_note.write',
    'billing.credit_note.approve',
    'catalog.product.write',
  ];
  it('resolves rules against the catalogue, and no predefined role but owner breaks a default SoD rule', async () => {
    const { PREDEFINED_ROLES } = await import('./roles.ts');
    for (const r of PREDEFINED_ROLES.filter((x) => x.key !== 'owner')) {
      const perms = resolveRule(r, catalogue);
      expect(conflictsOf(DEFAULT_SOD_RULES, perms, perms), r.key).toEqual([]);
    }
    expect(resolveRule({ include: ['*.*.read'], exclude: ['audit.event.read'] }, catalogue)).toEqual([
      'accounts.account.read',
    ]);
  });
});

describe.each(DRIVERS)('access control on %s', (driver) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    t = await startTestApp(driver);
    a = await t.newTenant('Acme');
    b = await t.newTenant('Bricoles');
  });
  afterAll(() => t.close());

  it('lists predefined roles built from the catalogue; the tenant creator is owner', async () => {
    const res = await t.api('GET', '/api/v1/roles', { token: a.token });
    expect(res.status).toBe(200);
    const byKey = Object.fromEntries(res.body.data.map((r: { key: string }) => [r.key, r]));
    for (const k of [
      'owner',
      'technical_admin',
      'security_admin',
      'catalogue_manager',
      'sales_admin',
      'finance_admin',
      'customer_service',
      'auditor',
      'read_only',
      'company_admin',
      'buyer',
      'approver',
      'viewer',
    ])
      expect(byKey[k], k).toBeDefined();
    expect(byKey.catalogue_manager.permissions).toContain('catalog.product.write');
    expect(byKey.auditor.permissions).toContain('audit.event.read');
    expect(byKey.auditor.permissions.some((p: string) => p.endsWith('.write'))).toBe(false);
    expect(byKey.read_only.permissions).not.toContain('audit.event.read');
    expect(byKey.security_admin.administrative).toBe(true);
    const mine = await t.api('GET', `/api/v1/users/${a.ownerId}/roles`, { token: a.token });
    expect(mine.body.data.map((x: { role: string }) => x.role)).toEqual(['owner']);
  });

  it('an assignment grants at the next request, and its revocation removes access at the next one', async () => {
    const u = await userWithToken(t, a, 'julien@acme.example');
    expect((await t.api('GET', '/api/v1/accounts', { token: u.token })).status).toBe(403);
    const given = await t.api('POST', `/api/v1/users/${u.id}/roles`, {
      token: a.token,
      body: { role: 'sales_admin' },
    });
    expect(given.status, JSON.stringify(given.body)).toBe(201);
    expect((await t.api('GET', '/api/v1/accounts', { token: u.token })).status).toBe(200);
    expect((await t.api('GET', '/api/v1/audit/events', { token: u.token })).status).toBe(403);
    const gone = await t.api('DELETE', `/api/v1/users/${u.id}/roles/${given.body.id}`, { token: a.token });
    expect(gone.status).toBe(204);
    expect((await t.api('GET', '/api/v1/accounts', { token: u.token })).status).toBe(403);
    expect((await auditOf(t, a.tenantId, 'access.role_assignment.revoke')).at(-1)?.resource_id).toBe(
      given.body.id,
    );
  });

  it('a temporary assignment stops granting when it expires, and the expiry is audited once', async () => {
    const u = await userWithToken(t, a, 'interim@acme.example');
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const given = await t.api('POST', `/api/v1/users/${u.id}/roles`, {
      token: a.token,
      body: { role: 'catalogue_manager', expires_at: until },
    });
    expect(given.status).toBe(201);
    expect(given.body.expires_at).toBe(until);
    expect((await t.api('GET', '/api/v1/catalog/products', { token: u.token })).status).toBe(200);
    const undo = advanceClock(2 * 3_600_000);
    try {
      expect((await t.api('GET', '/api/v1/catalog/products', { token: u.token })).status).toBe(403);
      expect((await t.api('GET', '/api/v1/catalog/products', { token: u.token })).status).toBe(403);
      const list = await t.api('GET', `/api/v1/users/${u.id}/roles?include_inactive=true`, {
        token: a.token,
      });
      expect(list.body.data[0].status).toBe('expired');
    } finally {
      undo();
    }
    const expired = (await auditOf(t, a.tenantId, 'access.role_assignment.expire')).filter(
      (e) => e.resource_id === given.body.id,
    );
    expect(expired).toHaveLength(1);
    // A past expiry is refused, naming the field.
    const past = await t.api('POST', `/api/v1/users/${u.id}/roles`, {
      token: a.token,
      body: { role: 'catalogue_manager', expires_at: '2020-01-01T00:00:00.000Z' },
    });
    expect(past.status).toBe(400);
    expect(past.body.errors[0].pointer).toBe('/expires_at');
  });

  it("limits a buyer's role to the buyer's company", async () => {
    const mk = async (name: string) =>
      (await t.api('POST', '/api/v1/accounts', { token: a.token, body: { name } })).body.id as string;
    const mine = await mk('Boulangerie Martin');
    const other = await mk('Garage Dupont');
    const buyer = await userWithToken(t, a, 'lucie@boulangerie.example', { kind: 'buyer', accountId: mine });
    const staffRole = await t.api('POST', `/api/v1/users/${buyer.id}/roles`, {
      token: a.token,
      body: { role: 'sales_admin' },
    });
    expect(staffRole.status).toBe(422);
    const wrongScope = await t.api('POST', `/api/v1/users/${buyer.id}/roles`, {
      token: a.token,
      body: { role: 'buyer', scope: { type: 'account', id: other } },
    });
    expect(wrongScope.status).toBe(422);
    expect(wrongScope.body.errors[0].pointer).toBe('/scope');
    const given = await t.api('POST', `/api/v1/users/${buyer.id}/roles`, {
      token: a.token,
      body: { role: 'buyer' },
    });
    expect(given.status).toBe(201);
    expect(given.body.scope).toEqual({ type: 'account', id: mine });
    expect((await t.api('GET', `/api/v1/accounts/${mine}`, { token: buyer.token })).status).toBe(200);
    expect((await t.api('GET', `/api/v1/accounts/${other}`, { token: buyer.token })).status).toBe(404);
    const list = await t.api('GET', '/api/v1/accounts', { token: buyer.token });
    expect(list.body.data.map((x: { id: string }) => x.id)).toEqual([mine]);
  });

  it('refuses an assignment that breaks separation of duties, then allows it with an approved exception (four-eyes)', async () => {
    const u = await userWithToken(t, a, 'sam@acme.example', { roles: ['security_admin'] });
    const refused = await t.api('POST', `/api/v1/users/${u.id}/roles`, {
      token: a.token,
      body: { role: 'auditor' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe('/problems/sod-conflict');
    expect(refused.body.detail).toContain('audit.event.read and iam.role.assign');
    expect((await auditOf(t, a.tenantId, 'access.role_assignment.create')).at(-1)?.outcome).toBe('failure');

    const exception = await t.api('POST', '/api/v1/sod-exceptions', {
      token: a.token,
      body: {
        user_id: u.id,
        permissions: ['iam.role.assign', 'audit.event.read'],
        justification: 'Interim security officer during the audit; the CFO reviews weekly',
        expires_at: new Date(Date.now() + 7 * 86_400_000).toISOString(),
      },
    });
    expect(exception.status, JSON.stringify(exception.body)).toBe(201);
    expect(exception.body.status).toBe('pending');
    // Pending: still refused.
    expect(
      (await t.api('POST', `/api/v1/users/${u.id}/roles`, { token: a.token, body: { role: 'auditor' } }))
        .status,
    ).toBe(409);
    // Four-eyes: the requester cannot approve it, even with another credential of theirs.
    const ownerSecond = await runAsTenant(t.db, { tenantId: a.tenantId }, (ctx) =>
      createApiToken(ctx, { userId: a.ownerId, name: 'second', scopes: ['*'] }),
    );
    const self = await t.api('POST', `/api/v1/sod-exceptions/${exception.body.id}/approve`, {
      token: ownerSecond.token,
    });
    expect(self.status).toBe(403);
    expect(self.body.type).toBe('/problems/four-eyes-required');
    expect((await auditOf(t, a.tenantId, 'access.sod_exception.approve')).at(-1)?.outcome).toBe('denied');
    const colleague = await userWithToken(t, a, 'colleague@acme.example', { roles: ['owner'] });
    const approved = await t.api('POST', `/api/v1/sod-exceptions/${exception.body.id}/approve`, {
      token: colleague.token,
    });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('approved');

    const allowed = await t.api('POST', `/api/v1/users/${u.id}/roles`, {
      token: a.token,
      body: { role: 'auditor' },
    });
    expect(allowed.status).toBe(201);
    expect(allowed.body.sod_exception_id).toBe(exception.body.id);
    // The assignment ends with the exception.
    expect(allowed.body.expires_at).toBe(exception.body.expires_at);
  });

  it('cannot grant what one does not hold', async () => {
    const sec = await userWithToken(t, a, 'secadmin@acme.example', { roles: ['security_admin'] });
    const victim = await addUser(t, a.tenantId, { email: 'target@acme.example', roles: [] });
    const res = await t.api('POST', `/api/v1/users/${victim}/roles`, {
      token: sec.token,
      body: { role: 'owner' },
    });
    expect(res.status).toBe(403);
  });

  it('custom roles: permissions checked against the catalogue; elevation alerts by event, mail and audit', async () => {
    const bad = await t.api('POST', '/api/v1/roles', {
      token: a.token,
      body: { key: 'reviewer', name: 'Reviewer', permissions: ['catalog.product.read', 'nope.nothing.here'] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].pointer).toBe('/permissions/1');
    const clash = await t.api('POST', '/api/v1/roles', {
      token: a.token,
      body: { key: 'owner', name: 'Fake owner', permissions: ['catalog.product.read'] },
    });
    expect(clash.status).toBe(409);
    const role = await t.api('POST', '/api/v1/roles', {
      token: a.token,
      body: { key: 'reviewer', name: 'Reviewer', permissions: ['catalog.product.read'] },
    });
    expect(role.status).toBe(201);
    expect(role.body.administrative).toBe(false);

    const contacts = await t.api('PUT', '/api/v1/security-contacts', {
      token: a.token,
      body: { emails: ['secops@acme.example'] },
    });
    expect(contacts.status).toBe(200);
    const u = await userWithToken(t, a, 'rita@acme.example');
    const given = await t.api('POST', `/api/v1/users/${u.id}/roles`, {
      token: a.token,
      body: { role: 'reviewer' },
    });
    expect(given.status).toBe(201);
    const mails = async () =>
      inSystemTransaction(t.db, async (tx) =>
        rows<{ to_address: string; text_body: string; template: string }>(
          await tx.execute(sql`select to_address, text_body, template from mail_outbox
                                where tenant_id = ${a.tenantId} and template = 'access.privilege_elevated' order by id`),
        ),
      );
    // Earlier tests granted administrative roles (to the owners then): count from here.
    const before = (await mails()).length;
    // Adding an administrative permission to a role someone holds is an elevation.
    const patched = await t.api('PATCH', `/api/v1/roles/${role.body.id}`, {
      token: a.token,
      body: { permissions: ['catalog.product.read', 'identity.user.write'] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.administrative).toBe(true);
    let sent = (await mails()).slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.to_address).toBe('secops@acme.example');
    expect(sent[0]!.text_body).toContain('identity.user.write');
    // Granting an administrative predefined role: event, mail and audit (who, whom, what, when).
    const sec = await t.api('POST', `/api/v1/users/${u.id}/roles`, {
      token: a.token,
      body: { role: 'technical_admin' },
    });
    expect(sec.status).toBe(201);
    sent = (await mails()).slice(before);
    expect(sent).toHaveLength(2);
    const events = await inSystemTransaction(t.db, async (tx) =>
      rows<{
        payload: { user_id: string; role: string; granted_by: string; administrative_permissions: string[] };
      }>(
        await tx.execute(sql`select payload from outbox_events where tenant_id = ${a.tenantId}
                              and type = 'access.privilege.elevated' order by id`),
      ),
    );
    const last = events.at(-1)!.payload;
    expect(last).toMatchObject({ user_id: u.id, role: 'technical_admin' });
    expect(last.administrative_permissions).toContain('iam.service_account.manage');
    const audited = (await auditOf(t, a.tenantId, 'access.privilege.elevate')).at(-1)!;
    expect(audited.resource_id).toBe(u.id);
    expect(audited.metadata).toMatchObject({ role: 'technical_admin', granted_by: expect.any(String) });
    // A role still held cannot be deleted.
    expect((await t.api('DELETE', `/api/v1/roles/${role.body.id}`, { token: a.token })).status).toBe(409);
  });

  it('exports the access review as JSON and CSV, audited as a sensitive read', async () => {
    const json = await t.api('GET', '/api/v1/access-review?format=json', { token: a.token });
    expect(json.status).toBe(200);
    const owner = json.body.data.find((r: { user_id: string }) => r.user_id === a.ownerId);
    expect(owner.roles.map((r: { role: string }) => r.role)).toEqual(['owner']);
    expect(owner.effective_permissions).toContain('iam.role.assign');
    expect(owner.mfa).toEqual({ enabled: false, methods: [] });
    expect(owner.api_tokens.length).toBeGreaterThanOrEqual(1);
    const buyer = json.body.data.find((r: { email: string }) => r.email === 'lucie@boulangerie.example');
    expect(buyer.roles[0].scope.type).toBe('account');
    const csv = await t.api('GET', '/api/v1/access-review?format=csv', { token: a.token });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (csv.body as string).trim().split('\r\n');
    expect(lines[0]).toBe(
      'user_id,email,display_name,kind,status,account_id,roles,effective_permissions,last_login_at,mfa_enabled,mfa_methods,sso,api_tokens',
    );
    expect(lines.length).toBe(json.body.data.length + 1);
    const reads = await auditOf(t, a.tenantId, 'access.access_review.export');
    expect(reads.map((r) => [r.outcome, (r.metadata as { format: string }).format])).toEqual([
      ['success', 'json'],
      ['success', 'csv'],
    ]);
  });

  it("tenant B can neither see nor assign tenant A's roles and users (404)", async () => {
    const role = (await t.api('GET', '/api/v1/roles', { token: a.token })).body.data.find(
      (r: { key: string }) => r.key === 'reviewer',
    );
    expect((await t.api('GET', `/api/v1/users/${a.ownerId}/roles`, { token: b.token })).status).toBe(404);
    expect(
      (
        await t.api('POST', `/api/v1/users/${a.ownerId}/roles`, {
          token: b.token,
          body: { role: 'read_only' },
        })
      ).status,
    ).toBe(404);
    expect(
      (await t.api('PATCH', `/api/v1/roles/${role.id}`, { token: b.token, body: { name: 'x' } })).status,
    ).toBe(404);
    expect((await t.api('DELETE', `/api/v1/roles/${role.id}`, { token: b.token })).status).toBe(404);
    const bRoles = await t.api('GET', '/api/v1/roles', { token: b.token });
    expect(bRoles.body.data.some((r: { key: string }) => r.key === 'reviewer')).toBe(false);
    const review = await t.api('GET', '/api/v1/access-review', { token: b.token });
    expect(review.body.data.some((r: { user_id: string }) => r.user_id === a.ownerId)).toBe(false);
  });
});
