import type { TestApp } from '../../test/harness.ts';
import { runAsTenant } from '../context.ts';
import { totpCodeAt } from './mfa.ts';
import { openSession } from './sessions.ts';
import { addUser } from './testing.ts';
import { createApiToken } from './users.ts';
import { SoftAuthenticator } from './webauthn-testing.ts';

/** What test/audit-coverage.test.ts needs to call each MFA operation successfully once (not a test file). */
export interface MfaFixtures {
  slug: string;
  /** Bearer headers of users each set up for one operation. */
  confirm: { auth: Record<string, string>; secret: string };
  removeTotp: { auth: Record<string, string> };
  regenerate: { auth: Record<string, string> };
  registerWebauthn: { auth: Record<string, string>; response: unknown };
  removeWebauthn: { auth: Record<string, string>; credentialId: string };
  /** A passkey user: a signed-in session, pending logins, recovery codes, a passkey assertion. */
  passkey: {
    auth: Record<string, string>;
    session: Record<string, string>;
    pendingForLogin: string;
    pendingForOptions: string;
    recoveryCodes: string[];
    passkeyAssertion: unknown;
  };
  /** A pending login of a user without any factor (policy-required enrolment). */
  enrolPending: string;
}

export function currentTotp(secret: string): string {
  return totpCodeAt(secret);
}

export async function prepareMfaFixtures(
  t: TestApp,
  tenant: { tenantId: string; slug: string },
  rp: { rpId: string; origin: string },
  password: string,
): Promise<MfaFixtures> {
  let n = 0;
  const user = async () => {
    n += 1;
    const email = `mfa${n}@coverage.example`;
    const id = await addUser(t, tenant.tenantId, { email, password });
    const { token } = await runAsTenant(t.db, { tenantId: tenant.tenantId }, (ctx) =>
      createApiToken(ctx, { userId: id, name: 'mfa fixture', scopes: ['*'] }),
    );
    return { id, email, auth: { authorization: `Bearer ${token}` } };
  };
  const call = async (method: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const res = await t.api(method, path, { headers, ...(body !== undefined ? { body } : {}) });
    if (res.status >= 300) throw new Error(`fixture ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };
  const totpUser = async (activate: boolean) => {
    const u = await user();
    const start = await call('POST', '/api/v1/auth/mfa/totp', u.auth);
    const secret = start.body.secret as string;
    if (activate)
      await call('POST', '/api/v1/auth/mfa/totp/confirm', u.auth, {
        code: totpCodeAt(secret, new Date(Date.now() - 30_000)),
      });
    return { ...u, secret };
  };
  const keyUser = async () => {
    const u = await user();
    const key = new SoftAuthenticator();
    const options = (await call('POST', '/api/v1/auth/mfa/webauthn/registration/options', u.auth)).body;
    const reg = await call('POST', '/api/v1/auth/mfa/webauthn/registration', u.auth, {
      name: 'Fixture key',
      response: key.register(options, rp),
    });
    return {
      ...u,
      key,
      credentialId: reg.body.credential.id as string,
      recovery: reg.body.recovery_codes as string[],
    };
  };
  const pendingOf = async (email: string) =>
    (await call('POST', '/api/v1/auth/login', {}, { email, password, tenant: tenant.slug })).body.mfa
      .pending_token as string;

  const confirm = await totpUser(false);
  const removeTotp = await totpUser(true);
  const regenerate = await totpUser(true);
  const removeWebauthn = await keyUser();
  const registrant = await user();
  const regOptions = (await call('POST', '/api/v1/auth/mfa/webauthn/registration/options', registrant.auth))
    .body;
  const p = await keyUser();
  const done = await call(
    'POST',
    '/api/v1/auth/login/mfa',
    {},
    {
      pending_token: await pendingOf(p.email),
      tenant: tenant.slug,
      recovery_code: p.recovery[0],
    },
  );
  const passkeyOptions = (await call('POST', '/api/v1/auth/passkey/options', {}, { tenant: tenant.slug }))
    .body;
  const enrol = await user();
  const pending = await runAsTenant(t.db, { tenantId: tenant.tenantId }, (ctx) =>
    openSession(ctx, enrol.id, 'pending_mfa'),
  );
  return {
    slug: tenant.slug,
    confirm: { auth: confirm.auth, secret: confirm.secret },
    removeTotp: { auth: removeTotp.auth },
    regenerate: { auth: regenerate.auth },
    registerWebauthn: { auth: registrant.auth, response: new SoftAuthenticator().register(regOptions, rp) },
    removeWebauthn: { auth: removeWebauthn.auth, credentialId: removeWebauthn.credentialId },
    passkey: {
      auth: p.auth,
      session: {
        cookie: (done.headers.get('set-cookie') ?? '').split(';')[0]!,
        'x-csrf-token': done.body.csrf_token,
      },
      pendingForLogin: await pendingOf(p.email),
      pendingForOptions: await pendingOf(p.email),
      recoveryCodes: p.recovery,
      passkeyAssertion: p.key.assert(passkeyOptions, rp),
    },
    enrolPending: pending.secret,
  };
}

interface FixtureCall {
  params?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
}

/** The audit-coverage fixtures of the MFA operations (each with its own user's credentials). */
export function mfaAuditFixtures<S>(get: (s: S) => MfaFixtures): Record<string, (s: S) => FixtureCall> {
  return {
    startTotpEnrolment: () => ({}),
    confirmTotpEnrolment: (s) => ({
      headers: get(s).confirm.auth,
      body: { code: currentTotp(get(s).confirm.secret) },
    }),
    removeTotp: (s) => ({ headers: get(s).removeTotp.auth }),
    regenerateRecoveryCodes: (s) => ({ headers: get(s).regenerate.auth }),
    webauthnRegistrationOptions: () => ({}),
    registerWebauthnCredential: (s) => ({
      headers: get(s).registerWebauthn.auth,
      body: { name: 'Coverage key', response: get(s).registerWebauthn.response },
    }),
    removeWebauthnCredential: (s) => ({
      headers: get(s).removeWebauthn.auth,
      params: { credential_id: get(s).removeWebauthn.credentialId },
    }),
    stepUpWebauthnOptions: (s) => ({ headers: get(s).passkey.auth }),
    stepUp: (s) => ({
      headers: get(s).passkey.session,
      body: { recovery_code: get(s).passkey.recoveryCodes[2] },
    }),
    completeMfaLogin: (s) => ({
      body: {
        pending_token: get(s).passkey.pendingForLogin,
        tenant: get(s).slug,
        recovery_code: get(s).passkey.recoveryCodes[1],
      },
    }),
    startLoginTotpEnrolment: (s) => ({
      body: { pending_token: get(s).enrolPending, tenant: get(s).slug },
    }),
    webauthnLoginOptions: (s) => ({
      body: { pending_token: get(s).passkey.pendingForOptions, tenant: get(s).slug },
    }),
    passkeyLoginOptions: (s) => ({ body: { tenant: get(s).slug } }),
    passkeyLogin: (s) => ({ body: { tenant: get(s).slug, webauthn: get(s).passkey.passkeyAssertion } }),
  };
}

/** The relying party of an app started with the harness' default configuration. */
export async function defaultRelyingParty(): Promise<{ rpId: string; origin: string }> {
  const { testConfig } = await import('../../test/harness.ts');
  const c = testConfig();
  return { rpId: c.webauthnRpId, origin: c.webauthnOrigins[0]! };
}
