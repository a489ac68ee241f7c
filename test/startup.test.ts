import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { readMigrations } from '../platform/db/migrate.ts';
import type { DemoCredentials } from '../src/seed.ts';
import {
  type Child,
  cleanEnv,
  exitWithin,
  killAll,
  removeTempDirs,
  request,
  run,
  start,
  stopAll,
  TSX,
  tempDir,
} from './child-process.ts';

/**
 * `npm start` (`tsx src/main.ts`) as an operator meets it: a real process on a fresh data directory,
 * seen only through what it prints, its exit code and HTTP.
 */

const MIGRATIONS = readMigrations().length;
const START = [TSX, 'src/main.ts'];
const READY = /Comptoir is ready in \d+ ms \((.*)\)\.$/m;

// Real processes (tsx, PGlite, migrations): generous limits for a busy machine.
vi.setConfig({ testTimeout: 180_000 });

afterAll(async () => {
  await killAll();
  removeTempDirs();
});

interface Banner {
  summary: string;
  base: string;
  /** The lines under "Demo logins". */
  loginLines: string[];
  tokens: Record<string, string>;
}

/**
 * Waits for the banner (printed once the server listens) and reads it as an operator would. Its last
 * line is the `Try: curl` example when demo credentials are shown, else the health URLs.
 */
async function banner(child: Child, opts: { demo: boolean }): Promise<Banner> {
  const end = opts.demo
    ? /Comptoir is ready[\s\S]*?\nTry: curl .*\n/
    : /Comptoir is ready[\s\S]*?\n {2}Health .*\n/;
  const ready = await child.waitFor(end, 150_000);
  const text = ready[0];
  const summary = READY.exec(text)?.[1] ?? '';
  const base = /^ {2}API {12}(http:\/\/\S+)\/api\/v1$/m.exec(text)?.[1] ?? '';
  const loginLines = /^Demo logins.*\n((?: {2}.*\n)*)/m.exec(text)?.[1]?.trimEnd().split('\n') ?? [];
  const tokens = Object.fromEntries(
    [...text.matchAll(/^ {2}(acme|bricoles) +(cpt_[A-Za-z0-9_-]{43})$/gm)].map((m) => [m[1]!, m[2]!]),
  );
  return { summary, base, loginLines, tokens };
}

async function getJson(url: string, token?: string) {
  const res = await request(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: res.status, body: res.body ? JSON.parse(res.body) : null };
}

/** SIGTERM as an orchestrator sends it; the exit code, within `ms`. */
async function stop(child: Child, ms = 30_000): Promise<number | string> {
  child.signal('SIGTERM');
  const exit = await exitWithin(child, ms);
  return exit ? (exit.code ?? `signal ${exit.signal}`) : 'still running';
}

describe('npm start on the embedded database (PGlite)', () => {
  // A failed test must not leave its server holding the data directory the next test opens.
  afterEach(stopAll);
  const dataDir = tempDir();
  const env = cleanEnv({ DATA_DIR: dataDir, PORT: '0' });
  let first: Banner;
  let accountIds: string[];
  let credentialsFile: string;

  it('first start: migrates, seeds the demo tenants, serves and prints where and how to log in', async () => {
    const child = start(START, env);
    first = await banner(child, { demo: true });

    expect(first.summary).toBe(`embedded PGlite in ${dataDir}, applied ${MIGRATIONS} migration(s)`);
    expect(first.base).toMatch(/^http:\/\/localhost:\d+$/);
    const { base } = first;
    expect(child.stdout).toContain(`API reference  ${base}/docs\n`);
    expect(child.stdout).toContain(`OpenAPI        ${base}/openapi.json\n`);
    expect(child.stdout).toContain(`Health         ${base}/healthz  ${base}/readyz\n`);

    // Demo logins with generated passwords, as saved in DATA_DIR (0600): Acme's four staff users,
    // the Bricoles owner.
    credentialsFile = path.join(dataDir, 'demo-credentials.json');
    expect(child.stdout).toContain(`also in ${credentialsFile}`);
    const saved = JSON.parse(readFileSync(credentialsFile, 'utf8')) as DemoCredentials;
    expect(first.loginLines).toHaveLength(saved.logins.length);
    for (const l of saved.logins) {
      const shown = first.loginLines.filter(
        (line) =>
          line.trimStart().startsWith(`${l.tenant} `) &&
          line.includes(` ${l.role} `) &&
          line.includes(` ${l.email} `) &&
          line.endsWith(` ${l.password}`),
      );
      expect(shown, `${l.tenant} ${l.role} in\n${first.loginLines.join('\n')}`).toHaveLength(1);
    }
    const roles = saved.logins.map((l) => `${l.tenant} ${l.role}`);
    expect(roles).toEqual(
      expect.arrayContaining([
        'acme owner',
        'acme catalogue manager',
        'acme sales administration',
        'acme finance',
        'bricoles owner',
      ]),
    );
    expect(new Set(saved.logins.map((l) => l.password)).size).toBe(saved.logins.length);
    expect(saved.logins.every((l) => l.password.length >= 12)).toBe(true);
    expect(saved.apiTokens).toEqual([
      { tenant: 'acme', token: first.tokens.acme },
      { tenant: 'bricoles', token: first.tokens.bricoles },
    ]);
    expect(statSync(credentialsFile).mode & 0o777).toBe(0o600);
    expect(child.stdout).toContain(
      `Try: curl -H "Authorization: Bearer ${first.tokens.acme}" ${base}/api/v1/accounts`,
    );

    // What the banner promises answers.
    expect(await getJson(`${base}/readyz`)).toEqual({
      status: 200,
      body: { status: 'ready', database: 'pglite' },
    });
    expect(await getJson(`${base}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
    const docs = await fetch(`${base}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/<html/i);
    const openapi = await getJson(`${base}/openapi.json`);
    expect(openapi.status).toBe(200);
    expect(openapi.body.openapi).toMatch(/^3\.1\./);

    // The printed tokens work, each on its own tenant's data; no token is a 401.
    const acme = await getJson(`${base}/api/v1/accounts`, first.tokens.acme);
    expect(acme.status).toBe(200);
    // Five customer accounts for Acme (README), one for Bricoles.
    expect(acme.body.data).toHaveLength(5);
    expect(acme.body.data.map((a: { name: string }) => a.name)).toContain('Boulangerie Martin');
    accountIds = acme.body.data.map((a: { id: string }) => a.id).sort();
    const bricoles = await getJson(`${base}/api/v1/accounts`, first.tokens.bricoles);
    expect(bricoles.status).toBe(200);
    expect(bricoles.body.data.map((a: { name: string }) => a.name)).toEqual(['Quincaillerie Roux']);
    expect((await getJson(`${base}/api/v1/accounts`)).status).toBe(401);
    // The storefront at http://localhost is Acme's (its demo domains).
    const shop = await getJson(`${base}/api/v1/public/tenant`);
    expect(shop.status).toBe(200);
    expect(shop.body).toMatchObject({ slug: 'acme', name: 'Acme Industrie' });

    expect(await stop(child)).toBe(0);
    expect(child.stderr).toContain('SIGTERM received');
  });

  it('second start on the same DATA_DIR: same data, no migration, no second seed', async () => {
    expect(first?.tokens.acme, 'the first start must have succeeded').toBeTruthy();
    const before = readFileSync(credentialsFile, 'utf8');
    const child = start(START, env);
    const again = await banner(child, { demo: true });

    expect(again.summary).toBe(`embedded PGlite in ${dataDir}, no pending migrations`);
    // Same credentials (read back from DATA_DIR, not generated again), and the file is untouched.
    expect(again.tokens).toEqual(first.tokens);
    expect(again.loginLines).toEqual(first.loginLines);
    expect(readFileSync(credentialsFile, 'utf8')).toBe(before);

    const acme = await getJson(`${again.base}/api/v1/accounts`, first.tokens.acme);
    expect(acme.status).toBe(200);
    expect(acme.body.data.map((a: { id: string }) => a.id).sort()).toEqual(accountIds);
    const tenant = await getJson(`${again.base}/api/v1/tenant`, first.tokens.bricoles);
    expect(tenant.status).toBe(200);
    expect(tenant.body.slug).toBe('bricoles');

    expect(await stop(child)).toBe(0);
  });
});

describe.concurrent('a bad configuration stops the start (exit code 78) before touching the data', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    [
      'PORT=abc',
      { PORT: 'abc' },
      /^Invalid configuration: PORT must be an integer between 0 and 65535 \(got "abc"\)$/m,
    ],
    [
      'an unknown LOG_LEVEL',
      { LOG_LEVEL: 'verbose' },
      /^Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent \(got "verbose"\)$/m,
    ],
    [
      'a DATABASE_URL of another scheme',
      { DATABASE_URL: 'mysql://root:hunter2@db/shop' },
      /^Invalid configuration: DATABASE_URL must use the postgres:\/\/ scheme/m,
    ],
    [
      'a missing AUDIT_SIGNING_KEY_FILE',
      { AUDIT_SIGNING_KEY_FILE: '/nonexistent/audit-key.pem' },
      /^Invalid configuration: AUDIT_SIGNING_KEY_FILE /m,
    ],
  ];
  it.for(cases)('%s', async ([, vars, message], { expect }) => {
    const dataDir = tempDir();
    const out = await run(START, cleanEnv({ DATA_DIR: dataDir, ...vars }));
    expect(out.code).toBe(78);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(out.stderr).not.toContain('hunter2');
    expect(out.stdout).not.toContain('Comptoir is ready');
    expect(existsSync(path.join(dataDir, 'pglite'))).toBe(false);
  });
});

const adminUrl = process.env.TEST_DATABASE_URL;

describe.skipIf(!adminUrl)('npm start with DATABASE_URL (PostgreSQL server)', () => {
  const name = `comptoir_start_${process.pid}_${Date.now().toString(36)}`;
  const runtimeRole = `${name}_runtime`;
  const urlOf = (user: string | null) => {
    const u = new URL(adminUrl!);
    u.pathname = `/${name}`;
    if (user) u.username = user;
    return u.toString();
  };
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>, database?: string): Promise<T> => {
    const u = new URL(adminUrl!);
    if (database) u.pathname = `/${database}`;
    const c = new pg.Client({ connectionString: u.toString() });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  /** Sessions still open on the test database (waits up to 3 s for closing backends to go). */
  const connectionsLeft = async () => {
    let n = -1;
    for (let i = 0; i < 30 && n !== 0; i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      n = await admin(async (c) => {
        const res = await c.query('select count(*)::int as n from pg_stat_activity where datname = $1', [
          name,
        ]);
        return Number(res.rows[0].n);
      });
    }
    return n;
  };

  afterEach(stopAll);
  afterAll(async () => {
    await killAll();
    await admin(async (c) => {
      await c.query(`drop database if exists ${name} with (force)`);
      await c.query(`drop role if exists ${runtimeRole}`);
    });
  });

  it('migrates a fresh database, does not seed it, serves, and releases its connections on SIGTERM', async () => {
    await admin((c) => c.query(`create database ${name}`));
    const child = start(START, cleanEnv({ DATA_DIR: tempDir(), PORT: '0', DATABASE_URL: urlOf(null) }));
    const b = await banner(child, { demo: false });

    expect(b.summary).toBe(`PostgreSQL, applied ${MIGRATIONS} migration(s)`);
    expect(child.stdout).not.toContain('Demo logins');
    expect(await getJson(`${b.base}/readyz`)).toEqual({
      status: 200,
      body: { status: 'ready', database: 'postgres' },
    });
    const tenants = await admin(
      async (c) => (await c.query('select count(*)::int as n from tenants')).rows[0].n,
      name,
    );
    expect(tenants).toBe(0);

    expect(await stop(child)).toBe(0);
    expect(await connectionsLeft()).toBe(0);
  });

  it('runs as a login role that owns nothing, migrations through DATABASE_MIGRATION_URL (docs/operations.md)', async () => {
    await admin(async (c) => {
      await c.query(`create role ${runtimeRole} login noinherit`);
      await c.query(`grant comptoir_app, comptoir_system to ${runtimeRole}`);
    });
    const child = start(
      START,
      cleanEnv({
        DATA_DIR: tempDir(),
        PORT: '0',
        DATABASE_URL: urlOf(runtimeRole),
        DATABASE_MIGRATION_URL: urlOf(null),
        SEED_DEMO: 'true',
      }),
    );
    const b = await banner(child, { demo: true });

    expect(b.summary).toBe('PostgreSQL, no pending migrations');
    const acme = await getJson(`${b.base}/api/v1/accounts`, b.tokens.acme);
    expect(acme.status).toBe(200);
    expect(acme.body.data).toHaveLength(5);

    expect(await stop(child)).toBe(0);
    expect(await connectionsLeft()).toBe(0);
  });
});
