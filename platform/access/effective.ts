import { type SQL, sql } from 'drizzle-orm';
import { audit } from '../audit/record.ts';
import { systemActor } from '../context.ts';
import { type Database, rows, type Tx } from '../db/database.ts';
import { inTenantTransaction } from '../db/scope.ts';
import { parseTextArray } from '../identity/authenticate.ts';
import { identityClock } from '../identity/clock.ts';
import { BASELINE_PERMISSIONS, predefinedPermissions } from './roles.ts';

/** Where a scoped assignment applies. */
export interface AccessScope {
  type: 'storefront' | 'account';
  id: string;
}

/** What a user may do right now: the union of their active assignments. */
export interface Grants {
  permissions: Set<string>;
  /**
   * Permissions held *only* through scoped assignments, with their scopes. A permission held once
   * without a scope is absent here (unrestricted). Services check object scope with `scopeFilter`.
   */
  scoped: Map<string, AccessScope[]>;
  /** Keys of the roles the user holds now. */
  roles: string[];
}

export interface AssignmentRow {
  id: string;
  role_key: string;
  scope_type: 'storefront' | 'account' | null;
  scope_id: string | null;
  expires_at: string | Date | null;
  custom_permissions: string[] | string | null;
}

/** A role's permissions: predefined (resolved against the catalogue) or the tenant's custom role. */
function permissionsOf(row: AssignmentRow): string[] {
  return predefinedPermissions(row.role_key) ?? parseTextArray(row.custom_permissions ?? []);
}

/**
 * The effective grants of `userId` at the identity clock's now: every assignment not revoked and not
 * expired. Runs in any transaction (the system role at authentication, the tenant's elsewhere).
 * Assignments found expired but not yet marked are returned in `expired` so that the caller can
 * record the expiry (`noticeExpiredAssignments`).
 */
export async function grantsOfUser(
  tx: Tx,
  tenantId: string,
  userId: string,
): Promise<Grants & { expired: string[] }> {
  const list = rows<AssignmentRow>(
    await tx.execute(sql`
      select a.id, a.role_key, a.scope_type, a.scope_id, a.expires_at, r.permissions as custom_permissions
        from role_assignments a
        left join access_roles r on r.tenant_id = a.tenant_id and r.key = a.role_key
       where a.tenant_id = ${tenantId} and a.user_id = ${userId} and a.revoked_at is null`),
  );
  return grantsOf(list);
}

/**
 * The same assignments as `grantsOfUser` reads, as one JSON array expression, so that authentication
 * reads them in the very statement that finds the token or session (one round trip, one snapshot).
 * `tenantId` and `userId` are SQL expressions of that statement (e.g. `t.tenant_id`, `t.user_id`).
 */
export function assignmentsJson(tenantId: SQL, userId: SQL): SQL {
  return sql`coalesce((select json_agg(json_build_object('id', a.id, 'role_key', a.role_key,
               'scope_type', a.scope_type, 'scope_id', a.scope_id, 'expires_at', a.expires_at,
               'custom_permissions', r.permissions))
          from role_assignments a
          left join access_roles r on r.tenant_id = a.tenant_id and r.key = a.role_key
         where a.tenant_id = ${tenantId} and a.user_id = ${userId} and a.revoked_at is null), '[]'::json)`;
}

/**
 * The grants of the assignments `list` (rows of `grantsOfUser`, or the array of `assignmentsJson`,
 * possibly still as JSON text) at the identity clock's now.
 */
export function grantsOf(list: AssignmentRow[] | string): Grants & { expired: string[] } {
  const now = identityClock.now();
  const assignments = typeof list === 'string' ? (JSON.parse(list) as AssignmentRow[]) : list;
  const permissions = new Set<string>(BASELINE_PERMISSIONS);
  const unscoped = new Set<string>(BASELINE_PERMISSIONS);
  const scoped = new Map<string, AccessScope[]>();
  const roles = new Set<string>();
  const expired: string[] = [];
  for (const a of assignments) {
    if (a.expires_at !== null && new Date(a.expires_at).getTime() <= now.getTime()) {
      expired.push(a.id);
      continue;
    }
    roles.add(a.role_key);
    for (const p of permissionsOf(a)) {
      permissions.add(p);
      if (a.scope_type && a.scope_id) {
        const l = scoped.get(p) ?? [];
        l.push({ type: a.scope_type, id: a.scope_id });
        scoped.set(p, l);
      } else unscoped.add(p);
    }
  }
  for (const p of unscoped) scoped.delete(p);
  return { permissions, scoped, roles: [...roles].sort(), expired };
}

/**
 * Marks assignments found expired (revoked_reason 'expired') and records each expiry in the trail,
 * in a transaction of its own: authentication noticed it, nobody asked for it. Idempotent — an
 * assignment already marked is skipped, so two requests noticing it at once audit it once.
 */
export async function noticeExpiredAssignments(db: Database, tenantId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await inTenantTransaction(db, tenantId, async (tx, afterCommit) => {
    const marked = rows<{ id: string; user_id: string; role_key: string; expires_at: string | Date }>(
      await tx.execute(sql`
        update role_assignments set revoked_at = expires_at, revoked_reason = 'expired'
         where tenant_id = ${tenantId} and id in (${sql.join(
           ids.map((i) => sql`${i}`),
           sql`, `,
         )}) and revoked_at is null
     returning id, user_id, role_key, expires_at`),
    );
    const ctx = {
      tenantId,
      actor: systemActor('access'),
      requestId: 'access-expiry',
      ip: null,
      userAgent: null,
      locale: 'fr',
      tx,
      db,
      afterCommit,
    };
    for (const m of marked) {
      await audit(ctx, {
        action: 'access.role_assignment.expire',
        resource: { type: 'role_assignment', id: m.id },
        reason: `temporary assignment of ${m.role_key} expired at ${new Date(m.expires_at).toISOString()}`,
        metadata: { user_id: m.user_id, role: m.role_key },
        changes: { status: { before: 'active', after: 'expired' } },
      });
    }
  });
}
