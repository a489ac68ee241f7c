import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { addUser, auditOf, login, postWithHost, tenantWithDomains, withSession } from './testing.ts';

const PASSWORD = 'correct horse battery staple';

/** The parts of a problem a client sees, without the per-request ones. */
const shape = (body: Record<string, unknown>) => ({
  type: body.type,
  title: body.title,
  status: body.status,
  detail: body.detail,
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

describe.each(DRIVERS)('password login, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  const email = 'claire.martin@acme.example';
  let userId: string;

  beforeAll(async () => {
    t = await startTestApp(driver, {
      config: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000', LOGIN_MAX_FAILURES_PER_IP: '100000' },
    });
    acme = await t.newTenant('Acme Industrie');
    userId = await addUser(t, acme.tenantId, { email, password: PASSWORD });
  });
  afterAll(() => t.close());

  it('opens a session with a secure HttpOnly cookie and returns the CSRF token', async () => {
    const { res, session } = await login(t, {
      email: 'Claire.Martin@acme.example',
      password: PASSWORD,
      tenant: acme.slug,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'authenticated',
      user: { id: userId, kind: 'staff', account_id: null },
    });
    expect(session!.setCookie).toMatch(
      /^__Host-comptoir_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Secure$/,
    );
    expect(res.headers.get('cache-control')).toBe('no-store');
    const me = await t.api('GET', '/api/v1/auth/session', { headers: withSession(session!) });
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ id: userId, email, has_password: true });
    expect(me.body.session).toMatchObject({ id: session!.sessionId, current: true });
    expect(me.body.csrf_token).toBe(session!.csrf);
    const events = await auditOf(t, acme.tenantId, 'identity.login');
    expect(events.at(-1)).toMatchObject({ outcome: 'success', actor_id: userId, resource_id: userId });
  });

  it('gives the same answer for a wrong password, an unknown user and a deactivated user, and audits each reason', async () => {
    const deactivated = 'gone@acme.example';
    const goneId = await addUser(t, acme.tenantId, { email: deactivated, password: PASSWORD });
    expect((await t.api('POST', `/api/v1/users/${goneId}/deactivate`, { token: acme.token })).status).toBe(
      200,
    );

    const wrong = await login(t, { email, password: 'not the password at all', tenant: acme.slug });
    const unknown = await login(t, {
      email: 'nobody@acme.example',
      password: 'not the password at all',
      tenant: acme.slug,
    });
    const gone = await login(t, { email: deactivated, password: PASSWORD, tenant: acme.slug });
    const noTenant = await login(t, { email, password: PASSWORD, tenant: 'no-such-tenant' });
    for (const r of [wrong, unknown, gone, noTenant]) {
      expect(r.res.status).toBe(401);
      expect(r.res.headers.get('set-cookie')).toBeNull();
      expect(shape(r.res.body)).toEqual(shape(wrong.res.body));
    }
    expect(wrong.res.body.detail).toBe('The e-mail or the password is not correct.');
    const reasons = (await auditOf(t, acme.tenantId, 'identity.login'))
      .filter((e) => e.outcome === 'failure')
      .map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['wrong_password', 'unknown_user', 'deactivated']));
  });

  it('takes comparable time for an unknown user and a wrong password (medians within a loose ratio)', async () => {
    const timed = async (body: object) => {
      const t0 = performance.now();
      const r = await t.api('POST', '/api/v1/auth/login', { body });
      expect(r.status).toBe(401);
      return performance.now() - t0;
    };
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 9; i++) {
      wrong.push(await timed({ email, password: `wrong-${i}-password`, tenant: acme.slug }));
      unknown.push(
        await timed({ email: `ghost${i}@acme.example`, password: `wrong-${i}-password`, tenant: acme.slug }),
      );
    }
    // Both pay one argon2id verification; without the dummy hash the unknown user would answer many times faster.
    const ratio = median(unknown) / median(wrong);
    expect(ratio).toBeGreaterThan(0.6);
    expect(ratio).toBeLessThan(1.6);
    // The successful login above resets the counter; these failures must not lock the account (threshold 10 > 9).
    await t.api('POST', `/api/v1/users/${userId}/unlock`, { token: acme.token });
  });

  it('locks the account after the tenant threshold, refuses even the right password the same way, and unlocks by admin', async () => {
    const victim = 'locked@acme.example';
    const victimId = await addUser(t, acme.tenantId, { email: victim, password: PASSWORD });
    expect(
      (
        await t.api('PATCH', '/api/v1/security-settings', {
          token: acme.token,
          body: { lockout_threshold: 3 },
        })
      ).status,
    ).toBe(200);
    for (let i = 0; i < 3; i++)
      expect(
        (await login(t, { email: victim, password: 'bad password here', tenant: acme.slug })).res.status,
      ).toBe(401);
    const locked = await login(t, { email: victim, password: PASSWORD, tenant: acme.slug });
    expect(locked.res.status).toBe(401);
    expect(locked.res.body.detail).toBe('The e-mail or the password is not correct.');
    const user = await t.api('GET', `/api/v1/users/${victimId}`, { token: acme.token });
    expect(user.body.locked_until).not.toBeNull();
    expect((await auditOf(t, acme.tenantId, 'identity.account.locked')).map((e) => e.resource_id)).toContain(
      victimId,
    );
    const failures = (await auditOf(t, acme.tenantId, 'identity.login')).filter(
      (e) => e.resource_id === victimId,
    );
    expect(failures.at(-1)).toMatchObject({ outcome: 'failure', reason: 'locked' });

    expect(
      (await t.api('POST', `/api/v1/users/${victimId}/unlock`, { token: acme.token })).body.locked_until,
    ).toBeNull();
    expect((await auditOf(t, acme.tenantId, 'identity.user.unlock')).at(-1)).toMatchObject({
      outcome: 'success',
      resource_id: victimId,
    });
    expect((await login(t, { email: victim, password: PASSWORD, tenant: acme.slug })).res.status).toBe(200);
    await t.api('PATCH', '/api/v1/security-settings', { token: acme.token, body: { lockout_threshold: 10 } });
  });

  it("resolves the tenant from the Host: Acme's user cannot log in on Bricoles' host", async () => {
    const a = await tenantWithDomains(t, 'Acme Host', `acmehost-${driver}`, [`acme-${driver}.test`]);
    const b = await tenantWithDomains(t, 'Bricoles Host', `brichost-${driver}`, [`bricoles-${driver}.test`]);
    await addUser(t, a.tenantId, { email: 'paul@acme.example', password: PASSWORD });
    const body = { email: 'paul@acme.example', password: PASSWORD };
    const home = await postWithHost(t.url, `acme-${driver}.test`, '/api/v1/auth/login', body);
    expect(home.status).toBe(200);
    const away = await postWithHost(t.url, `bricoles-${driver}.test`, '/api/v1/auth/login', body);
    const nowhere = await postWithHost(t.url, 'unknown.test', '/api/v1/auth/login', body);
    expect(away.status).toBe(401);
    expect(shape(away.body)).toEqual(shape(nowhere.body));
    // Bricoles' trail records an attempt for an unknown user, and nothing names Acme's user.
    const trail = await auditOf(t, b.tenantId, 'identity.login');
    expect(trail).toEqual([
      expect.objectContaining({ outcome: 'failure', reason: 'unknown_user', resource_id: null }),
    ]);
  });

  it('refuses a body with unknown fields or a missing password, naming the field', async () => {
    const res = await t.api('POST', '/api/v1/auth/login', { body: { email, tenant: acme.slug } });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ in: 'body', pointer: '/password', detail: 'is required' }]);
  });
});

describe.each(DRIVERS)('login throttling, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  beforeAll(async () => {
    t = await startTestApp(driver, {
      config: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '4', LOGIN_MAX_FAILURES_PER_IP: '100000' },
    });
    acme = await t.newTenant('Acme Throttle');
    await addUser(t, acme.tenantId, { email: 'marc@acme.example', password: PASSWORD });
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After after too many failures for one account, existing or not, and audits it', async () => {
    for (const who of ['marc@acme.example', 'nobody@acme.example']) {
      for (let i = 0; i < 4; i++)
        expect(
          (await login(t, { email: who, password: 'wrong password 1', tenant: acme.slug })).res.status,
        ).toBe(401);
      const blocked = await login(t, { email: who, password: PASSWORD, tenant: acme.slug });
      expect(blocked.res.status).toBe(429);
      expect(blocked.res.body.type).toBe('/problems/rate-limited');
      expect(Number(blocked.res.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    const throttled = (await auditOf(t, acme.tenantId, 'identity.login')).filter(
      (e) => e.reason === 'throttled_account',
    );
    expect(throttled).toHaveLength(2);
  });
});

describe.each(DRIVERS)('login throttling shared through Redis, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  beforeAll(async () => {
    t = await startTestApp(driver, {
      config: {
        REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
        // A unique prefix per run: counts of earlier runs (same IP 127.0.0.1) never leak in.
        REDIS_KEY_PREFIX: `comptoir-test:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}:`,
        LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000',
        LOGIN_MAX_FAILURES_PER_IP: '3',
      },
    });
    acme = await t.newTenant('Acme Redis');
    await addUser(t, acme.tenantId, { email: 'ip@acme.example', password: PASSWORD });
  });
  afterAll(() => t.close());

  it('blocks an address after too many failures across different accounts (per-IP limit, counted in Redis)', async () => {
    for (let i = 0; i < 3; i++)
      expect(
        (
          await login(t, {
            email: `spray${i}@acme.example`,
            password: 'guess guess guess',
            tenant: acme.slug,
          })
        ).res.status,
      ).toBe(401);
    const blocked = await login(t, { email: 'ip@acme.example', password: PASSWORD, tenant: acme.slug });
    expect(blocked.res.status).toBe(429);
    expect((await auditOf(t, acme.tenantId, 'identity.login')).at(-1)).toMatchObject({
      outcome: 'failure',
      reason: 'throttled_ip',
    });
  });
});
