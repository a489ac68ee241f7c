import { type SQL, sql } from 'drizzle-orm';
import type { Ctx } from '../context.ts';
import { rows, type Tx } from '../db/database.ts';
import { decodeCursor, toPage } from '../http/pagination.ts';
import type { AuditEvent, Checkpoint, Outcome, VerificationResult } from './chain.ts';
import { GENESIS_HASH, verifyChain } from './chain.ts';
import type { AuditKeys } from './keys.ts';
import { audit } from './record.ts';
import { rowToCheckpoint, selectCheckpoints, selectEvents } from './store.ts';

/** Query of the trail (the console's viewer, an investigator's API client). */
export interface AuditQuery {
  limit: number;
  cursor?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  actor_id?: string | undefined;
  actor_type?: string | undefined;
  /** Exact action, or a prefix ending with `.*` (`accounts.*`). */
  action?: string | undefined;
  resource_type?: string | undefined;
  resource_id?: string | undefined;
  outcome?: Outcome | undefined;
  request_id?: string | undefined;
}

/** Newest first; includes events not yet sealed into the chain (their `seq` is null). */
export async function queryEvents(ctx: Ctx, q: AuditQuery) {
  const after = decodeCursor(q.cursor, 2);
  const where: SQL[] = [sql`tenant_id = ${ctx.tenantId}`];
  if (after) where.push(sql`(occurred_at, id) < (${String(after[0])}::timestamptz, ${String(after[1])})`);
  if (q.from) where.push(sql`occurred_at >= ${q.from}::timestamptz`);
  if (q.to) where.push(sql`occurred_at < ${q.to}::timestamptz`);
  if (q.actor_id) where.push(sql`actor_id = ${q.actor_id}`);
  if (q.actor_type) where.push(sql`actor_type = ${q.actor_type}`);
  if (q.action?.endsWith('.*')) where.push(sql`starts_with(action, ${q.action.slice(0, -1)})`);
  else if (q.action) where.push(sql`action = ${q.action}`);
  if (q.resource_type) where.push(sql`resource_type = ${q.resource_type}`);
  if (q.resource_id) where.push(sql`resource_id = ${q.resource_id}`);
  if (q.outcome) where.push(sql`outcome = ${q.outcome}`);
  if (q.request_id) where.push(sql`request_id = ${q.request_id}`);
  const fetched = await selectEvents(
    ctx.tx,
    sql.join(where, sql` and `),
    sql`order by occurred_at desc, id desc limit ${q.limit + 1}`,
  );
  const page = toPage(
    fetched,
    q.limit,
    (e) => [e.occurred_at, e.id],
    (e) => e,
  );
  const { limit: _l, cursor: _c, ...filters } = q;
  await audit(ctx, {
    action: 'audit.event.read',
    resource: { type: 'audit_trail', id: null },
    metadata: { filters, returned: page.data.length },
  });
  return page;
}

/** Sealed events after `after`, in chain order: the SIEM pull feed (no gaps, no duplicates). */
export async function readFeed(
  tx: Tx,
  tenantId: string,
  after: number,
  limit: number,
): Promise<AuditEvent[]> {
  return selectEvents(
    tx,
    sql`tenant_id = ${tenantId} and seq is not null and seq > ${after}`,
    sql`order by seq limit ${limit}`,
  );
}

export interface ChainState {
  head: { seq: number; hash: string } | null;
  /** The first sealed event still stored (earlier ones were archived and pruned). */
  first_seq: number | null;
  last_checkpoint: Checkpoint | null;
  unsealed: number;
}

export async function chainState(tx: Tx, tenantId: string): Promise<ChainState> {
  const [head] = rows<{ last_seq: string | number; last_hash: string }>(
    await tx.execute(sql`select last_seq, last_hash from audit_chain_heads where tenant_id = ${tenantId}`),
  );
  const [first] = rows<{ seq: string | number | null }>(
    await tx.execute(
      sql`select min(seq) as seq from audit_events where tenant_id = ${tenantId} and seq is not null`,
    ),
  );
  const [cp] = rows<Parameters<typeof rowToCheckpoint>[0]>(
    await tx.execute(sql`select tenant_id, seq, hash, signed_at, key_id, signature from audit_checkpoints
                          where tenant_id = ${tenantId} order by seq desc limit 1`),
  );
  const [unsealed] = rows<{ n: string | number }>(
    await tx.execute(
      sql`select count(*) as n from audit_events where tenant_id = ${tenantId} and seq is null`,
    ),
  );
  return {
    head: head && Number(head.last_seq) > 0 ? { seq: Number(head.last_seq), hash: head.last_hash } : null,
    first_seq: first?.seq == null ? null : Number(first.seq),
    last_checkpoint: cp ? rowToCheckpoint(cp) : null,
    unsealed: Number(unsealed?.n ?? 0),
  };
}

/**
 * The trusted hash just before `fromSeq`: the genesis hash at the start of the chain, else the signed
 * checkpoint at `fromSeq - 1` if there is one (after retention pruning there is), else the hash of the
 * stored event there (trusted only as far as the database is — the verification result says which).
 */
async function anchorBefore(
  tx: Tx,
  tenantId: string,
  fromSeq: number,
): Promise<{ seq: number; hash: string; source: 'genesis' | 'checkpoint' | 'event' | 'none' }> {
  if (fromSeq <= 1) return { seq: 0, hash: GENESIS_HASH, source: 'genesis' };
  const [cp] = rows<{ hash: string }>(
    await tx.execute(
      sql`select hash from audit_checkpoints where tenant_id = ${tenantId} and seq = ${fromSeq - 1}`,
    ),
  );
  if (cp) return { seq: fromSeq - 1, hash: cp.hash, source: 'checkpoint' };
  const [ev] = rows<{ hash: string }>(
    await tx.execute(
      sql`select hash from audit_events where tenant_id = ${tenantId} and seq = ${fromSeq - 1}`,
    ),
  );
  if (ev) return { seq: fromSeq - 1, hash: ev.hash, source: 'event' };
  return { seq: fromSeq - 1, hash: '', source: 'none' };
}

const VERIFY_BATCH = 5000;

export interface StoredVerification extends VerificationResult {
  anchor: 'genesis' | 'checkpoint' | 'event' | 'none';
  head: { seq: number; hash: string } | null;
  unsealed: number;
}

/**
 * Verifies the stored chain between two positions (default: everything still stored), in batches,
 * with the signed checkpoints in that range, against the deployment's public keys.
 */
export async function verifyStoredChain(
  ctx: Ctx,
  keys: AuditKeys,
  range: { from_seq?: number | undefined; to_seq?: number | undefined },
): Promise<StoredVerification> {
  const state = await chainState(ctx.tx, ctx.tenantId);
  const from = Math.max(range.from_seq ?? state.first_seq ?? 1, state.first_seq ?? 1);
  const to = Math.min(range.to_seq ?? state.head?.seq ?? 0, state.head?.seq ?? 0);
  const anchor = await anchorBefore(ctx.tx, ctx.tenantId, from);
  const total: VerificationResult = {
    ok: true,
    events_checked: 0,
    checkpoints_checked: 0,
    first_seq: null,
    last_seq: null,
    problems: [],
  };
  if (anchor.source === 'none')
    total.problems.push({ seq: from - 1, problem: 'no trusted hash before the range' });
  let prev = anchor.source === 'none' ? undefined : { seq: anchor.seq, hash: anchor.hash };
  for (let lo = from; lo <= to; lo += VERIFY_BATCH) {
    const hi = Math.min(to, lo + VERIFY_BATCH - 1);
    const events = await selectEvents(
      ctx.tx,
      sql`tenant_id = ${ctx.tenantId} and seq between ${lo} and ${hi}`,
      sql`order by seq`,
    );
    const checkpoints = await selectCheckpoints(ctx.tx, ctx.tenantId, lo, hi);
    const r = verifyChain(events, checkpoints, keys.publicKeys, prev);
    // The stored range must be complete up to `hi`: a deleted last row shows as a short batch.
    if (events.length && events.at(-1)!.seq! < hi)
      r.problems.push({ seq: hi, problem: `events ${events.at(-1)!.seq! + 1}–${hi} are missing` });
    if (!events.length) r.problems.push({ seq: lo, problem: `events ${lo}–${hi} are missing` });
    total.events_checked += r.events_checked;
    total.checkpoints_checked += r.checkpoints_checked;
    total.first_seq ??= r.first_seq;
    total.last_seq = r.last_seq ?? total.last_seq;
    total.problems.push(...r.problems);
    const last = events.at(-1);
    if (last?.hash) prev = { seq: last.seq!, hash: last.hash };
  }
  if (state.head && to === state.head.seq && prev && prev.hash !== state.head.hash)
    total.problems.push({ seq: state.head.seq, problem: 'the chain head does not match the last event' });
  total.ok = total.problems.length === 0;
  await audit(ctx, {
    action: 'audit.chain.verify',
    resource: { type: 'audit_trail', id: null },
    outcome: 'success',
    metadata: { from_seq: from, to_seq: to, ok: total.ok, problems: total.problems.length },
  });
  return { ...total, anchor: anchor.source, head: state.head, unsealed: state.unsealed };
}

/** The header line of an export: what it covers and what to verify it against. */
export interface ExportHeader {
  kind: 'header';
  format: 'comptoir-audit-export';
  version: 1;
  tenant_id: string;
  exported_at: string;
  from_seq: number;
  to_seq: number;
  /** The hash before `from_seq`: genesis, or a checkpoint's / previous export's last hash. */
  anchor: { seq: number; hash: string; source: string };
  public_keys: { key_id: string; algorithm: 'Ed25519'; public_key_pem: string }[];
}

/**
 * Streams a verifiable export as JSON lines: a header, the events (native JSON, `kind: "event"`),
 * then the signed checkpoints of the range (`kind: "checkpoint"`). `npm run cli -- audit:verify
 * --file` checks it offline.
 */
export async function* exportLines(
  ctx: Ctx,
  keys: AuditKeys,
  range: { from_seq?: number | undefined; to_seq?: number | undefined },
): AsyncGenerator<string> {
  const state = await chainState(ctx.tx, ctx.tenantId);
  const from = Math.max(range.from_seq ?? state.first_seq ?? 1, state.first_seq ?? 1);
  // An export ends at a signed checkpoint, so that a truncated copy is detectable offline.
  const [end] = rows<{ seq: string | number }>(
    await ctx.tx.execute(sql`select seq from audit_checkpoints where tenant_id = ${ctx.tenantId}
                              and seq <= ${Math.min(range.to_seq ?? Number.MAX_SAFE_INTEGER, state.head?.seq ?? 0)}
                              order by seq desc limit 1`),
  );
  const to = end ? Number(end.seq) : from - 1;
  const anchor = await anchorBefore(ctx.tx, ctx.tenantId, from);
  await audit(ctx, {
    action: 'audit.export.run',
    resource: { type: 'audit_trail', id: null },
    metadata: { from_seq: from, to_seq: to },
  });
  const header: ExportHeader = {
    kind: 'header',
    format: 'comptoir-audit-export',
    version: 1,
    tenant_id: ctx.tenantId,
    exported_at: new Date().toISOString(),
    from_seq: from,
    to_seq: to,
    anchor,
    public_keys: publicKeyList(keys),
  };
  yield JSON.stringify(header);
  for (let lo = from; lo <= to; lo += VERIFY_BATCH) {
    const hi = Math.min(to, lo + VERIFY_BATCH - 1);
    const events = await selectEvents(
      ctx.tx,
      sql`tenant_id = ${ctx.tenantId} and seq between ${lo} and ${hi}`,
      sql`order by seq`,
    );
    for (const e of events) yield JSON.stringify({ kind: 'event', ...e });
  }
  for (const c of to >= from ? await selectCheckpoints(ctx.tx, ctx.tenantId, from, to) : [])
    yield JSON.stringify({ kind: 'checkpoint', ...c });
}

export function publicKeyList(keys: AuditKeys): ExportHeader['public_keys'] {
  return [...keys.publicKeys.entries()].map(([key_id, k]) => ({
    key_id,
    algorithm: 'Ed25519' as const,
    public_key_pem: k.export({ type: 'spki', format: 'pem' }).toString(),
  }));
}

export async function listCheckpoints(ctx: Ctx, q: { limit: number; cursor?: string | undefined }) {
  const after = decodeCursor(q.cursor);
  const fetched = rows<Parameters<typeof rowToCheckpoint>[0]>(
    await ctx.tx.execute(sql`select tenant_id, seq, hash, signed_at, key_id, signature from audit_checkpoints
                              where tenant_id = ${ctx.tenantId} ${after ? sql`and seq < ${Number(after[0])}` : sql``}
                              order by seq desc limit ${q.limit + 1}`),
  ).map(rowToCheckpoint);
  return toPage(
    fetched,
    q.limit,
    (c) => [c.seq],
    (c) => c,
  );
}
