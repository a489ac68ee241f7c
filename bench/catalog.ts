/**
 * Catalogue benchmark over HTTP, run on demand (PostgreSQL; see bench/README.md for results):
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres BENCH_SKUS=100000 npm run bench:catalog
 *
 *   BENCH_SKUS=10000 | 100000 (default) | 1000000   dataset size (bench/dataset.ts, deterministic)
 *   BENCH_DURATION_S=20  BENCH_CONNECTIONS=8          per workload
 *   BENCH_KEEP=1          keep the database (its name and the dataset are printed / saved for reuse)
 *   BENCH_REUSE=<db>      run the workloads against a kept database (no generation)
 *   BENCH_ONLY=search,category,search-price,product,cart   a subset of the workloads (`none`: load only)
 *   BENCH_SERVER_DIR=<checkout>  serve from another checkout (before/after comparisons, same dataset)
 *   BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'  Node options for the server (profiling)
 *   BENCH_SEARCH_PRICES=0 search and listing without `currency` (hits unpriced: the cost of prices)
 *
 * 1. Creates a throw-away database, migrates it, loads the dataset (bench/dataset.ts) and checks
 *    that sample products re-upserted through the service come out identical.
 * 2. Starts the real server (src/main.ts) on that database and drives it over loopback with
 *    autocannon, one workload at a time: search with facets (buyer with visibility rules), category
 *    listing with facets (both with the buyer's resolved prices on the hits, `currency=EUR`), product
 *    page, a 50-line cart priced in one POST /prices/resolve-batch (owner token, key account with
 *    contract prices).
 * 3. Reports per workload throughput, p50/p95/p99, CPU milliseconds per request of the server
 *    process (/proc/<pid>/stat) and of the PostgreSQL backends serving this database
 *    (pg_stat_activity → /proc/<pid>/stat), and the server's RSS.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { openDatabase } from '../platform/db/database.ts';
import { migrate } from '../platform/db/migrate.ts';
import { ADJ, benchId, type Dataset, fidelityCheck, generateDataset, NOUNS, skuOf } from './dataset.ts';

const SKUS = Number(process.env.BENCH_SKUS ?? 100_000);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const ONLY = (
  process.env.BENCH_ONLY ??
  'search,search-cold,category,search-price,search-price-cold,product,product-cold,cart'
).split(',');
const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!adminUrl) throw new Error('Set BENCH_DATABASE_URL or TEST_DATABASE_URL (a PostgreSQL server)');
const CLK_TCK = 100; // jiffies per second on Linux
/** Search and listing hits carry the buyer's EUR prices; BENCH_SEARCH_PRICES=0 measures them without. */
const PRICED: Record<string, string> = process.env.BENCH_SEARCH_PRICES === '0' ? {} : { currency: 'EUR' };

const dbUrlOf = (name: string) => {
  const u = new URL(adminUrl!);
  u.pathname = `/${name}`;
  return u.toString();
};
const infoPath = (name: string) => path.join(tmpdir(), `${name}.json`);

function cpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK; // utime + stime
  } catch {
    return 0;
  }
}
const rssMiB = (pid: number) =>
  Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024);

/** The server's running count of round trips to PostgreSQL (bench/roundtrips.mjs). */
const RT_FILE = path.join(tmpdir(), `comptoir-bench-roundtrips-${process.pid}`);
const roundTripsSoFar = async () => {
  await new Promise((r) => setTimeout(r, 250)); // the preload writes every 200 ms
  try {
    return Number(readFileSync(RT_FILE, 'utf8'));
  } catch {
    return Number.NaN;
  }
};

async function startServer(dbUrl: string) {
  // BENCH_NODE_ARGS: extra Node options for the server, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const roundTrips = path.resolve(import.meta.dirname, 'roundtrips.mjs');
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--import', roundTrips, '--import', 'tsx', 'src/main.ts'],
    {
      env: {
        ...process.env,
        BENCH_RT_FILE: RT_FILE,
        DATABASE_URL: dbUrl,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        SEED_DEMO: 'false',
        DB_POOL_MAX: String(process.env.BENCH_POOL ?? 10),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
      // BENCH_SERVER_DIR: run the server of another checkout (e.g. the previous release) on this dataset.
      cwd: process.env.BENCH_SERVER_DIR ?? process.cwd(),
    },
  );
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /API\s+(http:\/\/\S+)\/api\/v1/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      child.on('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { pid: child.pid!, url, stop };
}

async function main() {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  let name = process.env.BENCH_REUSE ?? '';
  let ds: Dataset;
  let skus = SKUS;
  if (name) {
    ds = JSON.parse(readFileSync(infoPath(name), 'utf8')) as Dataset;
    skus = (ds as Dataset & { skus: number }).skus;
  } else {
    name = `comptoir_bench_${SKUS}_${Date.now().toString(36)}`;
    await admin.query(`create database ${name}`);
    const db = await openDatabase({ url: dbUrlOf(name), poolMax: 4 });
    try {
      await migrate(db);
      const t0 = performance.now();
      console.log(`== dataset: ${SKUS} SKUs into ${name}`);
      ds = await generateDataset(db, dbUrlOf(name), SKUS);
      const loadS = (performance.now() - t0) / 1000;
      const diffs = await fidelityCheck(db, ds.tenantId, [1, 2, ds.products - 1]);
      console.log(
        `loaded ${SKUS} SKUs in ${loadS.toFixed(1)} s; fidelity check (3 products re-upserted through the service): ${diffs.length ? `DIFFERENCES\n${diffs.join('\n')}` : 'identical'}`,
      );
      writeFileSync(infoPath(name), JSON.stringify({ ...ds, skus: SKUS }));
    } finally {
      await db.close();
    }
  }
  const size = rows1(await admin.query(`select pg_size_pretty(pg_database_size($1)) as s`, [name]));
  console.log(`database ${name}: ${size.s}`);

  const server = await startServer(dbUrlOf(name));
  const buyer = { authorization: `Bearer ${ds.buyerToken}` };
  const owner = { authorization: `Bearer ${ds.ownerToken}` };
  const qs = (o: Record<string, string | number>) =>
    Object.entries(o)
      .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
      .join('&');
  const searches = [
    { q: 'perceuse', locale: 'fr' },
    { q: 'cheville inox', locale: 'fr' },
    { q: 'ecrou etanche', locale: 'fr' },
    { q: 'cordless drill', locale: 'en' },
    { q: 'SKU000012', locale: 'fr' },
    { q: 'tournevsi', locale: 'fr' },
    { q: 'marteau professionnel 12', locale: 'fr' },
    { q: 'heavy duty ladder', locale: 'en' },
  ].map((s) => ({
    method: 'GET' as const,
    path: `/api/v1/catalog/search?${qs({ ...s, limit: 20, ...PRICED })}`,
    headers: buyer,
  }));
  // Searches that never repeat within a run (the read cache cannot answer them): what a search costs
  // when nobody asked the same thing since the last change — noun + adjective + size in fr or en, some
  // without accents, and SKU prefixes; a fixed pseudo-random sequence.
  const fold = (t: string) => t.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  const coldSearches = Array.from({ length: 6000 }, (_, k) => {
    const h = (k * 2654435761) >>> 0;
    const [nfr, nen] = NOUNS[h % NOUNS.length]!;
    const [afr, aen] = ADJ[(h >>> 8) % ADJ.length]!;
    const size = 2 + ((h >>> 16) % 97);
    const q =
      k % 10 === 9
        ? `SKU${String((h >>> 4) % ds.products).padStart(7, '0')}`
        : k % 2
          ? `${aen} ${nen} ${size}`
          : k % 4 === 2
            ? fold(`${nfr} ${afr} ${size}`)
            : `${nfr} ${afr} ${size}`;
    return {
      method: 'GET' as const,
      path: `/api/v1/catalog/search?${qs({ q, locale: k % 2 && k % 10 !== 9 ? 'en' : 'fr', limit: 20, ...PRICED })}`,
      headers: buyer,
    };
  });
  const cats = ['r0', 'r1s2', 'r2s3l1', 'r3s0', 'r4s5l4', 'r5'].map((c) => ds.categoryIds[c]!);
  const listings = cats.map((c, i) => ({
    method: 'GET' as const,
    path: `/api/v1/catalog/search?${qs({ category_id: c, limit: 24, locale: 'fr', ...PRICED, ...(i % 2 ? { attr: 'finish:inox' } : {}) })}`,
    headers: buyer,
  }));
  // Visible products spread over the catalogue (active, not in root 7).
  const visible = Array.from({ length: 64 }, (_, k) => Math.floor((k * ds.products) / 64)).map((i) => {
    let j = i;
    while (j % 10 === 9 || j % 50 === 7 || Math.floor((j % 240) / 30) === 7) j++;
    return j;
  });
  const pages = visible.map((i) => ({
    method: 'GET' as const,
    path: `/api/v1/catalog/products/${benchId('prod', i)}?locale=fr`,
    headers: buyer,
  }));
  // Product pages that never repeat within a run: 20,000 visible products, more than the read cache holds.
  const coldPages = Array.from({ length: 20_000 }, (_, k) => {
    let j = Math.floor((k * ds.products) / 20_000);
    while (j % 10 === 9 || j % 50 === 7 || Math.floor((j % 240) / 30) === 7) j++;
    return {
      method: 'GET' as const,
      path: `/api/v1/catalog/products/${benchId('prod', j)}?locale=fr`,
      headers: buyer,
    };
  });
  const cartLines = Array.from({ length: 50 }, (_, k) => ({
    sku: skuOf(visible[k % visible.length]! + k, k % 2),
    quantity: String(1 + (k % 12)),
  }));
  // The whole cart in one POST /prices/resolve-batch (the price context loaded once, then the pure
  // resolvePrice per line); a few carts that differ by their quantities.
  const carts = Array.from({ length: 4 }, (_, c) => ({
    method: 'POST' as const,
    path: '/api/v1/prices/resolve-batch',
    headers: { ...owner, 'content-type': 'application/json' },
    body: JSON.stringify({
      currency: 'EUR',
      account_id: ds.keyAccountId,
      lines: cartLines.map((l, k) => ({ sku: l.sku, quantity: String(1 + ((k + c * 5) % 12)) })),
    }),
  }));
  // autocannon sends a `requests` list from its start on every connection (each request 8 times):
  // one request whose path comes from a counter shared by all connections sends each once.
  function unique(list: { method: 'GET'; path: string; headers: Record<string, string> }[]) {
    let next = 0;
    return [
      {
        method: 'GET' as const,
        headers: buyer,
        setupRequest: (req: autocannon.Request) => ({ ...req, path: list[next++ % list.length]!.path }),
      },
    ];
  }
  // The same searches and listings by price: cheapest / dearest first, some within a price range
  // (the hit set priced for this buyer, kept while prices stay the same).
  const byPrice = [...searches, ...listings].map((r, i) => ({
    ...r,
    path: `${r.path}&sort=${i % 2 ? '-price' : 'price'}${i % 3 === 2 ? '&price_min=10&price_max=500' : ''}`,
  }));
  const coldByPrice = coldSearches.map((r) => ({ ...r, path: `${r.path}&sort=price` }));
  const workloads: { key: string; name: string; requests: autocannon.Request[] }[] = [
    { key: 'search', name: 'search + facets + prices (buyer, 8 q.)', requests: searches },
    { key: 'category', name: 'category + facets + prices (buyer)', requests: listings },
    { key: 'search-cold', name: 'search, never the same twice (buyer)', requests: unique(coldSearches) },
    { key: 'search-price', name: 'search/category by price (buyer, 14 q.)', requests: byPrice },
    {
      key: 'search-price-cold',
      name: 'search by price, never the same twice',
      requests: unique(coldByPrice),
    },
    { key: 'product', name: 'product page (buyer, 64 products)', requests: pages },
    { key: 'product-cold', name: 'product page, never the same twice', requests: unique(coldPages) },
    { key: 'cart', name: 'price a 50-line cart (1 batch request)', requests: carts },
  ];

  // Sanity: each request answers 200 (and the buyer never sees root 7 except product 239).
  // (A workload of unique requests is checked on the last few of its list, which a run does not reach.)
  for (const w of workloads.filter((w) => ONLY.includes(w.key)))
    for (const r of (w.requests[0]?.setupRequest
      ? (w.key === 'search-cold'
          ? coldSearches
          : w.key === 'search-price-cold'
            ? coldByPrice
            : coldPages
        ).slice(-3)
      : w.requests) as autocannon.Request[]) {
      const res = await fetch(`${server.url}${r.path}`, {
        method: r.method,
        headers: r.headers as Record<string, string>,
        ...(r.body ? { body: r.body as string } : {}),
      });
      if (res.status !== 200) throw new Error(`${r.path}: ${res.status} ${await res.text()}`);
      if (r === searches[0] || r === carts[0]) {
        const body = (await res.json()) as { data: { price?: unknown; priced?: boolean }[] };
        const priced = body.data.filter((x) => (r === carts[0] ? x.priced : x.price)).length;
        console.log(
          `sanity: ${r.method} ${(r.path ?? '').slice(0, 60)} → ${priced}/${body.data.length} priced`,
        );
      }
    }

  const backends = async () =>
    (await admin.query(`select pid from pg_stat_activity where datname = $1`, [name])).rows.map(
      (r: { pid: number }) => r.pid,
    );
  console.log(
    `\n== HTTP over loopback, PostgreSQL, ${skus} SKUs, ${CONNECTIONS} connections, ${DURATION_S} s per workload`,
  );
  console.log(
    [
      'workload'.padEnd(38),
      'req/s'.padStart(7),
      'p50 ms'.padStart(6),
      'p95'.padStart(6),
      'p99'.padStart(6),
      'non2xx'.padStart(7),
      'srv ms/req'.padStart(11),
      'pg ms/req'.padStart(10),
      'RSS MiB'.padStart(8),
      'pg RT/req'.padStart(9),
    ].join(' '),
  );
  try {
    for (const w of workloads.filter((w) => ONLY.includes(w.key))) {
      // Warm-up (connections of the pool, caches), then the measured run.
      await autocannon({ url: server.url, requests: w.requests, connections: CONNECTIONS, duration: 3 });
      const pids = await backends();
      const rt0 = await roundTripsSoFar();
      const srv0 = cpuMs(server.pid);
      const pg0 = new Map(pids.map((p) => [p, cpuMs(p)]));
      const lat: number[] = [];
      const r = await new Promise<autocannon.Result>((resolve, reject) => {
        const inst = autocannon(
          { url: server.url, requests: w.requests, connections: CONNECTIONS, duration: DURATION_S },
          (err, res) => (err ? reject(err) : resolve(res)),
        );
        inst.on('response', (_c: unknown, _s: number, _b: number, ms: number) => lat.push(ms));
      });
      lat.sort((a, b) => a - b);
      const pct = (p: number) =>
        (lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? 0).toFixed(1);
      const srv = cpuMs(server.pid) - srv0;
      const rt = (await roundTripsSoFar()) - rt0;
      let pgMs = 0;
      const after = await backends();
      for (const p of new Set([...pids, ...after])) pgMs += Math.max(0, cpuMs(p) - (pg0.get(p) ?? 0));
      // A backend that exited during the run took its CPU time with it: say so.
      const lost = pids.filter((p) => !after.includes(p)).length;
      if (lost)
        console.log(
          `  (${lost} PostgreSQL backend(s) exited during the run: the pg figure below is a lower bound)`,
        );
      const n = lat.length || 1;
      console.log(
        [
          w.name.padEnd(38),
          String(Math.round(r.requests.average)).padStart(7),
          pct(50).padStart(6),
          pct(95).padStart(6),
          pct(99).padStart(6),
          String(r.non2xx).padStart(7),
          (srv / n).toFixed(2).padStart(11),
          (pgMs / n).toFixed(2).padStart(10),
          String(rssMiB(server.pid)).padStart(8),
          (rt / n).toFixed(2).padStart(9),
        ].join(' '),
      );
    }
  } finally {
    await server.stop();
    if (process.env.BENCH_KEEP === '1' || process.env.BENCH_REUSE)
      console.log(`kept database ${name} (BENCH_REUSE=${name}; dataset in ${infoPath(name)})`);
    else {
      await admin.query(`drop database if exists ${name} with (force)`);
      if (existsSync(infoPath(name))) writeFileSync(infoPath(name), '');
    }
    await admin.end();
  }
}

function rows1(r: { rows: Record<string, string>[] }) {
  return r.rows[0]!;
}

await main();
