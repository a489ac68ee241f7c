import { sql } from 'drizzle-orm';
import type { Ctx } from '../context.ts';
import { newId } from '../ids.ts';

export const MAIL_SIGNAL = 'mail';

export interface OutgoingMail {
  /** Stable name of what is sent, e.g. `identity.invitation` (never the recipient). */
  template: string;
  to: string;
  subject: string;
  text: string;
}

/**
 * Queues a mail in the caller's transaction: it exists if and only if the change commits, and the
 * sender delivers it after the commit (with retries). Returns the mail's ID.
 */
export async function enqueueMail(ctx: Ctx, mail: OutgoingMail): Promise<string> {
  const id = newId('mail');
  await ctx.tx.execute(sql`
    insert into mail_outbox (tenant_id, id, template, to_address, subject, text_body)
    values (${ctx.tenantId}, ${id}, ${mail.template}, ${mail.to}, ${mail.subject}, ${mail.text})`);
  ctx.afterCommit(() => {
    ctx.db.signals.emit(MAIL_SIGNAL);
  });
  return id;
}
