import type { TestApp, TestTenant } from '../../test/harness.ts';
import { runAsTenant } from '../context.ts';
import { addUser } from '../identity/testing.ts';
import { assignRole, createRole, requestSodException } from './service.ts';

/** Test helpers of access control (not a test file itself): fixtures of the audit coverage walk. */
export interface AccessFixtures {
  userId: string;
  roleId: string;
  doomedRoleId: string;
  revokedUserId: string;
  doomedAssignmentId: string;
  /** Requested by the system, so that the owner may approve it (four-eyes). */
  exceptionId: string;
}

interface Call {
  params?: Record<string, string>;
  query?: string;
  body?: unknown;
}

export async function prepareAccessFixtures(t: TestApp, tenant: TestTenant): Promise<AccessFixtures> {
  const userId = await addUser(t, tenant.tenantId, { email: 'assignee@coverage.example', roles: [] });
  const revokedUserId = await addUser(t, tenant.tenantId, { email: 'revoked@coverage.example', roles: [] });
  const catalogue = { has: () => true, list: () => [] };
  return runAsTenant(t.db, { tenantId: tenant.tenantId }, async (ctx) => {
    const role = await createRole(
      ctx,
      { key: 'coverage_reader', name: 'Coverage reader', permissions: ['accounts.account.read'] },
      catalogue,
    );
    const doomed = await createRole(
      ctx,
      { key: 'coverage_doomed', name: 'Doomed', permissions: ['accounts.account.read'] },
      catalogue,
    );
    const assignment = await assignRole(ctx, revokedUserId, { role: 'read_only' });
    const exception = await requestSodException(ctx, {
      user_id: userId,
      permissions: ['audit.event.read', 'iam.role.assign'],
      justification: 'Coverage walk: an exception the owner approves',
      expires_at: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    });
    return {
      userId,
      roleId: role.id!,
      doomedRoleId: doomed.id!,
      revokedUserId,
      doomedAssignmentId: assignment.id,
      exceptionId: exception.id,
    };
  });
}

export function accessAuditFixtures<S>(of: (s: S) => AccessFixtures): Record<string, (s: S) => Call> {
  const f = (make: (c: AccessFixtures) => Call) => (s: S) => make(of(s));
  return {
    createRole: f(() => ({
      body: { key: 'coverage_created', name: 'Price reviewer', permissions: ['accounts.account.read'] },
    })),
    updateRole: f((c) => ({ params: { role_id: c.roleId }, body: { description: 'Reads accounts' } })),
    deleteRole: f((c) => ({ params: { role_id: c.doomedRoleId } })),
    assignRole: f((c) => ({ params: { user_id: c.userId }, body: { role: 'read_only' } })),
    revokeRoleAssignment: f((c) => ({
      params: { user_id: c.revokedUserId, assignment_id: c.doomedAssignmentId },
    })),
    replaceSodRules: f(() => ({
      body: {
        rules: [{ permissions: ['audit.event.read', 'iam.role.assign'], description: 'Audit vs access' }],
      },
    })),
    requestSodException: f((c) => ({
      body: {
        user_id: c.userId,
        permissions: ['audit.event.read', 'iam.role.assign'],
        justification: 'Interim security officer during the audit',
        expires_at: new Date(Date.now() + 7 * 86_400_000).toISOString(),
      },
    })),
    approveSodException: f((c) => ({ params: { exception_id: c.exceptionId } })),
    replaceSecurityContacts: f(() => ({ body: { emails: ['security@coverage.example'] } })),
    exportAccessReview: f(() => ({ query: '?format=json' })),
  };
}
