/**
 * The cost of auditing, run on demand: `npm run bench:audit` (PostgreSQL from DATABASE_URL or
 * TEST_DATABASE_URL, else PGlite).
 *
 * 1. Writes: one tenant, CONCURRENCY workers for DURATION_S seconds each running the same business
 *    transaction (insert a customer account + its outbox event), first without the audit call, then
 *    with it (and the sealer running, chaining events as they commit). Reports throughput, latency
 *    percentiles and the ratio.
 * 2. Sealing: how many events per second the sealer chains (backlog drained from cold).
 * 3. Verification: events per second, for the pure offline check (verifyChain on an export) and for
 *    the stored-chain check the API runs.
 *
 * Fixed dataset: a fresh database each run; the accounts are numbered, not random.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { accounts } from '../modules/accounts/schema.ts';
import { GENESIS_HASH, verifyChain } from '../platform/audit/chain.ts';
import { ephemeralAuditKeys } from '../platform/audit/keys.ts';
import { audit } from '../platform/audit/record.ts';
import { AuditSealer } from '../platform/audit/sealer.ts';
import { verifyStoredChain } from '../platform/audit/service.ts';
import { selectCheckpoints, selectEvents } from '../platform/audit/store.ts';
import { runAsTenant } from '../platform/context.ts';
import { type Database, openDatabase } from '../platform/db/database.ts';
import { migrate } from '../platform/db/migrate.ts';
import { inTenantTransaction } from '../platform/db/scope.ts';
import { publish } from '../platform/events/outbox.ts';
import { newId } from '../platform/ids.ts';
import { createTenant } from '../platform/tenancy/service.ts';
import '../modules/accounts/events.ts';
import { sql } from 'drizzle-orm';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function openBenchDatabase(): Promise<{ db: Database; drop: () => Promise<void>; label: string }> {
  const adminUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    const db = await openDatabase({ url: null, pgliteDir: 'memory' });
    await migrate(db);
    return { db, drop: () => db.close(), label: 'PGlite (in memory)' };
  }
  const name = `comptoir_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), poolMax: CONCURRENCY + 2 });
  await migrate(db);
  return {
    db,
    label: 'PostgreSQL',
    drop: async () => {
      await db.close();
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

let counter = 0;

async function writeOnce(db: Database, tenantId: string, audited: boolean): Promise<void> {
  await runAsTenant(db, { tenantId, requestId: `req_bench_${counter}`, ip: '127.0.0.1' }, async (ctx) => {
    counter += 1;
    const id = newId('acct');
    const now = new Date();
    await ctx.tx.insert(accounts).values({
      tenantId,
      id,
      name: `Client ${counter}`,
      legalName: null,
      country: 'FR',
      siret: null,
      vatNumber: null,
      externalRef: `B-${counter}`,
      status: 'active',
      createdAt: now,
      updatedAt: now,
    });
    if (audited)
      await audit(ctx, {
        action: 'accounts.account.create',
        resource: { type: 'account', id },
        changes: { name: { before: null, after: `Client ${counter}` } },
      });
    await publish(ctx, 'account.created', { account_id: id, name: `Client ${counter}`, external_ref: null });
  });
}

async function writes(db: Database, tenantId: string, audited: boolean) {
  const latencies: number[] = [];
  const end = performance.now() + DURATION_S * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await writeOnce(db, tenantId, audited);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    writes_per_s: Math.round(latencies.length / DURATION_S),
    p50_ms: +percentile(latencies, 50).toFixed(1),
    p95_ms: +percentile(latencies, 95).toFixed(1),
    p99_ms: +percentile(latencies, 99).toFixed(1),
    count: latencies.length,
  };
}

async function main() {
  const { db, drop, label } = await openBenchDatabase();
  const keys = ephemeralAuditKeys();
  try {
    const { tenant } = await createTenant(db, {
      name: 'Bench Négoce',
      slug: 'bench',
      owner: { email: 'owner@bench.example', displayName: 'Bench Owner' },
    });
    console.log(`Audit benchmark on ${label}: ${CONCURRENCY} concurrent writers, ${DURATION_S} s per phase`);
    await writes(db, tenant.id, false); // warm-up (JIT, pool, plans); not reported
    const plain = await writes(db, tenant.id, false);
    const sealer = new AuditSealer(db, keys, { pollMs: 200, checkpointIntervalMs: 60_000 });
    sealer.start();
    const audited = await writes(db, tenant.id, true);
    await sealer.stop();
    console.table({ 'without audit': plain, 'with audit + sealer': audited });
    console.log(
      `audited / non-audited throughput: ${(audited.writes_per_s / plain.writes_per_s).toFixed(2)}`,
    );

    // Sealing from cold: a backlog of unsealed events.
    const backlog = 20_000;
    await inTenantTransaction(db, tenant.id, (tx) =>
      tx.execute(sql`insert into audit_events (tenant_id, id, occurred_at, actor_type, actor_id, actor_name, action, outcome)
                      select ${tenant.id}, 'aud_bench' || g, now(), 'system', 'system:bench', 'Bench', 'bench.event.create', 'success'
                        from generate_series(1, ${backlog}) g`),
    );
    const s0 = performance.now();
    const sealed = await sealer.drain();
    const sealS = (performance.now() - s0) / 1000;
    await sealer.sealTenant(tenant.id, true);
    console.log(
      `sealing: ${sealed} events in ${sealS.toFixed(2)} s = ${Math.round(sealed / sealS)} events/s`,
    );

    // Offline verification (pure function over loaded events) and the stored-chain check.
    const events = await inTenantTransaction(db, tenant.id, (tx) =>
      selectEvents(tx, sql`tenant_id = ${tenant.id} and seq is not null`, sql`order by seq`),
    );
    const checkpoints = await inTenantTransaction(db, tenant.id, (tx) =>
      selectCheckpoints(tx, tenant.id, 1, Number.MAX_SAFE_INTEGER),
    );
    const v0 = performance.now();
    const offline = verifyChain(events, checkpoints, keys.publicKeys, { seq: 0, hash: GENESIS_HASH });
    const offlineS = (performance.now() - v0) / 1000;
    console.log(
      `offline verification: ${offline.events_checked} events, ok=${offline.ok}, ${Math.round(offline.events_checked / offlineS)} events/s`,
    );
    const w0 = performance.now();
    const stored = await runAsTenant(db, { tenantId: tenant.id }, (ctx) => verifyStoredChain(ctx, keys, {}));
    const storedS = (performance.now() - w0) / 1000;
    console.log(
      `stored-chain verification (reads from the database): ${stored.events_checked} events, ok=${stored.ok}, ${Math.round(stored.events_checked / storedS)} events/s`,
    );
    const mem = process.memoryUsage();
    console.log(`benchmark process RSS ${Math.round(mem.rss / 2 ** 20)} MiB`);
  } finally {
    await drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
