import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { sql } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { audit, auditAttempt } from '../audit/record.ts';
import type { Config } from '../config/config.ts';
import { type Actor, type Ctx, runAsTenant, systemActor } from '../context.ts';
import type { SecretBox } from '../crypto/secrets.ts';
import { type Database, rows } from '../db/database.ts';
import { AppError, fieldError, notFound } from '../http/problems.ts';
import { Nullable } from '../http/schemas.ts';
import { inTenant, requestOrigin } from '../http/tenant-handler.ts';
import { IdSchema } from '../ids.ts';
import { getTenant } from '../tenancy/service.ts';
import { identityClock } from './clock.ts';
import { countLoginFailure, LOGIN_ACTION, PENDING_LOGIN_TTL_S } from './login.ts';
import {
  confirmTotpEnrolment,
  factorSummary,
  hasSecondFactor,
  markSecondFactorVerified,
  methodsOf,
  randomSecret,
  regenerateRecoveryCodes,
  removeTotp,
  type SecondFactorMethod,
  startTotpEnrolment,
  useRecoveryCode,
  verifyTotp,
} from './mfa.ts';
import { type PublicTenant, resolvePublicTenant } from './public-tenant.ts';
import {
  cookieSettings,
  csrfTokenOf,
  openSession,
  rotateSession,
  sessionSecretFrom,
  setSessionCookie,
} from './sessions.ts';
import { readSecuritySettings } from './settings.ts';
import type { Throttle } from './throttle.ts';
import { hashSecret } from './tokens.ts';
import {
  authenticationOptions,
  type ChallengePurpose,
  challengeOf,
  consumeChallenge,
  listCredentials,
  type RelyingParty,
  registerCredential,
  registrationOptions,
  removeCredential,
  verifyAssertion,
} from './webauthn.ts';

/**
 * MFA endpoints: the second step of a login (`/auth/login/mfa`), passwordless passkey login
 * (`/auth/passkey/…`), the user's own factors (`/auth/mfa/…`) and step-up (`/auth/step-up`).
 */

const tenantSlug = Type.String({
  minLength: 1,
  maxLength: 63,
  pattern: '^[a-z0-9][a-z0-9-]*$',
  description: "The tenant's slug, when the request's host is not one of its domains",
});
const PendingToken = Type.String({
  pattern: '^[A-Za-z0-9_-]{43}$',
  examples: ['q3J0bGx0ZXN0cGVuZGluZ3Rva2VuX2V4YW1wbGVfMDA'],
  description: 'The `mfa.pending_token` of the login response (single use, 5 minutes)',
});
const TotpCode = Type.String({
  pattern: '^[0-9]{6}$',
  examples: ['123456'],
  description: 'The 6-digit code of the authenticator app',
});
const RecoveryCode = Type.String({
  minLength: 16,
  maxLength: 24,
  pattern: '^[0-9A-Za-z -]+$',
  description: 'One of the recovery codes (XXXX-XXXX-XXXX-XXXX); each works once',
});
const b64url = Type.String({ pattern: '^[A-Za-z0-9_-]*$', maxLength: 16384 });
const AssertionSchema = Type.Object(
  {
    id: b64url,
    rawId: b64url,
    type: Type.Literal('public-key'),
    response: Type.Object(
      {
        clientDataJSON: b64url,
        authenticatorData: b64url,
        signature: b64url,
        userHandle: Type.Optional(b64url),
      },
      { additionalProperties: false },
    ),
    clientExtensionResults: Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), {
      maxProperties: 20,
    }),
    authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
  },
  {
    additionalProperties: false,
    description:
      'The PublicKeyCredential of navigator.credentials.get(), as JSON (AuthenticationResponseJSON)',
  },
);
const AttestationSchema = Type.Object(
  {
    id: b64url,
    rawId: b64url,
    type: Type.Literal('public-key'),
    response: Type.Object(
      {
        clientDataJSON: b64url,
        attestationObject: b64url,
        transports: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 })),
        // What browsers add (PublicKeyCredential.toJSON(), @simplewebauthn/browser): conveniences
        // read from attestationObject, which alone is verified.
        authenticatorData: Type.Optional(b64url),
        publicKey: Type.Optional(b64url),
        publicKeyAlgorithm: Type.Optional(Type.Integer()),
      },
      { additionalProperties: false },
    ),
    clientExtensionResults: Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), {
      maxProperties: 20,
    }),
    authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
  },
  {
    additionalProperties: false,
    description:
      'The PublicKeyCredential of navigator.credentials.create(), as JSON (RegistrationResponseJSON)',
  },
);
const Options = (what: string) =>
  Type.Object({ challenge: Type.String() }, { additionalProperties: true, description: what });
const RecoveryCodes = Type.Array(Type.String(), {
  description: 'Shown once: keep them somewhere safe. Each works once instead of a second factor.',
});
const Method = Type.Union([Type.Literal('totp'), Type.Literal('recovery_code'), Type.Literal('webauthn')]);
const Factor = {
  totp_code: Type.Optional(TotpCode),
  recovery_code: Type.Optional(RecoveryCode),
  webauthn: Type.Optional(AssertionSchema),
};
const SessionOut = Type.Object({
  status: Type.Literal('authenticated'),
  user: Type.Object({
    id: IdSchema('usr'),
    display_name: Type.String(),
    kind: Type.Union([Type.Literal('staff'), Type.Literal('buyer')]),
    account_id: Nullable(Type.String()),
  }),
  session: Type.Object({ id: IdSchema('ses'), created_at: Type.String({ format: 'date-time' }) }),
  csrf_token: Type.String({
    description: 'Send as `x-csrf-token` on every write made with the session cookie',
  }),
  recovery_codes: Type.Optional(RecoveryCodes),
});
const CredentialSchema = Type.Object(
  {
    id: IdSchema('wac'),
    name: Type.String(),
    device_type: Type.String({
      description: '`singleDevice` (security key) or `multiDevice` (synced passkey)',
    }),
    backed_up: Type.Boolean(),
    transports: Type.Array(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
    last_used_at: Nullable(Type.String({ format: 'date-time' })),
  },
  { $id: 'WebAuthnCredential', title: 'WebAuthn credential' },
);
const TotpEnrolmentSchema = Type.Object({
  otpauth_uri: Type.String({ description: 'otpauth://totp/… for a QR code' }),
  secret: Type.String({ description: 'The same secret in base32, for manual entry. Shown once.' }),
  period: Type.Integer(),
  digits: Type.Integer(),
  algorithm: Type.Literal('SHA1'),
});
const NoContent = Type.Null({ description: 'No content' });

const wrongFactor = () => new AppError('unauthenticated', 'The second factor is not correct.');
const badPending = () =>
  new AppError('unauthenticated', 'The login has expired or was already completed: log in again.');

interface Pending {
  sessionId: string;
  userId: string;
  email: string;
  displayName: string;
  kind: 'staff' | 'buyer';
  accountId: string | null;
}

export interface MfaDeps {
  db: Database;
  config: Config;
  throttle: Throttle;
  secrets: SecretBox;
}

/** Exactly one factor in a body, named by its field. */
function factorOf(body: {
  totp_code?: string;
  recovery_code?: string;
  webauthn?: unknown;
}):
  | { method: 'totp'; code: string }
  | { method: 'recovery_code'; code: string }
  | { method: 'webauthn'; response: AuthenticationResponseJSON } {
  const given = (['totp_code', 'recovery_code', 'webauthn'] as const).filter((f) => body[f] !== undefined);
  if (given.length !== 1)
    throw new AppError(
      'validation-error',
      'give exactly one of totp_code, recovery_code or webauthn',
      (given.length ? given : ['totp_code']).map((f) => ({
        in: 'body' as const,
        pointer: `/${f}`,
        detail: 'exactly one of totp_code, recovery_code or webauthn is required',
      })),
    );
  if (body.totp_code !== undefined) return { method: 'totp', code: body.totp_code };
  if (body.recovery_code !== undefined) return { method: 'recovery_code', code: body.recovery_code };
  return { method: 'webauthn', response: body.webauthn as AuthenticationResponseJSON };
}

export function mfaRoutes({ db, config, throttle, secrets }: MfaDeps): FastifyPluginAsyncTypebox {
  const cookie = { secure: config.cookieSecure };
  const rp: RelyingParty = { id: config.webauthnRpId, name: 'Comptoir', origins: config.webauthnOrigins };
  const origin = (req: FastifyRequest) => ({
    ...requestOrigin(req),
    locale: 'fr',
  });
  const identity = systemActor('identity');
  const userActor = (p: { userId: string; displayName: string }, sessionId?: string): Actor => ({
    type: 'user',
    id: p.userId,
    userId: p.userId,
    displayName: p.displayName,
    permissions: new Set(),
    ...(sessionId ? { sessionId } : {}),
  });
  const accountKey = (tenantId: string, email: string) =>
    `login:account:${tenantId}:${email.trim().toLowerCase()}`;
  const ipKey = (req: FastifyRequest) => `login:ip:${req.ip}`;

  async function failed(req: FastifyRequest, tenant: PublicTenant, userId: string | null, reason: string) {
    await auditAttempt(
      db,
      { tenantId: tenant.id, actor: null, ...origin(req) },
      { action: LOGIN_ACTION, resource: { type: 'user', id: userId }, outcome: 'failure', reason },
    );
  }

  /** 429 when this address, or this account, failed too often (the password login's limits). */
  async function throttled(req: FastifyRequest, reply: FastifyReply, tenant: PublicTenant, email?: string) {
    const keys = [ipKey(req), ...(email ? [accountKey(tenant.id, email)] : [])];
    const counts = await Promise.all(keys.map((k) => throttle.count(k)));
    const over =
      (counts[0] ?? 0) >= config.loginMaxFailuresPerIp ||
      (counts[1] ?? 0) >= config.loginMaxFailuresPerAccount;
    if (!over) return;
    const retry = Math.max(...(await Promise.all(keys.map((k) => throttle.retryAfter(k)))), 1);
    await failed(
      req,
      tenant,
      null,
      (counts[1] ?? 0) >= config.loginMaxFailuresPerAccount ? 'throttled_account' : 'throttled_ip',
    );
    reply.header('retry-after', String(retry));
    throw new AppError('rate-limited', 'Too many failed attempts. Try again later.');
  }

  async function publicTenant(req: FastifyRequest, slug: string | undefined): Promise<PublicTenant> {
    const tenant = await resolvePublicTenant(db, req, slug);
    if (!tenant) throw badPending();
    return tenant;
  }

  /** The pending login of a token: unexpired, not completed, its user still active and unlocked. */
  async function findPending(
    req: FastifyRequest,
    tenant: PublicTenant,
    token: string,
  ): Promise<Pending | null> {
    const now = identityClock.now();
    return runAsTenant(db, { tenantId: tenant.id, actor: identity, ...origin(req) }, async (ctx) => {
      const [row] = rows<{
        id: string;
        user_id: string;
        created_at: string | Date;
        email: string;
        display_name: string;
        kind: 'staff' | 'buyer';
        account_id: string | null;
        status: string;
        locked_until: string | Date | null;
      }>(
        await ctx.tx.execute(sql`
          select s.id, s.user_id, s.created_at, u.email, u.display_name, u.kind, u.account_id, u.status, u.locked_until
            from sessions s join users u on u.tenant_id = s.tenant_id and u.id = s.user_id
           where s.tenant_id = ${ctx.tenantId} and s.secret_hash = ${hashSecret(token)}
             and s.stage = 'pending_mfa' and s.revoked_at is null`),
      );
      if (!row) return null;
      if (now.getTime() >= new Date(row.created_at).getTime() + PENDING_LOGIN_TTL_S * 1000) return null;
      if (row.status !== 'active' || (row.locked_until && new Date(row.locked_until) > now)) return null;
      return {
        sessionId: row.id,
        userId: row.user_id,
        email: row.email,
        displayName: row.display_name,
        kind: row.kind,
        accountId: row.account_id,
      };
    });
  }

  /** A wrong second factor: counts toward the pending login's attempts, lockout and throttling. */
  async function secondFactorFailed(req: FastifyRequest, tenant: PublicTenant, p: Pending, reason: string) {
    await runAsTenant(db, { tenantId: tenant.id, actor: identity, ...origin(req) }, async (ctx) => {
      // Five wrong factors end the pending login: the password must be typed again.
      await ctx.tx.execute(sql`
        update sessions set mfa_attempts = mfa_attempts + 1,
               revoked_at = case when mfa_attempts + 1 >= 5 then ${identityClock.now().toISOString()}::timestamptz end,
               revoked_reason = case when mfa_attempts + 1 >= 5 then 'mfa_attempts' end
         where tenant_id = ${ctx.tenantId} and id = ${p.sessionId} and stage = 'pending_mfa'`);
      await countLoginFailure(
        ctx,
        { id: p.userId, email: p.email },
        await readSecuritySettings(ctx.tx, ctx.tenantId),
        tenant,
      );
    });
    await failed(req, tenant, p.userId, reason);
    await Promise.all([throttle.fail(accountKey(tenant.id, p.email)), throttle.fail(ipKey(req))]);
  }

  /** Verifies one factor of `userId` inside ctx; webauthn challenges were consumed before. */
  async function checkFactor(
    ctx: Ctx,
    userId: string,
    factor: ReturnType<typeof factorOf>,
    challenge: { value: string | null; ok: boolean },
    allowPendingTotp: boolean,
  ): Promise<{ ok: boolean; reason: string; recoveryCodes?: string[] | null }> {
    if (factor.method === 'totp') {
      if (allowPendingTotp) {
        // Enrolment inside a pending login (the policy requires MFA, none was enrolled).
        const r = await confirmTotpEnrolment(ctx, secrets, userId, factor.code, '/totp_code').catch((err) => {
          if (err instanceof AppError) return null;
          throw err;
        });
        return r
          ? { ok: true, reason: '', recoveryCodes: r.recovery_codes }
          : { ok: false, reason: 'wrong_totp' };
      }
      return (await verifyTotp(ctx, secrets, userId, factor.code))
        ? { ok: true, reason: '' }
        : { ok: false, reason: 'wrong_totp' };
    }
    if (factor.method === 'recovery_code') {
      if (!(await hasSecondFactor(ctx.tx, ctx.tenantId, userId))) return { ok: false, reason: 'no_factor' };
      return (await useRecoveryCode(ctx, userId, factor.code))
        ? { ok: true, reason: '' }
        : { ok: false, reason: 'wrong_recovery_code' };
    }
    if (!challenge.ok || !challenge.value) return { ok: false, reason: 'webauthn_challenge_invalid' };
    const r = await verifyAssertion(ctx, rp, factor.response, challenge.value, userId, false);
    return r.userId !== null ? { ok: true, reason: '' } : { ok: false, reason: r.reason };
  }

  async function consumeFor(
    tenantId: string,
    factor: ReturnType<typeof factorOf>,
    purpose: ChallengePurpose,
    userId: string | null,
  ) {
    if (factor.method !== 'webauthn') return { value: null, ok: false };
    const value = challengeOf(factor.response);
    return { value, ok: await consumeChallenge(db, tenantId, value, purpose, userId) };
  }

  function selfUser(req: FastifyRequest): { userId: string; tenantId: string } {
    const p = req.principal;
    if (p?.kind !== 'tenant' || !p.actor.userId) throw notFound('A user for this request');
    return { userId: p.actor.userId, tenantId: p.tenantId };
  }

  function currentSession(req: FastifyRequest) {
    return req.principal?.kind === 'tenant' && req.session?.tenantId === req.principal.tenantId
      ? req.session
      : null;
  }

  return async (app) => {
    app.addSchema(CredentialSchema);
    const tags = ['Multi-factor authentication'];

    // ─── Second step of a login ─────────────────────────────────────────────────────────────────

    app.post(
      '/api/v1/auth/login/mfa',
      {
        schema: {
          operationId: 'completeMfaLogin',
          summary: 'Complete a login with a second factor',
          description:
            'After `POST /api/v1/auth/login` answered `mfa_required`: the pending token and exactly one factor — a TOTP code, a recovery code, or a WebAuthn assertion (options from `POST /api/v1/auth/mfa/webauthn/authentication/options`). ' +
            'When the policy required MFA and none was enrolled, the TOTP code confirms the enrolment started with `POST /api/v1/auth/login/mfa/totp` and the response carries the recovery codes (once). ' +
            'Opens the session (cookie). A wrong factor is a 401 and counts toward lockout and throttling like a wrong password; five end the pending login.',
          tags,
          security: [],
          'x-permission': 'public',
          'x-action': LOGIN_ACTION,
          body: Type.Object(
            { pending_token: PendingToken, tenant: Type.Optional(tenantSlug), ...Factor },
            { additionalProperties: false },
          ),
          response: { 200: SessionOut },
        },
      },
      async (req, reply) => {
        const tenant = await publicTenant(req, req.body.tenant);
        await throttled(req, reply, tenant);
        const factor = factorOf(req.body);
        const p = await findPending(req, tenant, req.body.pending_token);
        if (!p) {
          await failed(req, tenant, null, 'pending_login_invalid');
          await throttle.fail(ipKey(req));
          throw badPending();
        }
        await throttled(req, reply, tenant, p.email);
        const challenge = await consumeFor(tenant.id, factor, 'second_factor', p.userId);
        const now = identityClock.now();
        const result = await runAsTenant(
          db,
          { tenantId: tenant.id, actor: userActor(p, p.sessionId), ...origin(req) },
          async (ctx) => {
            const enrolling = !(await hasSecondFactor(ctx.tx, ctx.tenantId, p.userId));
            const check = await checkFactor(ctx, p.userId, factor, challenge, enrolling);
            if (!check.ok) return { ok: false as const, reason: check.reason };
            const secret = randomSecret();
            const [done] = rows<{ id: string }>(
              await ctx.tx.execute(sql`
                update sessions set stage = 'active', secret_hash = ${hashSecret(secret)}, created_at = ${now.toISOString()},
                       last_seen_at = ${now.toISOString()}, mfa_verified_at = ${now.toISOString()}
                 where tenant_id = ${ctx.tenantId} and id = ${p.sessionId} and stage = 'pending_mfa'
                   and secret_hash = ${hashSecret(req.body.pending_token)} and revoked_at is null
             returning id`),
            );
            if (!done) return { ok: false as const, reason: 'pending_login_used' };
            await ctx.tx.execute(sql`update users set failed_login_count = 0, locked_until = null, last_login_at = ${now.toISOString()}
                                      where tenant_id = ${ctx.tenantId} and id = ${p.userId}`);
            await audit(ctx, {
              action: LOGIN_ACTION,
              resource: { type: 'user', id: p.userId },
              metadata: { session_id: p.sessionId, method: factor.method, step: 'second_factor' },
            });
            return { ok: true as const, secret, recoveryCodes: check.recoveryCodes ?? null };
          },
        );
        if (!result.ok) {
          await secondFactorFailed(req, tenant, p, result.reason);
          throw result.reason === 'pending_login_used' ? badPending() : wrongFactor();
        }
        await throttle.reset(accountKey(tenant.id, p.email));
        setSessionCookie(reply, result.secret, cookie);
        reply.header('cache-control', 'no-store');
        return {
          status: 'authenticated' as const,
          user: { id: p.userId, display_name: p.displayName, kind: p.kind, account_id: p.accountId },
          session: { id: p.sessionId, created_at: now.toISOString() },
          csrf_token: csrfTokenOf(result.secret),
          ...(result.recoveryCodes ? { recovery_codes: result.recoveryCodes } : {}),
        };
      },
    );

    app.post(
      '/api/v1/auth/login/mfa/totp',
      {
        schema: {
          operationId: 'startLoginTotpEnrolment',
          summary: 'Enrol TOTP during a login the MFA policy holds back',
          description:
            'Only for a pending login whose user has no second factor while the tenant requires one (`mfa.enrolment_required`): returns the otpauth:// URI and secret once. Then `POST /api/v1/auth/login/mfa` with a `totp_code` activates it and completes the login.',
          tags,
          security: [],
          'x-permission': 'public',
          'x-action': 'identity.mfa.totp.enrol',
          body: Type.Object(
            { pending_token: PendingToken, tenant: Type.Optional(tenantSlug) },
            { additionalProperties: false },
          ),
          response: { 200: TotpEnrolmentSchema },
        },
      },
      async (req, reply) => {
        const tenant = await publicTenant(req, req.body.tenant);
        await throttled(req, reply, tenant);
        const p = await findPending(req, tenant, req.body.pending_token);
        if (!p) {
          await failed(req, tenant, null, 'pending_login_invalid');
          await throttle.fail(ipKey(req));
          throw badPending();
        }
        reply.header('cache-control', 'no-store');
        return runAsTenant(db, { tenantId: tenant.id, actor: userActor(p), ...origin(req) }, async (ctx) => {
          if (await hasSecondFactor(ctx.tx, ctx.tenantId, p.userId))
            throw new AppError(
              'business-rule-violation',
              'A second factor is already enrolled: complete the login with it.',
            );
          return startTotpEnrolment(ctx, secrets, p.userId, tenant.name);
        });
      },
    );

    app.post(
      '/api/v1/auth/mfa/webauthn/authentication/options',
      {
        schema: {
          operationId: 'webauthnLoginOptions',
          summary: 'WebAuthn options for the second step of a login',
          description:
            "Challenge (single use, 5 minutes) and the pending user's credentials, for navigator.credentials.get(); answer with `POST /api/v1/auth/login/mfa` {webauthn}.",
          tags,
          security: [],
          'x-permission': 'public',
          'x-action': 'identity.mfa.webauthn.challenge',
          body: Type.Object(
            { pending_token: PendingToken, tenant: Type.Optional(tenantSlug) },
            { additionalProperties: false },
          ),
          response: { 200: Options('PublicKeyCredentialRequestOptionsJSON') },
        },
      },
      async (req, reply) => {
        const tenant = await publicTenant(req, req.body.tenant);
        await throttled(req, reply, tenant);
        const p = await findPending(req, tenant, req.body.pending_token);
        if (!p) {
          await failed(req, tenant, null, 'pending_login_invalid');
          await throttle.fail(ipKey(req));
          throw badPending();
        }
        return runAsTenant(db, { tenantId: tenant.id, actor: userActor(p), ...origin(req) }, (ctx) =>
          authenticationOptions(ctx, rp, p.userId, 'second_factor'),
        );
      },
    );

    // ─── Passwordless passkey login ─────────────────────────────────────────────────────────────

    app.post(
      '/api/v1/auth/passkey/options',
      {
        schema: {
          operationId: 'passkeyLoginOptions',
          summary: 'Start a passwordless login with a passkey',
          description:
            'A challenge (single use, 5 minutes) for navigator.credentials.get() with a discoverable credential and user verification; answer with `POST /api/v1/auth/passkey/login`.',
          tags,
          security: [],
          'x-permission': 'public',
          'x-action': 'identity.mfa.webauthn.challenge',
          body: Type.Object({ tenant: Type.Optional(tenantSlug) }, { additionalProperties: false }),
          response: { 200: Options('PublicKeyCredentialRequestOptionsJSON') },
        },
      },
      async (req) => {
        const tenant = await publicTenant(req, req.body.tenant);
        return runAsTenant(db, { tenantId: tenant.id, actor: identity, ...origin(req) }, (ctx) =>
          authenticationOptions(ctx, rp, null, 'passkey'),
        );
      },
    );

    app.post(
      '/api/v1/auth/passkey/login',
      {
        schema: {
          operationId: 'passkeyLogin',
          summary: 'Log in with a passkey (no password)',
          description:
            "The assertion for a challenge of `POST /api/v1/auth/passkey/options`, with user verification (the authenticator's PIN or biometrics): both factors at once, so the session counts as MFA-verified. Any refusal is the same 401.",
          tags,
          security: [],
          'x-permission': 'public',
          'x-action': LOGIN_ACTION,
          body: Type.Object(
            { webauthn: AssertionSchema, tenant: Type.Optional(tenantSlug) },
            { additionalProperties: false },
          ),
          response: { 200: SessionOut },
        },
      },
      async (req, reply) => {
        const tenant = await resolvePublicTenant(db, req, req.body.tenant);
        if (!tenant) throw wrongFactor();
        await throttled(req, reply, tenant);
        const response = req.body.webauthn as unknown as AuthenticationResponseJSON;
        const value = challengeOf(response);
        const consumed = await consumeChallenge(db, tenant.id, value, 'passkey', null);
        const previous = sessionSecretFrom(req, cookie);
        const result = await runAsTenant(
          db,
          { tenantId: tenant.id, actor: identity, ...origin(req) },
          async (ctx) => {
            if (!consumed || !value)
              return { ok: false as const, reason: 'webauthn_challenge_invalid', userId: null };
            const r = await verifyAssertion(ctx, rp, response, value, null, true);
            if (r.userId === null) return { ok: false as const, reason: r.reason, userId: null };
            const [u] = rows<{
              display_name: string;
              kind: 'staff' | 'buyer';
              account_id: string | null;
              status: string;
              locked_until: string | Date | null;
            }>(
              await ctx.tx.execute(sql`select display_name, kind, account_id, status, locked_until from users
                                        where tenant_id = ${ctx.tenantId} and id = ${r.userId}`),
            );
            const now = identityClock.now();
            if (u?.status !== 'active')
              return { ok: false as const, reason: 'deactivated', userId: r.userId };
            if (u.locked_until && new Date(u.locked_until) > now)
              return { ok: false as const, reason: 'locked', userId: r.userId };
            const actorCtx: Ctx = {
              ...ctx,
              actor: userActor({ userId: r.userId, displayName: u.display_name }),
            };
            if (previous)
              await ctx.tx.execute(sql`update sessions set revoked_at = ${now.toISOString()}, revoked_reason = 'rotated'
                                        where tenant_id = ${ctx.tenantId} and secret_hash = ${hashSecret(previous)}
                                          and revoked_at is null`);
            const session = await openSession(actorCtx, r.userId, 'active');
            await markSecondFactorVerified(actorCtx, session.id);
            await ctx.tx.execute(sql`update users set failed_login_count = 0, last_login_at = ${now.toISOString()}
                                      where tenant_id = ${ctx.tenantId} and id = ${r.userId}`);
            await audit(actorCtx, {
              action: LOGIN_ACTION,
              resource: { type: 'user', id: r.userId },
              metadata: { session_id: session.id, method: 'passkey', credential: r.credentialId },
            });
            return {
              ok: true as const,
              session,
              user: { id: r.userId, display_name: u.display_name, kind: u.kind, account_id: u.account_id },
            };
          },
        );
        if (!result.ok) {
          await failed(req, tenant, result.userId, result.reason);
          await throttle.fail(ipKey(req));
          throw wrongFactor();
        }
        setSessionCookie(reply, result.session.secret, cookie);
        reply.header('cache-control', 'no-store');
        return {
          status: 'authenticated' as const,
          user: result.user,
          session: { id: result.session.id, created_at: result.session.createdAt.toISOString() },
          csrf_token: result.session.csrfToken,
        };
      },
    );

    // ─── My factors ─────────────────────────────────────────────────────────────────────────────

    app.get(
      '/api/v1/auth/mfa',
      {
        schema: {
          operationId: 'getMfaStatus',
          summary: 'My second factors',
          description: 'Which factors I have, how many recovery codes remain, and what login will ask for.',
          tags,
          'x-permission': 'identity.session.self',
          response: {
            200: Type.Object({
              totp: Type.Union([Type.Literal('none'), Type.Literal('pending'), Type.Literal('active')]),
              webauthn_credentials: Type.Integer(),
              recovery_codes_remaining: Type.Integer(),
              methods: Type.Array(Method),
              mfa_verified_at: Nullable(
                Type.String({ format: 'date-time', description: "This session's last second factor" }),
              ),
            }),
          },
        },
      },
      async (req, reply) => {
        const { userId } = selfUser(req);
        return inTenant(db, req, reply, async (ctx) => {
          const f = await factorSummary(ctx.tx, ctx.tenantId, userId);
          const session = currentSession(req);
          const [s] = session
            ? rows<{ mfa_verified_at: string | Date | null }>(
                await ctx.tx.execute(sql`select mfa_verified_at from sessions
                                          where tenant_id = ${ctx.tenantId} and id = ${session.id}`),
              )
            : [];
          return {
            ...f,
            methods: methodsOf(f),
            mfa_verified_at: s?.mfa_verified_at ? new Date(s.mfa_verified_at).toISOString() : null,
          };
        });
      },
    );

    app.post(
      '/api/v1/auth/mfa/totp',
      {
        schema: {
          operationId: 'startTotpEnrolment',
          summary: 'Start enrolling a TOTP authenticator app',
          description:
            'Returns the otpauth:// URI (for a QR code) and the base32 secret, once; stored encrypted. Nothing changes at login until `POST /api/v1/auth/mfa/totp/confirm` proves the app shows the right codes. Starting again replaces a pending enrolment; an active one must be removed first (409).',
          tags,
          'x-permission': 'identity.session.self',
          'x-action': 'identity.mfa.totp.enrol',
          response: { 200: TotpEnrolmentSchema },
        },
      },
      async (req, reply) => {
        const { userId, tenantId } = selfUser(req);
        const tenant = await getTenant(db, tenantId);
        reply.header('cache-control', 'no-store');
        return inTenant(db, req, reply, (ctx) => startTotpEnrolment(ctx, secrets, userId, tenant.name));
      },
    );

    app.post(
      '/api/v1/auth/mfa/totp/confirm',
      {
        schema: {
          operationId: 'confirmTotpEnrolment',
          summary: 'Activate TOTP with a code from the app',
          description:
            'A wrong code is a 400 naming `code`. The first second factor of a user also returns 10 recovery codes, once.',
          tags,
          'x-permission': 'identity.session.self',
          'x-action': 'identity.mfa.totp.activate',
          body: Type.Object({ code: TotpCode }, { additionalProperties: false }),
          response: { 200: Type.Object({ recovery_codes: Nullable(RecoveryCodes) }) },
        },
      },
      async (req, reply) => {
        const { userId } = selfUser(req);
        reply.header('cache-control', 'no-store');
        const result = await inTenant(db, req, reply, async (ctx) => {
          const r = await confirmTotpEnrolment(ctx, secrets, userId, req.body.code);
          // Proving the new factor counts as a second factor for this session.
          const s = currentSession(req);
          if (s) await markSecondFactorVerified(ctx, s.id);
          return r;
        });
        return result;
      },
    );

    app.delete(
      '/api/v1/auth/mfa/totp',
      {
        schema: {
          operationId: 'removeTotp',
          summary: 'Remove my TOTP authenticator',
          description:
            'Needs a recent second factor (403 `step-up-required` otherwise). When it was the last factor, the recovery codes go too.',
          tags,
          'x-permission': 'identity.session.self',
          'x-action': 'identity.mfa.totp.remove',
          response: { 204: NoContent },
        },
      },
      async (req, reply) => {
        selfUser(req);
        await inTenant(db, req, reply, (ctx) => removeTotp(ctx));
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/api/v1/auth/mfa/recovery-codes',
      {
        schema: {
          operationId: 'regenerateRecoveryCodes',
          summary: 'Replace my recovery codes',
          description:
            'Ten new single-use codes, shown once; the previous ones stop working. Needs a recent second factor and an enrolled one.',
          tags,
          'x-permission': 'identity.session.self',
          'x-action': 'identity.mfa.recovery_code.regenerate',
          response: { 200: Type.Object({ recovery_codes: RecoveryCodes }) },
        },
      },
      async (req, reply) => {
        selfUser(req);
        reply.header('cache-control', 'no-store');
        return inTenant(db, req, reply, (ctx) => regenerateRecoveryCodes(ctx));
      },
    );

    app.post(
      '/api/v1/auth/mfa/webauthn/registration/options',
      {
        schema: {
          operationId: 'webauthnRegistrationOptions',
          summary: 'Start registering a security key or passkey',
          description:
            'Options for navigator.credentials.create(): a challenge (single use, 5 minutes), the relying party (WEBAUTHN_RP_ID) and my existing credentials to exclude.',
          tags,
          'x-permission': 'identity.session.self',
          'x-action': 'identity.mfa.webauthn.challenge',
          response: { 200: Options('PublicKeyCredentialCreationOptionsJSON') },
        },
      },
      async (req, reply) => {
        const { userId } = selfUser(req);
        return inTenant(db, req, reply, (ctx) => registrationOptions(ctx, rp, userId));
      },
    );

    app.post(
      '/api/v1/auth/mfa/webauthn/registration',
      {
        schema: {
          operationId: 'registerWebauthnCredential',
          summary: 'Register a security key or passkey',
          description:
            'The attestation for a challenge of the registration options (consumed: a replay is refused), from an allowed origin (WEBAUTHN_ORIGINS) and for our RP ID. The first second factor also returns 10 recovery codes, once.',
          tags,
          'x-permission': 'identity.session.self',
          'x-action': 'identity.mfa.webauthn.register',
          body: Type.Object(
            { name: Type.String({ minLength: 1, maxLength: 100 }), response: AttestationSchema },
            { additionalProperties: false },
          ),
          response: {
            201: Type.Object({
              credential: Type.Ref('WebAuthnCredential'),
              recovery_codes: Nullable(RecoveryCodes),
            }),
          },
        },
      },
      async (req, reply) => {
        const { userId, tenantId } = selfUser(req);
        const response = req.body.response as unknown as RegistrationResponseJSON;
        const challenge = challengeOf(response);
        if (!(await consumeChallenge(db, tenantId, challenge, 'registration', userId)))
          throw fieldError(
            '/response',
            'response answers no pending registration challenge (expired, used already, or not yours)',
          );
        reply.code(201).header('cache-control', 'no-store');
        return inTenant(db, req, reply, (ctx) =>
          registerCredential(ctx, rp, userId, { name: req.body.name, response }, challenge as string),
        );
      },
    );

    app.get(
      '/api/v1/auth/mfa/webauthn/credentials',
      {
        schema: {
          operationId: 'listWebauthnCredentials',
          summary: 'List my security keys and passkeys',
          tags,
          'x-permission': 'identity.session.self',
          response: { 200: Type.Object({ data: Type.Array(Type.Ref('WebAuthnCredential')) }) },
        },
      },
      async (req, reply) => {
        const { userId } = selfUser(req);
        return inTenant(db, req, reply, async (ctx) => ({ data: await listCredentials(ctx, userId) }));
      },
    );

    app.delete(
      '/api/v1/auth/mfa/webauthn/credentials/:credential_id',
      {
        schema: {
          operationId: 'removeWebauthnCredential',
          summary: 'Remove one of my security keys or passkeys',
          description: 'Needs a recent second factor. Someone else’s credential answers 404.',
          tags,
          'x-permission': 'identity.session.self',
          'x-action': 'identity.mfa.webauthn.remove',
          params: Type.Object({ credential_id: IdSchema('wac') }),
          response: { 204: NoContent },
        },
      },
      async (req, reply) => {
        await inTenant(db, req, reply, (ctx) => removeCredential(ctx, req.params.credential_id));
        return reply.code(204).send(null);
      },
    );

    // ─── Step-up ────────────────────────────────────────────────────────────────────────────────

    app.post(
      '/api/v1/auth/step-up/webauthn/options',
      {
        schema: {
          operationId: 'stepUpWebauthnOptions',
          summary: 'WebAuthn options for a step-up',
          description:
            'A challenge for one of my credentials; answer with `POST /api/v1/auth/step-up` {webauthn}.',
          tags,
          'x-permission': 'identity.session.self',
          'x-action': 'identity.mfa.webauthn.challenge',
          response: { 200: Options('PublicKeyCredentialRequestOptionsJSON') },
        },
      },
      async (req, reply) => {
        const { userId } = selfUser(req);
        return inTenant(db, req, reply, (ctx) => authenticationOptions(ctx, rp, userId, 'step_up'));
      },
    );

    app.post(
      '/api/v1/auth/step-up',
      {
        schema: {
          operationId: 'stepUp',
          summary: 'Verify a second factor for this session (step-up)',
          description:
            "Sensitive actions need a second factor verified within the tenant's `step_up_max_age_s`. Exactly one factor; the session is rotated (new cookie and CSRF token). Only for web sessions (bearer tokens need no step-up). A wrong factor is a 400 naming the field and counts toward throttling.",
          tags,
          'x-permission': 'identity.session.self',
          'x-action': 'identity.session.step_up',
          body: Type.Object(Factor, { additionalProperties: false }),
          response: {
            200: Type.Object({
              csrf_token: Type.String(),
              mfa_verified_at: Type.String({ format: 'date-time' }),
              valid_until: Type.String({
                format: 'date-time',
                description: 'Sensitive actions are allowed until then',
              }),
            }),
          },
        },
      },
      async (req, reply) => {
        const { userId, tenantId } = selfUser(req);
        const session = currentSession(req);
        if (!session)
          throw new AppError(
            'business-rule-violation',
            'Step-up applies to a web session; this request has none.',
          );
        const factor = factorOf(req.body);
        const key = `step-up:${tenantId}:${userId}`;
        if ((await throttle.count(key)) >= config.loginMaxFailuresPerAccount) {
          reply.header('retry-after', String(Math.max(await throttle.retryAfter(key), 1)));
          throw new AppError('rate-limited', 'Too many failed attempts. Try again later.');
        }
        const challenge = await consumeFor(tenantId, factor, 'step_up', userId);
        try {
          const out = await inTenant(db, req, reply, async (ctx) => {
            const check = await checkFactor(ctx, userId, factor, challenge, false);
            if (!check.ok) {
              const field = factor.method === 'totp' ? 'totp_code' : factor.method;
              throw fieldError(`/${field}`, `${field} is not correct`);
            }
            const at = await markSecondFactorVerified(ctx, session.id);
            const rotated = await rotateSession(ctx, session.id);
            const settings = await readSecuritySettings(ctx.tx, ctx.tenantId);
            await audit(ctx, {
              action: 'identity.session.step_up',
              resource: { type: 'session', id: session.id },
              metadata: { method: factor.method as SecondFactorMethod },
            });
            return { rotated, at, maxAge: settings.step_up_max_age_s };
          });
          await throttle.reset(key);
          setSessionCookie(reply, out.rotated.secret, cookieSettings);
          reply.header('cache-control', 'no-store');
          return {
            csrf_token: out.rotated.csrfToken,
            mfa_verified_at: out.at.toISOString(),
            valid_until: new Date(out.at.getTime() + out.maxAge * 1000).toISOString(),
          };
        } catch (err) {
          if (err instanceof AppError && err.type === 'validation-error') await throttle.fail(key);
          throw err;
        }
      },
    );
  };
}
