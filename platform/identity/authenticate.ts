import { sql } from 'drizzle-orm';
import type { Actor } from '../context.ts';
import { type Database, rows } from '../db/database.ts';
import { inSystemTransaction } from '../db/scope.ts';
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
): Promise<Principal | null> {
  if (looksLikeSecret(API_TOKEN_PREFIX, secret)) return authenticateApiToken(db, secret, ip);
  if (looksLikeSecret(OPERATOR_TOKEN_PREFIX, secret)) return authenticateOperator(db, secret);
  return null;
}

async function authenticateApiToken(
  db: Database,
  secret: string,
  ip: string | null,
): Promise<Principal | null> {
  const hash = hashSecret(secret);
  return inSystemTransaction(db, async (tx) => {
    const [row] = rows<{
      tenant_id: string;
      id: string;
      user_id: string;
      name: string;
      scopes: string[];
      display_name: string;
      stale: boolean;
    }>(
      await tx.execute(sql`
        select t.tenant_id, t.id, t.user_id, t.name, t.scopes, u.display_name,
               (t.last_used_at is null or t.last_used_at < now() - make_interval(secs => ${LAST_USED_REFRESH_SECONDS})) as stale
          from api_tokens t
          join users u on u.tenant_id = t.tenant_id and u.id = t.user_id
          join tenants n on n.id = t.tenant_id
         where t.token_hash = ${hash}
           and t.revoked_at is null
           and (t.expires_at is null or t.expires_at > now())
           and u.status = 'active'
           and n.status = 'active'`),
    );
    if (!row) return null;
    if (row.stale) {
      await tx.execute(sql`update api_tokens set last_used_at = now(), last_used_ip = ${ip}
                           where tenant_id = ${row.tenant_id} and id = ${row.id}`);
    }
    return {
      kind: 'tenant',
      tenantId: row.tenant_id,
      actor: {
        type: 'api_token',
        id: row.id,
        userId: row.user_id,
        displayName: `${row.display_name} (token "${row.name}")`,
        permissions: new Set(parseTextArray(row.scopes)),
      },
    };
  });
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
