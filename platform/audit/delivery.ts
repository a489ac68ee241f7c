import { gzipSync } from 'node:zlib';
import { type SQL, sql } from 'drizzle-orm';
import { type Actor, type Ctx, type CtxInit, runAsTenant, systemActor } from '../context.ts';
import type { SecretBox } from '../crypto/secrets.ts';
import { type Database, rows, type Tx } from '../db/database.ts';
import { inSystemTransaction } from '../db/scope.ts';
import { publish } from '../events/outbox.ts';
import { decodeCursor, toPage } from '../http/pagination.ts';
import { AppError } from '../http/problems.ts';
import { newId } from '../ids.ts';
import { PollingWorker, type WorkerLogger } from '../jobs/polling-worker.ts';
import { assertEndpointAllowed } from '../storage/endpoint-policy.ts';
import { type ObjectStore, S3ObjectStore } from '../storage/object-store.ts';
import type { AuditEvent } from './chain.ts';
import { signCheckpoint } from './chain.ts';
import { readStoredSettings, S3_SECRET_PURPOSE, type StoredAuditSettings } from './delivery-settings.ts';
import './events.ts';
import { type AuditFormat, formatLine } from './formats.ts';
import type { AuditKeys } from './keys.ts';
import { audit } from './record.ts';
import { readFeed, verifyStoredChain } from './service.ts';

/**
 * Audit files leave the database here: the SIEM push (gzip JSON-lines files in the tenant's S3
 * bucket, named by sequence range) and retention (archive the old part of the chain, sign a checkpoint
 * at the cut, then prune). docs/audit.md describes both for customers.
 *
 * Every file covers a contiguous range of the chain and is recorded in `audit_deliveries` before it is
 * uploaded (`pending`, with a lease), so that a crash, a second worker or a manual run never ships a
 * range twice under two names nor skips one: the next range always starts after the last delivered
 * one. No database transaction is open during an upload. A failed upload is retried with exponential
 * backoff; the fifth failure in a row of the same file turns it `failed` and raises the alert (error
 * log, audit event `audit.delivery.failed`, domain event `audit.delivery.failing`); the file keeps
 * being retried, and the push resumes from it once the target answers again.
 */

export const SIGNAL = 'audit-delivery';
/** Consecutive failures of one file before the alert. */
export const ALERT_AFTER_ATTEMPTS = 5;
/** How long a claimed file is reserved for the worker uploading it. */
const LEASE_MS = 5 * 60_000;
/** Files one manual run (POST /deliveries/run) may ship to catch up a backlog. */
const MAX_FILES_PER_RUN = 20;
const MAX_ERROR_LENGTH = 500;

/** Backoff after the n-th consecutive failure: 1 min, 2, 4, 8, 16 … at most 1 h. */
export function retryDelayMs(attempts: number): number {
  return Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

const pad = (n: number) => String(n).padStart(12, '0');

/** `<prefix>/<tenant_id>[/<folder>]/audit-<from>-<to>.jsonl.gz`, 12-digit sequence numbers. */
export function objectKeyFor(
  prefix: string,
  tenantId: string,
  from: number,
  to: number,
  folder?: string,
): string {
  const dir = [prefix.replace(/^\/+|\/+$/g, ''), tenantId, folder ?? ''].filter(Boolean).join('/');
  return `${dir}/audit-${pad(from)}-${pad(to)}.jsonl.gz`;
}

export type DeliveryTarget = 's3' | 'archive';
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** A delivery as the API shows it. */
export interface DeliveryRecord {
  id: string;
  target: DeliveryTarget;
  from_seq: number;
  to_seq: number;
  event_count: number;
  format: AuditFormat;
  destination: string | null;
  object_key: string;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string;
}

interface DeliveryRow {
  id: string;
  target: DeliveryTarget;
  from_seq: string | number;
  to_seq: string | number;
  format: AuditFormat;
  destination: string | null;
  object_key: string;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | Date | null;
  leased_until: string | Date | null;
  delivered_at: string | Date | null;
  created_at: string | Date;
}

const DELIVERY_COLUMNS =
  sql.raw(`id, target, from_seq, to_seq, format, destination, object_key, status, attempts,
  last_error, next_attempt_at, leased_until, delivered_at, created_at`);

const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());

function toRecord(r: DeliveryRow): DeliveryRecord {
  const from = Number(r.from_seq);
  const to = Number(r.to_seq);
  return {
    id: r.id,
    target: r.target,
    from_seq: from,
    to_seq: to,
    event_count: to - from + 1,
    format: r.format,
    destination: r.destination,
    object_key: r.object_key,
    status: r.status,
    attempts: Number(r.attempts),
    last_error: r.last_error,
    next_attempt_at: iso(r.next_attempt_at),
    delivered_at: iso(r.delivered_at),
    created_at: iso(r.created_at)!,
  };
}

/** The outcome of one tenant's delivery round. */
export interface TenantRound {
  tenant_id: string;
  /**
   * `disabled`: no S3 push configured; `idle`: everything sealed was delivered; `waiting`: the interval
   * or a retry's backoff has not elapsed; `busy`: another worker is uploading; `delivered`: files went
   * out; `failed`: an upload failed (see the delivery's `last_error`).
   */
  outcome: 'disabled' | 'idle' | 'waiting' | 'busy' | 'delivered' | 'failed';
  deliveries: DeliveryRecord[];
  /** The last sequence number delivered to the S3 target. */
  delivered_through: number | null;
  head_seq: number | null;
}

export interface RetentionRound {
  tenant_id: string;
  outcome: 'nothing_to_prune' | 'waiting_for_push' | 'archive_failed' | 'verification_failed' | 'pruned';
  /** The highest sequence number pruned (or that would have been). */
  cut: number | null;
  pruned: number;
  archived: DeliveryRecord[];
  detail?: string;
}

export interface AuditDeliveryOptions {
  pollMs: number;
  /** Most events per file. */
  batchSize: number;
  /** How often retention runs. */
  retentionIntervalMs: number;
  /** Archive files of tenants without an enabled S3 target. */
  archiveStore: ObjectStore;
  allowPrivateEndpoints: boolean;
  /** Per S3 request. */
  s3TimeoutMs?: number;
  logger?: WorkerLogger & { info?(obj: object, msg: string): void };
}

interface Claim {
  row: DeliveryRow;
  events: AuditEvent[];
  settings: StoredAuditSettings;
}

type ClaimResult = Claim | { outcome: 'disabled' | 'idle' | 'waiting' | 'busy' };

interface ChainInfo {
  head: number;
  first: number | null;
}

async function chainInfo(tx: Tx, tenantId: string): Promise<ChainInfo> {
  const [r] = rows<{ head: string | number | null; first: string | number | null }>(
    await tx.execute(sql`select (select last_seq from audit_chain_heads where tenant_id = ${tenantId}) as head,
                                (select min(seq) from audit_events where tenant_id = ${tenantId} and seq is not null) as first`),
  );
  return { head: Number(r?.head ?? 0), first: r?.first == null ? null : Number(r.first) };
}

/**
 * How far from `first` the delivered files of `which` cover the chain without a gap (`first - 1`
 * when not at all).
 */
async function coveredThrough(tx: Tx, tenantId: string, first: number, which: SQL): Promise<number> {
  const ranges = rows<{ from_seq: string | number; to_seq: string | number }>(
    await tx.execute(sql`select from_seq, to_seq from audit_deliveries
                          where tenant_id = ${tenantId} and status = 'delivered' and to_seq >= ${first} and (${which})
                          order by from_seq`),
  );
  let covered = first - 1;
  for (const r of ranges) {
    if (Number(r.from_seq) > covered + 1) break;
    covered = Math.max(covered, Number(r.to_seq));
  }
  return covered;
}

/** An error's message for storage and logs: one line, bounded, with the given secrets removed. */
function describeError(err: unknown, secrets: (string | null | undefined)[]): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
  let text = `${e?.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e?.message ?? String(err)}${status}`;
  for (const s of secrets) if (s && s.length >= 4) text = text.split(s).join('[masked]');
  return text.replace(/\s+/g, ' ').trim().slice(0, MAX_ERROR_LENGTH);
}

export class AuditDelivery {
  /** The time decisions are taken at (interval, backoff, retention age). Tests move it. */
  clock: () => Date = () => new Date();
  private readonly worker: PollingWorker;
  private readonly actor: Actor = systemActor('audit-delivery');
  private lastRetentionAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly db: Database,
    private readonly keys: AuditKeys,
    private readonly secrets: SecretBox,
    private readonly opts: AuditDeliveryOptions,
  ) {
    this.worker = new PollingWorker('audit delivery', () => this.step(), {
      pollMs: opts.pollMs,
      signals: db.signals,
      signal: SIGNAL,
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
  }

  start(): void {
    this.worker.start();
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  /** One step of the background worker: retention when due, then one file per due tenant. */
  private async step(): Promise<number> {
    const now = this.clock().getTime();
    if (now - this.lastRetentionAt >= this.opts.retentionIntervalMs) {
      this.lastRetentionAt = now;
      await this.runRetention();
    }
    return this.runRound();
  }

  // ---------------------------------------------------------------------------------------------
  // SIEM push

  /** One background round: one file for each tenant whose push is due; returns the files delivered. */
  async runRound(): Promise<number> {
    const now = this.clock().toISOString();
    const due = await inSystemTransaction(this.db, async (tx) =>
      rows<{ tenant_id: string }>(
        await tx.execute(sql`
          select s.tenant_id
            from audit_settings s
            join audit_chain_heads h on h.tenant_id = s.tenant_id
            left join lateral (
              select max(to_seq) as to_seq, max(delivered_at) as at from audit_deliveries d
               where d.tenant_id = s.tenant_id and d.target = 's3' and d.status = 'delivered') last on true
           where s.enabled and (
             exists (select 1 from audit_deliveries o
                      where o.tenant_id = s.tenant_id and o.target = 's3' and o.status <> 'delivered'
                        and o.next_attempt_at <= ${now}::timestamptz
                        and (o.leased_until is null or o.leased_until <= ${now}::timestamptz))
             or (not exists (select 1 from audit_deliveries o
                              where o.tenant_id = s.tenant_id and o.target = 's3' and o.status <> 'delivered'
                                and o.next_attempt_at is not null)
                 and h.last_seq > coalesce(last.to_seq, 0)
                 and (last.at is null
                      or last.at + make_interval(secs => s.interval_s) <= ${now}::timestamptz
                      or h.last_seq - coalesce(last.to_seq, 0) >= ${this.opts.batchSize})))
           order by s.tenant_id
           limit 1000`),
      ).map((r) => r.tenant_id),
    );
    let delivered = 0;
    for (const tenantId of due) {
      try {
        const round = await this.pushOnce(tenantId, { force: false });
        if (round.outcome === 'delivered') delivered += 1;
      } catch (err) {
        this.opts.logger?.error({ err, tenant_id: tenantId }, 'audit delivery round failed');
      }
    }
    return delivered;
  }

  /**
   * Delivers what is due for one tenant now: with `force`, without waiting for the interval or a
   * retry's backoff (a manual run), and until caught up (at most MAX_FILES_PER_RUN files).
   */
  async runTenant(
    tenantId: string,
    opts: { force?: boolean; requestId?: string; actor?: Actor } = {},
  ): Promise<TenantRound> {
    const deliveries: DeliveryRecord[] = [];
    let round = await this.pushOnce(tenantId, opts);
    deliveries.push(...round.deliveries);
    for (let i = 1; i < MAX_FILES_PER_RUN && round.outcome === 'delivered'; i++) {
      round = await this.pushOnce(tenantId, opts);
      deliveries.push(...round.deliveries);
    }
    const failed = deliveries.some((d) => d.status !== 'delivered');
    const outcome = failed ? 'failed' : deliveries.length ? 'delivered' : round.outcome;
    return { ...round, outcome, deliveries };
  }

  private init(
    tenantId: string,
    opts: { requestId?: string; actor?: Actor },
  ): Partial<CtxInit> & { tenantId: string } {
    return { tenantId, actor: opts.actor ?? this.actor, requestId: opts.requestId ?? 'job:audit-delivery' };
  }

  /** Claims, uploads and records at most one file of the tenant's S3 push. */
  private async pushOnce(
    tenantId: string,
    opts: { force?: boolean; requestId?: string; actor?: Actor },
  ): Promise<TenantRound> {
    const init = this.init(tenantId, opts);
    const claim = await runAsTenant(this.db, init, (ctx) => this.claimPush(ctx, opts.force ?? false));
    let deliveries: DeliveryRecord[] = [];
    if ('row' in claim) {
      const store = await this.s3StoreFor(tenantId, claim.settings).catch((err: unknown) => err as Error);
      deliveries = [await this.ship(init, claim, store)];
    }
    const state = await runAsTenant(this.db, init, async (ctx) => {
      const info = await chainInfo(ctx.tx, tenantId);
      const [r] = rows<{ to_seq: string | number | null }>(
        await ctx.tx.execute(sql`select max(to_seq) as to_seq from audit_deliveries
                                  where tenant_id = ${tenantId} and target = 's3' and status = 'delivered'`),
      );
      return { head: info.head || null, through: r?.to_seq == null ? null : Number(r.to_seq) };
    });
    const outcome: TenantRound['outcome'] =
      'row' in claim ? (deliveries[0]!.status === 'delivered' ? 'delivered' : 'failed') : claim.outcome;
    return {
      tenant_id: tenantId,
      outcome,
      deliveries,
      delivered_through: state.through,
      head_seq: state.head,
    };
  }

  /** In the tenant's transaction: the file to upload next (a due retry, or the next range), leased. */
  private async claimPush(ctx: Ctx, force: boolean): Promise<ClaimResult> {
    const { tx, tenantId } = ctx;
    const settings = await readStoredSettings(tx, tenantId);
    if (!settings.enabled) return { outcome: 'disabled' };
    const now = this.clock();
    const leaseUntil = new Date(now.getTime() + LEASE_MS).toISOString();
    const info = await chainInfo(tx, tenantId);
    const where = {
      key: (from: number, to: number) => objectKeyFor(settings.prefix, tenantId, from, to),
      destination: `s3://${settings.bucket}`,
    };

    const [open] = rows<DeliveryRow>(
      await tx.execute(sql`select ${DELIVERY_COLUMNS} from audit_deliveries
                            where tenant_id = ${tenantId} and target = 's3' and status <> 'delivered'
                              and next_attempt_at is not null
                            order by from_seq limit 1 for update skip locked`),
    );
    let row: DeliveryRow | undefined;
    if (open && info.first !== null && Number(open.from_seq) < info.first) {
      // Retention pruned this range while the push was off: it is in the archive, not deliverable.
      await tx.execute(sql`update audit_deliveries set status = 'failed', next_attempt_at = null, leased_until = null,
                                  last_error = 'abandoned: these events were archived and pruned by retention before delivery'
                            where tenant_id = ${tenantId} and id = ${open.id}`);
    } else if (open) {
      if (open.leased_until && new Date(open.leased_until) > now) return { outcome: 'busy' };
      if (!force && open.next_attempt_at && new Date(open.next_attempt_at) > now)
        return { outcome: 'waiting' };
      const from = Number(open.from_seq);
      const to = Number(open.to_seq);
      [row] = rows<DeliveryRow>(
        await tx.execute(sql`update audit_deliveries
                                set leased_until = ${leaseUntil}::timestamptz, format = ${settings.format},
                                    destination = ${where.destination}, object_key = ${where.key(from, to)}
                              where tenant_id = ${tenantId} and id = ${open.id}
                          returning ${DELIVERY_COLUMNS}`),
      );
    }
    if (!row) {
      const [last] = rows<{ to_seq: string | number | null; at: string | Date | null }>(
        await tx.execute(sql`select max(to_seq) as to_seq, max(delivered_at) as at from audit_deliveries
                              where tenant_id = ${tenantId} and target = 's3' and status = 'delivered'`),
      );
      const lastTo = last?.to_seq == null ? 0 : Number(last.to_seq);
      const from = Math.max(lastTo + 1, info.first ?? lastTo + 1);
      if (info.head < from) return { outcome: 'idle' };
      const backlog = info.head - from + 1;
      if (
        !force &&
        last?.at &&
        now.getTime() - new Date(last.at).getTime() < settings.interval_s * 1000 &&
        backlog < this.opts.batchSize
      )
        return { outcome: 'waiting' };
      const to = Math.min(info.head, from + this.opts.batchSize - 1);
      [row] = rows<DeliveryRow>(
        await tx.execute(sql`
          insert into audit_deliveries (tenant_id, id, target, from_seq, to_seq, format, destination, object_key,
                                        status, attempts, next_attempt_at, leased_until, created_at)
          values (${tenantId}, ${newId('adl')}, 's3', ${from}, ${to}, ${settings.format}, ${where.destination},
                  ${where.key(from, to)}, 'pending', 0, ${now.toISOString()}::timestamptz, ${leaseUntil}::timestamptz,
                  ${now.toISOString()}::timestamptz)
          on conflict (tenant_id, target, from_seq) do nothing
          returning ${DELIVERY_COLUMNS}`),
      );
      // Another worker created this range a moment ago.
      if (!row) return { outcome: 'busy' };
    }
    return { row, settings, events: await this.eventsOf(tx, tenantId, row) };
  }

  private async eventsOf(tx: Tx, tenantId: string, row: DeliveryRow): Promise<AuditEvent[]> {
    const from = Number(row.from_seq);
    const to = Number(row.to_seq);
    return readFeed(tx, tenantId, from - 1, to - from + 1);
  }

  /** The tenant's S3 target as a store: secret opened in memory, endpoint checked against the policy. */
  private async s3StoreFor(
    tenantId: string,
    s: StoredAuditSettings,
  ): Promise<{ store: ObjectStore; secret: string | null }> {
    if (!s.bucket || !s.access_key_id || !s.secret_access_key_sealed)
      throw new Error('the S3 target is not completely configured');
    if (s.endpoint) await assertEndpointAllowed(s.endpoint, this.opts.allowPrivateEndpoints);
    const secret = await this.secrets.open(tenantId, S3_SECRET_PURPOSE, s.secret_access_key_sealed);
    return {
      secret,
      store: new S3ObjectStore({
        endpoint: s.endpoint,
        region: s.region,
        bucket: s.bucket,
        forcePathStyle: s.force_path_style,
        credentials: { accessKeyId: s.access_key_id, secretAccessKey: secret },
        ...(this.opts.s3TimeoutMs ? { timeoutMs: this.opts.s3TimeoutMs } : {}),
      }),
    };
  }

  /**
   * Uploads a claimed file — outside any transaction — and records the outcome: delivered, or one more
   * failed attempt with its backoff, and the alert on the fifth in a row.
   */
  private async ship(
    init: Partial<CtxInit> & { tenantId: string },
    claim: Claim,
    target: { store: ObjectStore; secret: string | null } | Error,
  ): Promise<DeliveryRecord> {
    const { row, events } = claim;
    const from = Number(row.from_seq);
    const to = Number(row.to_seq);
    let error: string | null = null;
    try {
      if (target instanceof Error) throw target;
      if (events.length !== to - from + 1 || events[0]?.seq !== from || events.at(-1)?.seq !== to)
        throw new Error(`events ${from}–${to} are not all stored (found ${events.length})`);
      const body = gzipSync(events.map((e) => `${formatLine(e, row.format)}\n`).join(''));
      await target.store.put(row.object_key, body, 'application/gzip');
    } catch (err) {
      error = describeError(err, [
        target instanceof Error ? null : target.secret,
        claim.settings.secret_access_key_sealed,
      ]);
    } finally {
      if (!(target instanceof Error)) target.store.close?.();
    }
    return runAsTenant(this.db, init, async (ctx) => {
      const now = this.clock();
      if (error === null) {
        const [done] = rows<DeliveryRow>(
          await ctx.tx.execute(sql`update audit_deliveries
                                      set status = 'delivered', delivered_at = ${now.toISOString()}::timestamptz,
                                          next_attempt_at = null, leased_until = null, last_error = null
                                    where tenant_id = ${ctx.tenantId} and id = ${row.id}
                                returning ${DELIVERY_COLUMNS}`),
        );
        if (row.status === 'failed')
          this.opts.logger?.info?.(
            { tenant_id: ctx.tenantId, delivery_id: row.id, target: row.target },
            'audit delivery recovered',
          );
        return toRecord(done!);
      }
      const attempts = Number(row.attempts) + 1;
      const next = new Date(now.getTime() + retryDelayMs(attempts)).toISOString();
      const alert = attempts === ALERT_AFTER_ATTEMPTS;
      const [failed] = rows<DeliveryRow>(
        await ctx.tx.execute(sql`update audit_deliveries
                                    set attempts = ${attempts}, last_error = ${error}, leased_until = null,
                                        next_attempt_at = ${next}::timestamptz,
                                        status = ${attempts >= ALERT_AFTER_ATTEMPTS ? 'failed' : 'pending'}
                                  where tenant_id = ${ctx.tenantId} and id = ${row.id}
                              returning ${DELIVERY_COLUMNS}`),
      );
      const record = toRecord(failed!);
      const details = {
        tenant_id: ctx.tenantId,
        delivery_id: row.id,
        target: row.target,
        destination: row.destination,
        from_seq: from,
        to_seq: to,
        attempts,
        next_attempt_at: next,
        error,
      };
      if (alert) {
        this.opts.logger?.error(details, 'audit delivery failing: the alert is raised');
        await audit(ctx, {
          action: 'audit.delivery.failed',
          resource: { type: 'audit_delivery', id: row.id },
          outcome: 'failure',
          reason: error,
          metadata: {
            target: row.target,
            destination: row.destination,
            from_seq: from,
            to_seq: to,
            attempts,
          },
        });
        await publish(ctx, 'audit.delivery.failing', {
          delivery_id: row.id,
          target: row.target,
          destination: row.destination,
          from_seq: from,
          to_seq: to,
          attempts,
          last_error: error,
        });
      } else {
        this.opts.logger?.warn(details, 'audit delivery attempt failed');
      }
      return record;
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Retention

  /** Retention for every tenant with events older than its retention; one tenant's trouble stops no other. */
  async runRetention(): Promise<RetentionRound[]> {
    const now = this.clock().toISOString();
    const tenants = await inSystemTransaction(this.db, async (tx) =>
      rows<{ tenant_id: string }>(
        await tx.execute(sql`
          select h.tenant_id from audit_chain_heads h
            left join audit_settings s on s.tenant_id = h.tenant_id
           where exists (select 1 from audit_events e
                          where e.tenant_id = h.tenant_id and e.seq is not null and e.seq < h.last_seq
                            and e.occurred_at < ${now}::timestamptz - make_interval(days => coalesce(s.retention_days, 365)))
           order by h.tenant_id`),
      ).map((r) => r.tenant_id),
    );
    const out: RetentionRound[] = [];
    for (const tenantId of tenants) {
      try {
        const r = await this.retainTenant(tenantId);
        out.push(r);
        if (r.outcome === 'verification_failed')
          this.opts.logger?.error(
            { tenant_id: tenantId, cut: r.cut, detail: r.detail },
            'audit retention refused',
          );
      } catch (err) {
        this.opts.logger?.error({ err, tenant_id: tenantId }, 'audit retention failed');
      }
    }
    return out;
  }

  /**
   * One tenant's retention: the cut is the highest sealed seq older than the retention (the newest
   * event is always kept, and while the S3 push is on, nothing it has not delivered); everything up
   * to the cut is made sure to be archived (a delivered native-JSON push file counts, else archive
   * files are written); the stored chain up to the cut is verified; a signed checkpoint at the cut is
   * made or found and marked archived; then, in that same transaction, the events up to the cut are
   * deleted by the system role, the only one the append-only trigger lets do it, and only that far.
   */
  async retainTenant(tenantId: string): Promise<RetentionRound> {
    const init = this.init(tenantId, {
      actor: systemActor('audit-retention'),
      requestId: 'job:audit-retention',
    });
    const now = this.clock();
    const plan = await runAsTenant(this.db, init, async (ctx) => {
      const settings = await readStoredSettings(ctx.tx, tenantId);
      const info = await chainInfo(ctx.tx, tenantId);
      const cutoff = new Date(now.getTime() - settings.retention_days * 86_400_000).toISOString();
      const [old] = rows<{ cut: string | number | null }>(
        await ctx.tx.execute(sql`select max(seq) as cut from audit_events
                                  where tenant_id = ${tenantId} and seq is not null and seq < ${info.head}
                                    and occurred_at < ${cutoff}::timestamptz`),
      );
      let cut = old?.cut == null ? null : Number(old.cut);
      if (cut === null || info.first === null || cut < info.first)
        return { kind: 'nothing' as const, cut: null as number | null };
      if (settings.enabled) {
        // The customer's SIEM gets every event: nothing is pruned before the push delivered it.
        cut = Math.min(cut, await coveredThrough(ctx.tx, tenantId, info.first, sql`target = 's3'`));
        if (cut < info.first) return { kind: 'waiting' as const, cut };
      }
      const covered = await coveredThrough(
        ctx.tx,
        tenantId,
        info.first,
        sql`target = 'archive' or (target = 's3' and format = 'json')`,
      );
      return { kind: 'prune' as const, cut, covered, first: info.first, settings };
    });
    const result = (
      outcome: RetentionRound['outcome'],
      extra: Partial<RetentionRound> = {},
    ): RetentionRound => ({
      tenant_id: tenantId,
      outcome,
      cut: plan.cut,
      pruned: 0,
      archived: [],
      ...extra,
    });
    if (plan.kind === 'nothing') return result('nothing_to_prune');
    if (plan.kind === 'waiting') return result('waiting_for_push');
    const { cut, settings } = plan;

    // Archive what no delivered file holds yet.
    const archived: DeliveryRecord[] = [];
    for (let from = plan.covered + 1; from <= cut; ) {
      const to = Math.min(cut, from + this.opts.batchSize - 1);
      const claim = await runAsTenant(this.db, init, (ctx) => this.claimArchive(ctx, settings, from, to));
      if (!claim)
        return result('archive_failed', { archived, detail: `archive file from ${from} is being written` });
      const store = settings.enabled
        ? await this.s3StoreFor(tenantId, settings).catch((err: unknown) => err as Error)
        : { store: this.opts.archiveStore, secret: null };
      const record = await this.ship(init, claim, store);
      archived.push(record);
      if (record.status !== 'delivered')
        return result('archive_failed', { archived, detail: record.last_error ?? '' });
      from = record.to_seq + 1;
    }

    // Verify what is about to leave the database, against the trusted hash before it.
    const verification = await runAsTenant(this.db, init, (ctx) =>
      verifyStoredChain(ctx, this.keys, { from_seq: plan.first, to_seq: cut }),
    );
    if (!verification.ok)
      return result('verification_failed', {
        archived,
        detail: verification.problems
          .slice(0, 3)
          .map((p) => `${p.seq}: ${p.problem}`)
          .join('; '),
      });

    const pruned = await inSystemTransaction(this.db, async (tx) => {
      const [event] = rows<{ hash: string }>(
        await tx.execute(sql`select hash from audit_events where tenant_id = ${tenantId} and seq = ${cut}`),
      );
      if (!event) throw new Error(`the event at the cut ${cut} is not stored`);
      const [existing] = rows<{ hash: string }>(
        await tx.execute(
          sql`select hash from audit_checkpoints where tenant_id = ${tenantId} and seq = ${cut}`,
        ),
      );
      if (existing && existing.hash !== event.hash)
        throw new Error(`the checkpoint at ${cut} does not match the stored event`);
      if (!existing) {
        const c = signCheckpoint(
          { tenant_id: tenantId, seq: cut, hash: event.hash, signed_at: new Date().toISOString() },
          this.keys.privateKey,
        );
        await tx.execute(sql`insert into audit_checkpoints (tenant_id, seq, hash, signed_at, key_id, signature)
                             values (${tenantId}, ${c.seq}, ${c.hash}, ${c.signed_at}, ${c.key_id}, ${c.signature})
                             on conflict (tenant_id, seq) do nothing`);
      }
      await tx.execute(sql`update audit_checkpoints set archived = true
                            where tenant_id = ${tenantId} and seq <= ${cut} and not archived`);
      await tx.execute(sql`select set_config('app.audit_prune_through_seq', ${String(cut)}, true)`);
      const [deleted] = rows<{ n: string | number }>(
        await tx.execute(sql`with d as (delete from audit_events
                                         where tenant_id = ${tenantId} and seq is not null and seq <= ${cut}
                                         returning 1)
                             select count(*) as n from d`),
      );
      return Number(deleted?.n ?? 0);
    });
    await runAsTenant(this.db, init, (ctx) =>
      audit(ctx, {
        action: 'audit.retention.prune',
        resource: { type: 'audit_trail', id: null },
        metadata: {
          through_seq: cut,
          events_pruned: pruned,
          retention_days: settings.retention_days,
          checkpoint_seq: cut,
          archive_files: archived.length,
        },
      }),
    );
    this.opts.logger?.info?.(
      { tenant_id: tenantId, through_seq: cut, events_pruned: pruned },
      'audit retention pruned',
    );
    return result('pruned', { pruned, archived });
  }

  /** In the tenant's transaction: the archive file starting at `from` (a retry of it, or a new one), leased. */
  private async claimArchive(
    ctx: Ctx,
    settings: StoredAuditSettings,
    from: number,
    to: number,
  ): Promise<Claim | null> {
    const { tx, tenantId } = ctx;
    const now = this.clock();
    const leaseUntil = new Date(now.getTime() + LEASE_MS).toISOString();
    const destination = settings.enabled ? `s3://${settings.bucket}` : this.opts.archiveStore.destination;
    const keyOf = (a: number, b: number) =>
      settings.enabled
        ? objectKeyFor(settings.prefix, tenantId, a, b, 'archive')
        : objectKeyFor('', tenantId, a, b);
    const [existing] = rows<DeliveryRow>(
      await tx.execute(sql`select ${DELIVERY_COLUMNS} from audit_deliveries
                            where tenant_id = ${tenantId} and target = 'archive' and from_seq = ${from}
                            for update skip locked`),
    );
    let row: DeliveryRow | undefined;
    if (existing) {
      if (existing.leased_until && new Date(existing.leased_until) > now) return null;
      const a = Number(existing.from_seq);
      const b = Number(existing.to_seq);
      [row] = rows<DeliveryRow>(
        await tx.execute(sql`update audit_deliveries
                                set leased_until = ${leaseUntil}::timestamptz, destination = ${destination},
                                    object_key = ${keyOf(a, b)}, format = 'json'
                              where tenant_id = ${tenantId} and id = ${existing.id}
                          returning ${DELIVERY_COLUMNS}`),
      );
    } else {
      [row] = rows<DeliveryRow>(
        await tx.execute(sql`
          insert into audit_deliveries (tenant_id, id, target, from_seq, to_seq, format, destination, object_key,
                                        status, attempts, next_attempt_at, leased_until, created_at)
          values (${tenantId}, ${newId('adl')}, 'archive', ${from}, ${to}, 'json', ${destination}, ${keyOf(from, to)},
                  'pending', 0, ${now.toISOString()}::timestamptz, ${leaseUntil}::timestamptz, ${now.toISOString()}::timestamptz)
          on conflict (tenant_id, target, from_seq) do nothing
          returning ${DELIVERY_COLUMNS}`),
      );
    }
    if (!row) return null;
    return { row, settings, events: await this.eventsOf(tx, tenantId, row) };
  }
}

// -----------------------------------------------------------------------------------------------
// Reading deliveries (API)

export async function listDeliveries(
  ctx: Ctx,
  q: {
    limit: number;
    cursor?: string | undefined;
    status?: DeliveryStatus | undefined;
    target?: DeliveryTarget | undefined;
  },
): Promise<{ data: DeliveryRecord[]; next_cursor: string | null }> {
  const after = decodeCursor(q.cursor);
  const where: SQL[] = [sql`tenant_id = ${ctx.tenantId}`];
  if (after) where.push(sql`id < ${String(after[0])}`);
  if (q.status) where.push(sql`status = ${q.status}`);
  if (q.target) where.push(sql`target = ${q.target}`);
  const fetched = rows<DeliveryRow>(
    await ctx.tx.execute(sql`select ${DELIVERY_COLUMNS} from audit_deliveries where ${sql.join(where, sql` and `)}
                              order by id desc limit ${q.limit + 1}`),
  );
  return toPage(fetched, q.limit, (r) => [r.id], toRecord);
}

export async function getDelivery(ctx: Ctx, id: string): Promise<DeliveryRecord> {
  const [row] = rows<DeliveryRow>(
    await ctx.tx.execute(sql`select ${DELIVERY_COLUMNS} from audit_deliveries
                              where tenant_id = ${ctx.tenantId} and id = ${id}`),
  );
  if (!row) throw new AppError('not-found', `No audit delivery ${id}.`);
  return toRecord(row);
}
