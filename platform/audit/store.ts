import { type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../db/database.ts';
import { rows } from '../db/database.ts';
import type { AuditEvent, Checkpoint, Outcome } from './chain.ts';

/** Columns of audit_events, in the order rowToEvent reads them. */
export const EVENT_COLUMNS =
  sql.raw(`tenant_id, id, seq, occurred_at, actor_type, actor_id, actor_name, on_behalf_of,
  source_ip, user_agent, request_id, action, resource_type, resource_id, outcome, reason, changes, metadata, prev_hash, hash`);

export interface EventRow {
  tenant_id: string;
  id: string;
  seq: string | number | bigint | null;
  occurred_at: Date | string;
  actor_type: string;
  actor_id: string;
  actor_name: string;
  on_behalf_of: unknown;
  source_ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  outcome: Outcome;
  reason: string | null;
  changes: unknown;
  metadata: unknown;
  prev_hash: string | null;
  hash: string | null;
}

const json = <T>(v: unknown): T | null =>
  v === null || v === undefined ? null : ((typeof v === 'string' ? JSON.parse(v) : v) as T);

/** A database row as the API and the hash see it; the same on both drivers. */
export function rowToEvent(r: EventRow): AuditEvent {
  return {
    id: r.id,
    tenant_id: r.tenant_id,
    seq: r.seq === null ? null : Number(r.seq),
    occurred_at: new Date(r.occurred_at).toISOString(),
    actor: { type: r.actor_type, id: r.actor_id, name: r.actor_name },
    on_behalf_of: json(r.on_behalf_of),
    source_ip: r.source_ip,
    user_agent: r.user_agent,
    request_id: r.request_id,
    action: r.action,
    resource: r.resource_type ? { type: r.resource_type, id: r.resource_id } : null,
    outcome: r.outcome,
    reason: r.reason,
    changes: json(r.changes),
    metadata: json(r.metadata),
    prev_hash: r.prev_hash,
    hash: r.hash,
  };
}

interface CheckpointRow {
  tenant_id: string;
  seq: string | number;
  hash: string;
  signed_at: Date | string;
  key_id: string;
  signature: string;
}

export function rowToCheckpoint(r: CheckpointRow): Checkpoint {
  return {
    tenant_id: r.tenant_id,
    seq: Number(r.seq),
    hash: r.hash,
    signed_at: new Date(r.signed_at).toISOString(),
    key_id: r.key_id,
    signature: r.signature,
  };
}

export async function selectEvents(tx: Tx, where: SQL, orderLimit: SQL): Promise<AuditEvent[]> {
  return rows<EventRow>(
    await tx.execute(sql`select ${EVENT_COLUMNS} from audit_events where ${where} ${orderLimit}`),
  ).map(rowToEvent);
}

export async function selectCheckpoints(
  tx: Tx,
  tenantId: string,
  fromSeq: number,
  toSeq: number,
): Promise<Checkpoint[]> {
  return rows<CheckpointRow>(
    await tx.execute(sql`select tenant_id, seq, hash, signed_at, key_id, signature from audit_checkpoints
                          where tenant_id = ${tenantId} and seq between ${fromSeq} and ${toSeq} order by seq`),
  ).map(rowToCheckpoint);
}
