import type { Actor } from '../context.ts';

/**
 * Object scope, the service-level half of enforcement (the route guard checks the permission):
 * null when `actor` holds `permission` without restriction; otherwise the IDs of the scopes of
 * `type` it holds it in (possibly none: then the actor sees no object of that type).
 */
export function scopeFilter(
  actor: Actor,
  permission: string,
  type: 'storefront' | 'account',
): string[] | null {
  if (actor.permissions.has('*')) return null;
  const scopes = actor.scopes?.get(permission);
  if (!scopes) return null;
  return scopes.filter((s) => s.type === type).map((s) => s.id);
}
