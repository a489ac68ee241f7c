import { sql } from 'drizzle-orm';
import { audit } from '../audit/record.ts';
import type { Ctx } from '../context.ts';
import { rows, type Tx } from '../db/database.ts';
import { AppError, type FieldError } from '../http/problems.ts';
import { requireRecentSecondFactor } from './step-up.ts';

/** A tenant's security policy (table tenant_security_settings, migration 0005). */
export interface SecuritySettings {
  session_idle_timeout_s: number;
  session_absolute_timeout_s: number;
  mfa_policy: 'optional' | 'required_for_admins' | 'required';
  step_up_max_age_s: number;
  token_default_ttl_days: number;
  token_max_ttl_days: number;
  password_min_length: number;
  lockout_threshold: number;
  lockout_duration_s: number;
  updated_at: string | null;
}

/** The defaults of migration 0005, used while a tenant has no row. */
export const DEFAULT_SECURITY_SETTINGS: Omit<SecuritySettings, 'updated_at'> = {
  session_idle_timeout_s: 1800,
  session_absolute_timeout_s: 43200,
  mfa_policy: 'optional',
  step_up_max_age_s: 900,
  token_default_ttl_days: 90,
  token_max_ttl_days: 365,
  password_min_length: 12,
  lockout_threshold: 10,
  lockout_duration_s: 900,
};

/** Allowed ranges (the same as the table's checks), for the API schema and its 400s. */
export const SETTINGS_RANGES = {
  session_idle_timeout_s: [300, 86400],
  session_absolute_timeout_s: [900, 2592000],
  step_up_max_age_s: [60, 86400],
  token_default_ttl_days: [1, 3650],
  token_max_ttl_days: [1, 3650],
  password_min_length: [8, 128],
  lockout_threshold: [3, 100],
  lockout_duration_s: [60, 86400],
} as const;

const FIELDS = Object.keys(DEFAULT_SECURITY_SETTINGS) as (keyof typeof DEFAULT_SECURITY_SETTINGS)[];

function toSettings(row: Record<string, unknown> | undefined): SecuritySettings {
  if (!row) return { ...DEFAULT_SECURITY_SETTINGS, updated_at: null };
  const out = { ...DEFAULT_SECURITY_SETTINGS } as Record<string, unknown>;
  for (const f of FIELDS) out[f] = f === 'mfa_policy' ? row[f] : Number(row[f]);
  return {
    ...(out as typeof DEFAULT_SECURITY_SETTINGS),
    updated_at: new Date(row.updated_at as string).toISOString(),
  };
}

/** The settings seen from inside a tenant transaction (defaults when the tenant has no row yet). */
export async function readSecuritySettings(tx: Tx, tenantId: string): Promise<SecuritySettings> {
  const [row] = rows<Record<string, unknown>>(
    await tx.execute(sql`select * from tenant_security_settings where tenant_id = ${tenantId}`),
  );
  return toSettings(row);
}

export function getSecuritySettings(ctx: Ctx): Promise<SecuritySettings> {
  return readSecuritySettings(ctx.tx, ctx.tenantId);
}

export type SettingsPatch = Partial<Omit<SecuritySettings, 'updated_at'>>;

/** Changes some settings (the row is created on demand), checking the rules between fields. */
export async function updateSecuritySettings(ctx: Ctx, patch: SettingsPatch): Promise<SecuritySettings> {
  await requireRecentSecondFactor(ctx);
  const before = await getSecuritySettings(ctx);
  const next = { ...before, ...patch };
  const errors: FieldError[] = [];
  if (next.session_idle_timeout_s > next.session_absolute_timeout_s) {
    const field = 'session_idle_timeout_s' in patch ? 'session_idle_timeout_s' : 'session_absolute_timeout_s';
    errors.push({
      in: 'body',
      pointer: `/${field}`,
      detail: 'the idle timeout must not exceed the absolute timeout',
    });
  }
  if (next.token_default_ttl_days > next.token_max_ttl_days) {
    const field = 'token_default_ttl_days' in patch ? 'token_default_ttl_days' : 'token_max_ttl_days';
    errors.push({
      in: 'body',
      pointer: `/${field}`,
      detail: 'the default token lifetime must not exceed the maximum',
    });
  }
  if (errors.length)
    throw new AppError('validation-error', `${errors[0]!.pointer.slice(1)} ${errors[0]!.detail}`, errors);
  const v = (f: (typeof FIELDS)[number]) => next[f];
  const [row] = rows<Record<string, unknown>>(
    await ctx.tx.execute(sql`
      insert into tenant_security_settings (tenant_id, session_idle_timeout_s, session_absolute_timeout_s, mfa_policy,
        step_up_max_age_s, token_default_ttl_days, token_max_ttl_days, password_min_length, lockout_threshold,
        lockout_duration_s, updated_at)
      values (${ctx.tenantId}, ${v('session_idle_timeout_s')}, ${v('session_absolute_timeout_s')}, ${v('mfa_policy')},
        ${v('step_up_max_age_s')}, ${v('token_default_ttl_days')}, ${v('token_max_ttl_days')}, ${v('password_min_length')},
        ${v('lockout_threshold')}, ${v('lockout_duration_s')}, now())
      on conflict (tenant_id) do update set
        session_idle_timeout_s = excluded.session_idle_timeout_s,
        session_absolute_timeout_s = excluded.session_absolute_timeout_s,
        mfa_policy = excluded.mfa_policy,
        step_up_max_age_s = excluded.step_up_max_age_s,
        token_default_ttl_days = excluded.token_default_ttl_days,
        token_max_ttl_days = excluded.token_max_ttl_days,
        password_min_length = excluded.password_min_length,
        lockout_threshold = excluded.lockout_threshold,
        lockout_duration_s = excluded.lockout_duration_s,
        updated_at = now()
      returning *`),
  );
  const after = toSettings(row);
  // Policy values are neither secrets nor personal data: recorded as they are (changesOf would mask
  // the token_* fields by their name).
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  for (const f of FIELDS) if (before[f] !== after[f]) changes[f] = { before: before[f], after: after[f] };
  await audit(ctx, {
    action: 'identity.security_settings.update',
    resource: { type: 'security_settings', id: ctx.tenantId },
    changes: Object.keys(changes).length ? changes : null,
  });
  return after;
}
