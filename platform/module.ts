import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { PermissionDefinition } from './access/permissions.ts';
import type { Database } from './db/database.ts';
import type { OutboxDispatcher } from './events/dispatcher.ts';

/** What the platform needs from a business module; `modules/index.ts` lists them. */
export interface ModuleDefinition {
  name: string;
  /** The atomic permissions this module's routes require. */
  permissions: PermissionDefinition[];
  /** The module's HTTP routes (under /api/v1). */
  routes: (deps: { db: Database }) => FastifyPluginAsyncTypebox;
  /** Subscribes the module to other modules' events, if it reacts to any. */
  subscribe?: (dispatcher: OutboxDispatcher, deps: { db: Database }) => void;
}
