import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { sql } from 'drizzle-orm';
import { audit, auditAttempt } from '../audit/record.ts';
import { type Actor, type Ctx, type CtxInit, runAsTenant, systemActor } from '../context.ts';
import { type Database, rows } from '../db/database.ts';
import { enqueueMail } from '../mail/outbox.ts';
import { identityClock } from './clock.ts';
import { factorSummary, methodsOf, type SecondFactorMethod } from './mfa.ts';
import type { PublicTenant } from './public-tenant.ts';
import { type IssuedSession, openSession } from './sessions.ts';
import { readSecuritySettings, type SecuritySettings } from './settings.ts';
import { hashSecret } from './tokens.ts';
import { isAdministrator, permissionsOfUser } from './user-permissions.ts';
import { normalizeEmail } from './users.ts';

/**
 * Password login as a small state machine:
 *
 *   credentials ──(password ok)──► second factor needed? ──no──► session (stage active)
 *                                         └──yes──► session (stage pending_mfa) ──(second factor,
 *                                                   login-mfa.ts; or enrolment first)──► active
 *
 * A pending session has no cookie: its secret goes back in the body as a short-lived (5 min),
 * single-use pending-login token, useless anywhere but POST /api/v1/auth/login/mfa.
 *
 * Every refusal — unknown user, wrong password, deactivated, locked, no password — gives the caller
 * the same answer after the same work (one argon2 verification, against a dummy hash when there is
 * no user), so that nothing tells whether an account exists. The reason goes to the audit trail only.
 */
export type LoginFailure = 'unknown_user' | 'wrong_password' | 'deactivated' | 'locked' | 'no_password';

export type LoginOutcome =
  | { status: 'authenticated'; user: LoginUser; session: IssuedSession }
  | {
      status: 'mfa_required';
      user: LoginUser;
      session: IssuedSession;
      /** Factors the user can use now; empty: the policy requires MFA and none is enrolled yet. */
      methods: SecondFactorMethod[];
      enrolmentRequired: boolean;
    }
  | { status: 'refused'; reason: LoginFailure; userId: string | null };

export interface LoginUser {
  id: string;
  display_name: string;
  kind: 'staff' | 'buyer';
  account_id: string | null;
}

interface UserRow extends LoginUser {
  email: string;
  status: 'active' | 'deactivated';
  password_hash: string | null;
  locked_until: string | Date | null;
}

export const LOGIN_ACTION = 'identity.login';

/**
 * Whether a second factor is needed after the password: always when the user enrolled one; else when
 * the tenant's mfa_policy demands it — `required` for everyone, `required_for_admins` for users whose
 * permissions make them administrators (then the pending login allows enrolment only).
 */
export function secondFactorRequired(
  user: LoginUser,
  settings: Pick<SecuritySettings, 'mfa_policy'>,
  enrolled: boolean,
  /** The user's current permissions (their role assignments). */
  permissions: ReadonlySet<string>,
): boolean {
  if (enrolled) return true;
  if (settings.mfa_policy === 'required') return true;
  return (
    settings.mfa_policy === 'required_for_admins' && user.kind === 'staff' && isAdministrator(permissions)
  );
}

/** How long the password step of a login stays good for its second factor. */
export const PENDING_LOGIN_TTL_S = 300;

/**
 * One more consecutive failure for a user (wrong password or wrong second factor): at the tenant's
 * threshold the account locks for lockout_duration_s, audited, and the user gets a mail.
 */
export async function countLoginFailure(
  ctx: Ctx,
  user: { id: string; email: string },
  settings: SecuritySettings,
  tenant: PublicTenant,
): Promise<void> {
  const now = identityClock.now();
  const [row] = rows<{ failed_login_count: number }>(
    await ctx.tx.execute(sql`update users set failed_login_count = failed_login_count + 1
                              where tenant_id = ${ctx.tenantId} and id = ${user.id}
                          returning failed_login_count`),
  );
  if ((row?.failed_login_count ?? 0) < settings.lockout_threshold) return;
  const until = new Date(now.getTime() + settings.lockout_duration_s * 1000);
  await ctx.tx.execute(sql`update users set failed_login_count = 0, locked_until = ${until.toISOString()}
                            where tenant_id = ${ctx.tenantId} and id = ${user.id}`);
  await audit(ctx, {
    action: 'identity.account.locked',
    resource: { type: 'user', id: user.id },
    reason: `${settings.lockout_threshold} consecutive failed logins`,
    changes: { locked_until: { before: null, after: until.toISOString() } },
  });
  await enqueueMail(ctx, {
    template: 'identity.account_locked',
    to: user.email,
    subject: `${tenant.name}: your account is locked for a while`,
    text: [
      `Hello,`,
      ``,
      `After ${settings.lockout_threshold} failed sign-in attempts, your ${tenant.name} account is locked until ${until.toISOString()} (UTC).`,
      `If this was not you, someone may be guessing your password: reset it now, which also unlocks the account.`,
    ].join('\n'),
  });
}

let dummyHash: Promise<string> | null = null;
/** A real argon2id hash of a random password, so unknown users cost the same verification. */
function dummy(): Promise<string> {
  dummyHash ??= hash(randomBytes(16).toString('hex'));
  return dummyHash;
}

async function verifyOrDummy(passwordHash: string | null, password: string): Promise<boolean> {
  const target = passwordHash?.startsWith('$argon2') ? passwordHash : await dummy();
  try {
    const ok = await verify(target, password);
    return ok && target === passwordHash;
  } catch {
    return false;
  }
}

/** Burns one verification for a request whose tenant is unknown (same cost, same answer). */
export async function verifyNothing(password: string): Promise<void> {
  await verifyOrDummy(null, password);
}

export interface LoginRequest {
  email: string;
  password: string;
  /** The session cookie the browser sent, if any: replaced by the new one (rotation on login). */
  previousSecret: string | null;
  origin: Omit<CtxInit, 'tenantId' | 'actor'>;
}

export async function passwordLogin(
  db: Database,
  tenant: PublicTenant,
  req: LoginRequest,
): Promise<LoginOutcome> {
  const email = normalizeEmail(req.email);
  const identity = systemActor('identity');
  const base = { tenantId: tenant.id, ...req.origin };
  const { user, settings, factors, permissions } = await runAsTenant(
    db,
    { ...base, actor: identity },
    async (ctx) => {
      const [u] = rows<UserRow>(
        await ctx.tx.execute(sql`select id, email, display_name, kind, account_id, status, password_hash, locked_until
                                 from users where tenant_id = ${ctx.tenantId} and email_normalized = ${email}`),
      );
      return {
        user: u ?? null,
        settings: await readSecuritySettings(ctx.tx, ctx.tenantId),
        factors: await factorSummary(ctx.tx, ctx.tenantId, u?.id ?? ''),
        // Queried for an unknown user too, so that both paths cost alike (no enumeration by timing).
        permissions: await permissionsOfUser(ctx.tx, ctx.tenantId, u?.id ?? ''),
      };
    },
  );
  // Outside any transaction: argon2 takes tens of milliseconds and must not hold a connection.
  const passwordOk = await verifyOrDummy(user?.password_hash ?? null, req.password);
  const now = identityClock.now();

  let failure: LoginFailure | null = null;
  if (!user) failure = 'unknown_user';
  else if (user.status !== 'active') failure = 'deactivated';
  else if (user.locked_until && new Date(user.locked_until) > now) failure = 'locked';
  else if (!user.password_hash) failure = 'no_password';
  else if (!passwordOk) failure = 'wrong_password';

  if (failure) {
    await runAsTenant(db, { ...base, actor: identity }, async (ctx) => {
      if (failure !== 'wrong_password' || !user) {
        // The same round trip as the counter update below, so that the paths cost alike.
        await ctx.tx.execute(
          sql`select 1 from users where tenant_id = ${ctx.tenantId} and id = ${user?.id ?? ''}`,
        );
        return;
      }
      await countLoginFailure(ctx, user, settings, tenant);
    });
    await auditAttempt(
      db,
      { ...base, actor: null },
      {
        action: LOGIN_ACTION,
        resource: { type: 'user', id: user?.id ?? null },
        outcome: 'failure',
        reason: failure,
      },
    );
    return { status: 'refused', reason: failure, userId: user?.id ?? null };
  }

  const u = user as UserRow;
  const loginUser: LoginUser = {
    id: u.id,
    display_name: u.display_name,
    kind: u.kind,
    account_id: u.account_id,
  };
  const actor: Actor = {
    type: 'user',
    id: u.id,
    userId: u.id,
    displayName: u.display_name,
    permissions: new Set(),
  };
  const methods = methodsOf(factors);
  const mfa = secondFactorRequired(loginUser, settings, methods.length > 0, permissions);
  return runAsTenant(db, { ...base, actor }, async (ctx) => {
    // With a second factor to come, the failure count and last login wait for it.
    if (!mfa)
      await ctx.tx.execute(sql`update users set failed_login_count = 0, locked_until = null, last_login_at = ${now.toISOString()}
                                where tenant_id = ${ctx.tenantId} and id = ${u.id}`);
    // Rotation: the session this browser had before (whoever it was for) ends with this login.
    if (req.previousSecret) {
      await ctx.tx.execute(sql`update sessions set revoked_at = ${now.toISOString()}, revoked_reason = 'rotated'
                                where tenant_id = ${ctx.tenantId} and secret_hash = ${hashSecret(req.previousSecret)}
                                  and revoked_at is null`);
    }
    const session = await openSession(ctx, u.id, mfa ? 'pending_mfa' : 'active');
    await audit(ctx, {
      action: LOGIN_ACTION,
      resource: { type: 'user', id: u.id },
      metadata: { session_id: session.id, method: 'password', ...(mfa ? { next: 'mfa' } : {}) },
    });
    if (mfa)
      return {
        status: 'mfa_required',
        user: loginUser,
        session,
        methods,
        enrolmentRequired: methods.length === 0,
      };
    return { status: 'authenticated', user: loginUser, session };
  });
}
