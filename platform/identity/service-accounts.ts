import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { audit, changesOf } from '../audit/record.ts';
import type { Ctx } from '../context.ts';
import { rows } from '../db/database.ts';
import { decodeCursor, toPage } from '../http/pagination.ts';
import { AppError, conflict, type FieldError, notFound } from '../http/problems.ts';
import { newId } from '../ids.ts';
import { type Catalogue, checkPermissionNames, iso, textArray } from './api-tokens.ts';
import { parseTextArray } from './authenticate.ts';
import { identityClock } from './clock.ts';
import { missingPermissions } from './machine-permissions.ts';
import { requireRecentSecondFactor } from './step-up.ts';

/** A non-human identity of the tenant (an ERP connector, an iPaaS flow, a script). */
export interface ServiceAccountView {
  id: string;
  name: string;
  description: string | null;
  permissions: string[];
  status: 'active' | 'deactivated';
  created_by: string | null;
  created_at: string;
  updated_at: string;
  deactivated_at: string | null;
}

interface SaRow {
  id: string;
  name: string;
  description: string | null;
  permissions: string[] | string;
  status: 'active' | 'deactivated';
  created_by: string | null;
  created_at: Date | string;
  updated_at: Date | string;
  deactivated_at: Date | string | null;
}

const SA_COLUMNS = sql`id, name, description, permissions, status, created_by, created_at, updated_at, deactivated_at`;

const toSa = (r: SaRow): ServiceAccountView => ({
  id: r.id,
  name: r.name,
  description: r.description,
  permissions: parseTextArray(r.permissions).sort(),
  status: r.status,
  created_by: r.created_by,
  created_at: iso(r.created_at)!,
  updated_at: iso(r.updated_at)!,
  deactivated_at: iso(r.deactivated_at),
});

/** Nobody grants what they do not hold themselves (no escalation through a service account). */
function refuseUnheld(ctx: Ctx, wanted: string[], pointer: string): void {
  const missing = new Set(missingPermissions(wanted, new Set(ctx.actor.permissions)));
  if (!missing.size) return;
  const errors: FieldError[] = wanted.flatMap((p, i) =>
    missing.has(p)
      ? [{ in: 'body' as const, pointer: `${pointer}/${i}`, detail: 'is not a permission you hold' }]
      : [],
  );
  throw new AppError(
    'forbidden',
    `You cannot grant permissions you do not hold: ${[...missing].join(', ')}.`,
    errors,
  );
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; cause?: unknown };
  return e?.code === '23505' || (e?.cause !== undefined && isUniqueViolation(e.cause));
}

export async function createServiceAccount(
  ctx: Ctx,
  input: { name: string; description?: string | null; permissions: string[] },
  catalogue: Catalogue,
): Promise<ServiceAccountView> {
  const permissions = [...new Set(input.permissions)];
  checkPermissionNames(permissions, catalogue, '/permissions', false);
  refuseUnheld(ctx, permissions, '/permissions');
  const id = newId('sa');
  const now = identityClock.now().toISOString();
  const inserted = rows<SaRow>(
    await ctx.tx.execute(sql`
      insert into service_accounts (tenant_id, id, name, description, permissions, created_by, created_at, updated_at)
      values (${ctx.tenantId}, ${id}, ${input.name.trim()}, ${input.description ?? null}, ${textArray(permissions)},
              ${ctx.actor.id}, ${now}, ${now})
      on conflict (tenant_id, name) do nothing
      returning ${SA_COLUMNS}`),
  );
  if (!inserted[0]) throw conflict(`A service account named "${input.name.trim()}" already exists.`);
  const view = toSa(inserted[0]);
  await audit(ctx, {
    action: 'identity.service_account.create',
    resource: { type: 'service_account', id },
    changes: changesOf(null, {
      name: view.name,
      description: view.description,
      permissions: view.permissions,
    }),
  });
  return view;
}

export async function getServiceAccount(
  ctx: Ctx,
  id: string,
  forUpdate = false,
): Promise<ServiceAccountView> {
  const [row] = rows<SaRow>(
    await ctx.tx.execute(sql`select ${SA_COLUMNS} from service_accounts where tenant_id = ${ctx.tenantId} and id = ${id}
                              ${forUpdate ? sql`for update` : sql``}`),
  );
  // Another tenant's ID answers exactly like an ID that never existed.
  if (!row) throw notFound(`Service account ${id}`);
  return toSa(row);
}

export async function listServiceAccounts(
  ctx: Ctx,
  q: { limit: number; cursor?: string; status?: 'active' | 'deactivated' },
) {
  const after = decodeCursor(q.cursor);
  const fetched = rows<SaRow>(
    await ctx.tx.execute(sql`
      select ${SA_COLUMNS} from service_accounts where tenant_id = ${ctx.tenantId}
        ${after ? sql`and id > ${String(after[0])}` : sql``}
        ${q.status ? sql`and status = ${q.status}` : sql``}
       order by id limit ${q.limit + 1}`),
  );
  return toPage(fetched, q.limit, (r) => [r.id], toSa);
}

export async function updateServiceAccount(
  ctx: Ctx,
  id: string,
  patch: { name?: string; description?: string | null; permissions?: string[] },
  catalogue: Catalogue,
): Promise<ServiceAccountView> {
  const current = await getServiceAccount(ctx, id, true);
  if (current.status !== 'active')
    throw new AppError('business-rule-violation', 'A deactivated service account cannot be changed.');
  let permissions = current.permissions;
  if (patch.permissions) {
    permissions = [...new Set(patch.permissions)].sort();
    checkPermissionNames(patch.permissions, catalogue, '/permissions', false);
    // Only what is added needs the caller to hold it; removing is always allowed.
    const added = patch.permissions.filter((p) => !current.permissions.includes(p));
    refuseUnheld(ctx, added, '/permissions');
  }
  const next = {
    name: patch.name?.trim() ?? current.name,
    description: patch.description !== undefined ? patch.description : current.description,
    permissions,
  };
  let row: SaRow | undefined;
  try {
    [row] = rows<SaRow>(
      await ctx.tx.execute(sql`
        update service_accounts set name = ${next.name}, description = ${next.description},
               permissions = ${textArray(next.permissions)}, updated_at = ${identityClock.now().toISOString()}
         where tenant_id = ${ctx.tenantId} and id = ${id} returning ${SA_COLUMNS}`),
    );
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`A service account named "${next.name}" already exists.`);
    throw err;
  }
  const updated = toSa(row!);
  await audit(ctx, {
    action: 'identity.service_account.update',
    resource: { type: 'service_account', id },
    changes: changesOf(
      { name: current.name, description: current.description, permissions: current.permissions },
      { name: updated.name, description: updated.description, permissions: updated.permissions },
    ),
  });
  return updated;
}

/**
 * Deactivates a service account and, in the same transaction, revokes its API tokens and OAuth
 * clients: the next request with any of its credentials — including an access token already issued —
 * is refused (authentication checks the account and the client on every request).
 */
export async function deactivateServiceAccount(ctx: Ctx, id: string): Promise<ServiceAccountView> {
  const current = await getServiceAccount(ctx, id, true);
  if (current.status === 'deactivated') return current;
  const now = identityClock.now().toISOString();
  const [row] = rows<SaRow>(
    await ctx.tx.execute(sql`
      update service_accounts set status = 'deactivated', deactivated_at = ${now}, updated_at = ${now}
       where tenant_id = ${ctx.tenantId} and id = ${id} returning ${SA_COLUMNS}`),
  );
  const tokens = rows<{ id: string }>(
    await ctx.tx.execute(sql`update api_tokens set revoked_at = ${now}
                              where tenant_id = ${ctx.tenantId} and service_account_id = ${id} and revoked_at is null
                          returning id`),
  );
  const clients = rows<{ id: string }>(
    await ctx.tx.execute(sql`update oauth_clients set revoked_at = ${now}
                              where tenant_id = ${ctx.tenantId} and service_account_id = ${id} and revoked_at is null
                          returning id`),
  );
  await audit(ctx, {
    action: 'identity.service_account.deactivate',
    resource: { type: 'service_account', id },
    changes: changesOf({ status: 'active' }, { status: 'deactivated' }),
    metadata: {
      revoked_api_tokens: tokens.map((t) => t.id),
      revoked_oauth_clients: clients.map((c) => c.id),
    },
  });
  return toSa(row!);
}

// ---- OAuth clients -------------------------------------------------------------------------------

/** Prefix of OAuth client secrets, for secret scanners (like `cpt_` for API tokens). */
export const CLIENT_SECRET_PREFIX = 'cpc_';

/** SHA-256 of the secret: 256 random bits need no slow hash (nothing to brute-force), and it keeps the token endpoint fast. */
export function hashClientSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export interface OAuthClientView {
  client_id: string;
  service_account_id: string;
  name: string;
  auth_method: 'client_secret' | 'private_key_jwt';
  secret_hint: string | null;
  jwks: { keys: Record<string, unknown>[] } | null;
  scopes: string[];
  created_by: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

interface ClientRow {
  id: string;
  service_account_id: string;
  name: string;
  auth_method: 'client_secret' | 'private_key_jwt';
  secret_hint: string | null;
  jwks: { keys: Record<string, unknown>[] } | string | null;
  scopes: string[] | string;
  created_by: string | null;
  created_at: Date | string;
  last_used_at: Date | string | null;
  revoked_at: Date | string | null;
}

const CLIENT_COLUMNS = sql`id, service_account_id, name, auth_method, secret_hint, jwks, scopes, created_by, created_at,
                           last_used_at, revoked_at`;

const toClient = (r: ClientRow): OAuthClientView => ({
  client_id: r.id,
  service_account_id: r.service_account_id,
  name: r.name,
  auth_method: r.auth_method,
  secret_hint: r.secret_hint,
  jwks: typeof r.jwks === 'string' ? JSON.parse(r.jwks) : r.jwks,
  scopes: parseTextArray(r.scopes).sort(),
  created_by: r.created_by,
  created_at: iso(r.created_at)!,
  last_used_at: iso(r.last_used_at),
  revoked_at: iso(r.revoked_at),
});

const PUBLIC_JWK_MEMBERS = new Set(['kty', 'kid', 'use', 'alg', 'key_ops', 'crv', 'x', 'y', 'n', 'e']);
export const ASSERTION_ALGS = ['EdDSA', 'ES256', 'ES384', 'PS256', 'RS256'];

/** Public keys only, each one a key node:crypto can load, with a known signing algorithm. */
function checkJwks(jwks: { keys: Record<string, unknown>[] }): void {
  const errors: FieldError[] = [];
  jwks.keys.forEach((k, i) => {
    const pointer = `/jwks/keys/${i}`;
    const extra = Object.keys(k).filter((m) => !PUBLIC_JWK_MEMBERS.has(m));
    if (extra.length) {
      errors.push({
        in: 'body',
        pointer,
        detail: `must be a public key (unexpected members: ${extra.join(', ')})`,
      });
      return;
    }
    if (k.alg !== undefined && !ASSERTION_ALGS.includes(String(k.alg))) {
      errors.push({
        in: 'body',
        pointer: `${pointer}/alg`,
        detail: `must be one of ${ASSERTION_ALGS.join(', ')}`,
      });
      return;
    }
    try {
      const key = createPublicKey({ key: k as import('node:crypto').JsonWebKey, format: 'jwk' });
      if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048)
        errors.push({ in: 'body', pointer, detail: 'RSA keys must be at least 2048 bits' });
    } catch {
      errors.push({ in: 'body', pointer, detail: 'is not a valid public JWK' });
    }
  });
  if (errors.length)
    throw new AppError('validation-error', `${errors[0]!.pointer.slice(1)} ${errors[0]!.detail}`, errors);
}

/**
 * Registers an OAuth client for a service account: with a client secret (returned once, stored as
 * its SHA-256), or with public keys for `private_key_jwt` (RFC 7523). Its scopes are at most the
 * account's permissions (by default all of them); a token never carries more than the account holds
 * at the time of the request.
 */
export async function createOAuthClient(
  ctx: Ctx,
  serviceAccountId: string,
  input: { name: string; scopes?: string[]; jwks?: { keys: Record<string, unknown>[] } },
  catalogue: Catalogue,
): Promise<OAuthClientView & { client_secret: string | null }> {
  await requireRecentSecondFactor(ctx);
  const sa = await getServiceAccount(ctx, serviceAccountId, true);
  if (sa.status !== 'active')
    throw new AppError('business-rule-violation', 'The service account is deactivated.');
  const scopes = [...new Set(input.scopes ?? sa.permissions)];
  checkPermissionNames(scopes, catalogue, '/scopes', false);
  const beyond = scopes.filter((s) => !sa.permissions.includes(s));
  if (beyond.length)
    throw new AppError(
      'validation-error',
      `scopes must be permissions of the service account: ${beyond.join(', ')}`,
      scopes.flatMap((s, i) =>
        beyond.includes(s)
          ? [
              {
                in: 'body' as const,
                pointer: `/scopes/${i}`,
                detail: 'is not a permission of the service account',
              },
            ]
          : [],
      ),
    );
  if (input.jwks) checkJwks(input.jwks);
  const id = newId('cli');
  const secret = input.jwks ? null : CLIENT_SECRET_PREFIX + randomBytes(32).toString('base64url');
  const [row] = rows<ClientRow>(
    await ctx.tx.execute(sql`
      insert into oauth_clients (tenant_id, id, service_account_id, name, auth_method, secret_hash, secret_hint, jwks,
                                 scopes, created_by, created_at)
      values (${ctx.tenantId}, ${id}, ${serviceAccountId}, ${input.name}, ${secret ? 'client_secret' : 'private_key_jwt'},
              ${secret ? hashClientSecret(secret) : null}, ${secret ? secret.slice(-4) : null},
              ${input.jwks ? JSON.stringify(input.jwks) : null}::jsonb, ${textArray(scopes)}, ${ctx.actor.id},
              ${identityClock.now().toISOString()})
      returning ${CLIENT_COLUMNS}`),
  );
  const view = toClient(row!);
  await audit(ctx, {
    action: 'identity.oauth_client.create',
    resource: { type: 'oauth_client', id },
    changes: changesOf(null, {
      service_account_id: serviceAccountId,
      name: view.name,
      auth_method: view.auth_method,
      scopes: view.scopes,
      jwks_kids: view.jwks?.keys.map((k) => k.kid ?? null) ?? null,
    }),
  });
  return { ...view, client_secret: secret };
}

export async function listOAuthClients(
  ctx: Ctx,
  serviceAccountId: string,
): Promise<{ data: OAuthClientView[] }> {
  await getServiceAccount(ctx, serviceAccountId);
  const found = rows<ClientRow>(
    await ctx.tx.execute(sql`select ${CLIENT_COLUMNS} from oauth_clients
                              where tenant_id = ${ctx.tenantId} and service_account_id = ${serviceAccountId} order by id`),
  );
  return { data: found.map(toClient) };
}

/** Revokes a client: no new access token; those already issued are refused at their next use. */
export async function revokeOAuthClient(
  ctx: Ctx,
  serviceAccountId: string,
  clientId: string,
): Promise<OAuthClientView> {
  const [current] = rows<ClientRow>(
    await ctx.tx.execute(sql`select ${CLIENT_COLUMNS} from oauth_clients
                              where tenant_id = ${ctx.tenantId} and service_account_id = ${serviceAccountId}
                                and id = ${clientId} for update`),
  );
  if (!current) throw notFound(`OAuth client ${clientId}`);
  if (current.revoked_at) return toClient(current);
  const [row] = rows<ClientRow>(
    await ctx.tx.execute(sql`update oauth_clients set revoked_at = ${identityClock.now().toISOString()}
                              where tenant_id = ${ctx.tenantId} and id = ${clientId} returning ${CLIENT_COLUMNS}`),
  );
  const view = toClient(row!);
  await audit(ctx, {
    action: 'identity.oauth_client.revoke',
    resource: { type: 'oauth_client', id: clientId },
    changes: changesOf({ revoked_at: null }, { revoked_at: view.revoked_at }),
    metadata: { service_account_id: serviceAccountId },
  });
  return view;
}
