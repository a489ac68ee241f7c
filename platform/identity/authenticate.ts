import { sql } from 'drizzle-orm';
import {
  type AssignmentRow,
  assignmentsJson,
  grantsOf,
  noticeExpiredAssignments,
} from '../access/effective.ts';
import type { Actor } from '../context.ts';
import { type Database, rows } from '../db/database.ts';
import { inSystemTransaction, readAsSystem } from '../db/scope.ts';
import { authCache, earliestExpiry, heldAuthentication, holdAuthentication } from './auth-cache.ts';
import { identityClock } from './clock.ts';
import { intersectPermissions } from './machine-permissions.ts';
import { API_TOKEN_PREFIX, hashSecret, looksLikeSecret, OPERATOR_TOKEN_PREFIX } from './tokens.ts';

/** Who sent a request, once authenticated. */
export type Principal =
  | { kind: 'tenant'; tenantId: string; actor: Actor }
  | { kind: 'operator'; operatorTokenId: string; actor: Actor };

/** last_used_at is refreshed at most this often, so authentication does not write on every request. */
const LAST_USED_REFRESH_SECONDS = 60;

/**
 * Resolves a bearer secret to a principal, or null when it is unknown, revoked, expired, or belongs
 * to a deactivated user or a suspended tenant. The look-up happens before the tenant is known, so it
 * runs as the system role, which may read token hashes across tenants and nothing else of theirs.
 */
export async function authenticateBearer(
  db: Database,
  secret: string,
  ip: string | null,
  /** Verifies an OAuth access token (a JWT): platform/identity/oauth.ts `verifyAccessToken`. */
  verifyJwt?: (token: string) => Promise<Principal | null>,
  /** A GET/HEAD request: may authenticate from the read cache (platform/identity/auth-cache.ts). */
  readOnly = false,
): Promise<Principal | null> {
  if (looksLikeSecret(API_TOKEN_PREFIX, secret)) return authenticateApiToken(db, secret, ip, readOnly);
  if (looksLikeSecret(OPERATOR_TOKEN_PREFIX, secret)) return authenticateOperator(db, secret);
  if (verifyJwt && secret.startsWith('eyJ')) return verifyJwt(secret);
  return null;
}

async function authenticateApiToken(
  db: Database,
  secret: string,
  ip: string | null,
  readOnly: boolean,
): Promise<Principal | null> {
  const hash = hashSecret(secret);
  const cache = authCache(db, readOnly);
  if (cache) {
    const now = identityClock.now().getTime();
    const held = heldAuthentication(cache, 'token', hash, now);
    if (held) {
      if (now - held.lastTouched >= LAST_USED_REFRESH_SECONDS * 1000) {
        held.lastTouched = now;
        await touchToken(db, held.tenantId, held.extra as string, ip);
      }
      return held.principal;
    }
  }
  const stamp = cache?.stampAny() ?? null;
  // A token belongs to a user or to a service account (migration 0007); either must be active.
  // One statement, in one round trip on PostgreSQL (platform/db/scope.ts `readAsSystem`): the token,
  // its user or service account, its tenant and — for a user's token — the user's current role
  // assignments (read at every write, and at every read the read cache does not answer: a revocation
  // or an expiry applies at the next request — auth-cache.ts).
  const [row] = await readAsSystem<
    TokenRow & {
      expires_at: string | Date | null;
      last_used_at: string | Date | null;
      stale: boolean;
    }
  >(
    db,
    sql`
        select t.tenant_id, t.id, t.user_id, t.service_account_id, t.name, t.scopes,
               coalesce(u.display_name, s.name) as display_name, s.permissions as sa_permissions, u.kind as user_kind,
               t.expires_at, t.last_used_at,
               (t.last_used_at is null or t.last_used_at < now() - make_interval(secs => ${LAST_USED_REFRESH_SECONDS})) as stale,
               case when t.user_id is not null then ${assignmentsJson(sql`t.tenant_id`, sql`t.user_id`)} end as assignments
          from api_tokens t
          left join users u on u.tenant_id = t.tenant_id and u.id = t.user_id
          left join service_accounts s on s.tenant_id = t.tenant_id and s.id = t.service_account_id
          join tenants n on n.id = t.tenant_id
         where t.token_hash = ${hash}
           and t.revoked_at is null
           and (t.expires_at is null or t.expires_at > now())
           and (u.status = 'active' or s.status = 'active')
           and n.status = 'active'`,
  );
  if (!row) return null;
  if (row.stale) {
    // At most once a minute per token: its own short transaction.
    await inSystemTransaction(db, (tx) =>
      tx.execute(sql`update api_tokens set last_used_at = now(), last_used_ip = ${ip}
                      where tenant_id = ${row.tenant_id} and id = ${row.id}`),
    );
  }
  const principal = tokenPrincipal(row);
  if (principal.expired.length) {
    await noticeExpiredAssignments(db, row.tenant_id, principal.expired);
  } else if (cache) {
    const now = identityClock.now().getTime();
    const assignments =
      typeof row.assignments === 'string'
        ? (JSON.parse(row.assignments) as AssignmentRow[])
        : row.assignments;
    holdAuthentication(cache, stamp, 'token', hash, {
      principal: principal.principal,
      tenantId: row.tenant_id,
      validUntil: Math.min(
        row.expires_at === null ? Number.POSITIVE_INFINITY : new Date(row.expires_at).getTime(),
        earliestExpiry(assignments ?? []),
      ),
      lastTouched: row.stale || row.last_used_at === null ? now : new Date(row.last_used_at).getTime(),
      extra: row.id,
    });
  }
  return principal.principal;
}

/** last_used_at of a token authenticated from the read cache (does not notify: migration 0020). */
async function touchToken(db: Database, tenantId: string, tokenId: string, ip: string | null) {
  await inSystemTransaction(db, (tx) =>
    tx.execute(sql`update api_tokens set last_used_at = now(), last_used_ip = ${ip}
                    where tenant_id = ${tenantId} and id = ${tokenId}`),
  );
}

/** What authentication reads of an API token (with its user or service account). */
interface TokenRow {
  tenant_id: string;
  id: string;
  user_id: string | null;
  service_account_id: string | null;
  name: string;
  scopes: string[];
  display_name: string;
  sa_permissions: string[] | null;
  user_kind: 'staff' | 'buyer' | null;
  assignments: AssignmentRow[] | string | null;
}

function tokenPrincipal(row: TokenRow): { principal: Principal; expired: string[] } {
  if (row.service_account_id) {
    // A service account's token: its scopes ∩ the account's current permissions.
    const principal: Principal = {
      kind: 'tenant',
      tenantId: row.tenant_id,
      actor: {
        type: 'service_account',
        id: row.service_account_id,
        userId: null,
        displayName: `${row.display_name} (token "${row.name}")`,
        permissions: intersectPermissions(
          parseTextArray(row.scopes),
          parseTextArray(row.sa_permissions ?? []),
        ),
      },
    };
    return { principal, expired: [] };
  }
  // A user's token: its scopes ∩ the user's current role assignments (a revoked or expired
  // assignment narrows every token of the user at the next request).
  const grants = grantsOf(row.assignments ?? []);
  const permissions = intersectPermissions(parseTextArray(row.scopes), grants.permissions);
  const scopes = new Map([...grants.scoped].filter(([p]) => permissions.has(p) || permissions.has('*')));
  const principal: Principal = {
    kind: 'tenant',
    tenantId: row.tenant_id,
    actor: {
      type: 'api_token',
      id: row.id,
      userId: row.user_id as string,
      ...(row.user_kind ? { userKind: { userId: row.user_id as string, kind: row.user_kind } } : {}),
      displayName: `${row.display_name} (token "${row.name}")`,
      permissions,
      ...(scopes.size ? { scopes } : {}),
    },
  };
  return { principal, expired: grants.expired };
}

async function authenticateOperator(db: Database, secret: string): Promise<Principal | null> {
  const hash = hashSecret(secret);
  return inSystemTransaction(db, async (tx) => {
    const [row] = rows<{ id: string; operator_name: string }>(
      await tx.execute(sql`
        update operator_tokens set last_used_at = now()
         where token_hash = ${hash} and revoked_at is null
     returning id, operator_name`),
    );
    if (!row) return null;
    return {
      kind: 'operator',
      operatorTokenId: row.id,
      actor: {
        type: 'operator',
        id: row.id,
        userId: null,
        displayName: row.operator_name,
        permissions: new Set(['platform.*']),
      },
    };
  });
}

/** node-postgres parses text[]; PGlite may too — accept both the array and its literal. */
export function parseTextArray(value: string[] | string): string[] {
  if (Array.isArray(value)) return value;
  const inner = value.replace(/^\{|\}$/g, '');
  return inner === '' ? [] : inner.split(',').map((s) => s.replace(/^"|"$/g, ''));
}
