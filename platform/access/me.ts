import type { Actor } from '../context.ts';
import { expandPermissions } from './roles.ts';

/** The caller's own view of their access (GET /api/v1/me): effective permissions and scopes. */
export function myPermissions(actor: Actor) {
  return {
    actor_type: actor.type,
    actor_id: actor.id,
    user_id: actor.userId,
    display_name: actor.displayName,
    permissions: expandPermissions(actor.permissions),
    scopes: [...(actor.scopes ?? [])]
      .map(([permission, scopes]) => ({
        permission,
        scopes: scopes.map((s) => ({ type: s.type, id: s.id })),
      }))
      .sort((a, b) => a.permission.localeCompare(b.permission)),
  };
}
