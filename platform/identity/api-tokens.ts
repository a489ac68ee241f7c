import { sql } from 'drizzle-orm';
import { hasPermission } from '../access/permissions.ts';
import { audit, changesOf } from '../audit/record.ts';
import type { Ctx } from '../context.ts';
import { rows } from '../db/database.ts';
import { decodeCursor, toPage } from '../http/pagination.ts';
import { AppError, type FieldError, notFound } from '../http/problems.ts';
import { newId } from '../ids.ts';
import { parseTextArray } from './authenticate.ts';
import { identityClock } from './clock.ts';
import { missingPermissions } from './machine-permissions.ts';
import { requireRecentSecondFactor } from './step-up.ts';
import { API_TOKEN_PREFIX, generateSecret, hashSecret } from './tokens.ts';
import { permissionsOfUser } from './user-permissions.ts';

/** What the permission catalogue offers the services (the catalogue lives in src/app.ts). */
export interface Catalogue {
  has(name: string): boolean;
  list(): { name: string }[];
}

/** An API token as lists show it: never the secret, only its last 4 characters. */
export interface ApiTokenView {
  id: string;
  name: string;
  token_hint: string;
  scopes: string[];
  user_id: string | null;
  service_account_id: string | null;
  created_by: string | null;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  last_used_ip: string | null;
  revoked_at: string | null;
}

interface TokenRow {
  id: string;
  name: string;
  token_hint: string;
  scopes: string[] | string;
  user_id: string | null;
  service_account_id: string | null;
  created_by: string | null;
  created_at: Date | string;
  expires_at: Date | string | null;
  last_used_at: Date | string | null;
  last_used_ip: string | null;
  revoked_at: Date | string | null;
}

export const iso = (v: Date | string | null): string | null => (v == null ? null : new Date(v).toISOString());

/** A text[] parameter. Values are catalogue names (checked before), quoted anyway. */
export function textArray(values: string[]) {
  const literal = `{${values.map((v) => `"${v.replace(/(["\\])/g, '\\$1')}"`).join(',')}}`;
  return sql`${literal}::text[]`;
}

const toView = (r: TokenRow): ApiTokenView => ({
  id: r.id,
  name: r.name,
  token_hint: r.token_hint,
  scopes: parseTextArray(r.scopes),
  user_id: r.user_id,
  service_account_id: r.service_account_id,
  created_by: r.created_by,
  created_at: iso(r.created_at)!,
  expires_at: iso(r.expires_at),
  last_used_at: iso(r.last_used_at),
  last_used_ip: r.last_used_ip,
  revoked_at: iso(r.revoked_at),
});

const COLUMNS = sql`id, name, token_hint, scopes, user_id, service_account_id, created_by, created_at, expires_at,
                    last_used_at, last_used_ip, revoked_at`;

/** The tenant's token expiry policy (defaults of migration 0005 when the tenant never changed it). */
export async function tokenTtlPolicy(ctx: Ctx): Promise<{ defaultDays: number; maxDays: number }> {
  const [row] = rows<{ token_default_ttl_days: number; token_max_ttl_days: number }>(
    await ctx.tx.execute(sql`select token_default_ttl_days, token_max_ttl_days from tenant_security_settings
                              where tenant_id = ${ctx.tenantId}`),
  );
  return { defaultDays: row?.token_default_ttl_days ?? 90, maxDays: row?.token_max_ttl_days ?? 365 };
}

/** Catalogue names (or '*'); an unknown name is a 400 naming its position. */
export function checkPermissionNames(
  names: string[],
  catalogue: Catalogue,
  pointer: string,
  allowStar: boolean,
): void {
  const errors: FieldError[] = [];
  names.forEach((n, i) => {
    if (n === '*' ? !allowStar : !catalogue.has(n) || n.startsWith('platform.')) {
      errors.push({
        in: 'body',
        pointer: `${pointer}/${i}`,
        detail: n === '*' ? 'must name permissions explicitly' : 'is not a permission of the catalogue',
      });
    }
  });
  if (errors.length)
    throw new AppError('validation-error', `${errors[0]!.pointer.slice(1)} ${errors[0]!.detail}`, errors);
}

/** Refuses scopes that the owner (or the caller) does not hold, naming each one. */
function refuseBeyond(wanted: string[], held: ReadonlySet<string>, whose: string): void {
  const missing = new Set(missingPermissions(wanted, held));
  if (wanted.includes('*') && !held.has('*')) missing.add('*');
  if (missing.size === 0) return;
  const errors: FieldError[] = wanted.flatMap((s, i) =>
    missing.has(s)
      ? [{ in: 'body' as const, pointer: `/scopes/${i}`, detail: `is not a permission ${whose}` }]
      : [],
  );
  throw new AppError(
    'forbidden',
    `A token's scopes must be a subset of ${whose.replace(/^[a-z]+ /, '')}'s permissions: ${[...missing].join(', ')}.`,
    errors,
  );
}

async function userPermissions(ctx: Ctx, userId: string): Promise<Set<string>> {
  const [u] = rows<{ kind: 'staff' | 'buyer'; status: string }>(
    await ctx.tx.execute(
      sql`select kind, status from users where tenant_id = ${ctx.tenantId} and id = ${userId}`,
    ),
  );
  if (u?.status !== 'active') return new Set();
  return permissionsOfUser(ctx.tx, ctx.tenantId, userId);
}

/** A service account of this tenant, with its permissions; 404 when absent or another tenant's. */
export async function serviceAccountPermissions(
  ctx: Ctx,
  id: string,
): Promise<{ status: string; permissions: Set<string> }> {
  const [sa] = rows<{ status: string; permissions: string[] | string }>(
    await ctx.tx.execute(sql`select status, permissions from service_accounts
                              where tenant_id = ${ctx.tenantId} and id = ${id}`),
  );
  if (!sa) throw notFound(`Service account ${id}`);
  return { status: sa.status, permissions: new Set(parseTextArray(sa.permissions)) };
}

export interface NewApiToken {
  name: string;
  scopes: string[];
  expires_at?: string;
  service_account_id?: string;
}

/**
 * Issues an API token for the caller (a user, or a service account calling for itself) or, with
 * `iam.service_account.manage`, for a service account. The scopes must be held both by the owner and
 * by the caller (a narrow token cannot mint a wider one). Expiry: the tenant's default when none is
 * asked for, never beyond its maximum. The secret is returned once; only its SHA-256 is stored.
 */
export async function issueApiToken(
  ctx: Ctx,
  input: NewApiToken,
  catalogue: Catalogue,
): Promise<ApiTokenView & { token: string }> {
  await requireRecentSecondFactor(ctx);
  const scopes = [...new Set(input.scopes)];
  checkPermissionNames(scopes, catalogue, '/scopes', true);

  let owner: { userId: string | null; serviceAccountId: string | null };
  let ownerPermissions: Set<string>;
  if (input.service_account_id) {
    if (
      !hasPermission(ctx.actor, 'iam.service_account.manage') &&
      ctx.actor.id !== input.service_account_id
    ) {
      throw new AppError(
        'forbidden',
        'Issuing a token for a service account requires iam.service_account.manage.',
      );
    }
    const sa = await serviceAccountPermissions(ctx, input.service_account_id);
    if (sa.status !== 'active')
      throw new AppError('business-rule-violation', 'The service account is deactivated.', [
        { in: 'body', pointer: '/service_account_id', detail: 'is deactivated' },
      ]);
    owner = { userId: null, serviceAccountId: input.service_account_id };
    ownerPermissions = sa.permissions;
  } else if (ctx.actor.type === 'service_account') {
    owner = { userId: null, serviceAccountId: ctx.actor.id };
    ownerPermissions = (await serviceAccountPermissions(ctx, ctx.actor.id)).permissions;
  } else if (ctx.actor.userId) {
    owner = { userId: ctx.actor.userId, serviceAccountId: null };
    ownerPermissions = await userPermissions(ctx, ctx.actor.userId);
  } else {
    throw new AppError('forbidden', 'Only users and service accounts own API tokens.');
  }
  refuseBeyond(scopes, ownerPermissions, 'the owner holds');
  refuseBeyond(scopes, new Set(ctx.actor.permissions), 'the caller holds');

  const now = identityClock.now();
  const policy = await tokenTtlPolicy(ctx);
  const max = new Date(now.getTime() + policy.maxDays * 86_400_000);
  let expiresAt = new Date(now.getTime() + policy.defaultDays * 86_400_000);
  if (input.expires_at !== undefined) {
    expiresAt = new Date(input.expires_at);
    if (!(expiresAt.getTime() > now.getTime()))
      throw new AppError('validation-error', 'expires_at must be in the future.', [
        { in: 'body', pointer: '/expires_at', detail: 'must be in the future' },
      ]);
    if (expiresAt.getTime() > max.getTime())
      throw new AppError(
        'validation-error',
        `expires_at is beyond this tenant's maximum of ${policy.maxDays} days.`,
        [
          {
            in: 'body',
            pointer: '/expires_at',
            detail: `must be at most ${policy.maxDays} days from now (${max.toISOString()})`,
          },
        ],
      );
  }

  const id = newId('tok');
  const token = generateSecret(API_TOKEN_PREFIX);
  const [row] = rows<TokenRow>(
    await ctx.tx.execute(sql`
      insert into api_tokens (tenant_id, id, user_id, service_account_id, name, token_hash, token_hint, scopes,
                              expires_at, created_by, created_at)
      values (${ctx.tenantId}, ${id}, ${owner.userId}, ${owner.serviceAccountId}, ${input.name}, ${hashSecret(token)},
              ${token.slice(-4)}, ${textArray(scopes)}, ${expiresAt.toISOString()}, ${ctx.actor.id}, ${now.toISOString()})
      returning ${COLUMNS}`),
  );
  const view = toView(row!);
  await audit(ctx, {
    action: 'identity.api_token.create',
    resource: { type: 'api_token', id },
    changes: changesOf(null, {
      name: view.name,
      scopes: view.scopes,
      user_id: view.user_id,
      service_account_id: view.service_account_id,
      expires_at: view.expires_at,
    }),
  });
  return { ...view, token };
}

/** Which tokens the caller sees: its own; every one with iam.api_token.manage; a service account's with iam.service_account.manage. */
function visibleTo(ctx: Ctx) {
  if (hasPermission(ctx.actor, 'iam.api_token.manage')) return sql`true`;
  const own =
    ctx.actor.type === 'service_account'
      ? sql`service_account_id = ${ctx.actor.id}`
      : sql`user_id = ${ctx.actor.userId ?? '-'}`;
  if (hasPermission(ctx.actor, 'iam.service_account.manage'))
    return sql`(${own} or service_account_id is not null)`;
  return own;
}

export async function listApiTokens(
  ctx: Ctx,
  q: {
    limit: number;
    cursor?: string;
    service_account_id?: string;
    user_id?: string;
    include_revoked?: boolean;
  },
) {
  const after = decodeCursor(q.cursor);
  const fetched = rows<TokenRow>(
    await ctx.tx.execute(sql`
      select ${COLUMNS} from api_tokens
       where tenant_id = ${ctx.tenantId} and ${visibleTo(ctx)}
         ${after ? sql`and id > ${String(after[0])}` : sql``}
         ${q.service_account_id ? sql`and service_account_id = ${q.service_account_id}` : sql``}
         ${q.user_id ? sql`and user_id = ${q.user_id}` : sql``}
         ${q.include_revoked === false ? sql`and revoked_at is null` : sql``}
       order by id limit ${q.limit + 1}`),
  );
  return toPage(fetched, q.limit, (r) => [r.id], toView);
}

/** Revokes a token: the next request with it is a 401. Revoking a revoked token changes nothing. */
export async function revokeApiToken(ctx: Ctx, id: string): Promise<ApiTokenView> {
  const [current] = rows<TokenRow>(
    await ctx.tx.execute(sql`select ${COLUMNS} from api_tokens
                              where tenant_id = ${ctx.tenantId} and id = ${id} and ${visibleTo(ctx)} for update`),
  );
  // Another tenant's token, or someone else's without the right, answers like a token that never existed.
  if (!current) throw notFound(`API token ${id}`);
  if (current.revoked_at) return toView(current);
  const [row] = rows<TokenRow>(
    await ctx.tx.execute(sql`update api_tokens set revoked_at = ${identityClock.now().toISOString()}
                              where tenant_id = ${ctx.tenantId} and id = ${id} returning ${COLUMNS}`),
  );
  const view = toView(row!);
  await audit(ctx, {
    action: 'identity.api_token.revoke',
    resource: { type: 'api_token', id },
    changes: changesOf({ revoked_at: null }, { revoked_at: view.revoked_at }),
    metadata: { name: view.name, user_id: view.user_id, service_account_id: view.service_account_id },
  });
  return view;
}
