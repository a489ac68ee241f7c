import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.ts';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

/** Arbitrary constant naming Comptoir's migration lock among the database's advisory locks. */
const MIGRATION_LOCK = 7316372817;

export interface Migration {
  version: string;
  name: string;
  checksum: string;
  script: string;
}

/** Reads `migrations/NNNN_name.sql`, in order. */
export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const script = readFileSync(path.join(dir, file), 'utf8');
      return {
        version: file.slice(0, 4),
        name: file.replace(/\.sql$/, ''),
        checksum: createHash('sha256').update(script).digest('hex'),
        script,
      };
    });
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Applies pending migrations in order, each in its own transaction together with its bookkeeping
 * row, under a session advisory lock so that replicas starting together apply each migration once.
 * An applied migration whose file has changed is refused: migrations are append-only (see
 * docs/architecture.md, "Migrations and rolling deploys").
 */
export async function migrate(db: Database, migrations = readMigrations()): Promise<string[]> {
  return db.session(async (s) => {
    await s.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await s.exec(`create table if not exists schema_migrations (
        version text primary key,
        name text not null,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`);
      const done = new Map(
        (
          await s.query<{ version: string; checksum: string }>(
            'select version, checksum from schema_migrations',
          )
        ).map((r) => [r.version, r.checksum]),
      );
      const applied: string[] = [];
      for (const m of migrations) {
        const checksum = done.get(m.version);
        if (checksum !== undefined) {
          if (checksum !== m.checksum) {
            throw new MigrationError(
              `Migration ${m.name} changed after it was applied; add a new migration instead.`,
            );
          }
          continue;
        }
        await s.exec('begin');
        try {
          await s.exec(m.script);
          await s.query('insert into schema_migrations (version, name, checksum) values ($1, $2, $3)', [
            m.version,
            m.name,
            m.checksum,
          ]);
          await s.exec('commit');
        } catch (err) {
          await s.exec('rollback');
          throw new MigrationError(`Migration ${m.name} failed: ${(err as Error).message}`);
        }
        applied.push(m.name);
      }
      return applied;
    } finally {
      await s.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  });
}
