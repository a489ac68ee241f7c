import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CatalogFixtures,
  catalogAuditFixtures,
  prepareCatalogFixtures,
} from '../modules/catalog/testing.ts';
import {
  type InventoryFixtures,
  inventoryAuditFixtures,
  prepareInventoryFixtures,
} from '../modules/inventory/testing.ts';
import {
  type PricingFixtures,
  preparePricingFixtures,
  pricingAuditFixtures,
} from '../modules/pricing/testing.ts';
import {
  prepareStorefrontFixtures,
  type StorefrontFixtures,
  storefrontAuditFixtures,
} from '../modules/storefronts/testing.ts';
import {
  type AccessFixtures,
  accessAuditFixtures,
  prepareAccessFixtures,
} from '../platform/access/testing.ts';
import type { AuditEvent } from '../platform/audit/chain.ts';
import { runAsTenant } from '../platform/context.ts';
import { rows } from '../platform/db/database.ts';
import { inSystemTransaction } from '../platform/db/scope.ts';
import {
  defaultRelyingParty,
  type MfaFixtures,
  mfaAuditFixtures,
  prepareMfaFixtures,
} from '../platform/identity/mfa-testing.ts';
import { type IdentityFixtures, prepareIdentityFixtures } from '../platform/identity/testing.ts';
import { createApiToken } from '../platform/identity/users.ts';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from './harness.ts';

/**
 * The audit coverage walk: every operation in the OpenAPI document that writes (POST, PUT, PATCH,
 * DELETE) or declares an audited read (`x-action`) is called for real, and must leave exactly the
 * event it promises — `success` when it worked, `denied` when refused (403), `failure` when the
 * request was wrong. A new write route without a fixture here fails the walk: add one.
 */

interface Operation {
  method: string;
  path: string;
  operationId: string;
  permission: string;
  action: string | undefined;
  hasBody: boolean;
  /** False for a binary body (media upload): a JSON body there is the wrong media type (415), not a bad field. */
  jsonBody: boolean;
}

interface Call {
  params?: Record<string, string>;
  query?: string;
  body?: unknown;
  /** An application/x-www-form-urlencoded body (the OAuth token endpoint), sent with `headers` and no bearer token. */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** A binary body (media upload) and its Content-Type. */
  raw?: { body: Buffer; contentType: string };
}

interface State {
  accountId: string;
  /** Users, a session and mailed tokens for the identity operations. */
  identity: IdentityFixtures;
  serviceAccountId: string;
  /** A service account the walk deactivates, and an API token and an OAuth client it revokes. */
  doomedServiceAccountId: string;
  doomedApiTokenId: string;
  doomedClientId: string;
  client: { id: string; secret: string };
  /** Families, categories, brands, products, variants, media and relations of the catalogue. */
  catalog: CatalogFixtures;
  /** Storefronts, customer groups and visibility rules. */
  storefronts: StorefrontFixtures;
  /** Price lists, a group discount level and a promotion. */
  pricing: PricingFixtures;
  /** Warehouses and a variant to stock. */
  inventory: InventoryFixtures;
  /** Users with second factors, pending logins and WebAuthn ceremonies for the MFA operations. */
  mfa: MfaFixtures;
  /** Custom roles, assignments and an SoD exception for the access-control operations. */
  access: AccessFixtures;
}

/** A valid request for each audited operation (a merchant's ordinary use of it). */
const FIXTURES: Record<string, (s: State) => Call> = {
  login: ({ identity: i }) => ({ body: { email: i.ownerEmail, password: i.password, tenant: i.slug } }),
  logout: () => ({}),
  revokeOwnSession: ({ identity: i }) => ({ params: { session_id: i.ownerSessionId } }),
  requestPasswordReset: ({ identity: i }) => ({ body: { email: i.ownerEmail, tenant: i.slug } }),
  confirmPasswordReset: ({ identity: i }) => ({
    body: { token: i.resetToken, new_password: 'a fresh coverage passphrase', tenant: i.slug },
  }),
  acceptInvitation: ({ identity: i }) => ({
    body: {
      token: i.invitationToken,
      password: 'joining the coverage walk',
      display_name: 'Invitée',
      tenant: i.slug,
    },
  }),
  requestEmailVerification: () => ({}),
  confirmEmailVerification: ({ identity: i }) => ({ body: { token: i.verificationToken, tenant: i.slug } }),
  inviteUser: () => ({
    body: { email: `invite-${Date.now().toString(36)}@coverage.example`, kind: 'staff' },
  }),
  deactivateUser: ({ identity: i }) => ({ params: { user_id: i.targetUserId } }),
  reactivateUser: ({ identity: i }) => ({ params: { user_id: i.targetUserId } }),
  unlockUser: ({ identity: i }) => ({ params: { user_id: i.targetUserId } }),
  revokeUserSessions: ({ identity: i }) => ({ params: { user_id: i.targetUserId } }),
  updateSecuritySettings: () => ({ body: { password_min_length: 12 } }),
  createAccount: () => ({ body: { name: 'Quincaillerie Dupont', country: 'FR' } }),
  updateAccount: (s) => ({ params: { account_id: s.accountId }, body: { legal_name: 'Dupont SAS' } }),
  createTenant: () => ({
    body: {
      name: 'Négoce Coverage',
      slug: `coverage-${Date.now().toString(36)}`,
      owner: { email: 'owner@coverage.example', display_name: 'Camille Owner' },
    },
  }),
  listAuditEvents: () => ({ query: '?limit=5' }),
  readAuditFeed: () => ({ query: '?after=0&limit=5' }),
  exportAuditTrail: () => ({}),
  verifyAuditChain: () => ({}),
  updateAuditSettings: () => ({ body: { retention_days: 400 } }),
  runAuditDelivery: () => ({ body: {} }),
  createApiToken: () => ({ body: { name: 'Coverage token', scopes: ['accounts.account.read'] } }),
  revokeApiToken: (s) => ({ params: { token_id: s.doomedApiTokenId } }),
  createServiceAccount: () => ({
    body: { name: `Coverage SA ${Date.now().toString(36)}`, permissions: ['accounts.account.read'] },
  }),
  updateServiceAccount: (s) => ({
    params: { service_account_id: s.serviceAccountId },
    body: { description: 'Nightly ERP sync' },
  }),
  deactivateServiceAccount: (s) => ({ params: { service_account_id: s.doomedServiceAccountId } }),
  createOAuthClient: (s) => ({
    params: { service_account_id: s.serviceAccountId },
    body: { name: 'Coverage client' },
  }),
  revokeOAuthClient: (s) => ({
    params: { service_account_id: s.serviceAccountId, client_id: s.doomedClientId },
  }),
  requestOAuthToken: (s) => ({
    form: { grant_type: 'client_credentials' },
    headers: {
      authorization: `Basic ${Buffer.from(`${s.client.id}:${s.client.secret}`).toString('base64')}`,
    },
  }),
  ...catalogAuditFixtures<State>((s) => s.catalog),
  ...storefrontAuditFixtures<State>((s) => s.storefronts),
  ...pricingAuditFixtures<State>((s) => s.pricing),
  ...inventoryAuditFixtures<State>((s) => s.inventory),
  ...mfaAuditFixtures<State>((s) => s.mfa),
  ...accessAuditFixtures<State>((s) => s.access),
};

const WRITE = new Set(['post', 'put', 'patch', 'delete']);

function fill(path: string, params: Record<string, string> = {}): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = params[name];
    if (!v) throw new Error(`no value for path parameter ${name} of ${path}`);
    return v;
  });
}

describe.each(DRIVERS)('every write and audited read leaves its audit event, on %s', (driver) => {
  let t: TestApp;
  let tenant: TestTenant;
  let narrowToken: string;
  let operations: Operation[];
  const state = {} as State;

  beforeAll(async () => {
    t = await startTestApp(driver);
    tenant = await t.newTenant('Coverage Négoce');
    narrowToken = (
      await runAsTenant(t.db, { tenantId: tenant.tenantId }, (ctx) =>
        createApiToken(ctx, { userId: tenant.ownerId, name: 'narrow', scopes: ['accounts.account.read'] }),
      )
    ).token;
    const created = await t.api('POST', '/api/v1/accounts', {
      token: tenant.token,
      body: { name: 'Compte existant' },
    });
    state.accountId = created.body.id;
    state.identity = await prepareIdentityFixtures(t, tenant);
    state.catalog = await prepareCatalogFixtures(t, tenant);
    state.storefronts = await prepareStorefrontFixtures(t, tenant);
    state.pricing = await preparePricingFixtures(t, tenant);
    state.inventory = await prepareInventoryFixtures(t, tenant);
    state.mfa = await prepareMfaFixtures(t, tenant, await defaultRelyingParty(), state.identity.password);
    state.access = await prepareAccessFixtures(t, tenant);
    const sa = (name: string) =>
      t.api('POST', '/api/v1/service-accounts', {
        token: tenant.token,
        body: { name, permissions: ['accounts.account.read'] },
      });
    state.serviceAccountId = (await sa('Coverage ERP')).body.id;
    state.doomedServiceAccountId = (await sa('Coverage doomed')).body.id;
    state.doomedApiTokenId = (
      await t.api('POST', '/api/v1/api-tokens', {
        token: tenant.token,
        body: { name: 'doomed', scopes: ['accounts.account.read'] },
      })
    ).body.id;
    const client = async () =>
      (
        await t.api('POST', `/api/v1/service-accounts/${state.serviceAccountId}/oauth-clients`, {
          token: tenant.token,
          body: { name: 'Coverage' },
        })
      ).body as { client_id: string; client_secret: string };
    const c = await client();
    state.client = { id: c.client_id, secret: c.client_secret };
    state.doomedClientId = (await client()).client_id;
    const doc = (await t.api('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(
          ([method, op]) => (WRITE.has(method) && op['x-read-only'] !== true) || op['x-action'] !== undefined,
        )
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          path,
          operationId: String(op.operationId),
          permission: String(op['x-permission']),
          action: op['x-action'] as string | undefined,
          hasBody: op.requestBody !== undefined,
          jsonBody:
            (op.requestBody as { content?: Record<string, unknown> } | undefined)?.content?.[
              'application/json'
            ] !== undefined,
        })),
    );
  });
  afterAll(() => t.close());

  const eventsOf = async (tenantId: string, requestId: string | null): Promise<AuditEvent[]> =>
    inSystemTransaction(t.db, async (tx) =>
      rows<AuditEvent>(
        await tx.execute(sql`select action, outcome, resource_type, resource_id, request_id from audit_events
                              where tenant_id = ${tenantId} and request_id = ${requestId}`),
      ),
    );

  it('finds the audited operations, each declaring its action and having a fixture here', () => {
    expect(operations.length).toBeGreaterThanOrEqual(7);
    for (const op of operations) {
      expect(op.action, `${op.method} ${op.path} writes but declares no x-action`).toMatch(
        /^[a-z_]+(\.[a-z_]+)+$/,
      );
      expect(FIXTURES[op.operationId], `no audit fixture for ${op.operationId}: add one`).toBeDefined();
    }
  });

  it('records success for each call that works', async () => {
    for (const op of operations) {
      const call = FIXTURES[op.operationId]!(state);
      const platform = op.permission.startsWith('platform.');
      const res = await t.api(op.method, `${fill(op.path, call.params)}${call.query ?? ''}`, {
        // A fixture may bring its own credentials (another user's token, or a session cookie).
        token:
          call.form || call.headers?.authorization || call.headers?.cookie
            ? null
            : platform
              ? t.operatorToken
              : tenant.token,
        ...(call.body !== undefined ? { body: call.body } : {}),
        ...(call.form
          ? {
              rawBody: new URLSearchParams(call.form).toString(),
              headers: { 'content-type': 'application/x-www-form-urlencoded', ...call.headers },
            }
          : call.raw
            ? // fetch sends a Buffer as it is (the helper's type says string).
              {
                rawBody: call.raw.body as unknown as string,
                headers: { 'content-type': call.raw.contentType },
              }
            : call.headers
              ? { headers: call.headers }
              : {}),
      });
      expect(res.status, `${op.operationId}: ${JSON.stringify(res.body).slice(0, 300)}`).toBeLessThan(300);
      // A platform operation is recorded in the trail of the tenant it acted on.
      const where = platform ? (res.body as { tenant: { id: string } }).tenant.id : tenant.tenantId;
      const recorded = await eventsOf(where, res.headers.get('x-request-id'));
      expect(
        recorded.filter((e) => e.action === op.action && e.outcome === 'success'),
        `${op.operationId} left no ${op.action} success event`,
      ).toHaveLength(1);
    }
  });

  it('records denied for each call refused for lack of permission (403)', async () => {
    for (const op of operations.filter((o) => !o.permission.startsWith('platform.'))) {
      if (op.permission === 'public' || op.permission === 'accounts.account.read') continue;
      const call = FIXTURES[op.operationId]!(state);
      const res = await t.api(op.method, `${fill(op.path, call.params)}${call.query ?? ''}`, {
        token: narrowToken,
        ...(call.body !== undefined ? { body: call.body } : {}),
      });
      expect(res.status, op.operationId).toBe(403);
      const recorded = await eventsOf(tenant.tenantId, res.headers.get('x-request-id'));
      expect(recorded.map((e) => [e.action, e.outcome])).toEqual([[op.action, 'denied']]);
    }
  });

  it('records failure for each call with an invalid body, and nothing else', async () => {
    // Public operations have no tenant caller to record a bad request under; the OAuth token endpoint
    // records failed client authentications itself (platform/identity/oauth.test.ts).
    const tenantOps = operations.filter(
      (o) => !o.permission.startsWith('platform.') && o.permission !== 'public',
    );
    for (const op of tenantOps.filter((o) => o.hasBody)) {
      const call = FIXTURES[op.operationId]!(state);
      const res = await t.api(op.method, `${fill(op.path, call.params)}${call.query ?? ''}`, {
        token: tenant.token,
        body: { not_a_field_of_any_operation: true },
      });
      expect(res.status, op.operationId).toBe(op.jsonBody ? 400 : 415);
      const recorded = await eventsOf(tenant.tenantId, res.headers.get('x-request-id'));
      expect(recorded.map((e) => [e.action, e.outcome])).toEqual([[op.action, 'failure']]);
    }
  });
});
