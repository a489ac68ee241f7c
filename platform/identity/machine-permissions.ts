import type { PermissionDefinition } from '../access/permissions.ts';

/** Permissions of API tokens, service accounts and OAuth clients (registered in src/app.ts). */
export const MACHINE_IDENTITY_PERMISSIONS: PermissionDefinition[] = [
  { name: 'iam.api_token.write', description: 'Create and revoke one’s own API tokens' },
  { name: 'iam.api_token.manage', description: 'See and revoke every API token of the tenant' },
  { name: 'iam.service_account.read', description: 'See service accounts and their OAuth clients' },
  {
    name: 'iam.service_account.manage',
    description:
      'Create, change and deactivate service accounts; issue and revoke their API tokens and OAuth clients',
  },
];

/**
 * The permissions two grants have in common; '*' (all tenant permissions) is the neutral element.
 * A token's effective permissions are its scopes ∩ its owner's current permissions, so narrowing the
 * owner narrows every token at once.
 */
export function intersectPermissions(a: Iterable<string>, b: Iterable<string>): Set<string> {
  const sa = new Set(a);
  const sb = new Set(b);
  if (sa.has('*')) return sb;
  if (sb.has('*')) return sa;
  return new Set([...sa].filter((p) => sb.has(p)));
}

/** The permissions of `wanted` that `held` does not grant ('*' grants every tenant permission, no platform one). */
export function missingPermissions(wanted: Iterable<string>, held: ReadonlySet<string>): string[] {
  if (held.has('*')) return [...wanted].filter((p) => p.startsWith('platform.'));
  return [...wanted].filter((p) => !held.has(p));
}
