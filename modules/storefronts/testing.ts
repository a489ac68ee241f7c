import type { TestApp, TestTenant } from '../../test/harness.ts';

/** Storefront objects the audit coverage walk (test/audit-coverage.test.ts) acts on. */
export interface StorefrontFixtures {
  storefrontId: string;
  doomedStorefrontId: string;
  /** A storefront with an uploaded logo (the walk removes it). */
  logoStorefrontId: string;
  groupId: string;
  doomedGroupId: string;
  /** A group `accountId` is already in (the walk takes it out). */
  memberGroupId: string;
  accountId: string;
  ruleId: string;
  doomedRuleId: string;
}

interface Call {
  params?: Record<string, string>;
  body?: unknown;
  /** A binary body (logo upload) and its Content-Type. */
  raw?: { body: Buffer; contentType: string };
}

/** A small SVG logo, as a storefront's logo upload takes it. */
export const FIXTURE_LOGO = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><rect width="40" height="40" fill="#0b5fff"/></svg>',
);

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export async function prepareStorefrontFixtures(t: TestApp, tenant: TestTenant): Promise<StorefrontFixtures> {
  const post = async (path: string, body?: unknown, method = 'POST') => {
    const res = await t.api(method, path, { token: tenant.token, ...(body !== undefined ? { body } : {}) });
    if (res.status >= 300) throw new Error(`${path}: ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };
  const storefrontId = await post('/api/v1/storefronts', { code: `sf-${unique()}`, name: 'Boutique pro' });
  const doomedStorefrontId = await post('/api/v1/storefronts', { code: `sf-${unique()}`, name: 'À fermer' });
  const logoStorefrontId = await post('/api/v1/storefronts', { code: `sf-${unique()}`, name: 'Avec logo' });
  const logo = await t.api('PUT', `/api/v1/storefronts/${logoStorefrontId}/logo`, {
    token: tenant.token,
    // fetch sends a Buffer as it is (the helper's type says string).
    rawBody: FIXTURE_LOGO as unknown as string,
    headers: { 'content-type': 'image/svg+xml' },
  });
  if (logo.status !== 200) throw new Error(`logo: ${JSON.stringify(logo.body)}`);
  const groupId = await post('/api/v1/customer-groups', { code: `grp-${unique()}`, name: 'Revendeurs' });
  const doomedGroupId = await post('/api/v1/customer-groups', {
    code: `grp-${unique()}`,
    name: 'À supprimer',
  });
  const memberGroupId = await post('/api/v1/customer-groups', {
    code: `grp-${unique()}`,
    name: 'Grands comptes',
  });
  const accountId = await post('/api/v1/accounts', { name: 'Client groupé' });
  await t.api('POST', `/api/v1/customer-groups/${memberGroupId}/members`, {
    token: tenant.token,
    body: { account_id: accountId },
  });
  const rule = (subject_type: string, subject_id: string) =>
    post('/api/v1/visibility-rules', { subject_type, subject_id, target_type: 'all', effect: 'allow' });
  return {
    storefrontId,
    doomedStorefrontId,
    logoStorefrontId,
    groupId,
    doomedGroupId,
    memberGroupId,
    accountId,
    ruleId: await rule('storefront', storefrontId),
    doomedRuleId: await rule('account', accountId),
  };
}

/** A valid request for each audited storefront operation, for FIXTURES in test/audit-coverage.test.ts. */
export function storefrontAuditFixtures<S>(of: (s: S) => StorefrontFixtures): Record<string, (s: S) => Call> {
  const f = (make: (c: StorefrontFixtures) => Call) => (s: S) => make(of(s));
  return {
    createStorefront: f(() => ({
      body: { code: `sf-${unique()}`, name: 'Pro Distrib', currencies: ['EUR'] },
    })),
    updateStorefront: f((c) => ({
      params: { storefront_id: c.storefrontId },
      body: { theme: { colors: { primary: '#0b5fff' } } },
    })),
    deleteStorefront: f((c) => ({ params: { storefront_id: c.doomedStorefrontId } })),
    uploadStorefrontLogo: f((c) => ({
      params: { storefront_id: c.storefrontId },
      raw: { body: FIXTURE_LOGO, contentType: 'image/svg+xml' },
    })),
    deleteStorefrontLogo: f((c) => ({ params: { storefront_id: c.logoStorefrontId } })),
    createCustomerGroup: f(() => ({ body: { code: `grp-${unique()}`, name: 'Distributeurs' } })),
    updateCustomerGroup: f((c) => ({
      params: { group_id: c.groupId },
      body: { description: 'Sous contrat' },
    })),
    deleteCustomerGroup: f((c) => ({ params: { group_id: c.doomedGroupId } })),
    addCustomerGroupMember: f((c) => ({
      params: { group_id: c.groupId },
      body: { account_id: c.accountId },
    })),
    removeCustomerGroupMember: f((c) => ({ params: { group_id: c.memberGroupId, account_id: c.accountId } })),
    createVisibilityRule: f((c) => ({
      body: { subject_type: 'group', subject_id: c.groupId, target_type: 'all', effect: 'allow' },
    })),
    updateVisibilityRule: f((c) => ({ params: { rule_id: c.ruleId }, body: { effect: 'deny' } })),
    deleteVisibilityRule: f((c) => ({ params: { rule_id: c.doomedRuleId } })),
  };
}
