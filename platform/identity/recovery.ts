import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { audit, changesOf } from '../audit/record.ts';
import type { Ctx } from '../context.ts';
import { rows } from '../db/database.ts';
import { AppError, conflict, fieldError, notFound } from '../http/problems.ts';
import { newId } from '../ids.ts';
import { enqueueMail } from '../mail/outbox.ts';
import { identityClock } from './clock.ts';
import { checkPassword } from './password-policy.ts';
import type { PublicTenant } from './public-tenant.ts';
import { revokeSessionsWhere } from './sessions.ts';
import { readSecuritySettings } from './settings.ts';
import { hashSecret } from './tokens.ts';
import { hashPassword, normalizeEmail } from './users.ts';

/**
 * Invitations, e-mail verification and password reset: single-use, expiring tokens delivered by
 * mail. Only a SHA-256 of each token is stored; using one marks it used in the same statement that
 * checks it, so a replay (or two concurrent uses) finds it spent.
 */
export type TokenPurpose = 'invitation' | 'email_verification' | 'password_reset';

export const TOKEN_TTL_S: Record<TokenPurpose, number> = {
  invitation: 7 * 86_400,
  email_verification: 2 * 86_400,
  password_reset: 3_600,
};

/** Where links in mails point (the web app's pages; the token travels in the query string). */
export interface Links {
  baseUrl: string;
  tenant: PublicTenant;
}

function link(l: Links, page: string, token: string): string {
  return `${l.baseUrl}/${page}?tenant=${encodeURIComponent(l.tenant.slug)}&token=${token}`;
}

async function issueToken(
  ctx: Ctx,
  userId: string,
  purpose: TokenPurpose,
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(identityClock.now().getTime() + TOKEN_TTL_S[purpose] * 1000);
  // A new token of a purpose replaces the user's earlier ones.
  await ctx.tx.execute(sql`update identity_tokens set used_at = ${identityClock.now().toISOString()}
                            where tenant_id = ${ctx.tenantId} and user_id = ${userId} and purpose = ${purpose} and used_at is null`);
  await ctx.tx.execute(sql`
    insert into identity_tokens (tenant_id, id, user_id, purpose, token_hash, expires_at, created_by)
    values (${ctx.tenantId}, ${newId('itk')}, ${userId}, ${purpose}, ${hashSecret(token)}, ${expiresAt.toISOString()}, ${ctx.actor.id})`);
  return { token, expiresAt };
}

interface TokenUser {
  token_id: string;
  user_id: string;
  email: string;
  status: string;
}

/** The user a still-valid token is for, without spending it (null: unknown, used or expired). */
async function peekToken(ctx: Ctx, token: string, purpose: TokenPurpose): Promise<TokenUser | null> {
  const [row] = rows<TokenUser>(
    await ctx.tx.execute(sql`
      select t.id as token_id, t.user_id, u.email, u.status
        from identity_tokens t join users u on u.tenant_id = t.tenant_id and u.id = t.user_id
       where t.tenant_id = ${ctx.tenantId} and t.token_hash = ${hashSecret(token)} and t.purpose = ${purpose}
         and t.used_at is null and t.expires_at > ${identityClock.now().toISOString()}`),
  );
  return row ?? null;
}

/** Spends a token: true once, false for every later (or concurrent) use. */
async function spendToken(ctx: Ctx, tokenId: string): Promise<boolean> {
  return (
    rows(
      await ctx.tx.execute(sql`update identity_tokens set used_at = ${identityClock.now().toISOString()}
                                where tenant_id = ${ctx.tenantId} and id = ${tokenId} and used_at is null
                            returning id`),
    ).length === 1
  );
}

/** The refusal for a token that is unknown, used or expired (one answer for all three). */
export const INVALID_TOKEN = 'is not valid: it may have expired or been used already';

async function assertPasswordAcceptable(
  ctx: Ctx,
  password: string,
  email: string,
  tenant: PublicTenant,
  pointer: string,
) {
  const settings = await readSecuritySettings(ctx.tx, ctx.tenantId);
  const problem = checkPassword(password, {
    minLength: settings.password_min_length,
    email,
    tenantName: tenant.name,
    tenantSlug: tenant.slug,
  });
  if (problem) throw fieldError(pointer, problem);
}

export interface InvitationInput {
  email: string;
  kind: 'staff' | 'buyer';
  display_name?: string;
  account_id?: string;
}

export interface InvitationView {
  user_id: string;
  email: string;
  kind: 'staff' | 'buyer';
  account_id: string | null;
  expires_at: string;
}

/** An administrator invites a staff user, or a buyer of a customer account, by e-mail. */
export async function createInvitation(
  ctx: Ctx,
  input: InvitationInput,
  links: Links,
): Promise<InvitationView & { token: string }> {
  if (input.kind === 'buyer' && !input.account_id)
    throw fieldError('/account_id', 'is required to invite a buyer (the customer account they buy for)');
  if (input.kind === 'staff' && input.account_id)
    throw fieldError(
      '/account_id',
      'must be absent for staff users (only buyers belong to a customer account)',
    );
  if (input.account_id) {
    const [account] = rows(
      await ctx.tx.execute(
        sql`select 1 from accounts where tenant_id = ${ctx.tenantId} and id = ${input.account_id}`,
      ),
    );
    if (!account) throw fieldError('/account_id', 'is not a customer account of this tenant');
  }
  const id = newId('usr');
  const email = input.email.trim();
  const displayName = input.display_name?.trim() || email.split('@')[0]!;
  const inserted = rows<{ id: string }>(
    await ctx.tx.execute(sql`
      insert into users (tenant_id, id, email, email_normalized, display_name, kind, account_id)
      values (${ctx.tenantId}, ${id}, ${email}, ${normalizeEmail(email)}, ${displayName}, ${input.kind}, ${input.account_id ?? null})
      on conflict (tenant_id, email_normalized) do nothing
      returning id`),
  );
  if (!inserted[0]) throw conflict('A user with this e-mail already exists in this tenant.');
  const { token, expiresAt } = await issueToken(ctx, id, 'invitation');
  await audit(ctx, {
    action: 'identity.invitation.create',
    resource: { type: 'user', id },
    changes: changesOf(null, {
      email,
      display_name: displayName,
      kind: input.kind,
      account_id: input.account_id ?? null,
    }),
    metadata: { expires_at: expiresAt.toISOString() },
  });
  await enqueueMail(ctx, {
    template: 'identity.invitation',
    to: email,
    subject: `You are invited to ${links.tenant.name}`,
    text: [
      `Hello,`,
      ``,
      `${ctx.actor.displayName} invites you to ${links.tenant.name}.`,
      `Choose your password here (the link works once, until ${expiresAt.toISOString()} UTC):`,
      link(links, 'invitations/accept', token),
      ``,
      `Invitation code: ${token}`,
    ].join('\n'),
  });
  return {
    user_id: id,
    email,
    kind: input.kind,
    account_id: input.account_id ?? null,
    expires_at: expiresAt.toISOString(),
    token,
  };
}

/** The invited person sets a password and a name; the address is thereby verified. */
export async function acceptInvitation(
  ctx: Ctx,
  input: { token: string; password: string; display_name: string },
  tenant: PublicTenant,
): Promise<{ user_id: string }> {
  const found = await peekToken(ctx, input.token, 'invitation');
  if (found?.status !== 'active') throw fieldError('/token', INVALID_TOKEN);
  await assertPasswordAcceptable(ctx, input.password, found.email, tenant, '/password');
  if (!(await spendToken(ctx, found.token_id))) throw fieldError('/token', INVALID_TOKEN);
  const now = identityClock.now().toISOString();
  await ctx.tx.execute(sql`
    update users set password_hash = ${await hashPassword(input.password)}, display_name = ${input.display_name.trim()},
                     email_verified_at = coalesce(email_verified_at, ${now}), password_changed_at = ${now}, updated_at = now()
     where tenant_id = ${ctx.tenantId} and id = ${found.user_id}`);
  await audit(
    {
      ...ctx,
      actor: {
        ...ctx.actor,
        type: 'user',
        id: found.user_id,
        userId: found.user_id,
        displayName: input.display_name,
      },
    },
    {
      action: 'identity.invitation.accept',
      resource: { type: 'user', id: found.user_id },
      changes: changesOf({ password: null }, { password: 'set', display_name: input.display_name }),
    },
  );
  return { user_id: found.user_id };
}

/**
 * Sends a reset link if an active user has this e-mail. The caller answers the same either way;
 * only the tenant's own audit trail tells the two apart.
 */
export async function requestPasswordReset(ctx: Ctx, emailInput: string, links: Links): Promise<void> {
  const [user] = rows<{ id: string; email: string }>(
    await ctx.tx.execute(sql`select id, email from users
                              where tenant_id = ${ctx.tenantId} and email_normalized = ${normalizeEmail(emailInput)}
                                and status = 'active'`),
  );
  if (!user) {
    await audit(ctx, {
      action: 'identity.password_reset.request',
      resource: { type: 'user', id: null },
      outcome: 'failure',
      reason: 'no active user with this e-mail',
    });
    return;
  }
  const { token, expiresAt } = await issueToken(ctx, user.id, 'password_reset');
  await audit(ctx, {
    action: 'identity.password_reset.request',
    resource: { type: 'user', id: user.id },
    metadata: { expires_at: expiresAt.toISOString() },
  });
  await enqueueMail(ctx, {
    template: 'identity.password_reset',
    to: user.email,
    subject: `${links.tenant.name}: reset your password`,
    text: [
      `Hello,`,
      ``,
      `Someone (hopefully you) asked to reset the password of your ${links.tenant.name} account.`,
      `Choose a new password here (the link works once, until ${expiresAt.toISOString()} UTC):`,
      link(links, 'password-reset', token),
      ``,
      `Reset code: ${token}`,
      ``,
      `If you did not ask for this, ignore this mail: your password stays as it is.`,
    ].join('\n'),
  });
}

/** Sets a new password with a reset token; unlocks the account and ends every session of the user. */
export async function confirmPasswordReset(
  ctx: Ctx,
  input: { token: string; new_password: string },
  tenant: PublicTenant,
): Promise<{ user_id: string; sessions_revoked: number }> {
  const found = await peekToken(ctx, input.token, 'password_reset');
  if (found?.status !== 'active') throw fieldError('/token', INVALID_TOKEN);
  await assertPasswordAcceptable(ctx, input.new_password, found.email, tenant, '/new_password');
  if (!(await spendToken(ctx, found.token_id))) throw fieldError('/token', INVALID_TOKEN);
  const now = identityClock.now().toISOString();
  await ctx.tx.execute(sql`
    update users set password_hash = ${await hashPassword(input.new_password)}, password_changed_at = ${now},
                     failed_login_count = 0, locked_until = null, email_verified_at = coalesce(email_verified_at, ${now}),
                     updated_at = now()
     where tenant_id = ${ctx.tenantId} and id = ${found.user_id}`);
  const revoked = await revokeSessionsWhere(
    ctx.tx,
    ctx.tenantId,
    { userId: found.user_id },
    'password_reset',
  );
  await audit(
    { ...ctx, actor: { ...ctx.actor, type: 'user', id: found.user_id, userId: found.user_id } },
    {
      action: 'identity.password_reset.confirm',
      resource: { type: 'user', id: found.user_id },
      changes: changesOf({ password: 'old' }, { password: 'new' }),
      metadata: { sessions_revoked: revoked.length, unlocked: true },
    },
  );
  return { user_id: found.user_id, sessions_revoked: revoked.length };
}

/** Sends the signed-in user a link proving they read their address. */
export async function requestEmailVerification(
  ctx: Ctx,
  links: Links,
): Promise<{ already_verified: boolean }> {
  const userId = ctx.actor.userId;
  if (!userId) throw new AppError('business-rule-violation', 'Only a user has an e-mail address to verify.');
  const [user] = rows<{ email: string; email_verified_at: string | null }>(
    await ctx.tx.execute(
      sql`select email, email_verified_at from users where tenant_id = ${ctx.tenantId} and id = ${userId}`,
    ),
  );
  if (!user) throw notFound(`User ${userId}`);
  if (user.email_verified_at) {
    await audit(ctx, {
      action: 'identity.email_verification.request',
      resource: { type: 'user', id: userId },
      metadata: { already_verified: true },
    });
    return { already_verified: true };
  }
  const { token, expiresAt } = await issueToken(ctx, userId, 'email_verification');
  await audit(ctx, { action: 'identity.email_verification.request', resource: { type: 'user', id: userId } });
  await enqueueMail(ctx, {
    template: 'identity.email_verification',
    to: user.email,
    subject: `${links.tenant.name}: confirm your e-mail address`,
    text: [
      `Hello,`,
      ``,
      `Confirm your address here (until ${expiresAt.toISOString()} UTC):`,
      link(links, 'email-verification', token),
      ``,
      `Verification code: ${token}`,
    ].join('\n'),
  });
  return { already_verified: false };
}

export async function confirmEmailVerification(ctx: Ctx, token: string): Promise<{ user_id: string }> {
  const found = await peekToken(ctx, token, 'email_verification');
  if (found?.status !== 'active' || !(await spendToken(ctx, found.token_id)))
    throw fieldError('/token', INVALID_TOKEN);
  await ctx.tx.execute(sql`update users set email_verified_at = ${identityClock.now().toISOString()}, updated_at = now()
                            where tenant_id = ${ctx.tenantId} and id = ${found.user_id}`);
  await audit(
    { ...ctx, actor: { ...ctx.actor, type: 'user', id: found.user_id, userId: found.user_id } },
    { action: 'identity.email_verification.confirm', resource: { type: 'user', id: found.user_id } },
  );
  return { user_id: found.user_id };
}
