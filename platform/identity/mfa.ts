import { createHash, randomBytes, randomInt } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import { audit } from '../audit/record.ts';
import type { Ctx } from '../context.ts';
import type { SecretBox } from '../crypto/secrets.ts';
import { rows, type Tx } from '../db/database.ts';
import { AppError, conflict, fieldError, notFound } from '../http/problems.ts';
import { newId } from '../ids.ts';
import { identityClock } from './clock.ts';
import { requireRecentSecondFactor } from './step-up.ts';

/**
 * Second factors of a user: a TOTP authenticator (RFC 6238), single-use recovery codes, and WebAuthn
 * credentials (webauthn.ts). A user "has MFA" when an active TOTP or a WebAuthn credential exists;
 * recovery codes are a fallback, never a factor on their own.
 */

export const TOTP_PERIOD_S = 30;
/** Codes of the previous and next step are accepted too (clock drift), never a used step again. */
export const TOTP_WINDOW = 1;
const TOTP_PURPOSE = 'identity.mfa.totp';
export const RECOVERY_CODE_COUNT = 10;

export type SecondFactorMethod = 'totp' | 'recovery_code' | 'webauthn';

function totpOf(base32: string, label = '', issuer = 'Comptoir'): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: 'SHA1', // what every authenticator app supports
    digits: 6,
    period: TOTP_PERIOD_S,
    secret: Secret.fromBase32(base32),
  });
}

/** The current code of a base32 secret (tests and the demo seed). */
export function totpCodeAt(base32: string, at: Date = identityClock.now()): string {
  return totpOf(base32).generate({ timestamp: at.getTime() });
}

function userIdOf(ctx: Ctx): string {
  const id = ctx.actor.userId;
  if (!id) throw new AppError('forbidden', 'Only users have second factors.');
  return id;
}

export interface FactorSummary {
  totp: 'none' | 'pending' | 'active';
  webauthn_credentials: number;
  recovery_codes_remaining: number;
}

export async function factorSummary(tx: Tx, tenantId: string, userId: string): Promise<FactorSummary> {
  const [row] = rows<{ totp: string | null; webauthn: number | string; codes: number | string }>(
    await tx.execute(sql`
      select (select status from mfa_totp where tenant_id = ${tenantId} and user_id = ${userId}) as totp,
             (select count(*) from webauthn_credentials where tenant_id = ${tenantId} and user_id = ${userId}) as webauthn,
             (select count(*) from mfa_recovery_codes
               where tenant_id = ${tenantId} and user_id = ${userId} and used_at is null) as codes`),
  );
  return {
    totp: (row?.totp as FactorSummary['totp'] | null) ?? 'none',
    webauthn_credentials: Number(row?.webauthn ?? 0),
    recovery_codes_remaining: Number(row?.codes ?? 0),
  };
}

/** The second factors a user can use at login (recovery codes only alongside a real factor). */
export function methodsOf(f: FactorSummary): SecondFactorMethod[] {
  const m: SecondFactorMethod[] = [];
  if (f.totp === 'active') m.push('totp');
  if (f.webauthn_credentials > 0) m.push('webauthn');
  if (m.length && f.recovery_codes_remaining > 0) m.push('recovery_code');
  return m;
}

export async function hasSecondFactor(tx: Tx, tenantId: string, userId: string): Promise<boolean> {
  const f = await factorSummary(tx, tenantId, userId);
  return f.totp === 'active' || f.webauthn_credentials > 0;
}

// ─── TOTP ───────────────────────────────────────────────────────────────────────────────────────

export interface TotpEnrolment {
  otpauth_uri: string;
  secret: string;
  period: number;
  digits: number;
  algorithm: 'SHA1';
}

/**
 * Starts (or restarts) a TOTP enrolment: a new 160-bit secret, sealed in the database, shown once
 * as an otpauth:// URI (QR code) and in base32. Nothing changes at login until it is confirmed.
 */
export async function startTotpEnrolment(
  ctx: Ctx,
  secrets: SecretBox,
  userId: string,
  issuer: string,
): Promise<TotpEnrolment> {
  const [user] = rows<{ email: string }>(
    await ctx.tx.execute(sql`select email from users where tenant_id = ${ctx.tenantId} and id = ${userId}`),
  );
  if (!user) throw notFound(`User ${userId}`);
  const [existing] = rows<{ status: string }>(
    await ctx.tx.execute(
      sql`select status from mfa_totp where tenant_id = ${ctx.tenantId} and user_id = ${userId}`,
    ),
  );
  if (existing?.status === 'active')
    throw conflict('A TOTP authenticator is already active: remove it first (DELETE /api/v1/auth/mfa/totp).');
  const secret = new Secret({ size: 20 });
  const sealed = await secrets.seal(ctx.tenantId, TOTP_PURPOSE, secret.base32);
  await ctx.tx.execute(sql`
    insert into mfa_totp (tenant_id, user_id, secret_sealed, status, created_at)
    values (${ctx.tenantId}, ${userId}, ${sealed}, 'pending', ${identityClock.now().toISOString()})
    on conflict (tenant_id, user_id) do update
      set secret_sealed = excluded.secret_sealed, status = 'pending', last_used_counter = null,
          created_at = excluded.created_at, confirmed_at = null`);
  await audit(ctx, {
    action: 'identity.mfa.totp.enrol',
    resource: { type: 'user', id: userId },
    metadata: { stage: 'started' },
  });
  return {
    otpauth_uri: totpOf(secret.base32, user.email, issuer).toString(),
    secret: secret.base32,
    period: TOTP_PERIOD_S,
    digits: 6,
    algorithm: 'SHA1',
  };
}

/**
 * Checks a TOTP code (±1 step) and records its time step: a code of a step already used — or of an
 * earlier one — is refused (RFC 6238 §5.2), so an observed code cannot be replayed. `pending` allows
 * the code of an enrolment not confirmed yet (the confirmation itself).
 */
export async function verifyTotp(
  ctx: Ctx,
  secrets: SecretBox,
  userId: string,
  code: string,
  status: 'active' | 'pending' = 'active',
): Promise<boolean> {
  const [row] = rows<{ secret_sealed: string }>(
    await ctx.tx.execute(sql`select secret_sealed from mfa_totp
                              where tenant_id = ${ctx.tenantId} and user_id = ${userId} and status = ${status}`),
  );
  if (!row || !/^\d{6}$/.test(code)) return false;
  const base32 = await secrets.open(ctx.tenantId, TOTP_PURPOSE, row.secret_sealed);
  const now = identityClock.now();
  const delta = totpOf(base32).validate({ token: code, timestamp: now.getTime(), window: TOTP_WINDOW });
  if (delta === null) return false;
  const counter = Math.floor(now.getTime() / 1000 / TOTP_PERIOD_S) + delta;
  // Atomic: of two requests with the same code, one wins.
  const updated = rows<{ user_id: string }>(
    await ctx.tx.execute(sql`
      update mfa_totp set last_used_counter = ${counter}, last_used_at = ${now.toISOString()}
       where tenant_id = ${ctx.tenantId} and user_id = ${userId} and status = ${status}
         and (last_used_counter is null or last_used_counter < ${counter})
   returning user_id`),
  );
  return updated.length === 1;
}

/** Activates a pending enrolment with a correct code; the first factor also brings recovery codes. */
export async function confirmTotpEnrolment(
  ctx: Ctx,
  secrets: SecretBox,
  userId: string,
  code: string,
  pointer = '/code',
): Promise<{ recovery_codes: string[] | null }> {
  const [pending] = rows<{ status: string }>(
    await ctx.tx.execute(
      sql`select status from mfa_totp where tenant_id = ${ctx.tenantId} and user_id = ${userId}`,
    ),
  );
  if (pending?.status !== 'pending')
    throw new AppError(
      'business-rule-violation',
      'There is no TOTP enrolment to confirm: start one with POST /api/v1/auth/mfa/totp.',
    );
  if (!(await verifyTotp(ctx, secrets, userId, code, 'pending')))
    throw fieldError(pointer, `${pointer.slice(1)} is not the current code of the authenticator`);
  await ctx.tx.execute(sql`update mfa_totp set status = 'active', confirmed_at = ${identityClock.now().toISOString()}
                            where tenant_id = ${ctx.tenantId} and user_id = ${userId}`);
  const recovery = await issueRecoveryCodesIfFirst(ctx, userId);
  await audit(ctx, {
    action: 'identity.mfa.totp.activate',
    resource: { type: 'user', id: userId },
    metadata: { recovery_codes_issued: recovery ? recovery.length : 0 },
  });
  return { recovery_codes: recovery };
}

/** Removes the user's TOTP authenticator (a recent second factor is required). */
export async function removeTotp(ctx: Ctx): Promise<void> {
  await requireRecentSecondFactor(ctx);
  const userId = userIdOf(ctx);
  const removed = rows<{ status: string }>(
    await ctx.tx.execute(sql`delete from mfa_totp where tenant_id = ${ctx.tenantId} and user_id = ${userId}
                          returning status`),
  );
  if (!removed.length) throw notFound('A TOTP authenticator of yours');
  await dropRecoveryCodesWithoutFactor(ctx, userId);
  await audit(ctx, {
    action: 'identity.mfa.totp.remove',
    resource: { type: 'user', id: userId },
    changes: { totp: { before: removed[0]!.status, after: null } },
  });
}

// ─── Recovery codes ─────────────────────────────────────────────────────────────────────────────

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** 16 Crockford base32 characters (80 random bits), shown as XXXX-XXXX-XXXX-XXXX. */
function newRecoveryCode(): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += CROCKFORD[randomInt(32)];
  return s.match(/.{4}/g)!.join('-');
}

/** Case, dashes and spaces do not matter; O and I/L read as 0 and 1 (Crockford). */
export function normalizeRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

/**
 * SHA-256 is enough here: each code carries 80 random bits, so a stolen table cannot be brute-forced
 * (a slow hash protects low-entropy secrets such as passwords, which these are not).
 */
function hashRecoveryCode(code: string): string {
  return createHash('sha256')
    .update(`comptoir recovery code\0${normalizeRecoveryCode(code)}`)
    .digest('hex');
}

async function writeRecoveryCodes(ctx: Ctx, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  for (const code of codes) {
    await ctx.tx.execute(sql`insert into mfa_recovery_codes (tenant_id, id, user_id, code_hash)
                              values (${ctx.tenantId}, ${newId('rcc')}, ${userId}, ${hashRecoveryCode(code)})`);
  }
  return codes;
}

/** At the first enrolment (no codes yet): 10 codes, returned once. */
export async function issueRecoveryCodesIfFirst(ctx: Ctx, userId: string): Promise<string[] | null> {
  const [row] = rows<{ n: number | string }>(
    await ctx.tx.execute(sql`select count(*) as n from mfa_recovery_codes
                              where tenant_id = ${ctx.tenantId} and user_id = ${userId}`),
  );
  if (Number(row?.n ?? 0) > 0) return null;
  return writeRecoveryCodes(ctx, userId);
}

/** Codes are a fallback of a factor: when the last factor goes, they go too. */
export async function dropRecoveryCodesWithoutFactor(ctx: Ctx, userId: string): Promise<void> {
  if (await hasSecondFactor(ctx.tx, ctx.tenantId, userId)) return;
  await ctx.tx.execute(
    sql`delete from mfa_recovery_codes where tenant_id = ${ctx.tenantId} and user_id = ${userId}`,
  );
}

/** New set of 10 codes (the old ones stop working); needs a recent second factor. */
export async function regenerateRecoveryCodes(ctx: Ctx): Promise<{ recovery_codes: string[] }> {
  await requireRecentSecondFactor(ctx);
  const userId = userIdOf(ctx);
  if (!(await hasSecondFactor(ctx.tx, ctx.tenantId, userId)))
    throw new AppError(
      'business-rule-violation',
      'Recovery codes come with a second factor: enrol TOTP or a security key first.',
    );
  const dropped = rows<{ id: string }>(
    await ctx.tx.execute(sql`delete from mfa_recovery_codes where tenant_id = ${ctx.tenantId} and user_id = ${userId}
                          returning id`),
  );
  const codes = await writeRecoveryCodes(ctx, userId);
  await audit(ctx, {
    action: 'identity.mfa.recovery_code.regenerate',
    resource: { type: 'user', id: userId },
    metadata: { replaced: dropped.length, issued: codes.length },
  });
  return { recovery_codes: codes };
}

/** Spends one recovery code (single use, audited with how many remain). */
export async function useRecoveryCode(ctx: Ctx, userId: string, code: string): Promise<boolean> {
  const used = rows<{ id: string }>(
    await ctx.tx.execute(sql`
      update mfa_recovery_codes set used_at = ${identityClock.now().toISOString()}
       where tenant_id = ${ctx.tenantId} and user_id = ${userId} and code_hash = ${hashRecoveryCode(code)}
         and used_at is null
   returning id`),
  );
  if (!used[0]) return false;
  const { recovery_codes_remaining } = await factorSummary(ctx.tx, ctx.tenantId, userId);
  await audit(ctx, {
    action: 'identity.mfa.recovery_code.use',
    resource: { type: 'mfa_recovery_code', id: used[0].id },
    metadata: { user_id: userId, remaining: recovery_codes_remaining },
  });
  return true;
}

// ─── Sessions and the second factor ─────────────────────────────────────────────────────────────

/** Records that the session's user verified a second factor now (login with MFA, step-up). */
export async function markSecondFactorVerified(ctx: Ctx, sessionId: string): Promise<Date> {
  const now = identityClock.now();
  await ctx.tx.execute(sql`update sessions set mfa_verified_at = ${now.toISOString()}
                            where tenant_id = ${ctx.tenantId} and id = ${sessionId}`);
  return now;
}

/** A random pending-login secret format check (the same shape as a session secret). */
export function looksLikePendingToken(v: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(v);
}

export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}
