import { sql } from 'drizzle-orm';
import { type Database, rows } from '../db/database.ts';
import { inSystemTransaction } from '../db/scope.ts';
import { PollingWorker, type WorkerLogger } from '../jobs/polling-worker.ts';
import { type DeliveredEvent, type EventType, OUTBOX_SIGNAL } from './outbox.ts';

export type Subscriber<K extends EventType = EventType> = (event: DeliveredEvent<K>) => Promise<void>;

interface OutboxRow {
  tenant_id: string;
  id: string;
  type: string;
  payload: unknown;
  occurred_at: string | Date;
  actor_id: string | null;
  request_id: string | null;
  attempts: number;
}

export interface DispatcherOptions {
  pollMs: number;
  logger?: WorkerLogger;
  /** How long a claimed batch is reserved for this process before another may retry it. */
  leaseSeconds?: number;
  maxAttempts?: number;
  batchSize?: number;
}

/** Backoff after the n-th failed attempt: 2^n seconds, at most one hour. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(2 ** attempts, 3600);
}

/**
 * Delivers committed outbox events to in-process subscribers, at least once. A batch is claimed with
 * `FOR UPDATE SKIP LOCKED` and a lease (so several workers share the work and a crashed worker's
 * batch comes back), delivered outside any transaction, then marked delivered — or rescheduled with
 * backoff, and parked as `dead` after `maxAttempts`. Subscribers must therefore be idempotent
 * (the event ID is the deduplication key).
 */
export class OutboxDispatcher {
  private readonly subscribers = new Map<string, { name: string; fn: Subscriber }[]>();
  private readonly worker: PollingWorker;

  constructor(
    private readonly db: Database,
    private readonly opts: DispatcherOptions,
  ) {
    this.worker = new PollingWorker('outbox dispatcher', () => this.deliverBatch(), {
      pollMs: opts.pollMs,
      signals: db.signals,
      signal: OUTBOX_SIGNAL,
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
  }

  /** Registers a subscriber for one event type, or '*' for all. */
  subscribe<K extends EventType>(type: K | '*', name: string, fn: Subscriber<K>): void {
    const list = this.subscribers.get(type) ?? [];
    list.push({ name, fn: fn as Subscriber });
    this.subscribers.set(type, list);
  }

  start(): void {
    this.worker.start();
  }

  /** Stops polling and waits for the batch in progress. */
  stop(): Promise<void> {
    return this.worker.stop();
  }

  /** Delivers every event that is due now; returns how many were processed (tests, CLI). */
  drain(): Promise<number> {
    return this.worker.drain();
  }

  private async deliverBatch(): Promise<number> {
    const lease = this.opts.leaseSeconds ?? 60;
    const batch = await inSystemTransaction(this.db, async (tx) =>
      rows<OutboxRow>(
        await tx.execute(sql`
          update outbox_events o
             set available_at = now() + make_interval(secs => ${lease}), attempts = o.attempts + 1
            from (select tenant_id, id from outbox_events
                   where status = 'pending' and available_at <= now()
                   order by available_at, id
                   limit ${this.opts.batchSize ?? 50}
                   for update skip locked) due
           where o.tenant_id = due.tenant_id and o.id = due.id
       returning o.tenant_id, o.id, o.type, o.payload, o.occurred_at, o.actor_id, o.request_id, o.attempts`),
      ),
    );
    batch.sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const row of batch) {
      const event: DeliveredEvent = {
        id: row.id,
        tenantId: row.tenant_id,
        type: row.type as EventType,
        payload: (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as never,
        occurredAt: new Date(row.occurred_at).toISOString(),
        actorId: row.actor_id,
        requestId: row.request_id,
        attempt: row.attempts,
      };
      const subs = [...(this.subscribers.get(row.type) ?? []), ...(this.subscribers.get('*') ?? [])];
      let failure: string | null = null;
      for (const sub of subs) {
        try {
          await sub.fn(event);
        } catch (err) {
          failure = `${sub.name}: ${(err as Error).message}`.slice(0, 2000);
          this.opts.logger?.warn(
            { eventId: row.id, type: row.type, subscriber: sub.name, err },
            'subscriber failed',
          );
          break;
        }
      }
      await inSystemTransaction(this.db, async (tx) => {
        if (failure === null) {
          await tx.execute(sql`update outbox_events set status = 'delivered', delivered_at = now(), last_error = null
                               where tenant_id = ${row.tenant_id} and id = ${row.id}`);
        } else if (row.attempts >= (this.opts.maxAttempts ?? 12)) {
          await tx.execute(sql`update outbox_events set status = 'dead', last_error = ${failure}
                               where tenant_id = ${row.tenant_id} and id = ${row.id}`);
        } else {
          await tx.execute(sql`update outbox_events
                                  set available_at = now() + make_interval(secs => ${retryDelaySeconds(row.attempts)}),
                                      last_error = ${failure}
                                where tenant_id = ${row.tenant_id} and id = ${row.id}`);
        }
      });
    }
    return batch.length;
  }
}
