import { sql } from 'drizzle-orm';
import type { Ctx } from '../context.ts';
import { newId } from '../ids.ts';

/**
 * Typed domain events. Each module adds its events to this map by declaration merging in its
 * `events.ts`, so `publish(ctx, 'account.created', payload)` is checked at compile time.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by modules through declaration merging
export interface DomainEventMap {}

export type EventType = keyof DomainEventMap & string;

/** An event as delivered to subscribers, after its transaction committed. */
export interface DeliveredEvent<K extends EventType = EventType> {
  id: string;
  tenantId: string;
  type: K;
  payload: DomainEventMap[K];
  occurredAt: string;
  actorId: string | null;
  requestId: string | null;
  /** 1 on first delivery; more when a subscriber failed before (delivery is at-least-once). */
  attempt: number;
}

export const OUTBOX_SIGNAL = 'outbox';

/**
 * Publishes a domain event inside the caller's transaction: it is stored in the outbox with the
 * change, so it exists if and only if the change commits. Delivery happens after commit.
 */
export async function publish<K extends EventType>(
  ctx: Ctx,
  type: K,
  payload: DomainEventMap[K],
): Promise<string> {
  const id = newId('evt');
  await ctx.tx.execute(sql`
    insert into outbox_events (tenant_id, id, type, payload, actor_id, request_id)
    values (${ctx.tenantId}, ${id}, ${type}, ${JSON.stringify(payload)}::jsonb, ${ctx.actor.id}, ${ctx.requestId})`);
  ctx.afterCommit(() => {
    ctx.db.signals.emit(OUTBOX_SIGNAL);
  });
  return id;
}
