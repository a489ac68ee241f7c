import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { rows } from '../db/database.ts';
import { inSystemTransaction } from '../db/scope.ts';
import { advanceClock } from '../identity/clock.ts';
import { createOperatorToken } from '../identity/operators.ts';
import { addUser, auditOf } from '../identity/testing.ts';

/** Audit events of a tenant with their actor and on-behalf-of, by request ID. */
async function eventsOf(t: TestApp, tenantId: string, requestId: string | null) {
  return inSystemTransaction(t.db, async (tx) =>
    rows<{
      action: string;
      outcome: string;
      actor_type: string;
      actor_id: string;
      actor_name: string;
      on_behalf_of: { type: string; id: string; name: string } | string | null;
    }>(
      await tx.execute(sql`select action, outcome, actor_type, actor_id, actor_name, on_behalf_of from audit_events
                            where tenant_id = ${tenantId} and request_id = ${requestId}`),
    ).map((e) => ({
      ...e,
      on_behalf_of: typeof e.on_behalf_of === 'string' ? JSON.parse(e.on_behalf_of) : e.on_behalf_of,
    })),
  );
}

describe.each(DRIVERS)('support access by platform operators on %s', (driver) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let operator: { id: string; token: string };

  beforeAll(async () => {
    t = await startTestApp(driver);
    a = await t.newTenant('Acme');
    b = await t.newTenant('Bricoles');
    operator = await createOperatorToken(t.db, 'Nadia from Comptoir support');
  });
  afterAll(() => t.close());

  const ask = (tenantId: string, body: Record<string, unknown> = {}, token = operator.token) =>
    t.api('POST', `/api/v1/platform/tenants/${tenantId}/support-requests`, {
      token,
      body: { reason: 'Ticket #4821: the price list import fails', duration_hours: 4, ...body },
    });
  const asOperator = (grant: string | null, method: string, path: string, body?: unknown) =>
    t.api(method, path, {
      token: operator.token,
      ...(grant ? { headers: { 'comptoir-support-grant': grant } } : {}),
      ...(body !== undefined ? { body } : {}),
    });

  it('gives an operator no tenant access by default, grant or no grant header', async () => {
    expect((await asOperator(null, 'GET', '/api/v1/accounts')).status).toBe(403);
    const forged = await asOperator('sup_01jd5q6m3xf0k8y2v7r9t4w1zc', 'GET', '/api/v1/accounts');
    expect(forged.status).toBe(403);
    expect(forged.headers.get('content-type')).toMatch(/problem\+json/);
    // A pending request grants nothing either.
    const asked = await ask(a.tenantId);
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    expect(asked.body.tenant.id).toBe(a.tenantId);
    expect(asked.body.support_request).toMatchObject({ status: 'pending', access: 'read_only' });
    const pending = await asOperator(asked.body.support_request.id, 'GET', '/api/v1/accounts');
    expect(pending.status).toBe(403);
    expect(pending.body.detail).toContain('pending');
  });

  it('request → approve → reads work, writes are refused 403 and audited as denied; all under the request', async () => {
    await t.api('POST', '/api/v1/accounts', { token: a.token, body: { name: 'Boulangerie Martin' } });
    const asked = await ask(a.tenantId);
    const id = asked.body.support_request.id as string;
    // The tenant sees it, and its owners were told by mail.
    const list = await t.api('GET', '/api/v1/support-access', { token: a.token });
    expect(list.status).toBe(200);
    expect(list.body.data.find((r: { id: string }) => r.id === id)).toMatchObject({
      status: 'pending',
      operator: { id: operator.id, name: 'Nadia from Comptoir support' },
    });
    const mails = await inSystemTransaction(t.db, async (tx) =>
      rows<{ text_body: string }>(
        await tx.execute(sql`select text_body from mail_outbox where tenant_id = ${a.tenantId}
                              and template = 'access.support_requested'`),
      ),
    );
    expect(mails.some((m) => m.text_body.includes(id))).toBe(true);

    const approved = await t.api('POST', `/api/v1/support-access/${id}/approve`, { token: a.token });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.status).toBe('approved');
    expect(new Date(approved.body.expires_at).getTime() - new Date(approved.body.decided_at).getTime()).toBe(
      4 * 3_600_000,
    );

    const read = await asOperator(id, 'GET', '/api/v1/accounts');
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(read.body.data.map((x: { name: string }) => x.name)).toContain('Boulangerie Martin');
    // Routes open to any authenticated caller work under a grant too (no user behind the operator).
    expect((await asOperator(id, 'GET', '/api/v1/tenant')).status).toBe(200);
    expect((await asOperator(id, 'GET', '/api/v1/api-tokens')).status).toBeLessThan(500);
    // Only that tenant: the grant is not a key to another one.
    const own = await t.api('GET', '/api/v1/accounts', { token: b.token });
    expect(own.status).toBe(200);

    const write = await asOperator(id, 'POST', '/api/v1/accounts', { name: 'Operator Co' });
    expect(write.status).toBe(403);
    expect(write.headers.get('content-type')).toMatch(/problem\+json/);
    const denied = await eventsOf(t, a.tenantId, write.headers.get('x-request-id'));
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({
      action: 'accounts.account.create',
      outcome: 'denied',
      actor_type: 'operator',
      actor_id: operator.id,
      on_behalf_of: { type: 'support_request', id },
    });
    // Administrative rights never come with a grant.
    expect((await asOperator(id, 'POST', `/api/v1/users/${a.ownerId}/roles`, { role: 'owner' })).status).toBe(
      403,
    );
  });

  it('a grant with write permissions lets the operator write, audited as the operator on behalf of the request', async () => {
    const adminPerm = await ask(a.tenantId, { permissions: ['iam.role.assign'] });
    expect(adminPerm.status).toBe(400);
    expect(adminPerm.body.errors[0].pointer).toBe('/permissions/0');
    const asked = await ask(a.tenantId, { permissions: ['accounts.account.write'], duration_hours: 1 });
    expect(asked.body.support_request.access).toBe('read_write');
    const id = asked.body.support_request.id as string;
    expect((await t.api('POST', `/api/v1/support-access/${id}/approve`, { token: a.token })).status).toBe(
      200,
    );
    const created = await asOperator(id, 'POST', '/api/v1/accounts', { name: 'Fixed by support' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const events = await eventsOf(t, a.tenantId, created.headers.get('x-request-id'));
    expect(events).toEqual([
      expect.objectContaining({
        action: 'accounts.account.create',
        outcome: 'success',
        actor_type: 'operator',
        actor_id: operator.id,
        actor_name: 'Nadia from Comptoir support',
        on_behalf_of: expect.objectContaining({ type: 'support_request', id }),
      }),
    ]);
  });

  it('an expired grant is refused at authentication, without any sweep', async () => {
    const asked = await ask(a.tenantId, { duration_hours: 2 });
    const id = asked.body.support_request.id as string;
    await t.api('POST', `/api/v1/support-access/${id}/approve`, { token: a.token });
    expect((await asOperator(id, 'GET', '/api/v1/accounts')).status).toBe(200);
    const undo = advanceClock(2 * 3_600_000 + 1000);
    try {
      const late = await asOperator(id, 'GET', '/api/v1/accounts');
      expect(late.status).toBe(403);
      expect(late.body.detail).toContain('expired');
      const denied = await eventsOf(t, a.tenantId, late.headers.get('x-request-id'));
      expect(denied[0]).toMatchObject({ outcome: 'denied', on_behalf_of: { id } });
      const list = await t.api('GET', '/api/v1/support-access', { token: a.token });
      expect(list.body.data.find((r: { id: string }) => r.id === id).status).toBe('expired');
    } finally {
      undo();
    }
  });

  it('the tenant revokes a grant at any time; the next request is refused', async () => {
    const asked = await ask(a.tenantId);
    const id = asked.body.support_request.id as string;
    await t.api('POST', `/api/v1/support-access/${id}/approve`, { token: a.token });
    expect((await asOperator(id, 'GET', '/api/v1/accounts')).status).toBe(200);
    const revoked = await t.api('POST', `/api/v1/support-access/${id}/revoke`, { token: a.token });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    const after = await asOperator(id, 'GET', '/api/v1/accounts');
    expect(after.status).toBe(403);
    expect(after.body.detail).toContain('revoked');
    expect((await t.api('POST', `/api/v1/support-access/${id}/revoke`, { token: a.token })).status).toBe(409);
    expect((await auditOf(t, a.tenantId, 'access.support_request.revoke')).at(-1)?.resource_id).toBe(id);
  });

  it('the tenant rejects a request; a rejected request never grants', async () => {
    const asked = await ask(a.tenantId);
    const id = asked.body.support_request.id as string;
    const rejected = await t.api('POST', `/api/v1/support-access/${id}/reject`, {
      token: a.token,
      body: { comment: 'Open a ticket with our IT first' },
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      decision_reason: 'Open a ticket with our IT first',
    });
    expect((await asOperator(id, 'GET', '/api/v1/accounts')).status).toBe(403);
    expect((await t.api('POST', `/api/v1/support-access/${id}/approve`, { token: a.token })).status).toBe(
      409,
    );
    // The operator follows its requests.
    const mine = await t.api('GET', `/api/v1/platform/tenants/${a.tenantId}/support-requests`, {
      token: operator.token,
    });
    expect(mine.status).toBe(200);
    expect(mine.body.data.find((r: { id: string }) => r.id === id).status).toBe('rejected');
  });

  it("another tenant's admin cannot approve, nor see, the request; another operator cannot use the grant", async () => {
    const asked = await ask(a.tenantId);
    const id = asked.body.support_request.id as string;
    expect((await t.api('POST', `/api/v1/support-access/${id}/approve`, { token: b.token })).status).toBe(
      404,
    );
    const bList = await t.api('GET', '/api/v1/support-access', { token: b.token });
    expect(bList.body.data.some((r: { id: string }) => r.id === id)).toBe(false);
    // Someone of tenant A without the permission cannot approve either.
    const viewer = await addUser(t, a.tenantId, { email: 'reader@acme.example', roles: ['read_only'] });
    const { token: viewerToken } = await (async () => {
      const { runAsTenant } = await import('../context.ts');
      const { createApiToken } = await import('../identity/users.ts');
      return runAsTenant(t.db, { tenantId: a.tenantId }, (ctx) =>
        createApiToken(ctx, { userId: viewer, name: 'reader', scopes: ['*'] }),
      );
    })();
    expect((await t.api('GET', '/api/v1/support-access', { token: viewerToken })).status).toBe(200);
    expect((await t.api('POST', `/api/v1/support-access/${id}/approve`, { token: viewerToken })).status).toBe(
      403,
    );
    await t.api('POST', `/api/v1/support-access/${id}/approve`, { token: a.token });
    const other = await createOperatorToken(t.db, 'Someone else');
    const stolen = await t.api('GET', '/api/v1/accounts', {
      token: other.token,
      headers: { 'comptoir-support-grant': id },
    });
    expect(stolen.status).toBe(403);
    // Tenant tokens gain nothing from the header.
    const tenantB = await t.api('GET', '/api/v1/accounts', {
      token: b.token,
      headers: { 'comptoir-support-grant': id },
    });
    expect(tenantB.status).toBe(200);
    expect(tenantB.body.data.some((x: { name: string }) => x.name === 'Boulangerie Martin')).toBe(false);
    // An unknown tenant is a 404 for the operator.
    expect((await ask('ten_01jd5q6m3xf0k8y2v7r9t4w1zc')).status).toBe(404);
    // The operator's token still reaches the platform API with the header set.
    const platform = await t.api('GET', '/api/v1/platform/tenants', {
      token: operator.token,
      headers: { 'comptoir-support-grant': id },
    });
    expect(platform.status).toBe(200);
  });
});
