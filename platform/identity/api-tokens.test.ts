import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { rows } from '../db/database.ts';
import { inSystemTransaction } from '../db/scope.ts';
import { hashSecret } from './tokens.ts';

describe.each(DRIVERS)('API tokens, on %s', (driver) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    t = await startTestApp(driver);
    a = await t.newTenant('Alpha Négoce');
    b = await t.newTenant('Beta Négoce');
  });
  afterAll(() => t.close());

  const create = (token: string, body: unknown) => t.api('POST', '/api/v1/api-tokens', { token, body });
  const auditOf = async (tenantId: string, requestId: string | null) =>
    inSystemTransaction(t.db, async (tx) =>
      rows<{ action: string; outcome: string; resource_id: string | null }>(
        await tx.execute(sql`select action, outcome, resource_id from audit_events
                              where tenant_id = ${tenantId} and request_id = ${requestId}`),
      ),
    );

  it('shows the secret once, with the cpt_ prefix, and stores only its SHA-256', async () => {
    const res = await create(a.token, { name: 'ERP sync', scopes: ['accounts.account.read'] });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.token).toMatch(/^cpt_[A-Za-z0-9_-]{43}$/);
    expect(res.body.token_hint).toBe(res.body.token.slice(-4));
    const stored = await inSystemTransaction(t.db, async (tx) =>
      rows<{ token_hash: string }>(
        await tx.execute(sql`select token_hash from api_tokens where id = ${res.body.id}`),
      ),
    );
    expect(stored[0]!.token_hash).toBe(hashSecret(res.body.token));
    expect(JSON.stringify(stored)).not.toContain(res.body.token);
    // Lists never show it again.
    const list = await t.api('GET', '/api/v1/api-tokens', { token: a.token });
    const listed = list.body.data.find((x: { id: string }) => x.id === res.body.id);
    expect(listed).toMatchObject({
      name: 'ERP sync',
      token_hint: res.body.token_hint,
      scopes: ['accounts.account.read'],
    });
    expect(JSON.stringify(list.body)).not.toContain(res.body.token);
    expect(await auditOf(a.tenantId, res.headers.get('x-request-id'))).toEqual([
      { action: 'identity.api_token.create', outcome: 'success', resource_id: res.body.id },
    ]);
    // The new token works, within its scope.
    expect((await t.api('GET', '/api/v1/accounts', { token: res.body.token })).status).toBe(200);
  });

  it('refuses a scope that is not in the catalogue, and one beyond what the caller holds', async () => {
    const unknown = await create(a.token, { name: 'x', scopes: ['accounts.account.fly'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0]).toMatchObject({ in: 'body', pointer: '/scopes/0' });
    const narrow = await create(a.token, {
      name: 'narrow',
      scopes: ['accounts.account.read', 'iam.api_token.write'],
    });
    // A token cannot mint a wider one than itself.
    const wider = await create(narrow.body.token, { name: 'wider', scopes: ['accounts.account.write'] });
    expect(wider.status).toBe(403);
    expect(wider.body.errors).toEqual([
      { in: 'body', pointer: '/scopes/0', detail: 'is not a permission the caller holds' },
    ]);
    expect(await auditOf(a.tenantId, wider.headers.get('x-request-id'))).toEqual([
      { action: 'identity.api_token.create', outcome: 'denied', resource_id: null },
    ]);
    const star = await create(narrow.body.token, { name: 'star', scopes: ['*'] });
    expect(star.status).toBe(403);
  });

  it('refuses a scope beyond the owner’s permissions (a buyer holds no staff permission)', async () => {
    // A buyer's token scoped '*' still cannot mint staff permissions: the owner's permissions bound it.
    const { runAsTenant } = await import('../context.ts');
    const { createUser, createApiToken } = await import('./users.ts');
    const issued = await runAsTenant(t.db, { tenantId: a.tenantId }, async (ctx) => {
      const buyer = await createUser(ctx, {
        email: 'buyer@alpha.example',
        displayName: 'Buyer',
        kind: 'staff',
      });
      // A token's permissions are its scopes ∩ its owner's roles: the user may create tokens, nothing more.
      const { createRole, assignRole } = await import('../access/service.ts');
      await createRole(
        ctx,
        { key: 'token_maker', name: 'Token maker', permissions: ['iam.api_token.write'] },
        { has: () => true, list: () => [] },
      );
      await assignRole(ctx, buyer.id, { role: 'token_maker' });
      return createApiToken(ctx, { userId: buyer.id, name: 'all', scopes: ['*'] });
    });
    const res = await create(issued.token, { name: 'x', scopes: ['accounts.account.read'] });
    expect(res.status).toBe(403);
    expect(res.body.errors[0]).toMatchObject({
      pointer: '/scopes/0',
      detail: 'is not a permission the owner holds',
    });
  });

  it('defaults the expiry to the tenant policy and refuses one beyond its maximum', async () => {
    const before = Date.now();
    const def = await create(a.token, { name: 'default', scopes: ['accounts.account.read'] });
    const days = (new Date(def.body.expires_at).getTime() - before) / 86_400_000;
    expect(days).toBeGreaterThan(89.99);
    expect(days).toBeLessThan(90.01);
    const { runAsTenant } = await import('../context.ts');
    await runAsTenant(t.db, { tenantId: a.tenantId }, (ctx) =>
      ctx.tx.execute(sql`insert into tenant_security_settings (tenant_id, token_default_ttl_days, token_max_ttl_days)
                         values (${ctx.tenantId}, 7, 30)
                         on conflict (tenant_id) do update set token_default_ttl_days = 7, token_max_ttl_days = 30`),
    );
    const seven = await create(a.token, { name: 'seven', scopes: ['accounts.account.read'] });
    expect((new Date(seven.body.expires_at).getTime() - Date.now()) / 86_400_000).toBeCloseTo(7, 1);
    const tooLong = await create(a.token, {
      name: 'too long',
      scopes: ['accounts.account.read'],
      expires_at: new Date(Date.now() + 31 * 86_400_000).toISOString(),
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors[0]).toMatchObject({ in: 'body', pointer: '/expires_at' });
    const past = await create(a.token, {
      name: 'past',
      scopes: ['accounts.account.read'],
      expires_at: new Date(Date.now() - 1000).toISOString(),
    });
    expect(past.status).toBe(400);
    const ok = await create(a.token, {
      name: 'thirty',
      scopes: ['accounts.account.read'],
      expires_at: new Date(Date.now() + 29 * 86_400_000).toISOString(),
    });
    expect(ok.status).toBe(201);
    // An expired token is refused.
    await runAsTenant(t.db, { tenantId: a.tenantId }, (ctx) =>
      ctx.tx.execute(
        sql`update api_tokens set expires_at = now() - interval '1 second' where id = ${ok.body.id}`,
      ),
    );
    expect((await t.api('GET', '/api/v1/accounts', { token: ok.body.token })).status).toBe(401);
  });

  it('records the last use time and IP', async () => {
    const res = await create(a.token, { name: 'used', scopes: ['accounts.account.read'] });
    let listed = (await t.api('GET', '/api/v1/api-tokens', { token: a.token })).body.data.find(
      (x: { id: string }) => x.id === res.body.id,
    );
    expect(listed.last_used_at).toBeNull();
    const started = Date.now();
    await t.api('GET', '/api/v1/accounts', { token: res.body.token });
    listed = (await t.api('GET', '/api/v1/api-tokens', { token: a.token })).body.data.find(
      (x: { id: string }) => x.id === res.body.id,
    );
    expect(new Date(listed.last_used_at).getTime()).toBeGreaterThanOrEqual(started - 2000);
    expect(listed.last_used_ip).toBe('127.0.0.1');
  });

  it('a revoked token fails at the next request; the revocation is audited', async () => {
    const res = await create(a.token, { name: 'to revoke', scopes: ['accounts.account.read'] });
    expect((await t.api('GET', '/api/v1/accounts', { token: res.body.token })).status).toBe(200);
    const del = await t.api('DELETE', `/api/v1/api-tokens/${res.body.id}`, { token: a.token });
    expect(del.status).toBe(200);
    expect(del.body.revoked_at).not.toBeNull();
    expect(await auditOf(a.tenantId, del.headers.get('x-request-id'))).toEqual([
      { action: 'identity.api_token.revoke', outcome: 'success', resource_id: res.body.id },
    ]);
    const after = await t.api('GET', '/api/v1/accounts', { token: res.body.token });
    expect(after.status).toBe(401);
    expect(after.body.type).toBe('/problems/unauthenticated');
  });

  it('a token lacking the scope gets 403, audited as denied', async () => {
    const res = await create(a.token, { name: 'read only', scopes: ['accounts.account.read'] });
    const write = await t.api('POST', '/api/v1/accounts', { token: res.body.token, body: { name: 'Nope' } });
    expect(write.status).toBe(403);
    expect(await auditOf(a.tenantId, write.headers.get('x-request-id'))).toEqual([
      { action: 'accounts.account.create', outcome: 'denied', resource_id: null },
    ]);
  });

  it('another tenant’s token never sees, nor revokes, this tenant’s tokens (404, like an unknown ID)', async () => {
    const res = await create(a.token, { name: 'alpha only', scopes: ['accounts.account.read'] });
    const list = await t.api('GET', '/api/v1/api-tokens', { token: b.token });
    expect(list.body.data.map((x: { id: string }) => x.id)).not.toContain(res.body.id);
    const del = await t.api('DELETE', `/api/v1/api-tokens/${res.body.id}`, { token: b.token });
    expect(del.status).toBe(404);
    const unknown = await t.api('DELETE', '/api/v1/api-tokens/tok_01jd5q6m3xf0k8y2v7r9t4w1zc', {
      token: b.token,
    });
    expect(unknown.status).toBe(404);
    expect(del.body.detail).toBe(unknown.body.detail.replace('tok_01jd5q6m3xf0k8y2v7r9t4w1zc', res.body.id));
    expect((await t.api('GET', '/api/v1/accounts', { token: res.body.token })).status).toBe(200);
  });
});
