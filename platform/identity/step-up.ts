import { sql } from 'drizzle-orm';
import type { Ctx } from '../context.ts';
import { rows } from '../db/database.ts';
import { AppError } from '../http/problems.ts';
import { identityClock } from './clock.ts';
import { DEFAULT_SECURITY_SETTINGS } from './settings.ts';

/**
 * The hook in front of sensitive actions (token creation, OAuth client creation, key operations,
 * exports, MFA removal, recovery-code regeneration, security-settings changes): they need a recent
 * second factor (tenant_security_settings.step_up_max_age_s).
 *
 *  * token-authenticated callers (`api_token`, `service_account`) and the platform's own `system`
 *    actor pass: a bearer token has no interactive second factor; it was itself created behind this
 *    check, and its scopes bound what it can do;
 *  * `user` actors (cookie sessions) must have verified a second factor within step_up_max_age_s
 *    (sessions.mfa_verified_at: set by a login with MFA and by POST /api/v1/auth/step-up); otherwise
 *    403 `step-up-required` (recorded as denied by the HTTP layer).
 */
export async function requireRecentSecondFactor(ctx: Ctx): Promise<void> {
  switch (ctx.actor.type) {
    case 'api_token':
    case 'service_account':
    case 'system':
      return;
    default: {
      const sessionId = ctx.actor.sessionId;
      const [row] = sessionId
        ? rows<{ mfa_verified_at: string | Date | null; max_age: number | null }>(
            await ctx.tx.execute(sql`
              select s.mfa_verified_at, ts.step_up_max_age_s as max_age
                from sessions s
                left join tenant_security_settings ts on ts.tenant_id = s.tenant_id
               where s.tenant_id = ${ctx.tenantId} and s.id = ${sessionId} and s.revoked_at is null`),
          )
        : [];
      const maxAgeMs = Number(row?.max_age ?? DEFAULT_SECURITY_SETTINGS.step_up_max_age_s) * 1000;
      const at = row?.mfa_verified_at ? new Date(row.mfa_verified_at).getTime() : null;
      if (at !== null && identityClock.now().getTime() - at <= maxAgeMs) return;
      throw new AppError(
        'step-up-required',
        at === null
          ? 'This action needs a second factor verified in this session: POST /api/v1/auth/step-up (enrol TOTP or a security key first if you have none).'
          : `The second factor of this session is older than ${maxAgeMs / 1000} s: verify it again with POST /api/v1/auth/step-up.`,
      );
    }
  }
}
