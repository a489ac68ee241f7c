/**
 * The effective permissions of a signed-in user. Until the access-control issue brings roles, staff
 * users hold every tenant permission and buyers a fixed small set. This is the one place to replace.
 */
export const BUYER_PERMISSIONS = ['identity.session.self'] as const;

export function permissionsOfUser(user: { kind: 'staff' | 'buyer' }): Set<string> {
  return new Set(user.kind === 'staff' ? ['*'] : BUYER_PERMISSIONS);
}

/**
 * Whether these permissions make their holder an administrator (MFA policy `required_for_admins`).
 * Today: staff holding every permission ('*'). The access-control issue refines it (roles that manage
 * users, settings, keys or tokens) — this is the one place to change.
 */
export function isAdministrator(permissions: ReadonlySet<string>): boolean {
  return permissions.has('*');
}
