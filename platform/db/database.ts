import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import { type SQL, sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg, NodePgSession, NodePgTransaction } from 'drizzle-orm/node-postgres';
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
  /**
   * Runs `fn` in one transaction whose transaction-local settings (`set_config(name, value, true)`:
   * the role, `app.tenant_id`) are in place before its first statement. On PostgreSQL, `begin` and
   * the settings travel in one round trip (one simple-protocol message, values escaped as literals).
   */
  transaction<T>(settings: ReadonlyArray<readonly [string, string]>, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * The rows of one read-only statement run in a transaction of its own with these settings. On
   * PostgreSQL it is one round trip: `begin; select set_config(…); <statement>; commit` as one
   * simple-protocol message, the statement's parameters inlined as escaped literals — exactly what
   * node-postgres sends them as (untyped text) — so `query` may only take text, number and null
   * parameters, and must not contain dollar-quoted text.
   */
  readInTransaction<T>(settings: ReadonlyArray<readonly [string, string]>, query: SQL): Promise<T[]>;
  /**
   * Listens to `channel` (PostgreSQL LISTEN/NOTIFY) on a connection of its own: `message` for each
   * notification (its payload), `state` when listening starts (true) or the connection is lost
   * (false: notifications may have been missed; it reconnects every second until stopped). Returns
   * a function that stops listening.
   */
  listen(channel: string, handlers: ListenHandlers): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface ListenHandlers {
  message(payload: string): void;
  state(listening: boolean): void;
  error?(err: Error): void;
}

const RELISTEN_MS = 1000;

/** `text` with its `$n` parameters replaced by escaped literals (quoted strings left untouched). */
export function inlineParameters(text: string, params: readonly unknown[]): string {
  if (text.includes('$$')) throw new Error('inlineParameters: dollar-quoted text is not supported');
  return text.replace(/'(?:[^']|'')*'|\$(\d+)/g, (match, n: string | undefined) => {
    if (n === undefined) return match; // a string literal of the statement itself
    const i = Number(n) - 1;
    if (i < 0 || i >= params.length) throw new Error(`inlineParameters: no parameter $${n}`);
    const v = params[i];
    if (v === null || v === undefined) return 'NULL';
    if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))
      return pg.escapeLiteral(String(v));
    throw new Error(`inlineParameters: unsupported parameter type ${typeof v}`);
  });
}

/** node-postgres's own conversion of a parameter to the text it sends (untyped in @types/pg). */
const prepareValue = (pg as unknown as { utils: { prepareValue(v: unknown): unknown } }).utils.prepareValue;

/** Statements longer than this (bulk upserts) are not inlined: they go after a `begin` of their own. */
const INLINE_MAX_CHARS = 65_536;

/**
 * `text` with its parameters inlined as escaped literals, each first turned into the text
 * node-postgres would send for it (`pg.utils.prepareValue`: arrays, dates, JSON, booleans), or null
 * when that is not possible (binary data, dollar-quoted text, a very long statement).
 */
function inlineForSimpleQuery(text: string, values: readonly unknown[] | undefined): string | null {
  if (text.includes('$$')) return null;
  const prepared: unknown[] = [];
  let size = text.length;
  for (const v of values ?? []) {
    const p = prepareValue(v);
    if (p !== null && typeof p !== 'string') return null; // a Buffer (bytea) travels in binary
    size += p === null ? 4 : p.length + 3;
    if (size > INLINE_MAX_CHARS) return null;
    prepared.push(p);
  }
  return inlineParameters(text, prepared);
}

type QueryArg = string | (pg.QueryConfig & { rowMode?: string; types?: unknown });

/**
 * A view of `client` whose first query carries `script` (`begin` and the transaction's settings):
 * `begin; select set_config(…); <first statement>` as one simple-protocol message, its parameters
 * inlined exactly as node-postgres would send them (untyped text). When the first statement cannot
 * be inlined (binary parameters, a named prepared statement, a very long text), `script` goes on
 * its own first. A failure anywhere in the message leaves the transaction aborted, as before: the
 * caller rolls back when `begun()`.
 */
export function beginWithFirstStatement(
  client: pg.PoolClient,
  script: string,
): { client: pg.PoolClient; begun: () => boolean } {
  let pending: string | null = script;
  const view = Object.create(client) as pg.PoolClient;
  const query = async (config: QueryArg, values?: unknown[]) => {
    if (pending === null) return client.query(config as never, values as never);
    const head = pending;
    pending = null;
    const text = typeof config === 'string' ? config : config.text;
    const named = typeof config !== 'string' && config.name;
    const inlined = named
      ? null
      : inlineForSimpleQuery(text, values ?? (typeof config === 'string' ? [] : config.values));
    if (inlined === null) {
      await client.query(head);
      return client.query(config as never, values as never);
    }
    const merged =
      typeof config === 'string'
        ? `${head}; ${inlined}`
        : { ...config, text: `${head}; ${inlined}`, values: undefined };
    const results = (await client.query(merged as never)) as unknown as pg.QueryResult[];
    return results[results.length - 1]!;
  };
  (view as unknown as { query: typeof query }).query = query;
  return { client: view, begun: () => pending === null };
}

/** `select set_config(…, true), …` of `settings`, every name and value an escaped literal. */
function setConfigScript(settings: ReadonlyArray<readonly [string, string]>): string {
  return `select ${settings
    .map(([name, value]) => `set_config(${pg.escapeLiteral(name)}, ${pg.escapeLiteral(value)}, true)`)
    .join(', ')}`;
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
    // Drizzle's own transaction sends `begin`, then each statement: here `begin` and the scope's
    // settings share one round trip, then the same Drizzle transaction object runs the work.
    const poolSession = (orm as unknown as { session: NodePgSession<Record<string, never>, never> }).session;
    const internals = poolSession as unknown as {
      dialect: ConstructorParameters<typeof NodePgSession>[1];
      schema: ConstructorParameters<typeof NodePgSession>[2];
      options: ConstructorParameters<typeof NodePgSession>[3];
    };
    return {
      driver: 'postgres',
      orm,
      signals,
      async transaction(settings, fn) {
        const client = await pool.connect();
        let broken: Error | undefined;
        // `begin` and the settings travel with the transaction's first statement (one round trip).
        const lazy = beginWithFirstStatement(
          client,
          settings.length ? `begin; ${setConfigScript(settings)}` : 'begin',
        );
        try {
          const session = new NodePgSession(
            lazy.client,
            internals.dialect,
            internals.schema,
            internals.options,
          );
          const tx = new NodePgTransaction(internals.dialect, session, internals.schema) as unknown as Tx;
          try {
            const result = await fn(tx);
            // A transaction that ran no statement never began: nothing to commit.
            if (lazy.begun()) await client.query('commit');
            return result;
          } catch (err) {
            try {
              // Inside the try: a failed setting leaves an aborted transaction that must be rolled back.
              if (lazy.begun()) await client.query('rollback');
            } catch (e) {
              broken = e as Error; // the connection is unusable: the pool discards it
            }
            throw err;
          }
        } finally {
          client.release(broken);
        }
      },
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
      async readInTransaction<T>(settings: ReadonlyArray<readonly [string, string]>, query: SQL) {
        const q = internals.dialect.sqlToQuery(query);
        const statement = inlineParameters(q.sql, q.params);
        const client = await pool.connect();
        let broken: Error | undefined;
        try {
          const results = (await client.query(
            `begin; ${settings.length ? `${setConfigScript(settings)}; ` : ''}${statement}; commit`,
          )) as unknown as pg.QueryResult[];
          return results[settings.length ? 2 : 1]!.rows as T[];
        } catch (err) {
          // A failed statement leaves the transaction open and aborted: end it before reuse.
          try {
            await client.query('rollback');
          } catch (e) {
            broken = e as Error;
          }
          throw err;
        } finally {
          client.release(broken);
        }
      },
      async listen(channel, h) {
        let stopped = false;
        let current: pg.Client | null = null;
        let timer: NodeJS.Timeout | undefined;
        const retry = () => {
          if (stopped) return;
          timer = setTimeout(() => void connect(), RELISTEN_MS);
          timer.unref();
        };
        const connect = async () => {
          const c = new pg.Client({ connectionString: opts.url ?? undefined });
          c.on('notification', (n) => {
            if (n.channel === channel) h.message(n.payload ?? '*');
          });
          c.on('error', (err) => h.error?.(err));
          c.on('end', () => {
            if (current !== c) return;
            current = null;
            h.state(false);
            retry();
          });
          try {
            await c.connect();
            await c.query(`listen ${pg.escapeIdentifier(channel)}`);
          } catch (err) {
            h.error?.(err as Error);
            await c.end().catch(() => {});
            retry();
            return;
          }
          if (stopped) {
            await c.end().catch(() => {});
            return;
          }
          current = c;
          h.state(true);
        };
        await connect();
        return async () => {
          stopped = true;
          clearTimeout(timer);
          const c = current;
          current = null;
          h.state(false);
          await c?.end().catch(() => {});
        };
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
    // One connection in process: PGlite's own transaction (it serialises concurrent ones).
    transaction: (settings, fn) => pgliteTransaction(orm, settings, fn),
    // PGlite's transaction holds its lock from `begin` to `commit`; the settings and the statement
    // go in one call (the same inlining as on PostgreSQL).
    async readInTransaction<T>(settings: ReadonlyArray<readonly [string, string]>, query: SQL) {
      const q = (
        orm as unknown as { dialect: { sqlToQuery(s: SQL): { sql: string; params: unknown[] } } }
      ).dialect.sqlToQuery(query);
      const statement = inlineParameters(q.sql, q.params);
      return client.transaction(async (t) => {
        const results = await t.exec(
          settings.length ? `${setConfigScript(settings)}; ${statement}` : statement,
        );
        return results[settings.length ? 1 : 0]!.rows as T[];
      });
    },
    // PGlite is a single connection, so it is always "the same session".
    session: (fn) =>
      fn({
        exec: async (script) => {
          await client.exec(script);
        },
        query: async <T>(text: string, params?: unknown[]) => (await client.query<T>(text, params)).rows,
      }),
    async listen(channel, h) {
      const unlisten = await client.listen(channel, (payload) => h.message(payload));
      h.state(true);
      return async () => {
        h.state(false);
        await unlisten().catch(() => {});
      };
    },
    close: () => client.close(),
  };
}

function pgliteTransaction<T>(
  orm: Orm,
  settings: ReadonlyArray<readonly [string, string]>,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  return orm.transaction(async (tx) => {
    if (settings.length) await tx.execute(sql.raw(setConfigScript(settings)));
    return fn(tx);
  });
}

/** `select 1` — used by readiness. */
export async function ping(db: Database): Promise<void> {
  await db.orm.execute(sql`select 1`);
}

/** Rows of a raw `execute`, the same shape on both drivers. */
export function rows<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}
