import { sql } from 'drizzle-orm';
import nodemailer, { type Transporter } from 'nodemailer';
import { type Database, rows } from '../db/database.ts';
import { inSystemTransaction } from '../db/scope.ts';
import { PollingWorker, type WorkerLogger } from '../jobs/polling-worker.ts';
import { MAIL_SIGNAL } from './outbox.ts';

interface MailRow {
  tenant_id: string;
  id: string;
  template: string;
  to_address: string;
  subject: string;
  text_body: string;
  attempts: number;
}

export interface MailSenderOptions {
  /** smtp(s):// URL; null: nothing is sent, mails stay pending in the table (development). */
  smtpUrl: string | null;
  from: string;
  pollMs: number;
  logger?: WorkerLogger;
  maxAttempts?: number;
  leaseSeconds?: number;
  batchSize?: number;
}

/** What replaces a delivered mail's body: it may have held a single-use token. */
export const SENT_BODY_PLACEHOLDER = '[sent; body removed]';

/** Backoff after the n-th failed attempt: 2^n × 5 s, at most one hour. */
export function mailRetryDelaySeconds(attempts: number): number {
  return Math.min(5 * 2 ** attempts, 3600);
}

/**
 * Delivers queued mails over SMTP after commit, at least once: a batch is claimed with
 * `FOR UPDATE SKIP LOCKED` and a lease, sent outside any transaction, then marked sent (its body
 * removed) — or rescheduled with backoff, and parked as `dead` after `maxAttempts`. Logs carry the
 * mail's ID and template, never its recipient or content.
 */
export class MailSender {
  private readonly transport: Transporter | null;
  private readonly worker: PollingWorker;

  constructor(
    private readonly db: Database,
    private readonly opts: MailSenderOptions,
  ) {
    this.transport = opts.smtpUrl ? nodemailer.createTransport(opts.smtpUrl) : null;
    this.worker = new PollingWorker('mail sender', () => this.sendBatch(), {
      pollMs: opts.pollMs,
      signals: db.signals,
      signal: MAIL_SIGNAL,
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
  }

  get configured(): boolean {
    return this.transport !== null;
  }

  start(): void {
    if (this.transport) this.worker.start();
  }

  async stop(): Promise<void> {
    await this.worker.stop();
    this.transport?.close();
  }

  /** Sends everything due now (tests, CLI); returns how many mails were attempted. */
  drain(): Promise<number> {
    return this.transport ? this.worker.drain() : Promise.resolve(0);
  }

  private async sendBatch(): Promise<number> {
    if (!this.transport) return 0;
    const lease = this.opts.leaseSeconds ?? 60;
    const batch = await inSystemTransaction(this.db, async (tx) =>
      rows<MailRow>(
        await tx.execute(sql`
          update mail_outbox set available_at = now() + make_interval(secs => ${lease})
           where (tenant_id, id) in (
             select tenant_id, id from mail_outbox
              where status = 'pending' and available_at <= now()
              order by available_at, id
              limit ${this.opts.batchSize ?? 20}
              for update skip locked)
       returning tenant_id, id, template, to_address, subject, text_body, attempts`),
      ),
    );
    for (const m of batch) {
      try {
        await this.transport.sendMail({
          from: this.opts.from,
          to: m.to_address,
          subject: m.subject,
          text: m.text_body,
          headers: { 'X-Comptoir-Mail-Id': m.id },
        });
        await inSystemTransaction(this.db, (tx) =>
          tx.execute(sql`update mail_outbox set status = 'sent', sent_at = now(), attempts = attempts + 1,
                                text_body = ${SENT_BODY_PLACEHOLDER}, last_error = null
                          where tenant_id = ${m.tenant_id} and id = ${m.id}`),
        );
      } catch (err) {
        const attempts = m.attempts + 1;
        const dead = attempts >= (this.opts.maxAttempts ?? 10);
        // The SMTP error text can quote the recipient: keep only its code and class.
        const e = err as { code?: string; responseCode?: number };
        const reason = `${e.code ?? 'error'}${e.responseCode ? ` ${e.responseCode}` : ''}`;
        await inSystemTransaction(this.db, (tx) =>
          tx.execute(sql`update mail_outbox set attempts = ${attempts}, last_error = ${reason},
                                status = ${dead ? 'dead' : 'pending'},
                                available_at = now() + make_interval(secs => ${mailRetryDelaySeconds(attempts)})
                          where tenant_id = ${m.tenant_id} and id = ${m.id}`),
        );
        this.opts.logger?.warn(
          { mail_id: m.id, template: m.template, attempts, reason },
          'mail delivery failed',
        );
      }
    }
    return batch.length;
  }
}

export interface ListedMail {
  tenant_id: string;
  id: string;
  template: string;
  to_address: string;
  subject: string;
  text_body: string;
  status: string;
  attempts: number;
  created_at: string;
}

/** The latest mails of every tenant (CLI `mail:list`, development). */
export async function listMails(db: Database, limit = 20): Promise<ListedMail[]> {
  return inSystemTransaction(db, async (tx) =>
    rows<ListedMail>(
      await tx.execute(sql`select tenant_id, id, template, to_address, subject, text_body, status, attempts, created_at
                             from mail_outbox order by created_at desc, id desc limit ${limit}`),
    ),
  );
}
