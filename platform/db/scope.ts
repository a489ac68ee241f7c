import { type SQL, sql } from 'drizzle-orm';
import type { Database, Tx } from './database.ts';

/**
 * Database roles. Every tenant transaction runs as APP_ROLE, whose row-level-security policies
 * only show rows of `app.tenant_id`. SYSTEM_ROLE is for platform machinery that must look across
 * tenants (the outbox dispatcher, token and domain look-ups) and only has policies on those tables.
 */
export const APP_ROLE = 'comptoir_app';
export const SYSTEM_ROLE = 'comptoir_system';

export type AfterCommit = (fn: () => void | Promise<void>) => void;

/**
 * Puts the open transaction in a scope: its role and its tenant, both transaction-local (`true`),
 * so nothing leaks to the next user of the connection. One statement: `set_config('role', …)` is
 * `SET LOCAL ROLE`.
 */
export async function enterScope(
  tx: Tx,
  role: typeof APP_ROLE | typeof SYSTEM_ROLE,
  tenantId: string | null,
): Promise<void> {
  await tx.execute(
    sql`select set_config('app.tenant_id', ${tenantId ?? ''}, true), set_config('role', ${role}, true)`,
  );
}

async function scoped<T>(
  db: Database,
  role: typeof APP_ROLE | typeof SYSTEM_ROLE,
  tenantId: string | null,
  fn: (tx: Tx, afterCommit: AfterCommit) => Promise<T>,
): Promise<T> {
  const hooks: Array<() => void | Promise<void>> = [];
  // The same settings as enterScope, sent with `begin` (platform/db/database.ts).
  const result = await db.transaction(
    [
      ['app.tenant_id', tenantId ?? ''],
      ['role', role],
    ],
    (tx) => fn(tx, (h) => hooks.push(h)),
  );
  for (const h of hooks) {
    try {
      await h();
    } catch {
      // After-commit hooks are best-effort nudges (the outbox is polled anyway).
    }
  }
  return result;
}

/**
 * Runs `fn` in one transaction scoped to `tenantId`: row-level security makes every query see and
 * write only that tenant's rows, whatever the query's own filters say.
 */
export function inTenantTransaction<T>(
  db: Database,
  tenantId: string,
  fn: (tx: Tx, afterCommit: AfterCommit) => Promise<T>,
): Promise<T> {
  if (!tenantId) throw new Error('inTenantTransaction needs a tenant id');
  return scoped(db, APP_ROLE, tenantId, fn);
}

/** Runs `fn` as the platform's system role (cross-tenant machinery only). */
export function inSystemTransaction<T>(
  db: Database,
  fn: (tx: Tx, afterCommit: AfterCommit) => Promise<T>,
): Promise<T> {
  return scoped(db, SYSTEM_ROLE, null, fn);
}

/**
 * The rows of one read-only statement, as the platform's system role (authentication's look-ups):
 * one round trip on PostgreSQL (platform/db/database.ts `readInTransaction`).
 */
export function readAsSystem<T>(db: Database, query: SQL): Promise<T[]> {
  return db.readInTransaction<T>(
    [
      ['app.tenant_id', ''],
      ['role', SYSTEM_ROLE],
    ],
    query,
  );
}
