import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { runAsTenant } from '../context.ts';
import { advanceClock } from './clock.ts';
import { addUser, auditOf, login, withSession } from './testing.ts';
import { createApiToken } from './users.ts';

const PASSWORD = 'a long enough passphrase';

describe.each(DRIVERS)('web sessions, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  let other: TestTenant;
  const email = 'sophie@acme.example';
  let userId: string;
  let undo: (() => void) | null = null;
  const signIn = async (who = email) =>
    (await login(t, { email: who, password: PASSWORD, tenant: acme.slug })).session!;

  beforeAll(async () => {
    t = await startTestApp(driver);
    acme = await t.newTenant('Acme Sessions');
    other = await t.newTenant('Other Sessions');
    userId = await addUser(t, acme.tenantId, { email, password: PASSWORD });
  });
  afterEach(() => {
    undo?.();
    undo = null;
  });
  afterAll(() => t.close());

  it('goes through the same permission machinery as tokens: a staff session reads accounts, a buyer session may not', async () => {
    const s = await signIn();
    expect((await t.api('GET', '/api/v1/accounts', { headers: withSession(s) })).status).toBe(200);
    const account = await t.api('POST', '/api/v1/accounts', {
      token: acme.token,
      body: { name: 'Boulangerie' },
    });
    await addUser(t, acme.tenantId, {
      email: 'buyer@client.example',
      password: PASSWORD,
      kind: 'buyer',
      accountId: account.body.id,
    });
    const b = await signIn('buyer@client.example');
    expect((await t.api('GET', '/api/v1/auth/session', { headers: withSession(b) })).body.user).toMatchObject(
      {
        kind: 'buyer',
        account_id: account.body.id,
      },
    );
    const denied = await t.api('GET', '/api/v1/accounts', { headers: withSession(b) });
    expect(denied.status).toBe(403);
  });

  it('refuses a cookie-authenticated write without the CSRF token or with a wrong one (403), and audits the refusal', async () => {
    const s = await signIn();
    const body = { name: 'Garage CSRF' };
    const missing = await t.api('POST', '/api/v1/accounts', { headers: withSession(s, null), body });
    expect(missing.status).toBe(403);
    const wrong = await t.api('POST', '/api/v1/accounts', { headers: withSession(s, 'x'.repeat(43)), body });
    expect(wrong.status).toBe(403);
    // Another session's token does not fit this one (bound to the session).
    const s2 = await signIn();
    const crossed = await t.api('POST', '/api/v1/accounts', {
      headers: { cookie: s.cookie, 'x-csrf-token': s2.csrf },
      body,
    });
    expect(crossed.status).toBe(403);
    const ok = await t.api('POST', '/api/v1/accounts', { headers: withSession(s), body });
    expect(ok.status).toBe(201);
    const denied = (await auditOf(t, acme.tenantId, 'accounts.account.create')).filter(
      (e) => e.outcome === 'denied',
    );
    expect(denied.length).toBeGreaterThanOrEqual(3);
    expect(denied.at(-1)!.actor_id).toBe(userId);
  });

  it('ends a session after the idle timeout (clock moved, no sleeping)', async () => {
    const s = await signIn();
    undo = advanceClock(29 * 60_000);
    expect((await t.api('GET', '/api/v1/auth/session', { headers: withSession(s) })).status).toBe(200);
    undo();
    // Used at +29 min: idle counts from then. +29 + 31 min is past 30 min of idleness.
    undo = advanceClock(60 * 60_000);
    const res = await t.api('GET', '/api/v1/auth/session', { headers: withSession(s) });
    expect(res.status).toBe(401);
  });

  it('ends an active session at the absolute timeout, and applies a changed tenant policy at once', async () => {
    const s = await signIn();
    // Activity every 25 minutes keeps it alive until 12 h after login, not beyond.
    let ms = 0;
    for (let step = 1; step * 25 < 12 * 60; step++) {
      undo?.();
      ms = step * 25 * 60_000;
      undo = advanceClock(ms);
      expect(
        (await t.api('GET', '/api/v1/auth/sessions', { headers: withSession(s) })).status,
        `at ${step * 25} min`,
      ).toBe(200);
    }
    undo?.();
    undo = advanceClock(12 * 3_600_000 + 1000);
    expect((await t.api('GET', '/api/v1/auth/sessions', { headers: withSession(s) })).status).toBe(401);
    undo();
    undo = null;

    const fresh = await signIn();
    await t.api('PATCH', '/api/v1/security-settings', {
      token: acme.token,
      body: { session_idle_timeout_s: 300 },
    });
    undo = advanceClock(6 * 60_000);
    expect((await t.api('GET', '/api/v1/auth/sessions', { headers: withSession(fresh) })).status).toBe(401);
    undo();
    undo = null;
    await t.api('PATCH', '/api/v1/security-settings', {
      token: acme.token,
      body: { session_idle_timeout_s: 1800 },
    });
  });

  it('rotates on login: the cookie sent along with a new login stops working', async () => {
    const before = await signIn();
    const after = await login(t, { email, password: PASSWORD, tenant: acme.slug }, { cookie: before.cookie });
    expect(after.session!.sessionId).not.toBe(before.sessionId);
    expect((await t.api('GET', '/api/v1/auth/session', { headers: withSession(before) })).status).toBe(401);
    expect(
      (await t.api('GET', '/api/v1/auth/session', { headers: withSession(after.session!) })).status,
    ).toBe(200);
  });

  it("lists my sessions, marks the current one, ends another device's and answers 404 for someone else's", async () => {
    const laptop = await signIn();
    const phone = await signIn();
    const list = await t.api('GET', '/api/v1/auth/sessions', { headers: withSession(laptop) });
    const mine = list.body.data.filter((x: { id: string }) =>
      [laptop.sessionId, phone.sessionId].includes(x.id),
    );
    expect(mine).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: laptop.sessionId, current: true }),
        expect.objectContaining({ id: phone.sessionId, current: false }),
      ]),
    );
    const del = await t.api('DELETE', `/api/v1/auth/sessions/${phone.sessionId}`, {
      headers: withSession(laptop),
    });
    expect(del.status).toBe(204);
    expect((await t.api('GET', '/api/v1/auth/session', { headers: withSession(phone) })).status).toBe(401);
    expect((await auditOf(t, acme.tenantId, 'identity.session.revoke')).at(-1)).toMatchObject({
      resource_id: phone.sessionId,
      actor_id: userId,
    });

    const someoneElse = await addUser(t, acme.tenantId, { email: 'julien@acme.example', password: PASSWORD });
    const his = await signIn('julien@acme.example');
    const notMine = await t.api('DELETE', `/api/v1/auth/sessions/${his.sessionId}`, {
      headers: withSession(laptop),
    });
    expect(notMine.status).toBe(404);
    expect((await t.api('GET', '/api/v1/auth/session', { headers: withSession(his) })).status).toBe(200);
    expect(someoneElse).toMatch(/^usr_/);
    // A session of one tenant means nothing to another tenant's routes.
    expect((await t.api('GET', `/api/v1/users/${userId}`, { token: other.token })).status).toBe(404);
  });

  it('logs out: the cookie is cleared and no longer authenticates', async () => {
    const s = await signIn();
    const out = await t.api('POST', '/api/v1/auth/logout', { headers: withSession(s) });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^__Host-comptoir_session=; .*Max-Age=0/);
    expect((await t.api('GET', '/api/v1/auth/sessions', { headers: withSession(s) })).status).toBe(401);
    expect((await auditOf(t, acme.tenantId, 'identity.session.logout')).at(-1)).toMatchObject({
      resource_id: s.sessionId,
    });
  });

  it("lets an admin end all of a user's sessions at once", async () => {
    const a = await signIn();
    const b = await signIn();
    const res = await t.api('POST', `/api/v1/users/${userId}/sessions/revoke-all`, { token: acme.token });
    expect(res.status).toBe(200);
    expect(res.body.revoked).toBeGreaterThanOrEqual(2);
    for (const s of [a, b])
      expect((await t.api('GET', '/api/v1/auth/sessions', { headers: withSession(s) })).status).toBe(401);
    expect((await auditOf(t, acme.tenantId, 'identity.user.revoke_sessions')).at(-1)).toMatchObject({
      resource_id: userId,
      outcome: 'success',
    });
  });

  it('deactivation kills the sessions and API tokens of the user immediately; reactivation does not revive them', async () => {
    const victim = await addUser(t, acme.tenantId, { email: 'leaving@acme.example', password: PASSWORD });
    const s = await signIn('leaving@acme.example');
    const token = await runAsTenant(t.db, { tenantId: acme.tenantId }, (ctx) =>
      createApiToken(ctx, { userId: victim, name: 'laptop script', scopes: ['*'] }),
    );
    expect((await t.api('GET', '/api/v1/accounts', { token: token.token })).status).toBe(200);
    expect((await t.api('GET', '/api/v1/accounts', { headers: withSession(s) })).status).toBe(200);

    const res = await t.api('POST', `/api/v1/users/${victim}/deactivate`, { token: acme.token });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('deactivated');
    expect((await t.api('GET', '/api/v1/accounts', { token: token.token })).status).toBe(401);
    expect((await t.api('GET', '/api/v1/accounts', { headers: withSession(s) })).status).toBe(401);
    const [event] = (await auditOf(t, acme.tenantId, 'identity.user.deactivate')).slice(-1);
    expect(event).toMatchObject({
      resource_id: victim,
      metadata: { sessions_revoked: 1, api_tokens_revoked: 1 },
    });

    await t.api('POST', `/api/v1/users/${victim}/reactivate`, { token: acme.token });
    expect((await t.api('GET', '/api/v1/accounts', { token: token.token })).status).toBe(401);
    expect((await t.api('GET', '/api/v1/accounts', { headers: withSession(s) })).status).toBe(401);
    expect(
      (await login(t, { email: 'leaving@acme.example', password: PASSWORD, tenant: acme.slug })).res.status,
    ).toBe(200);
  });

  it('refuses to let a user deactivate themselves', async () => {
    const s = await signIn();
    const res = await t.api('POST', `/api/v1/users/${userId}/deactivate`, { headers: withSession(s) });
    expect(res.status).toBe(422);
  });
});

describe.each(DRIVERS)('security settings, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  beforeAll(async () => {
    t = await startTestApp(driver);
    acme = await t.newTenant('Acme Settings');
  });
  afterAll(() => t.close());

  it('shows the defaults until changed, then the change, audited with before and after', async () => {
    const get = await t.api('GET', '/api/v1/security-settings', { token: acme.token });
    expect(get.body).toMatchObject({
      password_min_length: 12,
      lockout_threshold: 10,
      session_idle_timeout_s: 1800,
      updated_at: null,
    });
    const patch = await t.api('PATCH', '/api/v1/security-settings', {
      token: acme.token,
      body: { password_min_length: 14 },
    });
    expect(patch.status).toBe(200);
    expect(patch.body.password_min_length).toBe(14);
    expect(patch.body.updated_at).not.toBeNull();
    expect((await auditOf(t, acme.tenantId, 'identity.security_settings.update')).at(-1)!.changes).toEqual({
      password_min_length: { before: 12, after: 14 },
    });
  });

  it('refuses values out of range and inconsistent timeouts, naming the field', async () => {
    const low = await t.api('PATCH', '/api/v1/security-settings', {
      token: acme.token,
      body: { lockout_threshold: 2 },
    });
    expect(low.status).toBe(400);
    expect(low.body.errors[0]).toMatchObject({ in: 'body', pointer: '/lockout_threshold' });
    const idle = await t.api('PATCH', '/api/v1/security-settings', {
      token: acme.token,
      body: { session_idle_timeout_s: 86400, session_absolute_timeout_s: 3600 },
    });
    expect(idle.status).toBe(400);
    expect(idle.body.errors).toEqual([
      {
        in: 'body',
        pointer: '/session_idle_timeout_s',
        detail: 'the idle timeout must not exceed the absolute timeout',
      },
    ]);
    const empty = await t.api('PATCH', '/api/v1/security-settings', { token: acme.token, body: {} });
    expect(empty.status).toBe(400);
  });
});
