import { sql } from 'drizzle-orm';
import { audit } from '../audit/record.ts';
import type { Ctx } from '../context.ts';
import { rows } from '../db/database.ts';
import { decodeCursor, toPage } from '../http/pagination.ts';
import { AppError, notFound } from '../http/problems.ts';
import { parseTextArray } from './authenticate.ts';
import { identityClock } from './clock.ts';
import { revokeSessionsWhere } from './sessions.ts';

/** A user as administrators see it. */
export interface UserView {
  id: string;
  email: string;
  display_name: string;
  kind: 'staff' | 'buyer';
  account_id: string | null;
  status: 'active' | 'deactivated';
  email_verified: boolean;
  /** No password yet: an invitation not accepted, or a user who signs in another way. */
  has_password: boolean;
  locked_until: string | null;
  last_login_at: string | null;
  created_at: string;
  /** Second factors enrolled: an active TOTP, at least one WebAuthn credential. */
  mfa: ('totp' | 'webauthn')[];
  /** Keys of the roles the user holds now (assignments not revoked, not expired). */
  roles: string[];
}

interface UserRow {
  id: string;
  email: string;
  display_name: string;
  kind: 'staff' | 'buyer';
  account_id: string | null;
  status: 'active' | 'deactivated';
  email_verified_at: string | Date | null;
  has_password: boolean;
  locked_until: string | Date | null;
  last_login_at: string | Date | null;
  created_at: string | Date;
  totp: boolean;
  webauthn: boolean;
  roles: string[] | string | null;
}

const iso = (d: string | Date | null) => (d === null ? null : new Date(d).toISOString());

function toUser(r: UserRow): UserView {
  const locked =
    r.locked_until && new Date(r.locked_until) > identityClock.now() ? iso(r.locked_until) : null;
  return {
    id: r.id,
    email: r.email,
    display_name: r.display_name,
    kind: r.kind,
    account_id: r.account_id,
    status: r.status,
    email_verified: r.email_verified_at !== null,
    has_password: Boolean(r.has_password),
    locked_until: locked,
    last_login_at: iso(r.last_login_at),
    created_at: iso(r.created_at)!,
    mfa: [...(r.totp ? (['totp'] as const) : []), ...(r.webauthn ? (['webauthn'] as const) : [])],
    roles: parseTextArray(r.roles ?? []),
  };
}

/** One query for a user and what administrators see beside it (MFA, current roles): no N+1 in lists. */
const SELECT =
  () => sql`select u.id, u.email, u.display_name, u.kind, u.account_id, u.status, u.email_verified_at,
                          u.password_hash is not null as has_password, u.locked_until, u.last_login_at, u.created_at,
                          exists (select 1 from mfa_totp m where m.tenant_id = u.tenant_id and m.user_id = u.id
                                     and m.status = 'active') as totp,
                          exists (select 1 from webauthn_credentials w where w.tenant_id = u.tenant_id
                                     and w.user_id = u.id) as webauthn,
                          array(select distinct a.role_key from role_assignments a
                                 where a.tenant_id = u.tenant_id and a.user_id = u.id and a.revoked_at is null
                                   and (a.expires_at is null or a.expires_at > ${identityClock.now().toISOString()}::timestamptz)
                                 order by a.role_key) as roles
                     from users u`;

export async function listUsers(
  ctx: Ctx,
  q: {
    limit: number;
    cursor?: string;
    kind?: 'staff' | 'buyer';
    status?: 'active' | 'deactivated';
    account_id?: string;
    /** Part of the name or e-mail, case-insensitive. */
    q?: string;
  },
) {
  const after = decodeCursor(q.cursor);
  const text = q.q?.trim().toLowerCase();
  const fetched = rows<UserRow>(
    await ctx.tx.execute(sql`${SELECT()} where u.tenant_id = ${ctx.tenantId}
      ${after ? sql`and u.id > ${String(after[0])}` : sql``}
      ${q.kind ? sql`and u.kind = ${q.kind}` : sql``}
      ${q.status ? sql`and u.status = ${q.status}` : sql``}
      ${q.account_id ? sql`and u.account_id = ${q.account_id}` : sql``}
      ${text ? sql`and (position(${text} in lower(u.email)) > 0 or position(${text} in lower(u.display_name)) > 0)` : sql``}
      order by u.id limit ${q.limit + 1}`),
  );
  return toPage(fetched, q.limit, (r) => [r.id], toUser);
}

export async function getUser(ctx: Ctx, id: string): Promise<UserView> {
  const [row] = rows<UserRow>(
    await ctx.tx.execute(sql`${SELECT()} where u.tenant_id = ${ctx.tenantId} and u.id = ${id}`),
  );
  if (!row) throw notFound(`User ${id}`);
  return toUser(row);
}

/**
 * Deactivates a user: status, every session and every API token end in this transaction, so the
 * next request with any of them is refused. Deactivating an inactive user changes nothing.
 */
export async function deactivateUser(ctx: Ctx, id: string): Promise<UserView> {
  if (ctx.actor.userId === id)
    throw new AppError(
      'business-rule-violation',
      'You cannot deactivate yourself; ask another administrator.',
    );
  const before = await getUser(ctx, id);
  const now = identityClock.now().toISOString();
  await ctx.tx.execute(sql`update users set status = 'deactivated', updated_at = now()
                            where tenant_id = ${ctx.tenantId} and id = ${id}`);
  const sessions = await revokeSessionsWhere(ctx.tx, ctx.tenantId, { userId: id }, 'deactivated');
  const tokens = rows(
    await ctx.tx.execute(sql`update api_tokens set revoked_at = ${now}
                              where tenant_id = ${ctx.tenantId} and user_id = ${id} and revoked_at is null
                          returning id`),
  );
  await audit(ctx, {
    action: 'identity.user.deactivate',
    resource: { type: 'user', id },
    changes:
      before.status === 'deactivated' ? null : { status: { before: before.status, after: 'deactivated' } },
    metadata: { sessions_revoked: sessions.length, api_tokens_revoked: tokens.length },
  });
  return getUser(ctx, id);
}

/** Lets a deactivated user sign in again (their old sessions and tokens stay revoked). */
export async function reactivateUser(ctx: Ctx, id: string): Promise<UserView> {
  const before = await getUser(ctx, id);
  await ctx.tx.execute(sql`update users set status = 'active', failed_login_count = 0, locked_until = null, updated_at = now()
                            where tenant_id = ${ctx.tenantId} and id = ${id}`);
  await audit(ctx, {
    action: 'identity.user.reactivate',
    resource: { type: 'user', id },
    changes: before.status === 'active' ? null : { status: { before: before.status, after: 'active' } },
  });
  return getUser(ctx, id);
}

/** Ends a lockout before its time (an administrator, after checking with the user). */
export async function unlockUser(ctx: Ctx, id: string): Promise<UserView> {
  const before = await getUser(ctx, id);
  await ctx.tx.execute(sql`update users set failed_login_count = 0, locked_until = null, updated_at = now()
                            where tenant_id = ${ctx.tenantId} and id = ${id}`);
  await audit(ctx, {
    action: 'identity.user.unlock',
    resource: { type: 'user', id },
    changes: before.locked_until ? { locked_until: { before: before.locked_until, after: null } } : null,
  });
  return getUser(ctx, id);
}
