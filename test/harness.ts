import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import pg from 'pg';
import { ephemeralAuditKeys } from '../platform/audit/keys.ts';
import { type Config, loadConfig } from '../platform/config/config.ts';
import { type Database, type Driver, openDatabase } from '../platform/db/database.ts';
import { migrate } from '../platform/db/migrate.ts';
import { createOperatorToken } from '../platform/identity/operators.ts';
import { createTenant } from '../platform/tenancy/service.ts';
import { buildApp, type Comptoir } from '../src/app.ts';

/**
 * Integration tests run on every driver available: always the embedded PGlite, and the PostgreSQL
 * server named by TEST_DATABASE_URL when set (CI sets it when a server answers on 127.0.0.1).
 * Use: describe.each(DRIVERS)('on %s', (driver) => { ... }).
 */
export const DRIVERS: Driver[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export interface TestDatabase {
  db: Database;
  /** The URL of the throw-away PostgreSQL database (postgres driver only). */
  url: string | null;
  drop(): Promise<void>;
}

/** A fresh, migrated database: in-memory PGlite, or a new database on the test server, dropped after. */
export async function openTestDatabase(driver: Driver): Promise<TestDatabase> {
  if (driver === 'pglite') {
    const db = await openDatabase({ url: null, pgliteDir: 'memory' });
    await migrate(db);
    return { db, url: null, drop: () => db.close() };
  }
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `comptoir_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), poolMax: 5 });
  await migrate(db);
  return {
    db,
    url: url.toString(),
    drop: async () => {
      await db.close();
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', ...overrides });
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestTenant {
  tenantId: string;
  slug: string;
  ownerId: string;
  /** The owner's API token (all permissions). */
  token: string;
}

export interface TestApp {
  driver: Driver;
  db: Database;
  comptoir: Comptoir;
  url: string;
  /** A platform-operator token. */
  operatorToken: string;
  api<T = any>(
    method: string,
    path: string,
    opts?: { token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse<T>>;
  /** Creates a tenant with an owner and returns its token. */
  newTenant(name?: string): Promise<TestTenant>;
  close(): Promise<void>;
}

let counter = 0;

/** Starts the whole application on a real port over a fresh database. */
export async function startTestApp(
  driver: Driver,
  opts: { config?: Record<string, string>; logStream?: import('node:stream').Writable } = {},
): Promise<TestApp> {
  const tdb = await openTestDatabase(driver);
  const config = testConfig(opts.config);
  const comptoir = await buildApp({
    config,
    db: tdb.db,
    auditKeys: ephemeralAuditKeys(),
    ...(opts.logStream ? { logStream: opts.logStream } : {}),
  });
  await comptoir.app.listen({ port: 0, host: '127.0.0.1' });
  const address = comptoir.app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const operator = await createOperatorToken(tdb.db, 'Test Operator');

  const api: TestApp['api'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined;
    if (o.rawBody !== undefined) body = o.rawBody;
    else if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    if (/^application\/(json|problem\+json)|\+json/.test(res.headers.get('content-type') ?? '') && text)
      parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed as any };
  };

  return {
    driver,
    db: tdb.db,
    comptoir,
    url,
    operatorToken: operator.token,
    api,
    async newTenant(name) {
      counter += 1;
      const slug = `t${counter}-${randomBytes(3).toString('hex')}`;
      const created = await createTenant(tdb.db, {
        name: name ?? `Tenant ${slug}`,
        slug,
        owner: { email: `owner@${slug}.example`, displayName: `Owner of ${slug}` },
      });
      return { tenantId: created.tenant.id, slug, ownerId: created.ownerId, token: created.ownerToken.token };
    },
    async close() {
      await comptoir.dispatcher.stop();
      await comptoir.sealer.stop();
      await comptoir.app.close();
      await tdb.drop();
    },
  };
}

/**
 * Polls `fn` until it answers true (every 20 ms, at most `tries` times): for what another connection
 * delivers a moment after a commit (a read-cache notification). False when it never did.
 */
export async function eventually(fn: () => Promise<boolean>, tries = 150): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/**
 * A GET sent with the Host header a browser on that domain would send (fetch does not let a client
 * choose it; undefined: the server's own) and these headers; the body as bytes.
 */
export function requestWithHost(
  base: string,
  host: string | undefined,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        headers: { ...(host ? { host } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * `requestWithHost` with a bearer token when given, the body parsed as JSON when it is JSON (else
 * kept as text, for assertion messages).
 */
export async function getWithHost(
  base: string,
  host: string | undefined,
  path: string,
  token?: string,
  // biome-ignore lint/suspicious/noExplicitAny: JSON of unknown shape, read by the assertions
): Promise<{ status: number; body: any }> {
  const res = await requestWithHost(base, host, path, token ? { authorization: `Bearer ${token}` } : {});
  const text = res.body.toString('utf8');
  try {
    return { status: res.status, body: text ? JSON.parse(text) : null };
  } catch {
    return { status: res.status, body: text };
  }
}
