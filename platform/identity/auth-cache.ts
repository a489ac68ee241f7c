import type { FastifyRequest } from 'fastify';
import { type ReadCache, readCacheOf, type Stamp } from '../cache/read-cache.ts';
import type { Database } from '../db/database.ts';
import type { Principal } from './authenticate.ts';

/**
 * Authentication of read-only requests from the read cache (platform/cache/read-cache.ts).
 *
 * What authentication reads — the token or session, its user or service account, the tenant's status,
 * the user's role assignments and custom roles, the tenant's session policy — is held per secret hash
 * and dropped when PostgreSQL notifies a committed change of any of those tables for that tenant
 * (migrations 0019 and 0020), exactly like the product page. Rules that keep it as strict as reading:
 *
 * * Only GET/HEAD requests use it. A write always authenticates against the database, so a revoked
 *   token, a suspended tenant or a removed role can never write, even in the milliseconds between the
 *   commit and the notification's arrival in another process.
 * * Only successes are held; an unknown or refused secret is read again at every request.
 * * An entry ends at the first instant the database would have decided otherwise without any write:
 *   the token's `expires_at`, the earliest expiry of the user's role assignments, a session's idle
 *   and absolute timeouts. After that instant the database decides again (and marks what expired).
 * * `last_used_at` / `last_seen_at` are still refreshed at their usual pace by the caller; those
 *   updates do not notify (0020's trigger conditions), so they do not empty the tenant's cache.
 */
export interface HeldAuthentication {
  principal: Principal;
  tenantId: string;
  /** Epoch milliseconds (identity clock) from which the entry must not be used. */
  validUntil: number;
  /** Epoch milliseconds of the last refresh of last_used_at / last_seen_at known to this process. */
  lastTouched: number;
  /** Sessions: what the request needs besides the principal. */
  extra?: unknown;
}

/** Secret hash → tenant, to find an entry before the tenant is known. Bounded; a miss just reads. */
const tenantOfHash = new Map<string, string>();
const MAX_HASHES = 20_000;

const keyOf = (kind: 'token' | 'session', hash: string) => `auth:${kind}:${hash}`;

/**
 * A request that cannot change anything: GET/HEAD, or a POST route marked `x-read-only` (the schema
 * key is declared in platform/http/auth-hooks.ts). Only such requests authenticate from the cache.
 */
export function changesNothing(req: FastifyRequest): boolean {
  return req.method === 'GET' || req.method === 'HEAD' || req.routeOptions.schema?.['x-read-only'] === true;
}

/** The cache to use for this request's authentication, or null (a write, or the cache is off). */
export function authCache(db: Database, readOnly: boolean): ReadCache | null {
  return readOnly ? readCacheOf(db) : null;
}

export function heldAuthentication(
  cache: ReadCache,
  kind: 'token' | 'session',
  hash: string,
  nowMs: number,
): HeldAuthentication | null {
  const tenantId = tenantOfHash.get(hash);
  if (tenantId === undefined) return null;
  const held = cache.get<HeldAuthentication>(tenantId, keyOf(kind, hash));
  if (!held) {
    tenantOfHash.delete(hash);
    return null;
  }
  return nowMs < held.validUntil ? held : null;
}

export function holdAuthentication(
  cache: ReadCache,
  stamp: Stamp | null,
  kind: 'token' | 'session',
  hash: string,
  held: HeldAuthentication,
): void {
  if (!stamp) return;
  if (tenantOfHash.size >= MAX_HASHES) tenantOfHash.clear();
  tenantOfHash.set(hash, held.tenantId);
  cache.storeAs(stamp, held.tenantId, keyOf(kind, hash), held);
}

/** The earliest expiry among role assignments (ISO or Date), or +∞. */
export function earliestExpiry(assignments: readonly { expires_at: string | Date | null }[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (const a of assignments) {
    if (a.expires_at === null) continue;
    const t = new Date(a.expires_at).getTime();
    if (t < min) min = t;
  }
  return min;
}
