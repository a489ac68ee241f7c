import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { PermissionDefinition } from './access/permissions.ts';
import type { Config } from './config/config.ts';
import type { Database } from './db/database.ts';
import type { OutboxDispatcher } from './events/dispatcher.ts';
import type { ObjectStore } from './storage/object-store.ts';

/** What the application hands to a module's routes. */
export interface ModuleDeps {
  db: Database;
  /** Where uploaded files (product media) go: DATA_DIR/media, or the MEDIA_S3_* bucket. */
  objects: ObjectStore;
  config: Config;
}

/** What the platform needs from a business module; `modules/index.ts` lists them. */
export interface ModuleDefinition {
  name: string;
  /** The atomic permissions this module's routes require. */
  permissions: PermissionDefinition[];
  /** The module's HTTP routes (under /api/v1). */
  routes: (deps: ModuleDeps) => FastifyPluginAsyncTypebox;
  /** Subscribes the module to other modules' events, if it reacts to any. */
  subscribe?: (dispatcher: OutboxDispatcher, deps: { db: Database }) => void;
}
