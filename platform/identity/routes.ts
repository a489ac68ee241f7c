import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { auditAttempt } from '../audit/record.ts';
import type { Config } from '../config/config.ts';
import { type Actor, type Ctx, runAsTenant } from '../context.ts';
import type { Database } from '../db/database.ts';
import { Page, PageQuery } from '../http/pagination.ts';
import { AppError, notFound } from '../http/problems.ts';
import { Nullable } from '../http/schemas.ts';
import { inTenant, requestOrigin } from '../http/tenant-handler.ts';
import { IdSchema } from '../ids.ts';
import { getTenant } from '../tenancy/service.ts';
import { LOGIN_ACTION, PENDING_LOGIN_TTL_S, passwordLogin, verifyNothing } from './login.ts';
import { PASSWORD_MAX_LENGTH } from './password-policy.ts';
import { type PublicTenant, resolvePublicTenant } from './public-tenant.ts';
import {
  acceptInvitation,
  confirmEmailVerification,
  confirmPasswordReset,
  createInvitation,
  type Links,
  requestEmailVerification,
  requestPasswordReset,
} from './recovery.ts';
import {
  clearSessionCookie,
  cookieSettings,
  csrfTokenOf,
  listOwnSessions,
  logout,
  revokeAllSessions,
  revokeOwnSession,
  sessionSecretFrom,
  setSessionCookie,
} from './sessions.ts';
import { getSecuritySettings, SETTINGS_RANGES, updateSecuritySettings } from './settings.ts';
import type { Throttle } from './throttle.ts';
import { deactivateUser, getUser, listUsers, reactivateUser, unlockUser } from './user-admin.ts';

export const IDENTITY_PERMISSIONS = [
  { name: 'identity.session.self', description: "See and end one's own sessions, log out" },
  { name: 'identity.user.read', description: 'See the users of the tenant' },
  {
    name: 'identity.user.write',
    description: 'Invite, deactivate, reactivate and unlock users; end their sessions',
  },
  { name: 'identity.settings.read', description: "See the tenant's security settings" },
  { name: 'identity.settings.write', description: "Change the tenant's security settings" },
];

const tenantSlug = Type.String({
  minLength: 1,
  maxLength: 63,
  pattern: '^[a-z0-9][a-z0-9-]*$',
  description: "The tenant's slug, when the request's host is not one of its domains",
});
const Email = Type.String({
  minLength: 3,
  maxLength: 320,
  pattern: '^[^@\\s]+@[^@\\s]+$',
  examples: ['claire.martin@acme-industrie.example'],
});
/** Long enough for any acceptable password; the policy's own maximum is checked where one is set. */
const AnyPassword = Type.String({ minLength: 1, maxLength: 1024 });
const NewPassword = Type.String({
  minLength: 1,
  maxLength: PASSWORD_MAX_LENGTH,
  description:
    "At least the tenant's password_min_length characters; not a common password; not containing your e-mail or the company's name",
});
const MailToken = Type.String({
  minLength: 20,
  maxLength: 200,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'The token from the mail',
});
const Kind = Type.Union([Type.Literal('staff'), Type.Literal('buyer')]);

const UserSchema = Type.Object(
  {
    id: IdSchema('usr'),
    email: Type.String(),
    display_name: Type.String(),
    kind: Kind,
    account_id: Nullable(IdSchema('acct', 'The customer account of a buyer')),
    status: Type.Union([Type.Literal('active'), Type.Literal('deactivated')]),
    email_verified: Type.Boolean(),
    has_password: Type.Boolean({ description: 'False while an invitation is not accepted' }),
    locked_until: Nullable(Type.String({ format: 'date-time', description: 'Set while locked out' })),
    last_login_at: Nullable(Type.String({ format: 'date-time' })),
    created_at: Type.String({ format: 'date-time' }),
    mfa: Type.Array(Type.Union([Type.Literal('totp'), Type.Literal('webauthn')]), {
      description:
        'Second factors enrolled: an active TOTP authenticator, WebAuthn credentials (passkeys, security keys)',
    }),
    roles: Type.Array(Type.String(), {
      description: 'Keys of the roles the user holds now (active assignments, any scope)',
      examples: [['catalogue_manager']],
    }),
  },
  { $id: 'User', title: 'User' },
);

const SessionSchema = Type.Object(
  {
    id: IdSchema('ses'),
    current: Type.Boolean({ description: 'The session this request came with' }),
    created_at: Type.String({ format: 'date-time' }),
    last_seen_at: Type.String({ format: 'date-time' }),
    expires_at: Type.String({
      format: 'date-time',
      description: 'When it ends unless used again (idle or absolute timeout)',
    }),
    ip: Nullable(Type.String()),
    user_agent: Nullable(Type.String()),
  },
  { $id: 'Session', title: 'Session' },
);

const range = (f: keyof typeof SETTINGS_RANGES) =>
  Type.Integer({ minimum: SETTINGS_RANGES[f][0], maximum: SETTINGS_RANGES[f][1] });
const MfaPolicy = Type.Union([
  Type.Literal('optional'),
  Type.Literal('required_for_admins'),
  Type.Literal('required'),
]);
const settingsFields = {
  session_idle_timeout_s: range('session_idle_timeout_s'),
  session_absolute_timeout_s: range('session_absolute_timeout_s'),
  mfa_policy: MfaPolicy,
  step_up_max_age_s: range('step_up_max_age_s'),
  token_default_ttl_days: range('token_default_ttl_days'),
  token_max_ttl_days: range('token_max_ttl_days'),
  password_min_length: range('password_min_length'),
  lockout_threshold: range('lockout_threshold'),
  lockout_duration_s: range('lockout_duration_s'),
};
const SettingsSchema = Type.Object(
  {
    ...settingsFields,
    updated_at: Nullable(Type.String({ format: 'date-time', description: 'null: never changed (defaults)' })),
  },
  { $id: 'SecuritySettings', title: 'Tenant security settings' },
);

const LoginResponse = Type.Object({
  status: Type.Union([Type.Literal('authenticated'), Type.Literal('mfa_required')], {
    description:
      '`mfa_required`: the password was right, a second factor must follow (`mfa`; no session cookie yet)',
  }),
  user: Type.Object({
    id: IdSchema('usr'),
    display_name: Type.String(),
    kind: Kind,
    account_id: Nullable(Type.String()),
  }),
  session: Type.Optional(
    Type.Object({ id: IdSchema('ses'), created_at: Type.String({ format: 'date-time' }) }),
  ),
  csrf_token: Type.Optional(
    Type.String({ description: 'Send as `x-csrf-token` on every write made with the session cookie' }),
  ),
  mfa: Type.Optional(
    Type.Object({
      pending_token: Type.String({
        description: 'For POST /api/v1/auth/login/mfa: single use, valid 5 minutes',
      }),
      expires_at: Type.String({ format: 'date-time' }),
      methods: Type.Array(
        Type.Union([Type.Literal('totp'), Type.Literal('recovery_code'), Type.Literal('webauthn')]),
      ),
      enrolment_required: Type.Boolean({
        description:
          'The tenant requires MFA and none is enrolled: enrol TOTP with POST /api/v1/auth/login/mfa/totp first',
      }),
    }),
  ),
});

const UserParams = Type.Object({ user_id: IdSchema('usr') });
const NoContent = Type.Null({ description: 'No content' });

const ANONYMOUS: Actor = {
  type: 'system',
  id: 'anonymous',
  userId: null,
  displayName: 'Anonymous visitor',
  permissions: new Set(),
};

const invalidCredentials = () =>
  new AppError('unauthenticated', 'The e-mail or the password is not correct.');

export interface IdentityDeps {
  db: Database;
  config: Config;
  throttle: Throttle;
}

export function identityRoutes({ db, config, throttle }: IdentityDeps): FastifyPluginAsyncTypebox {
  cookieSettings.secure = config.cookieSecure;
  const cookie = { secure: config.cookieSecure };
  const origin = (req: FastifyRequest) => ({
    ...requestOrigin(req),
    locale: 'fr',
  });
  const links = (tenant: PublicTenant): Links => ({ baseUrl: config.publicUrl, tenant });

  /**
   * Runs an unauthenticated identity action as the tenant of the request, in one transaction. A
   * refusal rolls the work back and is recorded as a failure of `action` in the tenant's trail.
   */
  async function asPublic<T>(
    req: FastifyRequest,
    tenant: PublicTenant,
    action: string,
    fn: (ctx: Ctx) => Promise<T>,
  ): Promise<T> {
    try {
      return await runAsTenant(db, { tenantId: tenant.id, actor: ANONYMOUS, ...origin(req) }, fn);
    } catch (err) {
      // With a token on a public route the generic refusal recorder already records it.
      if (err instanceof AppError && req.principal?.kind !== 'tenant') {
        await auditAttempt(
          db,
          { tenantId: tenant.id, actor: null, ...origin(req) },
          { action, outcome: 'failure', reason: `${err.status} ${err.type}: ${err.message}`.slice(0, 500) },
        );
      }
      throw err;
    }
  }

  /** The tenant of a public token action; an unknown one is refused like a bad token. */
  async function tenantForToken(req: FastifyRequest, slug: string | undefined): Promise<PublicTenant> {
    const tenant = await resolvePublicTenant(db, req, slug);
    if (!tenant)
      throw new AppError('validation-error', 'body/token is not valid', [
        { in: 'body', pointer: '/token', detail: 'is not valid: it may have expired or been used already' },
      ]);
    return tenant;
  }

  function currentSession(req: FastifyRequest) {
    return req.principal?.kind === 'tenant' && req.session?.tenantId === req.principal.tenantId
      ? req.session
      : null;
  }

  return async (app) => {
    app.decorateRequest('session', null);
    app.addSchema(UserSchema);
    app.addSchema(SessionSchema);
    app.addSchema(SettingsSchema);
    const auth = ['Authentication'];
    const users = ['Users'];

    app.post(
      '/api/v1/auth/login',
      {
        schema: {
          operationId: 'login',
          summary: 'Log in with e-mail and password',
          description:
            'Opens a session: the `Set-Cookie` carries the session (`__Host-comptoir_session`, HttpOnly, Secure, SameSite=Lax) and the body the CSRF token for writes. ' +
            'The tenant is the one the host belongs to, or `tenant` (slug). Any refusal — unknown e-mail, wrong password, deactivated or locked account — is the same 401. ' +
            'Too many failures for one account or from one address: 429 with `Retry-After`. A session cookie sent along is replaced (rotation).',
          tags: auth,
          security: [],
          'x-permission': 'public',
          'x-action': LOGIN_ACTION,
          body: Type.Object(
            { email: Email, password: AnyPassword, tenant: Type.Optional(tenantSlug) },
            { additionalProperties: false },
          ),
          response: { 200: LoginResponse },
        },
      },
      async (req, reply) => {
        const tenant = await resolvePublicTenant(db, req, req.body.tenant);
        if (!tenant) {
          await verifyNothing(req.body.password);
          throw invalidCredentials();
        }
        const accountKey = `login:account:${tenant.id}:${req.body.email.trim().toLowerCase()}`;
        const ipKey = `login:ip:${req.ip}`;
        const [accountFailures, ipFailures] = await Promise.all([
          throttle.count(accountKey),
          throttle.count(ipKey),
        ]);
        if (
          accountFailures >= config.loginMaxFailuresPerAccount ||
          ipFailures >= config.loginMaxFailuresPerIp
        ) {
          const retry = Math.max(await throttle.retryAfter(accountKey), await throttle.retryAfter(ipKey), 1);
          await auditAttempt(
            db,
            { tenantId: tenant.id, actor: null, ...origin(req) },
            {
              action: LOGIN_ACTION,
              outcome: 'failure',
              reason:
                accountFailures >= config.loginMaxFailuresPerAccount ? 'throttled_account' : 'throttled_ip',
            },
          );
          reply.header('retry-after', String(retry));
          throw new AppError('rate-limited', 'Too many failed logins. Try again later.');
        }
        const outcome = await passwordLogin(db, tenant, {
          email: req.body.email,
          password: req.body.password,
          previousSecret: sessionSecretFrom(req, cookie),
          origin: origin(req),
        });
        if (outcome.status === 'refused') {
          await Promise.all([throttle.fail(accountKey), throttle.fail(ipKey)]);
          throw invalidCredentials();
        }
        await throttle.reset(accountKey);
        reply.header('cache-control', 'no-store');
        if (outcome.status === 'mfa_required') {
          // No cookie yet: the pending session's secret is the single-use pending-login token.
          return {
            status: outcome.status,
            user: outcome.user,
            mfa: {
              pending_token: outcome.session.secret,
              expires_at: new Date(
                outcome.session.createdAt.getTime() + PENDING_LOGIN_TTL_S * 1000,
              ).toISOString(),
              methods: outcome.methods,
              enrolment_required: outcome.enrolmentRequired,
            },
          };
        }
        setSessionCookie(reply, outcome.session.secret, cookie);
        return {
          status: outcome.status,
          user: outcome.user,
          session: { id: outcome.session.id, created_at: outcome.session.createdAt.toISOString() },
          csrf_token: outcome.session.csrfToken,
        };
      },
    );

    app.get(
      '/api/v1/auth/session',
      {
        schema: {
          operationId: 'getCurrentSession',
          summary: 'The current session, its user and CSRF token',
          description:
            'For a web app that reloads: tells who is signed in and gives the CSRF token again. 404 when the request has no session (a bearer token).',
          tags: auth,
          'x-permission': 'identity.session.self',
          response: {
            200: Type.Object({
              session: Type.Ref('Session'),
              user: Type.Ref('User'),
              csrf_token: Type.String(),
            }),
          },
        },
      },
      async (req, reply) => {
        const session = currentSession(req);
        if (!session) throw notFound('A session for this request');
        reply.header('cache-control', 'no-store');
        return inTenant(db, req, reply, async (ctx) => {
          const list = await listOwnSessions(ctx, session.id);
          const current = list.find((s) => s.id === session.id);
          if (!current) throw notFound('A session for this request');
          return {
            session: current,
            user: await getUser(ctx, session.userId),
            csrf_token: csrfTokenOf(session.secret),
          };
        });
      },
    );

    app.get(
      '/api/v1/auth/sessions',
      {
        schema: {
          operationId: 'listOwnSessions',
          summary: 'List my active sessions',
          description: 'Every device where I am signed in; `current` marks the one of this request.',
          tags: auth,
          'x-permission': 'identity.session.self',
          response: { 200: Type.Object({ data: Type.Array(Type.Ref('Session')) }) },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, async (ctx) => ({
          data: await listOwnSessions(ctx, currentSession(req)?.id ?? null),
        })),
    );

    app.delete(
      '/api/v1/auth/sessions/:session_id',
      {
        schema: {
          operationId: 'revokeOwnSession',
          summary: 'End one of my sessions',
          description: "Signs out that device at once. Another user's session answers 404.",
          tags: auth,
          'x-permission': 'identity.session.self',
          'x-action': 'identity.session.revoke',
          params: Type.Object({ session_id: IdSchema('ses') }),
          response: { 204: NoContent },
        },
      },
      async (req, reply) => {
        await inTenant(db, req, reply, (ctx) => revokeOwnSession(ctx, req.params.session_id));
        if (currentSession(req)?.id === req.params.session_id) clearSessionCookie(reply, cookie);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/api/v1/auth/logout',
      {
        schema: {
          operationId: 'logout',
          summary: 'Log out (end the current session)',
          tags: auth,
          'x-permission': 'identity.session.self',
          'x-action': 'identity.session.logout',
          response: { 204: NoContent },
        },
      },
      async (req, reply) => {
        await inTenant(db, req, reply, (ctx) => logout(ctx, currentSession(req)));
        clearSessionCookie(reply, cookie);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/api/v1/auth/password-reset',
      {
        schema: {
          operationId: 'requestPasswordReset',
          summary: 'Ask for a password-reset mail',
          description: 'Always 202, whether or not a user has this e-mail: a mail is sent only if one does.',
          tags: auth,
          security: [],
          'x-permission': 'public',
          'x-action': 'identity.password_reset.request',
          body: Type.Object(
            { email: Email, tenant: Type.Optional(tenantSlug) },
            { additionalProperties: false },
          ),
          response: { 202: Type.Object({ status: Type.Literal('accepted') }) },
        },
      },
      async (req, reply) => {
        reply.code(202);
        const tenant = await resolvePublicTenant(db, req, req.body.tenant);
        if (!tenant) return { status: 'accepted' as const };
        // Mail bombing: 5 reset mails per address in the 15-minute window; beyond, the same answer and no mail.
        const key = `reset:${tenant.id}:${req.body.email.trim().toLowerCase()}`;
        if ((await throttle.count(key)) >= 5) return { status: 'accepted' as const };
        await throttle.fail(key);
        await asPublic(req, tenant, 'identity.password_reset.request', (ctx) =>
          requestPasswordReset(ctx, req.body.email, links(tenant)),
        );
        return { status: 'accepted' as const };
      },
    );

    app.post(
      '/api/v1/auth/password-reset/confirm',
      {
        schema: {
          operationId: 'confirmPasswordReset',
          summary: 'Set a new password with the token from the reset mail',
          description:
            'The token works once and expires after an hour. The account is unlocked and every session of the user ends.',
          tags: auth,
          security: [],
          'x-permission': 'public',
          'x-action': 'identity.password_reset.confirm',
          body: Type.Object(
            { token: MailToken, new_password: NewPassword, tenant: Type.Optional(tenantSlug) },
            { additionalProperties: false },
          ),
          response: { 204: NoContent },
        },
      },
      async (req, reply) => {
        const tenant = await tenantForToken(req, req.body.tenant);
        await asPublic(req, tenant, 'identity.password_reset.confirm', (ctx) =>
          confirmPasswordReset(ctx, req.body, tenant),
        );
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/api/v1/auth/invitations/accept',
      {
        schema: {
          operationId: 'acceptInvitation',
          summary: 'Accept an invitation: choose a password and a name',
          description: 'The token from the invitation mail works once, for 7 days. Then log in.',
          tags: auth,
          security: [],
          'x-permission': 'public',
          'x-action': 'identity.invitation.accept',
          body: Type.Object(
            {
              token: MailToken,
              password: NewPassword,
              display_name: Type.String({ minLength: 1, maxLength: 200 }),
              tenant: Type.Optional(tenantSlug),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ user_id: IdSchema('usr') }) },
        },
      },
      async (req) => {
        const tenant = await tenantForToken(req, req.body.tenant);
        return asPublic(req, tenant, 'identity.invitation.accept', (ctx) =>
          acceptInvitation(ctx, req.body, tenant),
        );
      },
    );

    app.post(
      '/api/v1/auth/email-verification',
      {
        schema: {
          operationId: 'requestEmailVerification',
          summary: 'Send me a link to confirm my e-mail address',
          tags: auth,
          'x-permission': 'identity.session.self',
          'x-action': 'identity.email_verification.request',
          response: { 202: Type.Object({ already_verified: Type.Boolean() }) },
        },
      },
      async (req, reply) => {
        reply.code(202);
        const p = req.principal;
        if (p?.kind !== 'tenant') throw notFound('A user for this request');
        const tenant = await resolvePublicTenantById(p.tenantId);
        return inTenant(db, req, reply, (ctx) => requestEmailVerification(ctx, links(tenant)));
      },
    );

    app.post(
      '/api/v1/auth/email-verification/confirm',
      {
        schema: {
          operationId: 'confirmEmailVerification',
          summary: 'Confirm an e-mail address with the token from the mail',
          tags: auth,
          security: [],
          'x-permission': 'public',
          'x-action': 'identity.email_verification.confirm',
          body: Type.Object(
            { token: MailToken, tenant: Type.Optional(tenantSlug) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ user_id: IdSchema('usr') }) },
        },
      },
      async (req) => {
        const tenant = await tenantForToken(req, req.body.tenant);
        return asPublic(req, tenant, 'identity.email_verification.confirm', (ctx) =>
          confirmEmailVerification(ctx, req.body.token),
        );
      },
    );

    async function resolvePublicTenantById(id: string): Promise<PublicTenant> {
      const t = await getTenant(db, id);
      return { id: t.id, slug: t.slug, name: t.name };
    }

    app.get(
      '/api/v1/users',
      {
        schema: {
          operationId: 'listUsers',
          summary: 'List users',
          description: 'Staff and buyers of the tenant, by creation. Filters combine with AND.',
          tags: users,
          'x-permission': 'identity.user.read',
          querystring: Type.Object(
            {
              ...PageQuery,
              kind: Type.Optional(Kind),
              status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('deactivated')])),
              account_id: Type.Optional(IdSchema('acct')),
              q: Type.Optional(
                Type.String({
                  minLength: 1,
                  maxLength: 200,
                  description: 'Part of the display name or e-mail address, case-insensitive',
                  examples: ['martin'],
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: Page(Type.Ref('User'), 'User') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => listUsers(ctx, { ...req.query, limit: req.query.limit ?? 50 })),
    );

    app.get(
      '/api/v1/users/:user_id',
      {
        schema: {
          operationId: 'getUser',
          summary: 'Get a user',
          tags: users,
          'x-permission': 'identity.user.read',
          params: UserParams,
          response: { 200: Type.Ref('User') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getUser(ctx, req.params.user_id)),
    );

    app.post(
      '/api/v1/users/invitations',
      {
        schema: {
          operationId: 'inviteUser',
          summary: 'Invite a staff user, or a buyer of a customer account',
          description:
            'Creates the user without a password and mails them a single-use link (7 days). A buyer needs `account_id`.',
          tags: users,
          'x-permission': 'identity.user.write',
          'x-action': 'identity.invitation.create',
          body: Type.Object(
            {
              email: Email,
              kind: Kind,
              display_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
              account_id: Type.Optional(IdSchema('acct')),
            },
            { additionalProperties: false },
          ),
          response: {
            201: Type.Object({
              user_id: IdSchema('usr'),
              email: Type.String(),
              kind: Kind,
              account_id: Nullable(Type.String()),
              expires_at: Type.String({ format: 'date-time' }),
            }),
          },
        },
      },
      async (req, reply) => {
        const p = req.principal;
        if (p?.kind !== 'tenant') throw notFound('A tenant for this request');
        const tenant = await resolvePublicTenantById(p.tenantId);
        reply.code(201);
        const { token: _secret, ...view } = await inTenant(db, req, reply, (ctx) =>
          createInvitation(ctx, req.body, links(tenant)),
        );
        return view;
      },
    );

    const userAction = (
      path: string,
      operationId: string,
      summary: string,
      description: string,
      action: string,
      fn: (ctx: Ctx, id: string) => Promise<unknown>,
      response: Parameters<typeof Type.Object>[0] | 'user',
    ) =>
      app.post(
        `/api/v1/users/:user_id/${path}`,
        {
          schema: {
            operationId,
            summary,
            description,
            tags: users,
            'x-permission': 'identity.user.write',
            'x-action': action,
            params: UserParams,
            response: { 200: response === 'user' ? Type.Ref('User') : Type.Object(response) },
          },
        },
        async (req, reply) =>
          inTenant(db, req, reply, (ctx) => fn(ctx, (req.params as { user_id: string }).user_id)),
      );

    userAction(
      'deactivate',
      'deactivateUser',
      'Deactivate a user',
      'The user can no longer sign in; every session and API token of theirs ends at once. Idempotent.',
      'identity.user.deactivate',
      deactivateUser,
      'user',
    );
    userAction(
      'reactivate',
      'reactivateUser',
      'Reactivate a user',
      'Sessions and tokens ended by the deactivation stay ended. Idempotent.',
      'identity.user.reactivate',
      reactivateUser,
      'user',
    );
    userAction(
      'unlock',
      'unlockUser',
      'Unlock a locked-out user',
      'Ends a lockout after failed logins before its time. Idempotent.',
      'identity.user.unlock',
      unlockUser,
      'user',
    );
    userAction(
      'sessions/revoke-all',
      'revokeUserSessions',
      "End all of a user's sessions",
      'Signs the user out everywhere at once (API tokens are not affected).',
      'identity.user.revoke_sessions',
      revokeAllSessions,
      { revoked: Type.Integer({ description: 'How many sessions ended' }) },
    );

    app.get(
      '/api/v1/security-settings',
      {
        schema: {
          operationId: 'getSecuritySettings',
          summary: "The tenant's security settings",
          description:
            'Session timeouts, MFA policy, API-token lifetimes, password length, lockout. Defaults until changed.',
          tags: ['Security settings'],
          'x-permission': 'identity.settings.read',
          response: { 200: Type.Ref('SecuritySettings') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getSecuritySettings(ctx)),
    );

    app.patch(
      '/api/v1/security-settings',
      {
        schema: {
          operationId: 'updateSecuritySettings',
          summary: "Change the tenant's security settings",
          description:
            'Only the fields sent change. The idle timeout may not exceed the absolute one, nor the default token lifetime the maximum.',
          tags: ['Security settings'],
          'x-permission': 'identity.settings.write',
          'x-action': 'identity.security_settings.update',
          body: Type.Partial(Type.Object(settingsFields), { additionalProperties: false, minProperties: 1 }),
          response: { 200: Type.Ref('SecuritySettings') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => updateSecuritySettings(ctx, req.body)),
    );
  };
}
