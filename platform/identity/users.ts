import { hash } from '@node-rs/argon2';
import { sql } from 'drizzle-orm';
import { audit, changesOf } from '../audit/record.ts';
import type { Ctx } from '../context.ts';
import { rows } from '../db/database.ts';
import { conflict, notFound } from '../http/problems.ts';
import { newId } from '../ids.ts';
import { API_TOKEN_PREFIX, generateSecret, hashSecret } from './tokens.ts';

export interface NewUser {
  email: string;
  displayName: string;
  kind: 'staff' | 'buyer';
  /** Plain password to hash with argon2id; omitted for users who will sign in another way. */
  password?: string;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** argon2id with the library's defaults (19 MiB, t=2, p=1: OWASP's minimum recommendation). */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function createUser(ctx: Ctx, input: NewUser): Promise<{ id: string }> {
  const id = newId('usr');
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  const inserted = rows<{ id: string }>(
    await ctx.tx.execute(sql`
      insert into users (tenant_id, id, email, email_normalized, display_name, kind, password_hash)
      values (${ctx.tenantId}, ${id}, ${input.email.trim()}, ${normalizeEmail(input.email)}, ${input.displayName},
              ${input.kind}, ${passwordHash})
      on conflict (tenant_id, email_normalized) do nothing
      returning id`),
  );
  if (!inserted[0]) throw conflict('A user with this e-mail already exists in this tenant.');
  await audit(ctx, {
    action: 'identity.user.create',
    resource: { type: 'user', id },
    changes: changesOf(null, { email: input.email, display_name: input.displayName, kind: input.kind }),
  });
  return { id };
}

export interface IssuedToken {
  id: string;
  /** The secret, shown once: only its hash is stored. */
  token: string;
}

export async function createApiToken(
  ctx: Ctx,
  input: { userId: string; name: string; scopes: string[]; expiresAt?: Date | null },
): Promise<IssuedToken> {
  const id = newId('tok');
  const token = generateSecret(API_TOKEN_PREFIX);
  await ctx.tx.execute(sql`
    insert into api_tokens (tenant_id, id, user_id, name, token_hash, token_hint, scopes, expires_at)
    values (${ctx.tenantId}, ${id}, ${input.userId}, ${input.name}, ${hashSecret(token)}, ${token.slice(-4)},
            ${`{${input.scopes.map((s) => `"${s}"`).join(',')}}`}::text[], ${input.expiresAt?.toISOString() ?? null})`);
  await audit(ctx, {
    action: 'identity.api_token.create',
    resource: { type: 'api_token', id },
    changes: changesOf(null, {
      user_id: input.userId,
      name: input.name,
      scopes: input.scopes,
      expires_at: input.expiresAt?.toISOString() ?? null,
    }),
  });
  return { id, token };
}

/** Makes a buyer user belong to a customer account (buyers order for their company). */
export async function attachBuyerToAccount(ctx: Ctx, userId: string, accountId: string): Promise<void> {
  const updated = rows<{ id: string }>(
    await ctx.tx.execute(sql`update users set account_id = ${accountId}, updated_at = now()
                              where tenant_id = ${ctx.tenantId} and id = ${userId} and kind = 'buyer'
                          returning id`),
  );
  if (!updated[0]) throw notFound(`Buyer user ${userId}`);
  await audit(ctx, {
    action: 'identity.user.update',
    resource: { type: 'user', id: userId },
    changes: changesOf({ account_id: null }, { account_id: accountId }),
  });
}
