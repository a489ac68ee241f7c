import path from 'node:path';
import type { Config } from '../platform/config/config.ts';
import { type Database, openDatabase } from '../platform/db/database.ts';
import { migrate } from '../platform/db/migrate.ts';

/** Opens the configured database: PostgreSQL when DATABASE_URL is set, else PGlite under DATA_DIR. */
export function openConfiguredDatabase(config: Config): Promise<Database> {
  return openDatabase({
    url: config.databaseUrl,
    pgliteDir: path.join(config.dataDir, 'pglite'),
    poolMax: config.dbPoolMax,
  });
}

/** Applies pending migrations, through DATABASE_MIGRATION_URL when it differs from DATABASE_URL. */
export async function migrateConfigured(config: Config, db: Database): Promise<string[]> {
  if (config.databaseMigrationUrl && config.databaseMigrationUrl !== config.databaseUrl) {
    const owner = await openDatabase({ url: config.databaseMigrationUrl, poolMax: 1 });
    try {
      return await migrate(owner);
    } finally {
      await owner.close();
    }
  }
  return migrate(db);
}
