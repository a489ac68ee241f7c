import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { sql } from 'drizzle-orm';
import { audit } from '../audit/record.ts';
import type { Ctx } from '../context.ts';
import { type Database, rows } from '../db/database.ts';
import { inTenantTransaction } from '../db/scope.ts';
import { AppError, fieldError, notFound } from '../http/problems.ts';
import { newId } from '../ids.ts';
import { parseTextArray } from './authenticate.ts';
import { identityClock } from './clock.ts';
import { dropRecoveryCodesWithoutFactor, issueRecoveryCodesIfFirst } from './mfa.ts';
import { requireRecentSecondFactor } from './step-up.ts';

/**
 * WebAuthn (passkeys, security keys) with @simplewebauthn/server: registration as a second factor,
 * assertion as a second factor (login, step-up) or alone (passwordless passkey login, which requires
 * user verification on the authenticator: possession + PIN/biometrics).
 *
 * Challenges are stored server-side (webauthn_challenges): 32 random bytes, one purpose, bound to the
 * user (except passkey login), valid 5 minutes, and consumed *before* the response is verified, in a
 * transaction of its own — a failed verification burns the challenge too, so nothing is ever tried
 * twice against one challenge.
 */

export const CHALLENGE_TTL_S = 300;
export type ChallengePurpose = 'registration' | 'second_factor' | 'step_up' | 'passkey';

export interface RelyingParty {
  id: string;
  name: string;
  origins: string[];
}

export interface CredentialView {
  id: string;
  name: string;
  device_type: string;
  backed_up: boolean;
  transports: string[];
  created_at: string;
  last_used_at: string | null;
}

async function storeChallenge(
  ctx: Ctx,
  challenge: string,
  purpose: ChallengePurpose,
  userId: string | null,
): Promise<void> {
  const now = identityClock.now();
  // Expired challenges of this tenant go as new ones come (the table stays small without a job).
  await ctx.tx.execute(sql`delete from webauthn_challenges
                            where tenant_id = ${ctx.tenantId} and expires_at < ${new Date(now.getTime() - 3_600_000).toISOString()}`);
  await ctx.tx.execute(sql`
    insert into webauthn_challenges (tenant_id, id, challenge, purpose, user_id, expires_at, created_at)
    values (${ctx.tenantId}, ${newId('wch')}, ${challenge}, ${purpose}, ${userId},
            ${new Date(now.getTime() + CHALLENGE_TTL_S * 1000).toISOString()}, ${now.toISOString()})`);
}

/** The challenge a response claims to answer (from its clientDataJSON), or null if unreadable. */
export function challengeOf(response: { response?: { clientDataJSON?: unknown } }): string | null {
  try {
    const raw = response.response?.clientDataJSON;
    if (typeof raw !== 'string') return null;
    const data = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof data.challenge === 'string' && /^[A-Za-z0-9_-]{16,200}$/.test(data.challenge)
      ? data.challenge
      : null;
  } catch {
    return null;
  }
}

/**
 * Spends the challenge a response answers, in its own committed transaction: true when it existed for
 * this tenant, purpose and user, was unused and unexpired. Replaying a response finds it used.
 */
export async function consumeChallenge(
  db: Database,
  tenantId: string,
  challenge: string | null,
  purpose: ChallengePurpose,
  userId: string | null,
): Promise<boolean> {
  if (!challenge) return false;
  const now = identityClock.now().toISOString();
  return inTenantTransaction(db, tenantId, async (tx) => {
    const used = rows<{ id: string }>(
      await tx.execute(sql`
        update webauthn_challenges set used_at = ${now}
         where tenant_id = ${tenantId} and challenge = ${challenge} and purpose = ${purpose}
           and used_at is null and expires_at > ${now}
           and ${userId === null ? sql`user_id is null` : sql`user_id = ${userId}`}
     returning id`),
    );
    return used.length === 1;
  });
}

// ─── Registration ───────────────────────────────────────────────────────────────────────────────

export async function registrationOptions(ctx: Ctx, rp: RelyingParty, userId: string) {
  const [user] = rows<{ email: string; display_name: string }>(
    await ctx.tx.execute(
      sql`select email, display_name from users where tenant_id = ${ctx.tenantId} and id = ${userId}`,
    ),
  );
  if (!user) throw notFound(`User ${userId}`);
  const existing = rows<{ credential_id: string; transports: string[] | string }>(
    await ctx.tx.execute(sql`select credential_id, transports from webauthn_credentials
                              where tenant_id = ${ctx.tenantId} and user_id = ${userId}`),
  );
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.email,
    userDisplayName: user.display_name,
    userID: new TextEncoder().encode(userId),
    timeout: CHALLENGE_TTL_S * 1000,
    attestationType: 'none',
    excludeCredentials: existing.map((c) => ({
      id: c.credential_id,
      transports: parseTextArray(c.transports),
    })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
  await storeChallenge(ctx, options.challenge, 'registration', userId);
  await audit(ctx, {
    action: 'identity.mfa.webauthn.challenge',
    resource: { type: 'user', id: userId },
    metadata: { purpose: 'registration' },
  });
  return options;
}

/**
 * Verifies a registration response (its challenge already consumed by the caller) and stores the
 * credential. The first factor of a user also brings recovery codes (returned once).
 */
export async function registerCredential(
  ctx: Ctx,
  rp: RelyingParty,
  userId: string,
  input: { name: string; response: RegistrationResponseJSON },
  challenge: string,
): Promise<{ credential: CredentialView; recovery_codes: string[] | null }> {
  let info: Awaited<ReturnType<typeof verifyRegistrationResponse>>['registrationInfo'];
  try {
    const verified = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      requireUserVerification: false,
    });
    info = verified.verified ? verified.registrationInfo : undefined;
  } catch (err) {
    throw fieldError('/response', `response is not a valid registration: ${(err as Error).message}`);
  }
  if (!info) throw fieldError('/response', 'response is not a valid registration');
  const id = newId('wac');
  const c = info.credential;
  const inserted = rows<{ id: string; created_at: string | Date }>(
    await ctx.tx.execute(sql`
      insert into webauthn_credentials (tenant_id, id, user_id, credential_id, public_key, sign_count, transports,
                                        device_type, backed_up, name, created_at)
      values (${ctx.tenantId}, ${id}, ${userId}, ${c.id}, ${Buffer.from(c.publicKey).toString('base64url')},
              ${c.counter}, ${`{${(c.transports ?? []).map((t) => `"${t}"`).join(',')}}`}::text[],
              ${info.credentialDeviceType}, ${info.credentialBackedUp}, ${input.name},
              ${identityClock.now().toISOString()})
      on conflict (tenant_id, credential_id) do nothing
      returning id, created_at`),
  );
  if (!inserted[0]) throw fieldError('/response', 'response names a credential already registered');
  const recovery = await issueRecoveryCodesIfFirst(ctx, userId);
  await audit(ctx, {
    action: 'identity.mfa.webauthn.register',
    resource: { type: 'webauthn_credential', id },
    metadata: {
      user_id: userId,
      device_type: info.credentialDeviceType,
      backed_up: info.credentialBackedUp,
      recovery_codes_issued: recovery ? recovery.length : 0,
    },
  });
  return {
    credential: {
      id,
      name: input.name,
      device_type: info.credentialDeviceType,
      backed_up: info.credentialBackedUp,
      transports: c.transports ?? [],
      created_at: new Date(inserted[0].created_at).toISOString(),
      last_used_at: null,
    },
    recovery_codes: recovery,
  };
}

// ─── Authentication ─────────────────────────────────────────────────────────────────────────────

/** Options for an assertion: the user's credentials as a second factor, any passkey (userId null). */
export async function authenticationOptions(
  ctx: Ctx,
  rp: RelyingParty,
  userId: string | null,
  purpose: Exclude<ChallengePurpose, 'registration'>,
) {
  const creds = userId
    ? rows<{ credential_id: string; transports: string[] | string }>(
        await ctx.tx.execute(sql`select credential_id, transports from webauthn_credentials
                                  where tenant_id = ${ctx.tenantId} and user_id = ${userId}`),
      )
    : [];
  if (userId && !creds.length)
    throw new AppError('business-rule-violation', 'No security key or passkey is registered for this user.');
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    timeout: CHALLENGE_TTL_S * 1000,
    userVerification: purpose === 'passkey' ? 'required' : 'preferred',
    ...(userId
      ? {
          allowCredentials: creds.map((c) => ({
            id: c.credential_id,
            transports: parseTextArray(c.transports),
          })),
        }
      : {}),
  });
  await storeChallenge(ctx, options.challenge, purpose, userId);
  await audit(ctx, {
    action: 'identity.mfa.webauthn.challenge',
    resource: { type: 'user', id: userId },
    metadata: { purpose },
  });
  return options;
}

/**
 * Verifies an assertion (challenge already consumed) against a credential of this tenant — of `userId`
 * when given. Returns the user it authenticates, or null: unknown credential (another tenant's
 * included), bad signature, wrong origin or RP ID, or a signature counter that did not move forward
 * (a cloned authenticator). The new counter is stored.
 */
export async function verifyAssertion(
  ctx: Ctx,
  rp: RelyingParty,
  response: AuthenticationResponseJSON,
  challenge: string,
  userId: string | null,
  requireUserVerification: boolean,
): Promise<{ userId: string; credentialId: string } | { userId: null; reason: string }> {
  const [cred] = rows<{
    id: string;
    user_id: string;
    credential_id: string;
    public_key: string;
    sign_count: number | string;
    transports: string[] | string;
  }>(
    await ctx.tx.execute(sql`
      select id, user_id, credential_id, public_key, sign_count, transports from webauthn_credentials
       where tenant_id = ${ctx.tenantId} and credential_id = ${String(response.id ?? '')}
         ${userId ? sql`and user_id = ${userId}` : sql``}`),
  );
  if (!cred) return { userId: null, reason: 'unknown_credential' };
  let newCounter: number;
  try {
    const v = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      credential: {
        id: cred.credential_id,
        publicKey: new Uint8Array(Buffer.from(cred.public_key, 'base64url')),
        counter: Number(cred.sign_count),
        transports: parseTextArray(cred.transports) as never,
      },
      requireUserVerification,
    });
    if (!v.verified) return { userId: null, reason: 'signature_invalid' };
    newCounter = v.authenticationInfo.newCounter;
  } catch (err) {
    return { userId: null, reason: `webauthn: ${(err as Error).message}`.slice(0, 300) };
  }
  await ctx.tx.execute(sql`update webauthn_credentials
                              set sign_count = ${newCounter}, last_used_at = ${identityClock.now().toISOString()}
                            where tenant_id = ${ctx.tenantId} and id = ${cred.id}`);
  return { userId: cred.user_id, credentialId: cred.id };
}

// ─── Management ─────────────────────────────────────────────────────────────────────────────────

export async function listCredentials(ctx: Ctx, userId: string): Promise<CredentialView[]> {
  const list = rows<{
    id: string;
    name: string;
    device_type: string;
    backed_up: boolean;
    transports: string[] | string;
    created_at: string | Date;
    last_used_at: string | Date | null;
  }>(
    await ctx.tx.execute(sql`select id, name, device_type, backed_up, transports, created_at, last_used_at
                               from webauthn_credentials where tenant_id = ${ctx.tenantId} and user_id = ${userId}
                              order by id`),
  );
  return list.map((c) => ({
    id: c.id,
    name: c.name,
    device_type: c.device_type,
    backed_up: c.backed_up,
    transports: parseTextArray(c.transports),
    created_at: new Date(c.created_at).toISOString(),
    last_used_at: c.last_used_at ? new Date(c.last_used_at).toISOString() : null,
  }));
}

/** Removes one of the caller's credentials (a recent second factor is required). */
export async function removeCredential(ctx: Ctx, credentialId: string): Promise<void> {
  await requireRecentSecondFactor(ctx);
  const userId = ctx.actor.userId;
  const removed = userId
    ? rows<{ id: string }>(
        await ctx.tx.execute(sql`delete from webauthn_credentials
                                  where tenant_id = ${ctx.tenantId} and id = ${credentialId} and user_id = ${userId}
                              returning id`),
      )
    : [];
  if (!removed.length || !userId) throw notFound(`WebAuthn credential ${credentialId}`);
  await dropRecoveryCodesWithoutFactor(ctx, userId);
  await audit(ctx, {
    action: 'identity.mfa.webauthn.remove',
    resource: { type: 'webauthn_credential', id: credentialId },
  });
}
