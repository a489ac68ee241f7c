import type { Ctx } from '../context.ts';
import { AppError } from '../http/problems.ts';

/** The person behind an actor: the user of a session or token, else the actor itself (service account). */
export function personOf(ctx: Ctx): string {
  return ctx.actor.userId ?? ctx.actor.id;
}

/**
 * Four-eyes principle: refuses (403 `four-eyes-required`) when the person acting is the one who
 * initiated the thing being approved. Compares people, not credentials: the initiator's token and
 * their web session are the same person. Reusable by orders, quotes and credit notes.
 */
export function assertNotInitiator(ctx: Ctx, initiatorUserId: string | null): void {
  if (initiatorUserId !== null && personOf(ctx) === initiatorUserId) {
    throw new AppError(
      'four-eyes-required',
      'You initiated this; someone else must approve it (four-eyes principle).',
    );
  }
}
