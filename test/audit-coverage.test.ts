import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../platform/audit/chain.ts';
import { runAsTenant } from '../platform/context.ts';
import { rows } from '../platform/db/database.ts';
import { inSystemTransaction } from '../platform/db/scope.ts';
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
}

interface Call {
  params?: Record<string, string>;
  query?: string;
  body?: unknown;
}

interface State {
  accountId: string;
}

/** A valid request for each audited operation (a merchant's ordinary use of it). */
const FIXTURES: Record<string, (s: State) => Call> = {
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
    const doc = (await t.api('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method, op]) => WRITE.has(method) || op['x-action'] !== undefined)
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          path,
          operationId: String(op.operationId),
          permission: String(op['x-permission']),
          action: op['x-action'] as string | undefined,
          hasBody: op.requestBody !== undefined,
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
        token: platform ? t.operatorToken : tenant.token,
        ...(call.body !== undefined ? { body: call.body } : {}),
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
    for (const op of operations.filter((o) => o.hasBody && !o.permission.startsWith('platform.'))) {
      const call = FIXTURES[op.operationId]!(state);
      const res = await t.api(op.method, `${fill(op.path, call.params)}${call.query ?? ''}`, {
        token: tenant.token,
        body: { not_a_field_of_any_operation: true },
      });
      expect(res.status, op.operationId).toBe(400);
      const recorded = await eventsOf(tenant.tenantId, res.headers.get('x-request-id'));
      expect(recorded.map((e) => [e.action, e.outcome])).toEqual([[op.action, 'failure']]);
    }
  });
});
