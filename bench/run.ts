/**
 * Platform benchmarks, run on demand: `npm run bench` (PGlite) or `DATABASE_URL=postgres://… npm run bench`.
 *
 * 1. Start-up: spawns the real entry point (src/main.ts) on a fresh DATA_DIR, twice (first start migrates
 *    and seeds, second start opens the existing database), and reports time to ready and RSS at idle.
 * 2. HTTP: against a running app seeded with a fixed dataset (one tenant, 2 000 customer accounts),
 *    autocannon drives list, get and create requests for a fixed duration; reports throughput,
 *    latency percentiles and the server's RSS.
 *
 * Figures depend on the machine: compare runs on the same machine, as ratios.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const ACCOUNTS = 2000;

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function startServer(dataDir: string, extraEnv: Record<string, string> = {}) {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /API\s+(http:\/\/\S+)\/api\/v1/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  const readyMs = Math.round(performance.now() - t0);
  const stop = () =>
    new Promise<number | null>((resolve) => {
      child.on('exit', (code) => resolve(code));
      child.kill('SIGTERM');
    });
  return { child, url, readyMs, out, stop };
}

async function startupBench() {
  const dir = mkdtempSync(path.join(tmpdir(), 'comptoir-bench-'));
  try {
    const first = await startServer(dir);
    await new Promise((r) => setTimeout(r, 5000));
    const firstRss = rssMiB(first.child.pid!);
    await first.stop();
    const second = await startServer(dir);
    await new Promise((r) => setTimeout(r, 5000));
    const secondRss = rssMiB(second.child.pid!);
    await second.stop();
    console.log('\n== start-up (embedded PGlite, spawn to "ready", includes tsx compilation)');
    console.log(`first start (migrate + seed): ${first.readyMs} ms, RSS at idle ${firstRss} MiB`);
    console.log(`second start (existing data): ${second.readyMs} ms, RSS at idle ${secondRss} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function httpBench() {
  const dir = mkdtempSync(path.join(tmpdir(), 'comptoir-bench-'));
  const server = await startServer(dir);
  try {
    const token = /acme\s+(cpt_\S+)/.exec(server.out)?.[1];
    if (!token) throw new Error('no demo token printed');
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    // Fixed dataset: ACCOUNTS customer accounts.
    for (let i = 0; i < ACCOUNTS; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          fetch(`${server.url}/api/v1/accounts`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ name: `Bench client ${i + j}`, external_ref: `B-${i + j}` }),
          }),
        ),
      );
    }
    const first = (await (await fetch(`${server.url}/api/v1/accounts?limit=1`, { headers })).json()) as {
      data: { id: string }[];
    };
    const id = first.data[0]!.id;
    const scenarios: { name: string; opts: autocannon.Options }[] = [
      {
        name: 'GET /api/v1/accounts?limit=50',
        opts: { url: `${server.url}/api/v1/accounts?limit=50`, headers },
      },
      { name: 'GET /api/v1/accounts/:id', opts: { url: `${server.url}/api/v1/accounts/${id}`, headers } },
      {
        name: 'POST /api/v1/accounts',
        opts: {
          url: `${server.url}/api/v1/accounts`,
          method: 'POST',
          headers,
          body: JSON.stringify({ name: 'Load test SARL', siret: '73282932000074' }),
        },
      },
      { name: 'GET /healthz (framework floor)', opts: { url: `${server.url}/healthz` } },
    ];
    console.log(
      `\n== HTTP (${process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded PGlite'}, ${CONNECTIONS} connections, ${DURATION_S} s each, ${ACCOUNTS} accounts)`,
    );
    console.log(
      'scenario'.padEnd(34),
      'req/s'.padStart(8),
      'p50 ms'.padStart(8),
      'p90 ms'.padStart(8),
      'p99 ms'.padStart(8),
      'non-2xx'.padStart(8),
      'RSS MiB'.padStart(8),
    );
    for (const s of scenarios) {
      const r = await autocannon({ ...s.opts, connections: CONNECTIONS, duration: DURATION_S });
      console.log(
        s.name.padEnd(34),
        String(Math.round(r.requests.average)).padStart(8),
        String(r.latency.p50).padStart(8),
        String(r.latency.p90).padStart(8),
        String(r.latency.p99).padStart(8),
        String(r.non2xx).padStart(8),
        String(rssMiB(server.child.pid!)).padStart(8),
      );
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const which = process.argv[2] ?? 'all';
if (which === 'all' || which === 'startup') await startupBench();
if (which === 'all' || which === 'http') await httpBench();
