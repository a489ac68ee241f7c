import type { Database, Tx } from './db/database.ts';
import { type AfterCommit, inTenantTransaction } from './db/scope.ts';

/** Who is acting. `permissions` are already the effective ones ('*' = all). */
export interface Actor {
  type: 'user' | 'api_token' | 'service_account' | 'operator' | 'system';
  /** Stable identifier (usr_…, tok_…, opt_…, or `system:<component>`). */
  id: string;
  /** The user behind a token, when there is one. */
  userId: string | null;
  displayName: string;
  permissions: ReadonlySet<string>;
  /**
   * Permissions this actor holds only within scopes (a storefront, a buyer's company), from scoped
   * role assignments; services narrow objects with platform/access `scopeFilter`. Absent: none.
   */
  scopes?: ReadonlyMap<string, readonly { type: 'storefront' | 'account'; id: string }[]>;
  /**
   * The kind of the user behind this actor, when authentication read it along with the token or
   * session (so, at this request), with the user it is about: it holds only while `userId` is that
   * user. Absent: unknown — whoever needs it reads the user.
   */
  userKind?: { userId: string; kind: 'staff' | 'buyer' };
  /** The web session a `user` actor came with (step-up checks its last second factor). */
  sessionId?: string;
  /**
   * Acting for someone else: a platform operator under a support grant acts "on behalf of support
   * request sup_…". Every audit event of this actor carries it (platform/audit/record.ts).
   */
  onBehalfOf?: { type: string; id: string; name: string; reason?: string };
}

/**
 * The request context, passed first to every service function: tenant, actor, request metadata
 * and the tenant-scoped transaction. No globals — a service sees exactly what the caller gave it.
 */
export interface Ctx {
  readonly tenantId: string;
  readonly actor: Actor;
  readonly requestId: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly locale: string;
  /** The host name the request came on (no port): a storefront's domain binds its assortment for buyers. Absent for jobs. */
  readonly host?: string | null;
  /** The transaction every query of this unit of work runs in (row-level security applies). */
  readonly tx: Tx;
  readonly db: Database;
  /** Registers work to run after the transaction commits (never if it rolls back). */
  readonly afterCommit: AfterCommit;
  /**
   * A read-only request (GET, HEAD): its reads may come from the read cache (platform/cache). Never
   * set for a unit of work that writes: it must read its own writes from the database.
   */
  readonly readOnly?: boolean;
}

export type CtxInit = Omit<Ctx, 'tx' | 'afterCommit' | 'db' | 'readOnly'>;

export function systemActor(component: string): Actor {
  return {
    type: 'system',
    id: `system:${component}`,
    userId: null,
    displayName: `Comptoir ${component}`,
    permissions: new Set(['*']),
  };
}

/**
 * Runs `fn` as tenant `tenantId`, in one transaction: the helper later modules, jobs, the seed and
 * tests use to act "as tenant X".
 */
export function runAsTenant<T>(
  db: Database,
  init: Partial<CtxInit> & { tenantId: string },
  fn: (ctx: Ctx) => Promise<T>,
): Promise<T> {
  return inTenantTransaction(db, init.tenantId, (tx, afterCommit) =>
    fn({
      actor: systemActor('cli'),
      requestId: 'internal',
      ip: null,
      userAgent: null,
      locale: 'fr',
      ...init,
      tx,
      db,
      afterCommit,
    }),
  );
}
