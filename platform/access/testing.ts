import type { TestApp, TestTenant } from '../../test/harness.ts';
import { runAsTenant } from '../context.ts';
import { addUser } from '../identity/testing.ts';
import { createApiToken } from '../identity/users.ts';
import { getCampaign, startCampaign } from './review.ts';
import { assignRole, createRole, listAssignments, requestSodException } from './service.ts';
import { requestSupportAccess } from './support.ts';

/** Test helpers of access control (not a test file itself): fixtures of the audit coverage walk. */
export interface AccessFixtures {
  userId: string;
  roleId: string;
  doomedRoleId: string;
  revokedUserId: string;
  doomedAssignmentId: string;
  /** Requested by the system, so that the owner may approve it (four-eyes). */
  exceptionId: string;
  tenantId: string;
  /** Pending support requests of an operator: one to approve, one to reject, one to revoke. */
  supportToApprove: string;
  supportToReject: string;
  supportToRevoke: string;
  /** An open review campaign, and an undecided item of it (not the owner's own). */
  campaignId: string;
  campaignItemId: string;
  /** Another open campaign, closed by the walk. */
  campaignToCloseId: string;
  /** A customer company's admin (API token) and a colleague of the same company. */
  companyAdminToken: string;
  companyColleagueId: string;
  /** A colleague of the same company with a viewer assignment the company admin revokes. */
  companyDoomedUserId: string;
  companyDoomedAssignmentId: string;
}

interface Call {
  params?: Record<string, string>;
  query?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function prepareAccessFixtures(t: TestApp, tenant: TestTenant): Promise<AccessFixtures> {
  const userId = await addUser(t, tenant.tenantId, { email: 'assignee@coverage.example', roles: [] });
  const revokedUserId = await addUser(t, tenant.tenantId, { email: 'revoked@coverage.example', roles: [] });
  const catalogue = { has: () => true, list: () => [] };
  const company = (
    await t.api('POST', '/api/v1/accounts', { token: tenant.token, body: { name: 'Coverage company' } })
  ).body.id as string;
  const companyAdminId = await addUser(t, tenant.tenantId, {
    email: 'admin@company.coverage.example',
    kind: 'buyer',
    accountId: company,
    roles: ['company_admin'],
  });
  const companyColleagueId = await addUser(t, tenant.tenantId, {
    email: 'colleague@company.coverage.example',
    kind: 'buyer',
    accountId: company,
  });
  const companyDoomedUserId = await addUser(t, tenant.tenantId, {
    email: 'leaving@company.coverage.example',
    kind: 'buyer',
    accountId: company,
    roles: ['viewer'],
  });
  const companyAdminToken = (
    await runAsTenant(t.db, { tenantId: tenant.tenantId }, (ctx) =>
      createApiToken(ctx, { userId: companyAdminId, name: 'company admin', scopes: ['*'] }),
    )
  ).token;
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
    const operator = {
      type: 'operator' as const,
      id: 'opt_01jd5q6m3xf0k8y2v7r9t4w1zc',
      userId: null,
      displayName: 'Coverage operator',
      permissions: new Set(['platform.*']),
    };
    const support = async () =>
      (
        await requestSupportAccess(
          { ...ctx, actor: operator },
          { reason: 'Coverage walk: ticket #1', duration_hours: 2 },
          catalogue,
        )
      ).id;
    const campaign = await startCampaign(ctx, { name: 'Coverage review' });
    const items = (await getCampaign(ctx, campaign.id)).items;
    const toClose = await startCampaign(ctx, { name: 'Coverage review to close' });
    const [doomedCompanyAssignment] = await listAssignments(ctx, companyDoomedUserId, false);
    return {
      companyDoomedUserId,
      companyDoomedAssignmentId: doomedCompanyAssignment!.id,
      companyAdminToken,
      companyColleagueId,
      campaignId: campaign.id,
      campaignItemId: items.find((i) => i.user.id === revokedUserId)!.id,
      campaignToCloseId: toClose.id,
      tenantId: tenant.tenantId,
      supportToApprove: await support(),
      supportToReject: await support(),
      supportToRevoke: await support(),
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
    requestSupportAccess: f((c) => ({
      params: { tenant_id: c.tenantId },
      body: { reason: 'Ticket #4821: the price list import fails', duration_hours: 4 },
    })),
    approveSupportAccess: f((c) => ({ params: { request_id: c.supportToApprove } })),
    rejectSupportAccess: f((c) => ({
      params: { request_id: c.supportToReject },
      body: { comment: 'Please open a ticket first' },
    })),
    revokeSupportAccess: f((c) => ({ params: { request_id: c.supportToRevoke } })),
    startAccessReviewCampaign: f(() => ({ body: { name: 'Revue des accès S1' } })),
    decideAccessReviewItem: f((c) => ({
      params: { campaign_id: c.campaignId, item_id: c.campaignItemId },
      body: { decision: 'certify', comment: 'Still in the team' },
    })),
    closeAccessReviewCampaign: f((c) => ({ params: { campaign_id: c.campaignToCloseId } })),
    replaceCustomerRolePolicy: f(() => ({
      body: { permissions: ['accounts.account.read', 'catalog.product.read'] },
    })),
    createCompanyRole: f((c) => ({
      headers: { authorization: `Bearer ${c.companyAdminToken}` },
      body: { key: 'coverage_company_role', name: 'Catalogue only', permissions: ['catalog.product.read'] },
    })),
    assignCompanyRole: f((c) => ({
      headers: { authorization: `Bearer ${c.companyAdminToken}` },
      params: { user_id: c.companyColleagueId },
      body: { role: 'buyer' },
    })),
    revokeCompanyRoleAssignment: f((c) => ({
      headers: { authorization: `Bearer ${c.companyAdminToken}` },
      params: { user_id: c.companyDoomedUserId, assignment_id: c.companyDoomedAssignmentId },
    })),
  };
}
