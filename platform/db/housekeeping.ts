import { sql } from 'drizzle-orm';
import { type Database, rows } from './database.ts';
import { inSystemTransaction } from './scope.ts';

/** How long a stored Idempotency-Key response is replayable (as Stripe: 24 hours). */
export const IDEMPOTENCY_RETENTION_HOURS = 24;
/** Delivered outbox events are kept this long for inspection, then purged. Dead ones are kept. */
export const DELIVERED_EVENT_RETENTION_DAYS = 7;

export interface PurgeResult {
  idempotencyKeys: number;
  deliveredEvents: number;
}

/** Deletes expired idempotency records and old delivered events, across tenants (system role). */
export async function purgeExpired(db: Database, now: Date = new Date()): Promise<PurgeResult> {
  return inSystemTransaction(db, async (tx) => {
    const keys = rows(
      await tx.execute(sql`delete from idempotency_keys
                            where created_at < ${now.toISOString()}::timestamptz - make_interval(hours => ${IDEMPOTENCY_RETENTION_HOURS})
                        returning 1`),
    );
    const events = rows(
      await tx.execute(sql`delete from outbox_events
                            where status = 'delivered'
                              and delivered_at < ${now.toISOString()}::timestamptz - make_interval(days => ${DELIVERED_EVENT_RETENTION_DAYS})
                        returning 1`),
    );
    return { idempotencyKeys: keys.length, deliveredEvents: events.length };
  });
}

/**
 * Runs `purgeExpired`, then each of `tasks` (periodic checks of other parts of the platform: the
 * expiry sweep and access review reminders of platform/access), every `intervalMs` until stopped.
 * Tasks must be idempotent: several replicas may run them.
 */
export function startHousekeeping(
  db: Database,
  intervalMs: number,
  onError: (err: unknown) => void,
  tasks: ((db: Database) => Promise<unknown>)[] = [],
): () => void {
  const timer = setInterval(() => {
    purgeExpired(db).catch(onError);
    for (const task of tasks) task(db).catch(onError);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
