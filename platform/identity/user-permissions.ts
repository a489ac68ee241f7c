import { grantsOfUser } from '../access/effective.ts';
import { isAdministrativePermission } from '../access/roles.ts';
import type { Tx } from '../db/database.ts';

/**
 * The effective permissions of a user: the union of their active (not revoked, not expired) role
 * assignments, plus the baseline every user has (their own sessions). platform/access resolves them;
 * this is the one entry point identity uses. Expired assignments found on the way are not marked here:
 * authentication does that (platform/access/effective.ts `noticeExpiredAssignments`).
 */
export async function permissionsOfUser(tx: Tx, tenantId: string, userId: string): Promise<Set<string>> {
  return (await grantsOfUser(tx, tenantId, userId)).permissions;
}

/**
 * Whether these permissions make their holder an administrator (MFA policy `required_for_admins`):
 * any administrative permission (platform/access/roles.ts `ADMINISTRATIVE_PERMISSIONS`) or '*'.
 */
export function isAdministrator(permissions: ReadonlySet<string>): boolean {
  return [...permissions].some(isAdministrativePermission);
}
