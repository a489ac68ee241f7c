import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';

/** Drizzle over either driver; services only ever see this type (through `ctx.tx`). */
export type Orm = PgDatabase<PgQueryResultHKT, Record<string, never>>;
/** A transaction handle, as passed to `orm.transaction(fn)`. */
export type Tx = Parameters<Parameters<Orm['transaction']>[0]>[0];

export type Driver = 'pglite' | 'postgres';

/** One database connection, for scripts of several statements outside any tenant scope. */
export interface Session {
  exec(script: string): Promise<void>;
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
}

/**
 * One access layer over both drivers: the embedded PGlite (real PostgreSQL compiled to WASM,
 * one connection, data under DATA_DIR) and a PostgreSQL server through a node-postgres pool.
 */
export interface Database {
  readonly driver: Driver;
  readonly orm: Orm;
  /** Runs `fn` on one dedicated connection (migrations, session-level advisory locks). */
  session<T>(fn: (s: Session) => Promise<T>): Promise<T>;
  /** In-process signals, e.g. 'outbox' after a commit that published events. */
  readonly signals: EventEmitter;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL; null for embedded PGlite. */
  url: string | null;
  /** Directory of the embedded database; 'memory' keeps it in memory (tests). */
  pgliteDir?: string | 'memory';
  poolMax?: number;
}

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  const signals = new EventEmitter();
  signals.setMaxListeners(100);
  if (opts.url) {
    const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolMax ?? 10 });
    // An idle client's error (server restart) must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    const orm = drizzleNodePg(pool) as unknown as Orm;
    return {
      driver: 'postgres',
      orm,
      signals,
      async session(fn) {
        const client = await pool.connect();
        try {
          return await fn({
            exec: async (script) => {
              await client.query(script);
            },
            query: async <T>(text: string, params?: unknown[]) =>
              (await client.query(text, params as unknown[])).rows as T[],
          });
        } finally {
          client.release();
        }
      },
      close: () => pool.end(),
    };
  }
  let dir: string | undefined;
  if (opts.pgliteDir && opts.pgliteDir !== 'memory') {
    dir = path.resolve(opts.pgliteDir);
    mkdirSync(dir, { recursive: true });
  }
  // Contrib extensions the catalogue search needs (migration 0008 creates them); on a PostgreSQL
  // server they come with the contrib package.
  const client = new PGlite({ ...(dir ? { dataDir: dir } : {}), extensions: { pg_trgm, unaccent } });
  await client.waitReady;
  const orm = drizzlePglite(client) as unknown as Orm;
  return {
    driver: 'pglite',
    orm,
    signals,
    // PGlite is a single connection, so it is always "the same session".
    session: (fn) =>
      fn({
        exec: async (script) => {
          await client.exec(script);
        },
        query: async <T>(text: string, params?: unknown[]) => (await client.query<T>(text, params)).rows,
      }),
    close: () => client.close(),
  };
}

/** `select 1` — used by readiness. */
export async function ping(db: Database): Promise<void> {
  await db.orm.execute(sql`select 1`);
}

/** Rows of a raw `execute`, the same shape on both drivers. */
export function rows<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}
