import { sql } from 'drizzle-orm';
import type { Actor, Ctx } from '../context.ts';
import type { Database } from '../db/database.ts';
import { inTenantTransaction } from '../db/scope.ts';
import { newId } from '../ids.ts';
import type { Outcome } from './chain.ts';

export const AUDIT_SIGNAL = 'audit';

/** One entry of the trail, as a service or the HTTP layer describes it. */
export interface AuditEntry {
  /** Stable dotted name: `<module>.<resource>.<verb>`, e.g. `accounts.account.create`. */
  action: string;
  resource?: { type: string; id: string | null };
  outcome?: Outcome;
  reason?: string;
  /** Before/after of changed fields; pass through `changesOf` so secrets and personal data are masked. */
  changes?: Record<string, { before: unknown; after: unknown }> | null;
  metadata?: Record<string, unknown>;
  /** Someone acting for someone else: support access, a sales rep ordering for a customer. */
  onBehalfOf?: { type: string; id: string; name: string; reason?: string };
}

export const MASK = '[masked]';

/**
 * The resource an action names, when the HTTP layer records it without the service's help: the type
 * is the action's middle segment (`accounts.account.update` → `account`), the ID the route's last
 * `…_id` path parameter.
 */
export function resourceOf(action: string, params: unknown): { type: string; id: string | null } {
  const ids = Object.entries((params ?? {}) as Record<string, unknown>).filter(
    ([k, v]) => /(^|_)id$/.test(k) && typeof v === 'string',
  );
  return {
    type: action.split('.').slice(-2, -1)[0] ?? 'unknown',
    id: (ids.at(-1)?.[1] as string | undefined) ?? null,
  };
}

/**
 * Field names whose values never enter the trail (the fact that they changed does). Secrets must not
 * be recoverable from an export; personal data would make the immutable trail a GDPR problem.
 */
const MASKED_FIELD =
  /(password|secret|token|api_key|private_key|credential|iban|bic|card|email|phone|mobile|address|birth|first_name|last_name|display_name)/i;

export function isMaskedField(field: string): boolean {
  return MASKED_FIELD.test(field);
}

/** The fields that differ between `before` and `after`, with masked values where the name says so. */
export function changesOf(
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  ignore: string[] = ['updated_at', 'created_at'],
): Record<string, { before: unknown; after: unknown }> | null {
  const out: Record<string, { before: unknown; after: unknown }> = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const k of keys) {
    if (ignore.includes(k)) continue;
    const b = before?.[k] ?? null;
    const a = after?.[k] ?? null;
    if (JSON.stringify(b) === JSON.stringify(a)) continue;
    out[k] = isMaskedField(k)
      ? { before: b === null ? null : MASK, after: a === null ? null : MASK }
      : { before: b, after: a };
  }
  return Object.keys(out).length ? out : null;
}

/** How many events each open transaction recorded (the HTTP layer checks that a write recorded one). */
const recorded = new WeakMap<object, number>();

export function auditedIn(tx: Ctx['tx']): number {
  return recorded.get(tx) ?? 0;
}

export interface Who {
  tenantId: string;
  actor: Actor | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

async function insert(tx: Ctx['tx'], who: Who, e: AuditEntry): Promise<string> {
  const id = newId('aud');
  const actor = who.actor ?? { type: 'anonymous', id: 'anonymous', displayName: 'Anonymous' };
  // An actor acting for someone else (support access) marks every event it leaves.
  const onBehalfOf = e.onBehalfOf ?? who.actor?.onBehalfOf;
  await tx.execute(sql`
    insert into audit_events (tenant_id, id, occurred_at, actor_type, actor_id, actor_name, on_behalf_of, source_ip, user_agent,
                              request_id, action, resource_type, resource_id, outcome, reason, changes, metadata)
    values (${who.tenantId}, ${id}, ${new Date().toISOString()}, ${actor.type}, ${actor.id}, ${actor.displayName},
            ${onBehalfOf ? JSON.stringify(onBehalfOf) : null}::jsonb, ${who.ip}, ${who.userAgent}, ${who.requestId},
            ${e.action}, ${e.resource?.type ?? null}, ${e.resource?.id ?? null}, ${e.outcome ?? 'success'},
            ${e.reason ?? null}, ${e.changes ? JSON.stringify(e.changes) : null}::jsonb,
            ${e.metadata ? JSON.stringify(e.metadata) : null}::jsonb)`);
  return id;
}

/**
 * The one audit call. Runs inside the caller's transaction: if the change commits, its event exists;
 * if it rolls back, there is none. The event joins the tenant's hash chain when the sealer runs.
 */
export async function audit(ctx: Ctx, entry: AuditEntry): Promise<string> {
  const id = await insert(ctx.tx, ctx, entry);
  recorded.set(ctx.tx, (recorded.get(ctx.tx) ?? 0) + 1);
  ctx.afterCommit(() => {
    ctx.db.signals.emit(AUDIT_SIGNAL);
  });
  return id;
}

/**
 * Records an attempt that did not change anything — denied, failed — in its own transaction, since
 * the request's transaction (if any) rolled back.
 */
export async function auditAttempt(
  db: Database,
  who: Who,
  entry: AuditEntry & { outcome: Outcome },
): Promise<string> {
  const id = await inTenantTransaction(db, who.tenantId, (tx) => insert(tx, who, entry));
  db.signals.emit(AUDIT_SIGNAL);
  return id;
}
