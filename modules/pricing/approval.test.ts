import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsTenant } from '../../platform/context.ts';
import { rows } from '../../platform/db/database.ts';
import { addUser, auditOf } from '../../platform/identity/testing.ts';
import { createApiToken } from '../../platform/identity/users.ts';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { changesNeedingApproval } from './rules.ts';

describe('changesNeedingApproval (pure)', () => {
  const policy = { thresholdPercent: '10', thresholdAmount: null, additionsAndRemovals: false };
  const current = new Map([
    [
      'A',
      [
        { minQuantity: '1', unitPrice: '100' },
        { minQuantity: '10', unitPrice: '90' },
      ],
    ],
  ]);
  it('a change of exactly the threshold applies directly; above it, in either direction, needs approval', () => {
    expect(
      changesNeedingApproval(
        current,
        [
          {
            sku: 'A',
            breaks: [
              { minQuantity: '1', unitPrice: '110' },
              { minQuantity: '10', unitPrice: '90' },
            ],
          },
        ],
        policy,
        true,
      ),
    ).toEqual([]);
    expect(
      changesNeedingApproval(
        current,
        [
          {
            sku: 'A',
            breaks: [
              { minQuantity: '1', unitPrice: '89.99' },
              { minQuantity: '10', unitPrice: '90' },
            ],
          },
        ],
        policy,
        true,
      ),
    ).toEqual([{ sku: 'A', minQuantity: '1', before: '100', after: '89.99', changePercent: '-10.01' }]);
  });
  it('compares effective prices at every break of either side: dropping the break from 10 raises its price to 100 (+11.11 %)', () => {
    expect(
      changesNeedingApproval(
        current,
        [{ sku: 'A', breaks: [{ minQuantity: '1', unitPrice: '100' }] }],
        policy,
        true,
      ),
    ).toEqual([{ sku: 'A', minQuantity: '10', before: '90', after: '100', changePercent: '11.11' }]);
  });
  it('additions and removals count only when the policy says so and the list is in force; an amount rule applies on its own', () => {
    const fresh = [{ sku: 'NEW', breaks: [{ minQuantity: '1', unitPrice: '5' }] }];
    expect(changesNeedingApproval(current, fresh, policy, true)).toEqual([]);
    const strict = { ...policy, additionsAndRemovals: true };
    expect(changesNeedingApproval(current, fresh, strict, true)).toHaveLength(1);
    expect(changesNeedingApproval(current, fresh, strict, false)).toEqual([]);
    expect(changesNeedingApproval(current, [{ sku: 'A', breaks: [] }], strict, true)).toHaveLength(2);
    const amount = { thresholdPercent: null, thresholdAmount: '2', additionsAndRemovals: false };
    expect(
      changesNeedingApproval(
        current,
        [
          {
            sku: 'A',
            breaks: [
              { minQuantity: '1', unitPrice: '102.01' },
              { minQuantity: '10', unitPrice: '90' },
            ],
          },
        ],
        amount,
        true,
      ),
    ).toHaveLength(1);
  });
});

/** Four-eyes on price changes above the tenant's threshold, through the API. */
describe.each(DRIVERS)('price change approval (four-eyes), on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  let rival: TestTenant;
  let ownerSecondToken: string;
  let financeToken: string;
  let salesToken: string;
  let financeId: string;
  let listId: string;

  const api = (token: string, method: string, path: string, body?: unknown) =>
    t.api(method, path, { token, ...(body !== undefined ? { body } : {}) });
  const setPrice = (unitPrice: string, token = acme.token, sku = 'PERC-18V') =>
    api(token, 'PUT', `/api/v1/price-lists/${listId}/entries`, {
      entries: [{ sku, breaks: [{ min_quantity: '1', unit_price: unitPrice }] }],
    });
  const priceOf = async (sku = 'PERC-18V') =>
    (await api(acme.token, 'GET', `/api/v1/price-lists/${listId}/entries?sku=${sku}`)).body.data[0]?.breaks[0]
      ?.unit_price.amount;
  const tokenOf = async (userId: string) =>
    (
      await runAsTenant(t.db, { tenantId: acme.tenantId }, (ctx) =>
        createApiToken(ctx, { userId, name: 'test', scopes: ['*'] }),
      )
    ).token;

  beforeAll(async () => {
    t = await startTestApp(driver);
    acme = await t.newTenant('Outillage Martin');
    rival = await t.newTenant('Rival');
    ownerSecondToken = await tokenOf(acme.ownerId);
    financeId = await addUser(t, acme.tenantId, {
      email: 'finance@martin.example',
      roles: ['finance_admin'],
    });
    financeToken = await tokenOf(financeId);
    salesToken = await tokenOf(
      await addUser(t, acme.tenantId, { email: 'sales@martin.example', roles: ['sales_admin'] }),
    );
    const list = await api(acme.token, 'POST', '/api/v1/price-lists', {
      code: 'public',
      name: 'Tarif public',
      currency: 'EUR',
      targets: [{ kind: 'all' }],
    });
    listId = list.body.id;
    // A new SKU is an addition: applied directly under the default policy.
    const first = await setPrice('100.00');
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.status).toBe('applied');
  });
  afterAll(() => t.close());

  it('the default policy is 10 %, no amount rule, additions free', async () => {
    const res = await api(acme.token, 'GET', '/api/v1/pricing/settings');
    expect(res.body).toEqual({
      approval_threshold_percent: '10',
      approval_threshold_amount: null,
      approve_additions_and_removals: false,
      updated_at: null,
    });
  });

  it('a change under the threshold applies directly (+5 %)', async () => {
    const res = await setPrice('105.00', salesToken);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'applied', skus: 1 });
    expect(await priceOf()).toBe('105');
  });

  it('above it the change is held as a pending request; the price is unchanged until another person approves it', async () => {
    const held = await setPrice('80.00', salesToken);
    expect(held.status, JSON.stringify(held.body)).toBe(202);
    const request = held.body.price_change_request;
    expect(held.body.status).toBe('pending_approval');
    expect(request).toMatchObject({
      status: 'pending',
      price_list_id: listId,
      sku_count: 1,
      changes: [{ sku: 'PERC-18V', min_quantity: '1', before: '105', after: '80', change_percent: '-23.81' }],
      decided_by: null,
    });
    expect(await priceOf()).toBe('105');
    const pending = await api(acme.token, 'GET', '/api/v1/price-change-requests?status=pending');
    expect(pending.body.data.map((r: { id: string }) => r.id)).toEqual([request.id]);
    expect((await api(acme.token, 'GET', '/api/v1/price-change-requests?status=applied')).body.data).toEqual(
      [],
    );
    const upserts = await auditOf(t, acme.tenantId, 'pricing.price_list.entries_upsert');
    expect(upserts.at(-1)?.metadata).toMatchObject({
      status: 'pending_approval',
      price_change_request_id: request.id,
    });
    expect((await auditOf(t, acme.tenantId, 'pricing.price_change_request.create')).at(-1)?.resource_id).toBe(
      request.id,
    );
    const events = await runAsTenant(t.db, { tenantId: acme.tenantId }, async (ctx) =>
      rows<{ type: string }>(
        await ctx.tx.execute(sql`select type from outbox_events where tenant_id = ${acme.tenantId}
          and type like 'price_change_request.%' and payload->>'price_change_request_id' = ${request.id}`),
      ),
    );
    expect(events.map((e) => e.type)).toEqual(['price_change_request.created']);

    // The sales administrator cannot approve at all (no approve permission).
    expect(
      (await api(salesToken, 'POST', `/api/v1/price-change-requests/${request.id}/approve`)).status,
    ).toBe(403);
  });

  it('the initiator cannot approve their own request, even with another credential: 403 four-eyes-required, audited denied', async () => {
    const mine = await setPrice('70.00');
    expect(mine.status).toBe(202);
    const id = mine.body.price_change_request.id;
    const self = await api(ownerSecondToken, 'POST', `/api/v1/price-change-requests/${id}/approve`);
    expect(self.status).toBe(403);
    expect(self.body.type).toBe('/problems/four-eyes-required');
    const denied = (await auditOf(t, acme.tenantId, 'pricing.price_change_request.approve')).at(-1);
    expect(denied).toMatchObject({ outcome: 'denied', resource_id: id });
    expect(await priceOf()).toBe('105');
    // Withdrawn: rejected (rejecting one's own request is allowed — it changes no price).
    expect(
      (await api(acme.token, 'POST', `/api/v1/price-change-requests/${id}/reject`, { reason: 'Typo' }))
        .status,
    ).toBe(200);
  });

  it('another manager with the approve permission approves: applied atomically, audited, event published', async () => {
    const [request] = (await api(acme.token, 'GET', '/api/v1/price-change-requests?status=pending')).body
      .data;
    const approved = await api(financeToken, 'POST', `/api/v1/price-change-requests/${request.id}/approve`);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ status: 'applied', decided_by: financeId });
    expect(approved.body.applied_at).not.toBeNull();
    expect(await priceOf()).toBe('80');
    const ok = (await auditOf(t, acme.tenantId, 'pricing.price_change_request.approve')).at(-1);
    expect(ok).toMatchObject({ outcome: 'success', resource_id: request.id });
    const applied = (await auditOf(t, acme.tenantId, 'pricing.price_list.entries_upsert')).at(-1);
    expect(applied?.metadata).toMatchObject({ price_change_request_id: request.id, skus: 1 });
    // Decided once: approving again is a 409.
    const again = await api(financeToken, 'POST', `/api/v1/price-change-requests/${request.id}/approve`);
    expect(again.status).toBe(409);
  });

  it('rejection keeps the price, records the reason, and the request cannot be approved afterwards', async () => {
    const held = await setPrice('120.00', salesToken);
    const id = held.body.price_change_request.id;
    const rejected = await api(financeToken, 'POST', `/api/v1/price-change-requests/${id}/reject`, {
      reason: 'Above the distributors’ agreed ceiling',
    });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      status: 'rejected',
      rejection_reason: 'Above the distributors’ agreed ceiling',
      decided_by: financeId,
      applied_at: null,
    });
    expect(await priceOf()).toBe('80');
    expect((await auditOf(t, acme.tenantId, 'pricing.price_change_request.reject')).at(-1)).toMatchObject({
      outcome: 'success',
      reason: 'Above the distributors’ agreed ceiling',
    });
    expect((await api(financeToken, 'POST', `/api/v1/price-change-requests/${id}/approve`)).status).toBe(409);
    expect((await api(acme.token, 'GET', `/api/v1/price-change-requests/${id}`)).body.status).toBe(
      'rejected',
    );
  });

  it('a stale request (the price changed meanwhile) is a 409 problem and applies nothing', async () => {
    const held = await setPrice('60.00', salesToken);
    const id = held.body.price_change_request.id;
    expect((await setPrice('82.00', salesToken)).status).toBe(200); // +2.5 %: direct
    const stale = await api(financeToken, 'POST', `/api/v1/price-change-requests/${id}/approve`);
    expect(stale.status).toBe(409);
    expect(stale.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(stale.body.detail).toContain('PERC-18V');
    expect(await priceOf()).toBe('82');
    expect((await api(acme.token, 'GET', `/api/v1/price-change-requests/${id}`)).body.status).toBe('pending');
    expect((await auditOf(t, acme.tenantId, 'pricing.price_change_request.approve')).at(-1)?.outcome).toBe(
      'failure',
    );
    await api(financeToken, 'POST', `/api/v1/price-change-requests/${id}/reject`, { reason: 'Stale' });
  });

  it('the policy: an amount rule, additions and removals, or no approval at all — set only by an approver', async () => {
    expect(
      (await api(salesToken, 'PATCH', '/api/v1/pricing/settings', { approval_threshold_percent: null }))
        .status,
    ).toBe(403);
    const set = await api(financeToken, 'PATCH', '/api/v1/pricing/settings', {
      approval_threshold_percent: null,
      approval_threshold_amount: '1.00',
      approve_additions_and_removals: true,
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ approval_threshold_percent: null, approval_threshold_amount: '1' });
    expect((await setPrice('82.90', salesToken)).status).toBe(200);
    expect((await setPrice('84.00', salesToken)).status).toBe(202);
    expect((await setPrice('5.00', salesToken, 'NEW-1')).status).toBe(202);
    const off = await api(financeToken, 'PATCH', '/api/v1/pricing/settings', {
      approval_threshold_amount: null,
      approve_additions_and_removals: false,
    });
    expect(off.body.approval_threshold_percent).toBeNull();
    expect((await setPrice('1.00', salesToken)).status).toBe(200);
    expect(await priceOf()).toBe('1');
  });

  it('bad input is a 4xx naming the field; another tenant sees none of the requests', async () => {
    const [pending] = (await api(acme.token, 'GET', '/api/v1/price-change-requests?status=pending')).body
      .data;
    const blank = await api(financeToken, 'POST', `/api/v1/price-change-requests/${pending.id}/reject`, {
      reason: '   ',
    });
    expect(blank.status).toBe(400);
    expect(blank.body.errors[0].pointer).toBe('/reason');
    const missing = await api(financeToken, 'POST', `/api/v1/price-change-requests/${pending.id}/reject`, {});
    expect(missing.status).toBe(400);
    const badPercent = await api(financeToken, 'PATCH', '/api/v1/pricing/settings', {
      approval_threshold_percent: '-5',
    });
    expect(badPercent.status).toBe(400);
    expect(badPercent.body.errors[0].pointer).toBe('/approval_threshold_percent');
    const badStatus = await api(acme.token, 'GET', '/api/v1/price-change-requests?status=maybe');
    expect(badStatus.status).toBe(400);
    expect(
      (await api(acme.token, 'GET', '/api/v1/price-change-requests/pcr_01jd5q6m3xf0k8y2v7r9t4w1zc')).status,
    ).toBe(404);
    expect((await api(rival.token, 'GET', `/api/v1/price-change-requests/${pending.id}`)).status).toBe(404);
    expect(
      (await api(rival.token, 'POST', `/api/v1/price-change-requests/${pending.id}/approve`)).status,
    ).toBe(404);
    expect((await api(rival.token, 'GET', '/api/v1/price-change-requests')).body.data).toEqual([]);
  });
});
