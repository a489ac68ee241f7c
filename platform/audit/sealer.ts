import { sql } from 'drizzle-orm';
import { type Database, rows, type Tx } from '../db/database.ts';
import { inSystemTransaction } from '../db/scope.ts';
import { PollingWorker, type WorkerLogger } from '../jobs/polling-worker.ts';
import { chainEvents, GENESIS_HASH, signCheckpoint } from './chain.ts';
import type { AuditKeys } from './keys.ts';
import { AUDIT_SIGNAL } from './record.ts';
import { EVENT_COLUMNS, type EventRow, rowToEvent } from './store.ts';

export interface SealerOptions {
  pollMs: number;
  /** A tenant's chain head is signed when its last checkpoint is older than this. */
  checkpointIntervalMs: number;
  batchSize?: number;
  logger?: WorkerLogger;
}

/**
 * Gives committed audit events their place in their tenant's chain (seq, prev_hash, hash), in
 * batches, holding the tenant's chain head row locked while it does (`FOR UPDATE SKIP LOCKED`: two
 * sealers never work on the same tenant, and writers never wait for a sealer). Then signs the head
 * when the tenant's last checkpoint is old enough.
 */
export class AuditSealer {
  private readonly worker: PollingWorker;

  constructor(
    private readonly db: Database,
    private readonly keys: AuditKeys,
    private readonly opts: SealerOptions,
  ) {
    this.worker = new PollingWorker('audit sealer', () => this.sealSome(), {
      pollMs: opts.pollMs,
      signals: db.signals,
      signal: AUDIT_SIGNAL,
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
  }

  start(): void {
    this.worker.start();
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  /** Seals everything committed so far (tests, CLI, before an export). */
  drain(): Promise<number> {
    return this.worker.drain();
  }

  /** One round: seals a batch for each tenant with unsealed events; returns how many were sealed. */
  async sealSome(): Promise<number> {
    const tenants = await inSystemTransaction(this.db, async (tx) =>
      rows<{ tenant_id: string }>(
        await tx.execute(sql`select distinct tenant_id from audit_events where seq is null limit 100`),
      ).map((r) => r.tenant_id),
    );
    let sealed = 0;
    for (const tenantId of tenants) sealed += await this.sealTenant(tenantId);
    return sealed;
  }

  async sealTenant(tenantId: string, forceCheckpoint = false): Promise<number> {
    return inSystemTransaction(this.db, async (tx) => {
      await tx.execute(sql`insert into audit_chain_heads (tenant_id, last_seq, last_hash)
                           values (${tenantId}, 0, ${GENESIS_HASH}) on conflict (tenant_id) do nothing`);
      const [head] = rows<{ last_seq: string | number; last_hash: string }>(
        await tx.execute(sql`select last_seq, last_hash from audit_chain_heads where tenant_id = ${tenantId}
                              for update skip locked`),
      );
      if (!head) return 0; // another sealer holds this tenant
      const pending = rows<EventRow>(
        await tx.execute(sql`select ${EVENT_COLUMNS} from audit_events
                              where tenant_id = ${tenantId} and seq is null
                              order by occurred_at, id limit ${this.opts.batchSize ?? 1000}`),
      ).map(rowToEvent);
      let last = { seq: Number(head.last_seq), hash: head.last_hash };
      if (pending.length) {
        const chained = chainEvents(pending, last);
        await tx.execute(sql`
          update audit_events e set seq = v.seq, prev_hash = v.prev_hash, hash = v.hash, sealed_at = now()
            from (values ${sql.join(
              chained.map((c) => sql`(${c.id}, ${c.seq}::bigint, ${c.prev_hash}, ${c.hash})`),
              sql`, `,
            )}) as v(id, seq, prev_hash, hash)
           where e.tenant_id = ${tenantId} and e.id = v.id`);
        const end = chained.at(-1)!;
        last = { seq: end.seq!, hash: end.hash! };
        await tx.execute(sql`update audit_chain_heads set last_seq = ${last.seq}, last_hash = ${last.hash}, updated_at = now()
                              where tenant_id = ${tenantId}`);
      }
      if (last.seq > 0) await this.maybeCheckpoint(tx, tenantId, last, forceCheckpoint);
      return pending.length;
    });
  }

  private async maybeCheckpoint(
    tx: Tx,
    tenantId: string,
    head: { seq: number; hash: string },
    force: boolean,
  ) {
    const [latest] = rows<{ seq: string | number; age_ms: number }>(
      await tx.execute(sql`select seq, extract(epoch from (now() - signed_at)) * 1000 as age_ms from audit_checkpoints
                            where tenant_id = ${tenantId} order by seq desc limit 1`),
    );
    if (latest && Number(latest.seq) >= head.seq) return;
    if (latest && !force && Number(latest.age_ms) < this.opts.checkpointIntervalMs) return;
    const c = signCheckpoint(
      { tenant_id: tenantId, seq: head.seq, hash: head.hash, signed_at: new Date().toISOString() },
      this.keys.privateKey,
    );
    await tx.execute(sql`insert into audit_checkpoints (tenant_id, seq, hash, signed_at, key_id, signature)
                         values (${tenantId}, ${c.seq}, ${c.hash}, ${c.signed_at}, ${c.key_id}, ${c.signature})
                         on conflict (tenant_id, seq) do nothing`);
  }
}
