import type { Actor } from '../context.ts';

/**
 * Atomic permissions, declared in code by the module that owns them (`<module>.<resource>.<action>`).
 * Every route names the one it requires in its schema as `x-permission`; `public` marks the few
 * routes that need no authentication, `platform.*` the platform operators' API.
 */
export interface PermissionDefinition {
  name: string;
  description: string;
}

export const PUBLIC = 'public';
export const AUTHENTICATED = 'authenticated';

const NAME = /^[a-z][a-z_]*\.[a-z][a-z_]*\.[a-z][a-z_]*$/;

export class PermissionCatalogue {
  private readonly byName = new Map<string, PermissionDefinition>();

  register(defs: PermissionDefinition[]): void {
    for (const def of defs) {
      if (!NAME.test(def.name))
        throw new Error(`Permission name "${def.name}" is not <module>.<resource>.<action>`);
      if (this.byName.has(def.name)) throw new Error(`Permission "${def.name}" is declared twice`);
      this.byName.set(def.name, def);
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  list(): PermissionDefinition[] {
    return [...this.byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

/**
 * Whether `actor` holds `permission`. '*' grants every tenant permission but never a platform one;
 * 'platform.*' grants the platform operators' permissions and nothing inside a tenant.
 */
export function hasPermission(actor: Actor, permission: string): boolean {
  if (permission.startsWith('platform.'))
    return actor.permissions.has('platform.*') || actor.permissions.has(permission);
  return actor.permissions.has('*') || actor.permissions.has(permission);
}
