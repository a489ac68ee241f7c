import { sql } from 'drizzle-orm';
import { audit, changesOf } from '../audit/record.ts';
import type { Actor, Ctx } from '../context.ts';
import { type Database, rows } from '../db/database.ts';
import { inSystemTransaction } from '../db/scope.ts';
import { AppError, conflict, type FieldError, notFound } from '../http/problems.ts';
import { type Catalogue, iso, textArray } from '../identity/api-tokens.ts';
import type { Principal } from '../identity/authenticate.ts';
import { parseTextArray } from '../identity/authenticate.ts';
import { identityClock } from '../identity/clock.ts';
import { missingPermissions } from '../identity/machine-permissions.ts';
import { requireRecentSecondFactor } from '../identity/step-up.ts';
import { newId } from '../ids.ts';
import { enqueueMail } from '../mail/outbox.ts';
import { catalogueNames, isAdministrativePermission } from './roles.ts';
import { alertRecipients } from './service.ts';

/**
 * Support access by platform operators. None by default: an operator's token reaches only the
 * platform API. An operator asks a tenant for access (reason, duration ≤ 72 h); a tenant admin
 * approves or rejects; once approved the operator sends `Comptoir-Support-Grant: sup_…` with their
 * operator token and acts in that tenant with every `*.read` permission, plus the write permissions
 * the request named and the approver granted. Expiry is checked at every authentication; the tenant
 * revokes at any time; every event the operator leaves names the request (`on_behalf_of`).
 */

export const SUPPORT_GRANT_HEADER = 'comptoir-support-grant';
export const MAX_SUPPORT_HOURS = 72;

type Status = 'pending' | 'approved' | 'rejected' | 'revoked';

interface Row {
  tenant_id: string;
  id: string;
  operator_token_id: string;
  operator_name: string;
  reason: string;
  duration_hours: number;
  permissions: string[] | string;
  status: Status;
  created_at: string | Date;
  decided_by: string | null;
  decided_at: string | Date | null;
  decision_reason: string | null;
  expires_at: string | Date | null;
  revoked_by: string | null;
  revoked_at: string | Date | null;
}

export interface SupportRequestView {
  id: string;
  tenant_id: string;
  operator: { id: string; name: string };
  reason: string;
  duration_hours: number;
  /** Write permissions asked for on top of every read (none: read-only). */
  permissions: string[];
  access: 'read_only' | 'read_write';
  /** `expired`: approved, and its time is over. */
  status: Status | 'expired';
  created_at: string;
  decided_by: string | null;
  decided_at: string | null;
  decision_reason: string | null;
  expires_at: string | null;
  revoked_by: string | null;
  revoked_at: string | null;
}

const COLUMNS = sql`tenant_id, id, operator_token_id, operator_name, reason, duration_hours, permissions, status,
                    created_at, decided_by, decided_at, decision_reason, expires_at, revoked_by, revoked_at`;

function isExpired(r: { status: Status; expires_at: string | Date | null }): boolean {
  return (
    r.status === 'approved' &&
    r.expires_at !== null &&
    new Date(r.expires_at).getTime() <= identityClock.now().getTime()
  );
}

const view = (r: Row): SupportRequestView => {
  const permissions = parseTextArray(r.permissions).sort();
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    operator: { id: r.operator_token_id, name: r.operator_name },
    reason: r.reason,
    duration_hours: Number(r.duration_hours),
    permissions,
    access: permissions.length ? 'read_write' : 'read_only',
    status: isExpired(r) ? 'expired' : r.status,
    created_at: iso(r.created_at)!,
    decided_by: r.decided_by,
    decided_at: iso(r.decided_at),
    decision_reason: r.decision_reason,
    expires_at: iso(r.expires_at),
    revoked_by: r.revoked_by,
    revoked_at: iso(r.revoked_at),
  };
};

/** The reads every grant carries: each `*.*.read` tenant permission of the catalogue. */
export function supportReadPermissions(): string[] {
  return catalogueNames().filter((n) => !n.startsWith('platform.') && n.endsWith('.read'));
}

/**
 * An operator asks a tenant for access. `ctx` is the tenant's transaction with the operator as actor
 * (the platform route opens it). The request is audited in the tenant's trail and the tenant's
 * security contacts (or owners) are told by mail.
 */
export async function requestSupportAccess(
  ctx: Ctx,
  input: { reason: string; duration_hours: number; permissions?: string[] },
  catalogue: Catalogue,
): Promise<SupportRequestView> {
  const permissions = [...new Set(input.permissions ?? [])].sort();
  const errors: FieldError[] = [];
  (input.permissions ?? []).forEach((p, i) => {
    const detail =
      !catalogue.has(p) || p.startsWith('platform.')
        ? 'is not a permission of the catalogue'
        : isAdministrativePermission(p)
          ? 'is an administrative permission: support access never grants one'
          : null;
    if (detail) errors.push({ in: 'body', pointer: `/permissions/${i}`, detail });
  });
  if (errors.length)
    throw new AppError('validation-error', `${errors[0]!.pointer.slice(1)} ${errors[0]!.detail}`, errors);
  const id = newId('sup');
  const [row] = rows<Row>(
    await ctx.tx.execute(sql`
      insert into support_requests (tenant_id, id, operator_token_id, operator_name, reason, duration_hours, permissions, created_at)
      values (${ctx.tenantId}, ${id}, ${ctx.actor.id}, ${ctx.actor.displayName}, ${input.reason},
              ${input.duration_hours}, ${textArray(permissions)}, ${identityClock.now().toISOString()})
      returning ${COLUMNS}`),
  );
  const v = view(row!);
  await audit(ctx, {
    action: 'access.support_request.create',
    resource: { type: 'support_request', id },
    reason: input.reason.slice(0, 500),
    changes: changesOf(null, {
      operator: v.operator.id,
      duration_hours: v.duration_hours,
      permissions: v.permissions,
      status: 'pending',
    }),
  });
  for (const to of await alertRecipients(ctx)) {
    await enqueueMail(ctx, {
      template: 'access.support_requested',
      to,
      subject: `Support access requested by ${ctx.actor.displayName}`,
      text: [
        'Hello,',
        '',
        `The platform operator ${ctx.actor.displayName} (${ctx.actor.id}) asks for ${v.access === 'read_only' ? 'read-only' : 'read and write'} access`,
        `to your tenant for ${v.duration_hours} hour(s), for this reason:`,
        '',
        input.reason,
        '',
        ...(v.permissions.length ? [`Write permissions asked for: ${v.permissions.join(', ')}.`, ''] : []),
        `Nothing is granted until an administrator approves request ${id} (Access control → support access).`,
      ].join('\n'),
    });
  }
  return v;
}

/** The tenant's support requests and grants, newest first; `operator` narrows to one operator. */
export async function listSupportRequests(ctx: Ctx, operatorId?: string): Promise<SupportRequestView[]> {
  return rows<Row>(
    await ctx.tx.execute(sql`select ${COLUMNS} from support_requests where tenant_id = ${ctx.tenantId}
                              ${operatorId ? sql`and operator_token_id = ${operatorId}` : sql``}
                              order by id desc`),
  ).map(view);
}

async function lockRequest(ctx: Ctx, id: string): Promise<Row> {
  const [row] = rows<Row>(
    await ctx.tx.execute(
      sql`select ${COLUMNS} from support_requests where tenant_id = ${ctx.tenantId} and id = ${id} for update`,
    ),
  );
  if (!row) throw notFound(`Support request ${id}`);
  return row;
}

export async function approveSupportRequest(
  ctx: Ctx,
  id: string,
  input: { comment?: string },
): Promise<SupportRequestView> {
  // Letting an outsider in is a sensitive action: a recent second factor for web sessions.
  await requireRecentSecondFactor(ctx);
  const before = await lockRequest(ctx, id);
  if (before.status !== 'pending') throw conflict(`This support request is already ${before.status}.`);
  const permissions = parseTextArray(before.permissions);
  // Nobody grants what they do not hold, operators included.
  const missing = missingPermissions(permissions, ctx.actor.permissions);
  if (missing.length)
    throw new AppError(
      'forbidden',
      `You cannot grant permissions you do not hold yourself: ${missing.sort().join(', ')}.`,
    );
  const now = identityClock.now();
  const expires = new Date(now.getTime() + Number(before.duration_hours) * 3_600_000);
  const [row] = rows<Row>(
    await ctx.tx.execute(sql`
      update support_requests set status = 'approved', decided_by = ${ctx.actor.id}, decided_at = ${now.toISOString()},
             decision_reason = ${input.comment ?? null}, expires_at = ${expires.toISOString()}
       where tenant_id = ${ctx.tenantId} and id = ${id}
   returning ${COLUMNS}`),
  );
  await audit(ctx, {
    action: 'access.support_request.approve',
    resource: { type: 'support_request', id },
    ...(input.comment ? { reason: input.comment.slice(0, 500) } : {}),
    changes: changesOf(
      { status: 'pending', expires_at: null },
      { status: 'approved', expires_at: expires.toISOString() },
    ),
    metadata: { operator: before.operator_token_id, permissions },
  });
  return view(row!);
}

export async function rejectSupportRequest(
  ctx: Ctx,
  id: string,
  input: { comment?: string },
): Promise<SupportRequestView> {
  const before = await lockRequest(ctx, id);
  if (before.status !== 'pending') throw conflict(`This support request is already ${before.status}.`);
  const [row] = rows<Row>(
    await ctx.tx.execute(sql`
      update support_requests set status = 'rejected', decided_by = ${ctx.actor.id},
             decided_at = ${identityClock.now().toISOString()}, decision_reason = ${input.comment ?? null}
       where tenant_id = ${ctx.tenantId} and id = ${id}
   returning ${COLUMNS}`),
  );
  await audit(ctx, {
    action: 'access.support_request.reject',
    resource: { type: 'support_request', id },
    ...(input.comment ? { reason: input.comment.slice(0, 500) } : {}),
    changes: changesOf({ status: 'pending' }, { status: 'rejected' }),
    metadata: { operator: before.operator_token_id },
  });
  return view(row!);
}

/** Ends a grant (or withdraws a pending request) at once: the operator's next request is refused. */
export async function revokeSupportRequest(ctx: Ctx, id: string): Promise<SupportRequestView> {
  const before = await lockRequest(ctx, id);
  const status = view(before).status;
  if (status !== 'approved' && status !== 'pending')
    throw conflict(`This support request is ${status}: there is nothing to revoke.`);
  const [row] = rows<Row>(
    await ctx.tx.execute(sql`
      update support_requests set status = 'revoked', revoked_by = ${ctx.actor.id},
             revoked_at = ${identityClock.now().toISOString()}
       where tenant_id = ${ctx.tenantId} and id = ${id}
   returning ${COLUMNS}`),
  );
  await audit(ctx, {
    action: 'access.support_request.revoke',
    resource: { type: 'support_request', id },
    changes: changesOf({ status }, { status: 'revoked' }),
    metadata: { operator: before.operator_token_id },
  });
  return view(row!);
}

/**
 * Authentication of an operator's request to a tenant route carrying `Comptoir-Support-Grant`.
 * Null when the grant does not exist, is not this operator's, or its tenant is not active (the
 * operator learns nothing about other grants). Otherwise a tenant principal whose actor is the
 * operator, acting on behalf of the request, with `inactive` set when the grant is not usable now
 * (pending, rejected, revoked, expired): the caller refuses it, and the refusal is audited in the
 * tenant's trail.
 */
export async function resolveSupportGrant(
  db: Database,
  operator: Actor,
  grantId: string,
): Promise<{ principal: Principal; inactive: string | null } | null> {
  if (!/^sup_[0-7][0-9a-hjkmnp-tv-z]{25}$/.test(grantId)) return null;
  const [row] = await inSystemTransaction(db, async (tx) =>
    rows<
      Pick<Row, 'tenant_id' | 'id' | 'operator_token_id' | 'reason' | 'permissions' | 'status' | 'expires_at'>
    >(
      await tx.execute(sql`
        select s.tenant_id, s.id, s.operator_token_id, s.reason, s.permissions, s.status, s.expires_at
          from support_requests s join tenants n on n.id = s.tenant_id
         where s.id = ${grantId} and n.status = 'active'`),
    ),
  );
  if (!row || row.operator_token_id !== operator.id) return null;
  const active = row.status === 'approved' && !isExpired(row);
  const inactive = active
    ? null
    : `The support grant ${row.id} is ${isExpired(row) ? 'expired' : row.status}: it gives no access.`;
  const permissions = active
    ? new Set([...supportReadPermissions(), ...parseTextArray(row.permissions)])
    : new Set<string>();
  return {
    inactive,
    principal: {
      kind: 'tenant',
      tenantId: row.tenant_id,
      actor: {
        type: 'operator',
        id: operator.id,
        userId: null,
        displayName: operator.displayName,
        permissions,
        onBehalfOf: {
          type: 'support_request',
          id: row.id,
          name: `support request ${row.id}`,
          reason: row.reason.slice(0, 200),
        },
      },
    },
  };
}
