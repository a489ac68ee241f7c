import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { advanceClock } from './clock.ts';
import { totpCodeAt } from './mfa.ts';
import { addUser, auditOf, type LoggedIn, login, withSession } from './testing.ts';
import { SoftAuthenticator } from './webauthn-testing.ts';

const PASSWORD = 'a long enough passphrase';
const RP = { rpId: 'localhost', origin: 'http://localhost:3000' };

describe.each(DRIVERS)('MFA: TOTP, recovery codes, policy and step-up, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  let undo: (() => void) | null = null;
  let n = 0;

  beforeAll(async () => {
    t = await startTestApp(driver, {
      config: {
        LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000',
        LOGIN_MAX_FAILURES_PER_IP: '100000',
        WEBAUTHN_RP_ID: RP.rpId,
        WEBAUTHN_ORIGINS: RP.origin,
      },
    });
    acme = await t.newTenant('Acme MFA');
  });
  afterEach(() => {
    undo?.();
    undo = null;
  });
  afterAll(() => t.close());

  const newUser = async (kind: 'staff' | 'buyer' = 'staff', accountId?: string) => {
    n += 1;
    const email = `user${n}@acme.example`;
    const id = await addUser(t, acme.tenantId, {
      email,
      password: PASSWORD,
      kind,
      ...(accountId ? { accountId } : {}),
    });
    return { id, email };
  };
  const passwordStep = (email: string) =>
    t.api('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD, tenant: acme.slug } });
  const secondStep = (body: Record<string, unknown>) =>
    t.api('POST', '/api/v1/auth/login/mfa', { body: { tenant: acme.slug, ...body } });
  const sessionOf = (res: {
    body: { csrf_token: string; session: { id: string } };
    headers: Headers;
  }): LoggedIn => ({
    cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!,
    csrf: res.body.csrf_token,
    sessionId: res.body.session.id,
    setCookie: res.headers.get('set-cookie') ?? '',
  });

  /** A user with an active TOTP; returns its secret and recovery codes. */
  async function enrolled() {
    const u = await newUser();
    const s = (await login(t, { email: u.email, password: PASSWORD, tenant: acme.slug })).session!;
    const start = await t.api('POST', '/api/v1/auth/mfa/totp', { headers: withSession(s) });
    expect(start.status).toBe(200);
    const secret: string = start.body.secret;
    // The code of the previous step: the tests' own codes (current step) stay fresh.
    const code = totpCodeAt(secret, new Date(Date.now() - 30_000));
    const confirm = await t.api('POST', '/api/v1/auth/mfa/totp/confirm', {
      headers: withSession(s),
      body: { code },
    });
    expect(confirm.status).toBe(200);
    return { ...u, secret, recovery: confirm.body.recovery_codes as string[], session: s };
  }

  it('enrols TOTP: URI and secret once, sealed, activated only by a correct code, with 10 recovery codes', async () => {
    const u = await newUser();
    const s = (await login(t, { email: u.email, password: PASSWORD, tenant: acme.slug })).session!;
    const start = await t.api('POST', '/api/v1/auth/mfa/totp', { headers: withSession(s) });
    expect(start.body.otpauth_uri).toMatch(/^otpauth:\/\/totp\/.*secret=[A-Z2-7]+.*period=30/);
    expect(start.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    // Not active yet: login still opens a session directly.
    expect((await passwordStep(u.email)).body.status).toBe('authenticated');
    const wrong = await t.api('POST', '/api/v1/auth/mfa/totp/confirm', {
      headers: withSession(s),
      body: { code: '000000' === totpCodeAt(start.body.secret) ? '111111' : '000000' },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0]).toMatchObject({ in: 'body', pointer: '/code' });
    const ok = await t.api('POST', '/api/v1/auth/mfa/totp/confirm', {
      headers: withSession(s),
      body: { code: totpCodeAt(start.body.secret) },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.recovery_codes).toHaveLength(10);
    expect(new Set(ok.body.recovery_codes).size).toBe(10);
    const status = await t.api('GET', '/api/v1/auth/mfa', { headers: withSession(s) });
    expect(status.body).toMatchObject({
      totp: 'active',
      recovery_codes_remaining: 10,
      methods: ['totp', 'recovery_code'],
    });
    expect((await auditOf(t, acme.tenantId, 'identity.mfa.totp.activate')).at(-1)).toMatchObject({
      outcome: 'success',
      resource_id: u.id,
    });
  });

  it('logs in with password then TOTP; a wrong code and a replayed code (same step) are refused and audited', async () => {
    const u = await enrolled();
    const first = await passwordStep(u.email);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      status: 'mfa_required',
      mfa: { methods: ['totp', 'recovery_code'], enrolment_required: false },
    });
    expect(first.headers.get('set-cookie')).toBeNull();
    expect(first.body.session).toBeUndefined();
    const pending = first.body.mfa.pending_token as string;
    // The pending token is no session cookie.
    expect(
      (
        await t.api('GET', '/api/v1/auth/session', {
          headers: { cookie: `__Host-comptoir_session=${pending}` },
        })
      ).status,
    ).toBe(401);

    const code = totpCodeAt(u.secret);
    const bad = code === '123456' ? '654321' : '123456';
    expect((await secondStep({ pending_token: pending, totp_code: bad })).status).toBe(401);
    const done = await secondStep({ pending_token: pending, totp_code: code });
    expect(done.status).toBe(200);
    const s = sessionOf(done);
    expect((await t.api('GET', '/api/v1/auth/session', { headers: withSession(s) })).status).toBe(200);
    // The pending token worked once.
    expect((await secondStep({ pending_token: pending, totp_code: code })).status).toBe(401);

    // Replay: the same code at a new login, within the same step.
    const again = await passwordStep(u.email);
    const replay = await secondStep({ pending_token: again.body.mfa.pending_token, totp_code: code });
    expect(replay.status).toBe(401);
    const reasons = (await auditOf(t, acme.tenantId, 'identity.login'))
      .filter((e) => e.resource_id === u.id)
      .map((e) => [e.outcome, e.reason]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        ['failure', 'wrong_totp'],
        ['success', null],
      ]),
    );
    expect(reasons.filter(([o, r]) => o === 'failure' && r === 'wrong_totp').length).toBeGreaterThanOrEqual(
      2,
    );
  });

  it('accepts a recovery code once, audits its use, and counts wrong factors toward the lockout', async () => {
    const u = await enrolled();
    const code = u.recovery[0]!;
    const p1 = await passwordStep(u.email);
    const ok = await secondStep({
      pending_token: p1.body.mfa.pending_token,
      recovery_code: code.toLowerCase(),
    });
    expect(ok.status).toBe(200);
    const p2 = await passwordStep(u.email);
    expect((await secondStep({ pending_token: p2.body.mfa.pending_token, recovery_code: code })).status).toBe(
      401,
    );
    expect((await auditOf(t, acme.tenantId, 'identity.mfa.recovery_code.use')).at(-1)).toMatchObject({
      outcome: 'success',
      metadata: { user_id: u.id, remaining: 9 },
    });

    await t.api('PATCH', '/api/v1/security-settings', { token: acme.token, body: { lockout_threshold: 3 } });
    const p3 = await passwordStep(u.email);
    for (let i = 0; i < 2; i++)
      expect(
        (await secondStep({ pending_token: p3.body.mfa.pending_token, recovery_code: 'AAAA-BBBB-CCCC-DDDD' }))
          .status,
      ).toBe(401);
    // 3 failures in a row (one above + two here): locked, even the password step is refused.
    expect((await passwordStep(u.email)).status).toBe(401);
    expect((await auditOf(t, acme.tenantId, 'identity.account.locked')).map((e) => e.resource_id)).toContain(
      u.id,
    );
    await t.api('PATCH', '/api/v1/security-settings', { token: acme.token, body: { lockout_threshold: 10 } });
  });

  it("policy 'required' holds back a user without MFA until TOTP is enrolled inside the pending login", async () => {
    const policy = await newUser();
    await t.api('PATCH', '/api/v1/security-settings', {
      token: acme.token,
      body: { mfa_policy: 'required' },
    });
    try {
      const first = await passwordStep(policy.email);
      expect(first.body).toMatchObject({
        status: 'mfa_required',
        mfa: { methods: [], enrolment_required: true },
      });
      const pending = first.body.mfa.pending_token;
      const start = await t.api('POST', '/api/v1/auth/login/mfa/totp', {
        body: { pending_token: pending, tenant: acme.slug },
      });
      expect(start.status).toBe(200);
      // A recovery code cannot stand in for the missing factor.
      expect(
        (await secondStep({ pending_token: pending, recovery_code: 'AAAA-BBBB-CCCC-DDDD' })).status,
      ).toBe(401);
      const done = await secondStep({ pending_token: pending, totp_code: totpCodeAt(start.body.secret) });
      expect(done.status).toBe(200);
      expect(done.body.recovery_codes).toHaveLength(10);
      expect(
        (await t.api('GET', '/api/v1/auth/mfa', { headers: withSession(sessionOf(done)) })).body.totp,
      ).toBe('active');
    } finally {
      await t.api('PATCH', '/api/v1/security-settings', {
        token: acme.token,
        body: { mfa_policy: 'optional' },
      });
    }
  });

  it("policy 'required_for_admins' holds back staff administrators, not buyers", async () => {
    const admin = await newUser('staff');
    const account = await t.api('POST', '/api/v1/accounts', {
      token: acme.token,
      body: { name: 'Client MFA' },
    });
    const buyer = await newUser('buyer', account.body.id);
    await t.api('PATCH', '/api/v1/security-settings', {
      token: acme.token,
      body: { mfa_policy: 'required_for_admins' },
    });
    try {
      expect((await passwordStep(admin.email)).body).toMatchObject({
        status: 'mfa_required',
        mfa: { enrolment_required: true },
      });
      expect((await passwordStep(buyer.email)).body.status).toBe('authenticated');
    } finally {
      await t.api('PATCH', '/api/v1/security-settings', {
        token: acme.token,
        body: { mfa_policy: 'optional' },
      });
    }
  });

  it('step-up: refused without a recent second factor (403 step-up-required, audited), satisfied, then expired', async () => {
    const plain = await newUser();
    const s0 = (await login(t, { email: plain.email, password: PASSWORD, tenant: acme.slug })).session!;
    const body = { name: 'script', scopes: ['accounts.account.read'] };
    const refused = await t.api('POST', '/api/v1/api-tokens', { headers: withSession(s0), body });
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('/problems/step-up-required');
    expect((await auditOf(t, acme.tenantId, 'identity.api_token.create')).at(-1)).toMatchObject({
      outcome: 'denied',
      actor_id: plain.id,
    });
    // A token caller is not concerned.
    expect((await t.api('POST', '/api/v1/api-tokens', { token: acme.token, body })).status).toBe(201);

    const u = await enrolled();
    const p = await passwordStep(u.email);
    const s = sessionOf(
      await secondStep({ pending_token: p.body.mfa.pending_token, totp_code: totpCodeAt(u.secret) }),
    );
    expect((await t.api('POST', '/api/v1/api-tokens', { headers: withSession(s), body })).status).toBe(201);

    undo = advanceClock(16 * 60_000); // past step_up_max_age_s (900 s), within the idle timeout
    const stale = await t.api('POST', '/api/v1/api-tokens', { headers: withSession(s), body });
    expect(stale.status).toBe(403);
    expect(stale.body.type).toBe('/problems/step-up-required');
    const wrong = await t.api('POST', '/api/v1/auth/step-up', {
      headers: withSession(s),
      body: { totp_code: '000000' === totpCodeAt(u.secret) ? '111111' : '000000' },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0].pointer).toBe('/totp_code');
    const up = await t.api('POST', '/api/v1/auth/step-up', {
      headers: withSession(s),
      body: { totp_code: totpCodeAt(u.secret) },
    });
    expect(up.status).toBe(200);
    // Rotated: the old cookie is gone, the new one works for the sensitive action.
    expect((await t.api('GET', '/api/v1/auth/session', { headers: withSession(s) })).status).toBe(401);
    const s2 = {
      ...s,
      cookie: (up.headers.get('set-cookie') ?? '').split(';')[0]!,
      csrf: up.body.csrf_token,
    };
    expect((await t.api('POST', '/api/v1/api-tokens', { headers: withSession(s2), body })).status).toBe(201);
    // MFA removal and security settings need it too; a fresh step-up allows them.
    expect((await t.api('DELETE', '/api/v1/auth/mfa/totp', { headers: withSession(s2) })).status).toBe(204);
    expect((await auditOf(t, acme.tenantId, 'identity.session.step_up')).at(-1)).toMatchObject({
      outcome: 'success',
    });
    expect((await auditOf(t, acme.tenantId, 'identity.mfa.totp.remove')).at(-1)).toMatchObject({
      resource_id: u.id,
    });
    const settings = await t.api('PATCH', '/api/v1/security-settings', {
      headers: withSession(s0),
      body: { lockout_threshold: 10 },
    });
    expect(settings.body.type).toBe('/problems/step-up-required');
  });

  it('regenerates recovery codes behind step-up: the old ones stop working', async () => {
    const u = await enrolled();
    const p = await passwordStep(u.email);
    const s = sessionOf(
      await secondStep({ pending_token: p.body.mfa.pending_token, recovery_code: u.recovery[1]! }),
    );
    const fresh = await t.api('POST', '/api/v1/auth/mfa/recovery-codes', { headers: withSession(s) });
    expect(fresh.status).toBe(200);
    expect(fresh.body.recovery_codes).toHaveLength(10);
    const p2 = await passwordStep(u.email);
    expect(
      (await secondStep({ pending_token: p2.body.mfa.pending_token, recovery_code: u.recovery[2]! })).status,
    ).toBe(401);
    const p3 = await passwordStep(u.email);
    expect(
      (
        await secondStep({
          pending_token: p3.body.mfa.pending_token,
          recovery_code: fresh.body.recovery_codes[0],
        })
      ).status,
    ).toBe(200);
  });
});

describe.each(DRIVERS)('MFA: WebAuthn with a software authenticator, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  let other: TestTenant;
  let email: string;
  let userId: string;
  let key: SoftAuthenticator;
  let session: LoggedIn;

  beforeAll(async () => {
    t = await startTestApp(driver, {
      config: {
        LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000',
        LOGIN_MAX_FAILURES_PER_IP: '100000',
        WEBAUTHN_RP_ID: RP.rpId,
        WEBAUTHN_ORIGINS: RP.origin,
      },
    });
    acme = await t.newTenant('Acme WebAuthn');
    other = await t.newTenant('Other WebAuthn');
    email = 'key@acme.example';
    userId = await addUser(t, acme.tenantId, { email, password: PASSWORD });
    session = (await login(t, { email, password: PASSWORD, tenant: acme.slug })).session!;
    key = new SoftAuthenticator();
  });
  afterAll(() => t.close());

  const registrationOptions = async (s = session) =>
    (await t.api('POST', '/api/v1/auth/mfa/webauthn/registration/options', { headers: withSession(s) })).body;
  const register = (response: unknown, s = session) =>
    t.api('POST', '/api/v1/auth/mfa/webauthn/registration', {
      headers: withSession(s),
      body: { name: 'YubiKey', response },
    });
  const pendingLogin = async () =>
    (await t.api('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD, tenant: acme.slug } }))
      .body.mfa.pending_token as string;
  const loginOptions = async (pending: string) =>
    (
      await t.api('POST', '/api/v1/auth/mfa/webauthn/authentication/options', {
        body: { pending_token: pending, tenant: acme.slug },
      })
    ).body;
  const secondStep = (pending: string, webauthn: unknown) =>
    t.api('POST', '/api/v1/auth/login/mfa', {
      body: { pending_token: pending, tenant: acme.slug, webauthn },
    });

  it('refuses a registration from a wrong origin or for a wrong RP ID, and a replayed challenge', async () => {
    const wrongOrigin = await register(
      key.register(await registrationOptions(), { ...RP, origin: 'https://evil.example' }),
    );
    expect(wrongOrigin.status).toBe(400);
    expect(wrongOrigin.body.errors[0].pointer).toBe('/response');
    const wrongRp = await register(
      key.register(await registrationOptions(), { ...RP, rpId: 'evil.example' }),
    );
    expect(wrongRp.status).toBe(400);
    // The failed attempts burnt their challenges: the same responses again are refused as unknown challenges.
    expect(
      (await t.api('GET', '/api/v1/auth/mfa/webauthn/credentials', { headers: withSession(session) })).body
        .data,
    ).toEqual([]);
  });

  it('registers a credential in a real ceremony, then logs in with it as the second factor', async () => {
    const options = await registrationOptions();
    expect(options.rp.id).toBe(RP.rpId);
    const response = key.register(options, RP);
    const reg = await register(response);
    expect(reg.status).toBe(201);
    expect(reg.body.credential).toMatchObject({ name: 'YubiKey', transports: ['usb'] });
    expect(reg.body.recovery_codes).toHaveLength(10);
    // Challenge reuse: the same attestation again.
    expect((await register(response)).status).toBe(400);
    const registered = await auditOf(t, acme.tenantId, 'identity.mfa.webauthn.register');
    expect(registered.map((e) => e.outcome)).toEqual(['failure', 'failure', 'success', 'failure']);

    const pending = await pendingLogin();
    const assertion = key.assert(await loginOptions(pending), RP);
    const done = await secondStep(pending, assertion);
    expect(done.status).toBe(200);
    expect(done.body.user.id).toBe(userId);
    // Challenge reuse on login: the same assertion for a new pending login.
    expect((await secondStep(await pendingLogin(), assertion)).status).toBe(401);
  });

  it('refuses an assertion from a wrong origin, for a wrong RP ID, or with a counter that went back (clone)', async () => {
    let pending = await pendingLogin();
    expect(
      (
        await secondStep(
          pending,
          key.assert(await loginOptions(pending), { ...RP, origin: 'https://evil.example' }),
        )
      ).status,
    ).toBe(401);
    pending = await pendingLogin();
    expect(
      (await secondStep(pending, key.assert(await loginOptions(pending), { ...RP, rpId: 'evil.example' })))
        .status,
    ).toBe(401);
    const clone = key.clone();
    pending = await pendingLogin();
    expect((await secondStep(pending, key.assert(await loginOptions(pending), RP))).status).toBe(200);
    // The clone signs with a counter the server has already seen.
    pending = await pendingLogin();
    expect((await secondStep(pending, clone.assert(await loginOptions(pending), RP))).status).toBe(401);
    const reasons = (await auditOf(t, acme.tenantId, 'identity.login'))
      .filter((e) => e.outcome === 'failure')
      .map((e) => e.reason);
    expect(reasons.some((r) => /origin/i.test(r ?? ''))).toBe(true);
    expect(reasons.some((r) => /RP ID/i.test(r ?? ''))).toBe(true);
    expect(reasons.some((r) => /counter/i.test(r ?? ''))).toBe(true);
  });

  it('logs in without a password with a passkey (user verified), and never on another tenant', async () => {
    const options = (await t.api('POST', '/api/v1/auth/passkey/options', { body: { tenant: acme.slug } }))
      .body;
    expect(options.userVerification).toBe('required');
    const res = await t.api('POST', '/api/v1/auth/passkey/login', {
      body: { tenant: acme.slug, webauthn: key.assert(options, RP) },
    });
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(userId);
    const me = await t.api('GET', '/api/v1/auth/mfa', {
      headers: { cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]! },
    });
    expect(me.body.mfa_verified_at).not.toBeNull();

    // Tenant B: its own challenge, signed by A's credential: unknown there.
    const foreign = (await t.api('POST', '/api/v1/auth/passkey/options', { body: { tenant: other.slug } }))
      .body;
    const away = await t.api('POST', '/api/v1/auth/passkey/login', {
      body: { tenant: other.slug, webauthn: key.assert(foreign, RP) },
    });
    expect(away.status).toBe(401);
    expect((await auditOf(t, other.tenantId, 'identity.login')).at(-1)).toMatchObject({
      outcome: 'failure',
      reason: 'unknown_credential',
    });
    // And A's challenge answered on B is no challenge of B's.
    const crossed = await t.api('POST', '/api/v1/auth/passkey/login', {
      body: {
        tenant: other.slug,
        webauthn: key.assert(
          (await t.api('POST', '/api/v1/auth/passkey/options', { body: { tenant: acme.slug } })).body,
          RP,
        ),
      },
    });
    expect(crossed.status).toBe(401);
  });

  it('lists and removes credentials behind step-up (WebAuthn step-up)', async () => {
    const list = await t.api('GET', '/api/v1/auth/mfa/webauthn/credentials', {
      headers: withSession(session),
    });
    expect(list.body.data).toHaveLength(1);
    const id = list.body.data[0].id;
    const refused = await t.api('DELETE', `/api/v1/auth/mfa/webauthn/credentials/${id}`, {
      headers: withSession(session),
    });
    expect(refused.status).toBe(403);
    const options = (
      await t.api('POST', '/api/v1/auth/step-up/webauthn/options', { headers: withSession(session) })
    ).body;
    const up = await t.api('POST', '/api/v1/auth/step-up', {
      headers: withSession(session),
      body: { webauthn: key.assert(options, RP) },
    });
    expect(up.status).toBe(200);
    const s2 = {
      ...session,
      cookie: (up.headers.get('set-cookie') ?? '').split(';')[0]!,
      csrf: up.body.csrf_token,
    };
    expect(
      (await t.api('DELETE', `/api/v1/auth/mfa/webauthn/credentials/${id}`, { headers: withSession(s2) }))
        .status,
    ).toBe(204);
    // The last factor gone, login is a password login again, and the recovery codes went with it.
    expect(
      (await t.api('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD, tenant: acme.slug } }))
        .body.status,
    ).toBe('authenticated');
    expect(
      (await t.api('GET', '/api/v1/auth/mfa', { headers: withSession(s2) })).body.recovery_codes_remaining,
    ).toBe(0);
  });

  it('accepts the registration JSON browsers send (publicKey, publicKeyAlgorithm, authenticatorData)', async () => {
    // Found by the passkey journey in Chromium (test/web-e2e-passkey.test.ts): PublicKeyCredential.toJSON()
    // and @simplewebauthn/browser add these fields; the attestation object alone is verified.
    const browserEmail = 'browser-key@acme.example';
    await addUser(t, acme.tenantId, { email: browserEmail, password: PASSWORD });
    const s = (await login(t, { email: browserEmail, password: PASSWORD, tenant: acme.slug })).session!;
    const response = new SoftAuthenticator().register(await registrationOptions(s), RP);
    const reg = await register(
      {
        ...response,
        response: {
          ...response.response,
          authenticatorData: 'SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2NFAAAAAA',
          publicKey: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE',
          publicKeyAlgorithm: -7,
        },
        authenticatorAttachment: 'platform',
      },
      s,
    );
    expect(reg.status).toBe(201);
    expect(reg.body.credential.name).toBe('YubiKey');
  });
});
