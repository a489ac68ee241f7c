import { sql } from 'drizzle-orm';
import type { Ctx } from '../context.ts';
import type { SecretBox } from '../crypto/secrets.ts';
import { rows, type Tx } from '../db/database.ts';
import { AppError, type FieldError } from '../http/problems.ts';
import { endpointProblem } from '../storage/endpoint-policy.ts';
import type { AuditFormat } from './formats.ts';
import { audit, changesOf } from './record.ts';

/** The SecretBox purpose of the S3 target's secret access key. */
export const S3_SECRET_PURPOSE = 'audit.s3.secret_access_key';

/** A tenant's audit settings as the API shows them: never the secret, only whether one is set. */
export interface AuditSettings {
  retention_days: number;
  enabled: boolean;
  endpoint: string | null;
  region: string;
  bucket: string | null;
  prefix: string;
  access_key_id: string | null;
  secret_access_key_set: boolean;
  force_path_style: boolean;
  format: AuditFormat;
  interval_s: number;
  updated_at: string | null;
}

/** The settings as stored, with the sealed secret (for the delivery worker only). */
export interface StoredAuditSettings extends Omit<AuditSettings, 'secret_access_key_set'> {
  secret_access_key_sealed: string | null;
}

/** The defaults of migration 0004, while a tenant has no row. */
export const DEFAULT_AUDIT_SETTINGS: Omit<StoredAuditSettings, 'updated_at'> = {
  retention_days: 365,
  enabled: false,
  endpoint: null,
  region: 'us-east-1',
  bucket: null,
  prefix: '',
  access_key_id: null,
  secret_access_key_sealed: null,
  force_path_style: false,
  format: 'json',
  interval_s: 300,
};

/** Allowed ranges, the same as the table's checks (the API schema uses them too). */
export const RETENTION_DAYS = { minimum: 30, maximum: 3650 } as const;
export const INTERVAL_S = { minimum: 60, maximum: 86_400 } as const;

export async function readStoredSettings(tx: Tx, tenantId: string): Promise<StoredAuditSettings> {
  const [r] = rows<Record<string, unknown>>(
    await tx.execute(sql`select retention_days, enabled, endpoint, region, bucket, prefix, access_key_id,
                                secret_access_key_sealed, force_path_style, format, interval_s, updated_at
                           from audit_settings where tenant_id = ${tenantId}`),
  );
  if (!r) return { ...DEFAULT_AUDIT_SETTINGS, updated_at: null };
  return {
    retention_days: Number(r.retention_days),
    enabled: r.enabled === true,
    endpoint: (r.endpoint as string | null) ?? null,
    region: r.region as string,
    bucket: (r.bucket as string | null) ?? null,
    prefix: r.prefix as string,
    access_key_id: (r.access_key_id as string | null) ?? null,
    secret_access_key_sealed: (r.secret_access_key_sealed as string | null) ?? null,
    force_path_style: r.force_path_style === true,
    format: r.format as AuditFormat,
    interval_s: Number(r.interval_s),
    updated_at: new Date(r.updated_at as string).toISOString(),
  };
}

export function publicSettings(s: StoredAuditSettings): AuditSettings {
  const { secret_access_key_sealed, ...rest } = s;
  return { ...rest, secret_access_key_set: secret_access_key_sealed !== null };
}

export async function getAuditSettings(ctx: Ctx): Promise<AuditSettings> {
  return publicSettings(await readStoredSettings(ctx.tx, ctx.tenantId));
}

/** A change: fields left out keep their value; `secret_access_key: null` removes the secret. */
export interface AuditSettingsPatch {
  retention_days?: number;
  enabled?: boolean;
  endpoint?: string | null;
  region?: string;
  bucket?: string | null;
  prefix?: string;
  access_key_id?: string | null;
  secret_access_key?: string | null;
  force_path_style?: boolean;
  format?: AuditFormat;
  interval_s?: number;
}

/** `a/b/` → `a/b`; refuses `.`, `..` and empty segments (the prefix becomes part of object keys). */
function normalizePrefix(prefix: string): string | FieldError {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  if (p !== '' && p.split('/').some((s) => s === '' || s === '.' || s === '..'))
    return { in: 'body', pointer: '/prefix', detail: 'must not contain empty, "." or ".." segments' };
  return p;
}

export async function updateAuditSettings(
  ctx: Ctx,
  patch: AuditSettingsPatch,
  deps: { secrets: SecretBox; allowPrivateEndpoints: boolean },
): Promise<AuditSettings> {
  const before = await readStoredSettings(ctx.tx, ctx.tenantId);
  const { secret_access_key, ...plain } = patch;
  const next: StoredAuditSettings = { ...before, ...plain };
  const errors: FieldError[] = [];
  if (patch.prefix !== undefined) {
    const p = normalizePrefix(patch.prefix);
    if (typeof p === 'string') next.prefix = p;
    else errors.push(p);
  }
  if (patch.endpoint) {
    const problem = endpointProblem(patch.endpoint, deps.allowPrivateEndpoints);
    if (problem) errors.push({ in: 'body', pointer: '/endpoint', detail: problem });
    else next.endpoint = patch.endpoint.replace(/\/+$/, '');
  }
  if (secret_access_key !== undefined) {
    next.secret_access_key_sealed =
      secret_access_key === null
        ? null
        : await deps.secrets.seal(ctx.tenantId, S3_SECRET_PURPOSE, secret_access_key);
  }
  if (next.enabled) {
    // The push cannot be on without a complete target: name each missing field.
    for (const [field, value] of [
      ['bucket', next.bucket],
      ['access_key_id', next.access_key_id],
      ['secret_access_key', next.secret_access_key_sealed],
    ] as const) {
      if (value === null)
        errors.push({ in: 'body', pointer: `/${field}`, detail: 'is required while the S3 push is enabled' });
    }
  }
  if (errors.length)
    throw new AppError('validation-error', `${errors[0]!.pointer.slice(1)} ${errors[0]!.detail}`, errors);

  await ctx.tx.execute(sql`
    insert into audit_settings (tenant_id, retention_days, enabled, endpoint, region, bucket, prefix, access_key_id,
                                secret_access_key_sealed, force_path_style, format, interval_s, updated_at)
    values (${ctx.tenantId}, ${next.retention_days}, ${next.enabled}, ${next.endpoint}, ${next.region}, ${next.bucket},
            ${next.prefix}, ${next.access_key_id}, ${next.secret_access_key_sealed}, ${next.force_path_style},
            ${next.format}, ${next.interval_s}, now())
    on conflict (tenant_id) do update set
      retention_days = excluded.retention_days, enabled = excluded.enabled, endpoint = excluded.endpoint,
      region = excluded.region, bucket = excluded.bucket, prefix = excluded.prefix,
      access_key_id = excluded.access_key_id, secret_access_key_sealed = excluded.secret_access_key_sealed,
      force_path_style = excluded.force_path_style, format = excluded.format, interval_s = excluded.interval_s,
      updated_at = now()`);
  const after = await readStoredSettings(ctx.tx, ctx.tenantId);
  // The sealed values stand for the secret in the comparison: a new secret shows as a change, masked
  // by its field name ("[masked]"), never its value.
  const view = (s: StoredAuditSettings) => {
    const { secret_access_key_sealed, ...rest } = s;
    return { ...rest, secret_access_key: secret_access_key_sealed };
  };
  await audit(ctx, {
    action: 'audit.settings.update',
    resource: { type: 'audit_settings', id: ctx.tenantId },
    changes: changesOf(view(before), view(after)),
  });
  return publicSettings(after);
}
