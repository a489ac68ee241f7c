import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, eventually, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { readCacheOf } from '../cache/read-cache.ts';
import { runAsTenant } from '../context.ts';
import { rows } from '../db/database.ts';
import { advanceClock } from './clock.ts';
import { addUser, login, withSession } from './testing.ts';
import { hashSecret } from './tokens.ts';
import { createApiToken } from './users.ts';

/**
 * Read-only requests authenticate from the read cache (platform/identity/auth-cache.ts), and that
 * changes nothing a security reviewer relies on: a revoked token, a removed role, a suspended tenant,
 * an expired token or session is refused as before — through the API at once, behind the API's back
 * as soon as the database's notification arrives — and a write always asks the database.
 */
describe.each(DRIVERS)('authentication from the read cache, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  let buyerId: string;

  const newToken = async (userId: string, opts: { expiresAt?: Date } = {}) =>
    runAsTenant(
      t.db,
      { tenantId: acme.tenantId },
      async (ctx) =>
        (
          await createApiToken(ctx, {
            userId,
            name: `cache ${Math.random().toString(36).slice(2, 6)}`,
            scopes: ['*'],
            ...(opts.expiresAt ? { expiresAt: opts.expiresAt } : {}),
          })
        ).token,
    );
  const held = (token: string) =>
    readCacheOf(t.db)?.get(acme.tenantId, `auth:token:${hashSecret(token)}`) !== undefined;
  /** A change that notifies nobody: what another process's change looks like before its notification arrives. */
  const silently = (statement: string) =>
    t.db.session((s) => s.exec(`begin; set local session_replication_role = replica; ${statement}; commit`));
  const me = (token: string) => t.api('GET', '/api/v1/me', { token });

  beforeAll(async () => {
    t = await startTestApp(driver);
    acme = await t.newTenant('Quincaillerie Auth Cache');
    const account = await t.api('POST', '/api/v1/accounts', { token: acme.token, body: { name: 'Dupont' } });
    expect(account.status).toBe(201);
    buyerId = await addUser(t, acme.tenantId, {
      email: `auth-cache-${Math.random().toString(36).slice(2, 8)}@example.com`,
      kind: 'buyer',
      accountId: account.body.id,
      roles: ['buyer'],
      password: 'Correct-horse-battery-9',
    });
  });
  afterAll(() => t.close());

  it('a GET authenticates from the cache after the first one, with the same identity', async () => {
    const token = await newToken(buyerId);
    const first = await me(token);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    // The token's creation notifies too, when it commits: on a loaded machine the notification may
    // arrive after the first GET began, which then rightly keeps nothing (read before the change
    // was heard of). Once it has arrived, a GET is held.
    expect(await eventually(async () => (await me(token)).status === 200 && held(token))).toBe(true);
    const second = await me(token);
    expect(second.body).toEqual(first.body);
  });

  it('a token revoked through the API is refused at the next request', async () => {
    const token = await newToken(buyerId);
    expect((await me(token)).status).toBe(200);
    const id = (
      await runAsTenant(t.db, { tenantId: acme.tenantId }, async (ctx) =>
        rows<{ id: string }>(
          await ctx.tx.execute(sql`select id from api_tokens where token_hash = ${hashSecret(token)}`),
        ),
      )
    )[0]!.id;
    const revoked = await t.api('DELETE', `/api/v1/api-tokens/${id}`, { token: acme.token });
    expect(revoked.status, JSON.stringify(revoked.body)).toBeLessThan(300);
    expect((await me(token)).status).toBe(401);
  });

  it("a token revoked behind the API's back is refused once the notification arrives", async () => {
    const token = await newToken(buyerId);
    expect((await me(token)).status).toBe(200);
    await runAsTenant(t.db, { tenantId: acme.tenantId }, (ctx) =>
      ctx.tx.execute(sql`update api_tokens set revoked_at = now() where token_hash = ${hashSecret(token)}`),
    );
    expect(await eventually(async () => (await me(token)).status === 401)).toBe(true);
  });

  it('a write never authenticates from the cache: a token revoked unnoticed may still read, never write', async () => {
    const token = await newToken(buyerId);
    expect((await me(token)).status).toBe(200);
    await silently(`update api_tokens set revoked_at = now() where token_hash = '${hashSecret(token)}'`);
    // The window a notification in flight leaves open: reads only…
    expect((await me(token)).status).toBe(200);
    // …a write goes to the database, which refuses the token.
    const write = await t.api('POST', '/api/v1/api-tokens', { token, body: { name: 'sneaky' } });
    expect(write.status).toBe(401);
  });

  it("a role removed behind the API's back narrows the token's permissions once notified", async () => {
    const staffId = await addUser(t, acme.tenantId, {
      email: `auth-cache-staff-${Math.random().toString(36).slice(2, 8)}@example.com`,
      kind: 'staff',
      roles: ['catalogue_manager'],
    });
    const token = await newToken(staffId);
    expect((await t.api('GET', '/api/v1/catalog/products?limit=1', { token })).status).toBe(200);
    await runAsTenant(t.db, { tenantId: acme.tenantId }, (ctx) =>
      ctx.tx.execute(sql`update role_assignments set revoked_at = now(), revoked_reason = 'revoked'
                          where tenant_id = ${acme.tenantId} and user_id = ${staffId}`),
    );
    expect(
      await eventually(
        async () => (await t.api('GET', '/api/v1/catalog/products?limit=1', { token })).status === 403,
      ),
    ).toBe(true);
  });

  it('a token past its expiry is refused without any write', async () => {
    const token = await newToken(buyerId, { expiresAt: new Date(Date.now() + 1500) });
    expect((await me(token)).status).toBe(200);
    expect(held(token)).toBe(true);
    await new Promise((r) => setTimeout(r, 1700));
    expect((await me(token)).status).toBe(401);
  });

  it('last_used_at is still refreshed while the cache answers, and that refresh does not empty the cache', async () => {
    const token = await newToken(buyerId);
    expect((await me(token)).status).toBe(200);
    const lastUsed = async () =>
      (
        await runAsTenant(t.db, { tenantId: acme.tenantId }, async (ctx) =>
          rows<{ at: string }>(
            await ctx.tx.execute(
              sql`select last_used_at::text as at from api_tokens where token_hash = ${hashSecret(token)}`,
            ),
          ),
        )
      )[0]!.at;
    const before = await lastUsed();
    await silently(
      `update api_tokens set last_used_at = now() - interval '2 minutes' where token_hash = '${hashSecret(token)}'`,
    );
    const undo = advanceClock(61_000);
    try {
      expect((await me(token)).status).toBe(200);
    } finally {
      undo();
    }
    expect(await lastUsed()).not.toBe(before);
    await new Promise((r) => setTimeout(r, 100));
    expect(held(token)).toBe(true);
  });

  it("a suspended tenant's tokens are refused once notified", async () => {
    const other = await t.newTenant('Suspendue');
    expect((await me(other.token)).status).toBe(200);
    await t.db.session((s) =>
      s.exec(`update tenants set status = 'suspended' where id = '${other.tenantId}'`),
    );
    expect(await eventually(async () => (await me(other.token)).status === 401)).toBe(true);
  });

  it('a web session logged out is refused at the next request; an idle one expires without any write', async () => {
    const email = (
      await runAsTenant(t.db, { tenantId: acme.tenantId }, async (ctx) =>
        rows<{ email: string }>(await ctx.tx.execute(sql`select email from users where id = ${buyerId}`)),
      )
    )[0]!.email;
    const { session } = await login(t, { email, password: 'Correct-horse-battery-9', tenant: acme.slug });
    expect(session).not.toBeNull();
    const s = session!;
    const get = () => t.api('GET', '/api/v1/me', { headers: withSession(s) });
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(200);
    // Idle: past the tenant's idle timeout (30 minutes by default), the session is over.
    const undo = advanceClock(31 * 60_000);
    try {
      expect((await get()).status).toBe(401);
    } finally {
      undo();
    }
    const again = (await login(t, { email, password: 'Correct-horse-battery-9', tenant: acme.slug }))
      .session!;
    const getAgain = () => t.api('GET', '/api/v1/me', { headers: withSession(again) });
    expect((await getAgain()).status).toBe(200);
    expect((await getAgain()).status).toBe(200);
    const out = await t.api('POST', '/api/v1/auth/logout', { headers: withSession(again) });
    expect(out.status).toBeLessThan(300);
    expect((await getAgain()).status).toBe(401);
  });
});
