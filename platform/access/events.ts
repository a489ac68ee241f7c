/** Events of access control, published inside the change's transaction. */
export interface PrivilegeElevated {
  /** Whom: the user who gained administrative permissions. */
  user_id: string;
  /** Through which role (predefined key or custom role key). */
  role: string;
  /** What: the administrative permissions gained ('*' for owner). */
  administrative_permissions: string[];
  /** Who granted them (actor ID). */
  granted_by: string;
  /** The assignment, or null when a custom role held by the user gained the permissions. */
  assignment_id: string | null;
  expires_at: string | null;
  /** When. */
  occurred_at: string;
}

declare module '../events/outbox.ts' {
  interface DomainEventMap {
    'access.privilege.elevated': PrivilegeElevated;
  }
}
