import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type AssignmentRow,
  assignmentsJson,
  grantsOf,
  noticeExpiredAssignments,
} from '../access/effective.ts';
import { audit } from '../audit/record.ts';
import type { Ctx } from '../context.ts';
import { type Database, rows, type Tx } from '../db/database.ts';
import { inSystemTransaction } from '../db/scope.ts';
import { AppError, notFound } from '../http/problems.ts';
import { newId } from '../ids.ts';
import {
  authCache,
  changesNothing,
  earliestExpiry,
  heldAuthentication,
  holdAuthentication,
} from './auth-cache.ts';
import type { Principal } from './authenticate.ts';
import { identityClock } from './clock.ts';
import { DEFAULT_SECURITY_SETTINGS } from './settings.ts';
import { hashSecret } from './tokens.ts';

/**
 * Web sessions: a random secret in an HttpOnly cookie, only its SHA-256 in the `sessions` table.
 * A cookie-authenticated request becomes the same kind of principal as a bearer token (the user,
 * with the user's permissions), so every route's `x-permission` applies unchanged. Writes made with
 * a cookie must also carry `x-csrf-token`, a value derived from the session secret (double submit
 * bound to the session: another site can neither read the cookie nor compute the value).
 */
export const SECURE_COOKIE = '__Host-comptoir_session';
export const PLAIN_COOKIE = 'comptoir_session';
export const CSRF_HEADER = 'x-csrf-token';

/** How the current request was authenticated by a session (set by the auth hook). */
export interface RequestSession {
  id: string;
  tenantId: string;
  userId: string;
  secret: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    session: RequestSession | null;
  }
}

export interface CookieOptions {
  secure: boolean;
}

export function cookieName(o: CookieOptions): string {
  return o.secure ? SECURE_COOKIE : PLAIN_COOKIE;
}

/** The session cookie's value in a Cookie header, if well-formed. */
export function sessionSecretFrom(req: FastifyRequest, o: CookieOptions): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  const name = cookieName(o);
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : null;
  }
  return null;
}

export function setSessionCookie(reply: FastifyReply, secret: string, o: CookieOptions): void {
  const attrs = ['Path=/', 'HttpOnly', 'SameSite=Lax', ...(o.secure ? ['Secure'] : [])];
  reply.header('set-cookie', `${cookieName(o)}=${secret}; ${attrs.join('; ')}`);
}

export function clearSessionCookie(reply: FastifyReply, o: CookieOptions): void {
  const attrs = ['Path=/', 'HttpOnly', 'SameSite=Lax', 'Max-Age=0', ...(o.secure ? ['Secure'] : [])];
  reply.header('set-cookie', `${cookieName(o)}=; ${attrs.join('; ')}`);
}

/** The CSRF token of a session: derived from its secret, so it is bound to that session only. */
export function csrfTokenOf(secret: string): string {
  return createHmac('sha256', secret).update('comptoir csrf v1').digest('base64url');
}

export function csrfValid(secret: string, header: unknown): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(csrfTokenOf(secret));
  const got = Buffer.from(header);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** last_seen_at is refreshed at most this often: authentication does not write on every request. */
const SEEN_REFRESH_MS = 15_000;

/**
 * Resolves a session cookie to a principal, or null when it is unknown, revoked, idle or past its
 * absolute lifetime (the tenant's current policy), pending a second factor, or its user or tenant is
 * no longer active. Runs as the system role: the tenant is not known yet.
 */
export async function authenticateSession(
  db: Database,
  secret: string,
  /** A request that changes nothing: may authenticate from the read cache (./auth-cache.ts). */
  readOnly = false,
): Promise<{ principal: Principal; session: RequestSession } | null> {
  const now = identityClock.now();
  const hash = hashSecret(secret);
  const cache = authCache(db, readOnly);
  if (cache) {
    const held = heldAuthentication(cache, 'session', hash, now.getTime());
    const { session, idleMs } = (held?.extra ?? {}) as { session: RequestSession; idleMs: number };
    // Idle as far as this process knows: the database decides (another process may have seen it).
    if (held && now.getTime() < held.lastTouched + idleMs) {
      if (now.getTime() - held.lastTouched > SEEN_REFRESH_MS) {
        held.lastTouched = now.getTime();
        await inSystemTransaction(db, (tx) =>
          tx.execute(sql`update sessions set last_seen_at = ${now.toISOString()}
                          where tenant_id = ${session.tenantId} and id = ${session.id}`),
        );
      }
      return { principal: held.principal, session: { ...session, secret } };
    }
  }
  const stamp = cache?.stampAny() ?? null;
  let expired: { tenantId: string; ids: string[] } | null = null;
  const found = await inSystemTransaction(
    db,
    async (tx): Promise<{ principal: Principal; session: RequestSession } | null> => {
      const [row] = rows<{
        tenant_id: string;
        id: string;
        user_id: string;
        created_at: string | Date;
        last_seen_at: string | Date;
        display_name: string;
        kind: 'staff' | 'buyer';
        idle_s: number | null;
        absolute_s: number | null;
        assignments: AssignmentRow[] | string;
      }>(
        // The user's current role assignments come with the session (one statement, one snapshot).
        await tx.execute(sql`
        select s.tenant_id, s.id, s.user_id, s.created_at, s.last_seen_at, u.display_name, u.kind,
               ts.session_idle_timeout_s as idle_s, ts.session_absolute_timeout_s as absolute_s,
               ${assignmentsJson(sql`s.tenant_id`, sql`s.user_id`)} as assignments
          from sessions s
          join users u on u.tenant_id = s.tenant_id and u.id = s.user_id
          join tenants n on n.id = s.tenant_id
          left join tenant_security_settings ts on ts.tenant_id = s.tenant_id
         where s.secret_hash = ${hash}
           and s.revoked_at is null
           and s.stage = 'active'
           and u.status = 'active'
           and n.status = 'active'`),
      );
      if (!row) return null;
      const idle = (row.idle_s ?? DEFAULT_SECURITY_SETTINGS.session_idle_timeout_s) * 1000;
      const absolute = (row.absolute_s ?? DEFAULT_SECURITY_SETTINGS.session_absolute_timeout_s) * 1000;
      const lastSeen = new Date(row.last_seen_at).getTime();
      if (now.getTime() >= new Date(row.created_at).getTime() + absolute) return null;
      if (now.getTime() >= lastSeen + idle) return null;
      const touched = now.getTime() - lastSeen > SEEN_REFRESH_MS;
      if (touched) {
        await tx.execute(sql`update sessions set last_seen_at = ${now.toISOString()}
                            where tenant_id = ${row.tenant_id} and id = ${row.id}`);
      }
      // Role assignments are read on every request (or held until any of them changes or expires):
      // a revocation or an expiry applies at the next one.
      const assignments =
        typeof row.assignments === 'string'
          ? (JSON.parse(row.assignments) as AssignmentRow[])
          : row.assignments;
      const grants = grantsOf(assignments);
      if (grants.expired.length) expired = { tenantId: row.tenant_id, ids: grants.expired };
      const result: { principal: Principal; session: RequestSession } = {
        principal: {
          kind: 'tenant',
          tenantId: row.tenant_id,
          actor: {
            type: 'user',
            id: row.user_id,
            userId: row.user_id,
            userKind: { userId: row.user_id, kind: row.kind },
            displayName: row.display_name,
            permissions: grants.permissions,
            scopes: grants.scoped,
            sessionId: row.id,
          },
        },
        session: { id: row.id, tenantId: row.tenant_id, userId: row.user_id, secret },
      };
      if (cache && !grants.expired.length) {
        holdAuthentication(cache, stamp, 'session', hash, {
          principal: result.principal,
          tenantId: row.tenant_id,
          validUntil: Math.min(new Date(row.created_at).getTime() + absolute, earliestExpiry(assignments)),
          lastTouched: touched ? now.getTime() : lastSeen,
          extra: { session: { ...result.session, secret: '' }, idleMs: idle },
        });
      }
      return result;
    },
  );
  const noticed = expired as { tenantId: string; ids: string[] } | null;
  if (noticed) await noticeExpiredAssignments(db, noticed.tenantId, noticed.ids);
  return found;
}

export interface IssuedSession {
  id: string;
  /** The cookie value: shown to the browser once, only its hash is stored. */
  secret: string;
  csrfToken: string;
  createdAt: Date;
}

/** Opens a session for `userId` (inside the login transaction). */
export async function openSession(
  ctx: Ctx,
  userId: string,
  stage: 'active' | 'pending_mfa' = 'active',
): Promise<IssuedSession> {
  const id = newId('ses');
  const secret = randomBytes(32).toString('base64url');
  const now = identityClock.now();
  await ctx.tx.execute(sql`
    insert into sessions (tenant_id, id, user_id, secret_hash, stage, created_at, last_seen_at, ip, user_agent)
    values (${ctx.tenantId}, ${id}, ${userId}, ${hashSecret(secret)}, ${stage}, ${now.toISOString()},
            ${now.toISOString()}, ${ctx.ip}, ${ctx.userAgent})`);
  return { id, secret, csrfToken: csrfTokenOf(secret), createdAt: now };
}

/**
 * Rotation: the session keeps its ID and lifetime but gets a new secret (the old cookie stops
 * working). For privilege changes inside a session — a second factor, a role change.
 */
export async function rotateSession(ctx: Ctx, sessionId: string): Promise<IssuedSession> {
  const secret = randomBytes(32).toString('base64url');
  const [row] = rows<{ created_at: string | Date }>(
    await ctx.tx.execute(sql`update sessions set secret_hash = ${hashSecret(secret)}
                              where tenant_id = ${ctx.tenantId} and id = ${sessionId} and revoked_at is null
                          returning created_at`),
  );
  if (!row) throw notFound(`Session ${sessionId}`);
  await audit(ctx, { action: 'identity.session.rotate', resource: { type: 'session', id: sessionId } });
  return { id: sessionId, secret, csrfToken: csrfTokenOf(secret), createdAt: new Date(row.created_at) };
}

/** Revokes sessions in the current transaction; returns the IDs revoked. */
export async function revokeSessionsWhere(
  tx: Tx,
  tenantId: string,
  filter: { userId: string; sessionId?: string; exceptSessionId?: string | null },
  reason: string,
): Promise<string[]> {
  const now = identityClock.now().toISOString();
  return rows<{ id: string }>(
    await tx.execute(sql`
      update sessions set revoked_at = ${now}, revoked_reason = ${reason}
       where tenant_id = ${tenantId} and user_id = ${filter.userId} and revoked_at is null
         ${filter.sessionId ? sql`and id = ${filter.sessionId}` : sql``}
         ${filter.exceptSessionId ? sql`and id <> ${filter.exceptSessionId}` : sql``}
   returning id`),
  ).map((r) => r.id);
}

export interface SessionView {
  id: string;
  current: boolean;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
}

/** The caller's own active sessions (not revoked, not expired), newest first. */
export async function listOwnSessions(ctx: Ctx, currentSessionId: string | null): Promise<SessionView[]> {
  const userId = ctx.actor.userId;
  if (!userId) return [];
  const settings = rows<{ idle: number | null; absolute: number | null }>(
    await ctx.tx.execute(sql`select session_idle_timeout_s as idle, session_absolute_timeout_s as absolute
                               from tenant_security_settings where tenant_id = ${ctx.tenantId}`),
  )[0];
  const idle = (settings?.idle ?? DEFAULT_SECURITY_SETTINGS.session_idle_timeout_s) * 1000;
  const absolute = (settings?.absolute ?? DEFAULT_SECURITY_SETTINGS.session_absolute_timeout_s) * 1000;
  const now = identityClock.now().getTime();
  const list = rows<{
    id: string;
    created_at: string | Date;
    last_seen_at: string | Date;
    ip: string | null;
    user_agent: string | null;
  }>(
    await ctx.tx.execute(sql`select id, created_at, last_seen_at, ip, user_agent from sessions
                              where tenant_id = ${ctx.tenantId} and user_id = ${userId}
                                and revoked_at is null and stage = 'active'
                              order by id desc`),
  );
  return list
    .map((s) => {
      const created = new Date(s.created_at).getTime();
      const seen = new Date(s.last_seen_at).getTime();
      return {
        id: s.id,
        current: s.id === currentSessionId,
        created_at: new Date(created).toISOString(),
        last_seen_at: new Date(seen).toISOString(),
        expires_at: new Date(Math.min(created + absolute, seen + idle)).toISOString(),
        ip: s.ip,
        user_agent: s.user_agent,
      };
    })
    .filter((s) => new Date(s.expires_at).getTime() > now);
}

/** Ends one of the caller's own sessions (another device, or the current one). */
export async function revokeOwnSession(ctx: Ctx, sessionId: string): Promise<void> {
  const userId = ctx.actor.userId;
  const revoked = userId
    ? await revokeSessionsWhere(ctx.tx, ctx.tenantId, { userId, sessionId }, 'revoked')
    : [];
  // Someone else's session, or one already ended, answers like one that never existed.
  if (!revoked.length) throw notFound(`Session ${sessionId}`);
  await audit(ctx, { action: 'identity.session.revoke', resource: { type: 'session', id: sessionId } });
}

/** Logout: ends the session the request came with (a bearer token has none: nothing to end). */
export async function logout(ctx: Ctx, session: RequestSession | null): Promise<void> {
  const userId = ctx.actor.userId;
  const revoked =
    session && userId
      ? await revokeSessionsWhere(ctx.tx, ctx.tenantId, { userId, sessionId: session.id }, 'logout')
      : [];
  await audit(ctx, {
    action: 'identity.session.logout',
    resource: { type: 'session', id: revoked[0] ?? null },
    ...(revoked.length ? {} : { metadata: { note: 'no session on this request' } }),
  });
}

/** Admin: ends every session of a user at once (the next request with any of them fails). */
export async function revokeAllSessions(ctx: Ctx, userId: string): Promise<{ revoked: number }> {
  const [user] = rows<{ id: string }>(
    await ctx.tx.execute(sql`select id from users where tenant_id = ${ctx.tenantId} and id = ${userId}`),
  );
  if (!user) throw notFound(`User ${userId}`);
  const revoked = await revokeSessionsWhere(ctx.tx, ctx.tenantId, { userId }, 'admin');
  await audit(ctx, {
    action: 'identity.user.revoke_sessions',
    resource: { type: 'user', id: userId },
    metadata: { sessions_revoked: revoked.length },
  });
  return { revoked: revoked.length };
}

/** Cookie settings of this process (set once from configuration when the identity routes register). */
export const cookieSettings: CookieOptions = { secure: true };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * For the auth hook: the principal of a request carrying a valid session cookie, on a route that
 * needs authentication. Public routes ignore the cookie (a login page with a stale cookie works).
 * A cookie-authenticated write without the session's CSRF token is refused (403).
 */
export async function authenticateSessionCookie(
  db: Database,
  req: FastifyRequest,
): Promise<Principal | null> {
  const secret = sessionSecretFrom(req, cookieSettings);
  if (!secret) return null;
  const permission = req.routeOptions.schema?.['x-permission'];
  if (permission === undefined || permission === 'public') return null;
  const found = await authenticateSession(db, secret, changesNothing(req));
  if (!found) return null;
  req.principal = found.principal;
  req.session = found.session;
  if (!SAFE_METHODS.has(req.method) && !csrfValid(secret, req.headers[CSRF_HEADER])) {
    throw new AppError(
      'forbidden',
      `A write with a session cookie needs the session's ${CSRF_HEADER} header.`,
    );
  }
  return found.principal;
}
