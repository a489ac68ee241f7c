import { runAsTenant } from '../../platform/context.ts';
import type { TestApp, TestTenant } from '../../test/harness.ts';
import { upsertEntries } from './service.ts';

/** Pricing objects the audit coverage walk (test/audit-coverage.test.ts) acts on. */
export interface PricingFixtures {
  priceListId: string;
  doomedPriceListId: string;
  groupId: string;
  doomedDiscountId: string;
  doomedPromotionId: string;
  /** Kept, for the PATCH routes. */
  discountId: string;
  promotionId: string;
  /** Pending price change requests initiated by the system, so that the owner may decide them (four-eyes). */
  approvableRequestId: string;
  rejectableRequestId: string;
}

interface Call {
  params?: Record<string, string>;
  body?: unknown;
}

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export async function preparePricingFixtures(t: TestApp, tenant: TestTenant): Promise<PricingFixtures> {
  const post = async (path: string, body: unknown) => {
    const res = await t.api('POST', path, { token: tenant.token, body });
    if (res.status >= 300) throw new Error(`${path}: ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  };
  const list = (code: string) =>
    post('/api/v1/price-lists', { code, name: 'Tarif', currency: 'EUR', targets: [{ kind: 'all' }] });
  const groupId = await post('/api/v1/customer-groups', { code: `pricing-${unique()}`, name: 'Revendeurs' });
  const approvalList = await list(`pl-${unique()}`);
  const held = (sku: string) =>
    runAsTenant(t.db, { tenantId: tenant.tenantId }, async (ctx) => {
      await upsertEntries(ctx, approvalList, [{ sku, breaks: [{ min_quantity: '1', unit_price: '10.00' }] }]);
      const r = await upsertEntries(ctx, approvalList, [
        { sku, breaks: [{ min_quantity: '1', unit_price: '15.00' }] },
      ]);
      if (r.status !== 'pending_approval') throw new Error('expected a pending price change request');
      return r.price_change_request.id;
    });
  return {
    approvableRequestId: await held('FIX-APPROVE'),
    rejectableRequestId: await held('FIX-REJECT'),
    priceListId: await list(`pl-${unique()}`),
    doomedPriceListId: await list(`pl-${unique()}`),
    groupId,
    doomedDiscountId: await post('/api/v1/group-discounts', { group_id: groupId, percent: '5' }),
    discountId: await post('/api/v1/group-discounts', { group_id: groupId, percent: '7' }),
    promotionId: await post('/api/v1/promotions', {
      name: 'À modifier',
      discount: { kind: 'percent', percent: '5' },
    }),
    doomedPromotionId: await post('/api/v1/promotions', {
      name: 'À supprimer',
      discount: { kind: 'percent', percent: '5' },
    }),
  };
}

/** A valid request for each audited pricing operation, for FIXTURES in test/audit-coverage.test.ts. */
export function pricingAuditFixtures<S>(of: (s: S) => PricingFixtures): Record<string, (s: S) => Call> {
  const f = (make: (c: PricingFixtures) => Call) => (s: S) => make(of(s));
  return {
    createPriceList: f(() => ({
      body: {
        code: `pl-${unique()}`,
        name: 'Tarif distributeurs',
        currency: 'EUR',
        targets: [{ kind: 'all' }],
      },
    })),
    updatePriceList: f((c) => ({
      params: { price_list_id: c.priceListId },
      body: { name: 'Tarif public 2026' },
    })),
    deletePriceList: f((c) => ({ params: { price_list_id: c.doomedPriceListId } })),
    upsertPriceListEntries: f((c) => ({
      params: { price_list_id: c.priceListId },
      body: { entries: [{ sku: 'FIX-1-100', breaks: [{ min_quantity: '1', unit_price: '12.50' }] }] },
    })),
    createGroupDiscount: f((c) => ({ body: { group_id: c.groupId, percent: '30' } })),
    deleteGroupDiscount: f((c) => ({ params: { group_discount_id: c.doomedDiscountId } })),
    createPromotion: f(() => ({ body: { name: 'Printemps', discount: { kind: 'percent', percent: '10' } } })),
    deletePromotion: f((c) => ({ params: { promotion_id: c.doomedPromotionId } })),
    updateGroupDiscount: f((c) => ({
      params: { group_discount_id: c.discountId },
      body: { percent: '12.5' },
    })),
    updatePromotion: f((c) => ({
      params: { promotion_id: c.promotionId },
      body: { name: 'Été', priority: 3 },
    })),
    updatePricingSettings: f(() => ({ body: { approval_threshold_percent: '15' } })),
    approvePriceChangeRequest: f((c) => ({ params: { price_change_request_id: c.approvableRequestId } })),
    rejectPriceChangeRequest: f((c) => ({
      params: { price_change_request_id: c.rejectableRequestId },
      body: { reason: 'Not before the catalogue goes live' },
    })),
  };
}
