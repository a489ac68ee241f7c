import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec, lineTotal, MoneyError, money } from './money.ts';
import {
  type Audience,
  findPriorityConflicts,
  type GroupDiscount,
  type PriceList,
  type PriceRequest,
  type PriceResult,
  type PricingData,
  PricingDataError,
  type Promotion,
  resolvePrice,
} from './rules.ts';

// ---------------------------------------------------------------------------------------------
// A small merchant: a public list, a distributor group, a key account, two storefronts.

const ALL: Audience = { kind: 'all' };
const SHOP: Audience = { kind: 'storefront', storefrontId: 'sf_shop' };
const DISTRIBUTORS: Audience = { kind: 'group', groupId: 'grp_distrib' };
const ACME: Audience = { kind: 'account', accountId: 'acct_acme' };

function list(
  id: string,
  targets: Audience[],
  prices: Record<string, string>,
  extra: Partial<PriceList> = {},
) {
  return {
    id,
    currency: 'EUR',
    targets,
    entries: Object.entries(prices).map(([sku, unitPrice]) => ({
      sku,
      breaks: [{ minQuantity: 1, unitPrice }],
    })),
    ...extra,
  } satisfies PriceList;
}

const PUBLIC = list('pl_public', [ALL], { DRILL: '100.00', CABLE: '30.00', GLOVES: '9.99' });

function promo(id: string, p: Partial<Promotion> & Pick<Promotion, 'discount'>): Promotion {
  return { id, targets: [ALL], stackable: false, priority: 0, ...p };
}

const request = (r: Partial<PriceRequest> = {}): PriceRequest => ({
  accountId: 'acct_acme',
  groupIds: ['grp_distrib'],
  storefrontId: 'sf_shop',
  currency: 'EUR',
  sku: 'DRILL',
  categoryPath: ['cat_tools', 'cat_power_tools'],
  quantity: 1,
  at: '2026-03-15T10:00:00Z',
  ...r,
});

const distributors30: GroupDiscount = { id: 'gd_30', groupId: 'grp_distrib', percent: '30' };

function price(data: PricingData, r: Partial<PriceRequest> = {}): string {
  const result = resolvePrice(data, request(r));
  if (!result.ok) throw new Error(`no price: ${result.detail}`);
  return result.unitPrice;
}

// ---------------------------------------------------------------------------------------------

describe('price resolution: what a merchant expects', () => {
  it('a distributor with 30 % off the base list pays 70,00 € for a 100,00 € item', () => {
    const result = resolvePrice({ priceLists: [PUBLIC], groupDiscounts: [distributors30] }, request());
    expect(result).toEqual({
      ok: true,
      unitPrice: '70.00',
      currency: 'EUR',
      rule: {
        level: 'tenant',
        priceListId: 'pl_public',
        sku: 'DRILL',
        minQuantity: '1',
        groupDiscountId: 'gd_30',
        promotionIds: [],
      },
      breakdown: [
        { step: 'base', level: 'tenant', priceListId: 'pl_public', minQuantity: '1', unitPrice: '100.00' },
        {
          step: 'group-discount',
          groupDiscountId: 'gd_30',
          groupId: 'grp_distrib',
          percent: '30',
          reduction: '30.00',
          unitPrice: '70.00',
        },
      ],
    });
    // A buyer outside the group pays the list price.
    expect(price({ priceLists: [PUBLIC], groupDiscounts: [distributors30] }, { groupIds: [] })).toBe(
      '100.00',
    );
  });

  it('from 10 boxes the unit price drops to 8,50 €, from 50 boxes to 7,90 €', () => {
    const boxes: PriceList = {
      id: 'pl_boxes',
      currency: 'EUR',
      targets: [ALL],
      entries: [
        {
          sku: 'SCREWS-BOX',
          breaks: [
            { minQuantity: 50, unitPrice: '7.90' },
            { minQuantity: 1, unitPrice: '10.00' },
            { minQuantity: 10, unitPrice: '8.50' },
          ],
        },
      ],
    };
    const at = (quantity: number) => price({ priceLists: [boxes] }, { sku: 'SCREWS-BOX', quantity });
    expect([at(1), at(9), at(10), at(49), at(50), at(500)]).toEqual([
      '10.00',
      '10.00',
      '8.50',
      '8.50',
      '7.90',
      '7.90',
    ]);
    const result = resolvePrice({ priceLists: [boxes] }, request({ sku: 'SCREWS-BOX', quantity: 12 }));
    expect(result.ok && result.rule.minQuantity).toBe('10');
  });

  it('a contract price beats the group discount, even when the discount would be cheaper', () => {
    const contract = list('pl_acme', [ACME], { DRILL: '75.00' });
    const result = resolvePrice(
      { priceLists: [PUBLIC, contract], groupDiscounts: [distributors30] },
      request(),
    );
    expect(result).toMatchObject({
      ok: true,
      unitPrice: '75.00',
      rule: { level: 'account', priceListId: 'pl_acme', groupDiscountId: null },
    });
    // Another account of the same group keeps the group discount on the public list.
    expect(
      price(
        { priceLists: [PUBLIC, contract], groupDiscounts: [distributors30] },
        { accountId: 'acct_other' },
      ),
    ).toBe('70.00');
  });

  it('account contract > customer group list > storefront list > tenant default list', () => {
    const lists = [
      PUBLIC,
      list('pl_shop', [SHOP], { DRILL: '95.00' }),
      list('pl_distrib', [DISTRIBUTORS], { DRILL: '80.00' }),
      list('pl_acme', [ACME], { DRILL: '78.00' }),
    ];
    expect(price({ priceLists: lists })).toBe('78.00');
    expect(price({ priceLists: lists }, { accountId: 'acct_other' })).toBe('80.00');
    expect(price({ priceLists: lists }, { accountId: 'acct_other', groupIds: [] })).toBe('95.00');
    expect(price({ priceLists: lists }, { accountId: null, groupIds: [], storefrontId: 'sf_other' })).toBe(
      '100.00',
    );
  });

  it('a group list is a net price: the group discount level does not apply on top of it', () => {
    const data = { priceLists: [PUBLIC, list('pl_distrib', [DISTRIBUTORS], { DRILL: '80.00' })] };
    expect(price({ ...data, groupDiscounts: [distributors30] })).toBe('80.00');
    // … but the group's discount still applies to products the group list does not price.
    expect(price({ ...data, groupDiscounts: [distributors30] }, { sku: 'CABLE' })).toBe('21.00');
  });

  it('within a level, the most recent valid-from wins; a list not yet valid does not count', () => {
    const lists = [
      list('pl_2025', [ALL], { DRILL: '90.00' }, { validFrom: '2025-01-01T00:00:00Z' }),
      list('pl_2026', [ALL], { DRILL: '100.00' }, { validFrom: '2026-01-01T00:00:00Z' }),
      list('pl_2027', [ALL], { DRILL: '110.00' }, { validFrom: '2027-01-01T00:00:00Z' }),
    ];
    expect(price({ priceLists: lists })).toBe('100.00');
    expect(price({ priceLists: lists }, { at: '2025-06-01T00:00:00Z' })).toBe('90.00');
    expect(price({ priceLists: lists }, { at: '2027-01-01T00:00:00Z' })).toBe('110.00');
  });

  it('validity is [from, to): a list ending at midnight no longer applies at midnight, its successor does', () => {
    const lists = [
      list('pl_old', [ALL], { DRILL: '90.00' }, { validTo: '2026-04-01T00:00:00Z' }),
      list('pl_new', [SHOP], { DRILL: '100.00' }, { validFrom: '2026-04-01T00:00:00Z' }),
    ];
    expect(price({ priceLists: lists }, { at: '2026-03-31T23:59:59.999Z' })).toBe('90.00');
    expect(price({ priceLists: lists }, { at: '2026-04-01T00:00:00Z' })).toBe('100.00');
    expect(price({ priceLists: lists }, { at: new Date('2026-04-01T00:00:00Z') })).toBe('100.00');
    expect(resolvePrice({ priceLists: [lists[0]!] }, request({ at: '2026-04-01T00:00:00Z' }))).toMatchObject({
      ok: false,
      reason: 'no-price-list',
    });
  });

  it('equal valid-from in one level: the greatest (most recently created) ID wins, and the conflict is reported', () => {
    const a = list('pl_01jd0000000000000000000000', [ALL], { DRILL: '100.00' });
    const b = list('pl_01jd0000000000000000000001', [ALL], { DRILL: '99.00' });
    expect(price({ priceLists: [a, b] })).toBe('99.00');
    expect(price({ priceLists: [b, a] })).toBe('99.00');
    expect(findPriorityConflicts([a, b])).toEqual([
      expect.objectContaining({ listIds: [a.id, b.id], sku: 'DRILL' }),
    ]);
    expect(findPriorityConflicts([a, { ...b, validFrom: '2026-02-01T00:00:00Z' }])).toEqual([]);
    expect(findPriorityConflicts([a, { ...b, currency: 'USD' }])).toEqual([]);
    expect(findPriorityConflicts([a, { ...b, targets: [SHOP] }])).toEqual([]);
  });

  it('a contract price "from 100 units" leaves smaller orders at the public price', () => {
    const contract: PriceList = {
      id: 'pl_acme',
      currency: 'EUR',
      targets: [ACME],
      entries: [{ sku: 'DRILL', breaks: [{ minQuantity: 100, unitPrice: '72.00' }] }],
    };
    expect(price({ priceLists: [PUBLIC, contract] }, { quantity: 99 })).toBe('100.00');
    expect(price({ priceLists: [PUBLIC, contract] }, { quantity: 100 })).toBe('72.00');
  });

  it('an expired promotion does not apply; one starting today does', () => {
    const summer = promo('promo_summer', {
      discount: { kind: 'percent', percent: '10' },
      validFrom: '2026-03-01T00:00:00Z',
      validTo: '2026-03-15T10:00:00Z',
    });
    expect(price({ priceLists: [PUBLIC], promotions: [summer] })).toBe('100.00');
    expect(price({ priceLists: [PUBLIC], promotions: [summer] }, { at: '2026-03-01T00:00:00Z' })).toBe(
      '90.00',
    );
  });

  it('a non-stackable 10 % promotion and a stackable 5 € promotion never combine: the buyer gets the better one', () => {
    const data: PricingData = {
      priceLists: [PUBLIC],
      promotions: [
        promo('promo_10pct', { discount: { kind: 'percent', percent: '10' } }),
        promo('promo_5eur', { discount: { kind: 'amount', amount: '5', currency: 'EUR' }, stackable: true }),
      ],
    };
    const drill = resolvePrice(data, request());
    expect(drill).toMatchObject({ unitPrice: '90.00', rule: { promotionIds: ['promo_10pct'] } });
    const cable = resolvePrice(data, request({ sku: 'CABLE' }));
    expect(cable).toMatchObject({ unitPrice: '25.00', rule: { promotionIds: ['promo_5eur'] } });
  });

  it('stackable promotions add up: 10 % + 5 % = 15 % of the price before promotions, then 2 € off', () => {
    const data: PricingData = {
      priceLists: [PUBLIC],
      promotions: [
        promo('promo_2eur', { discount: { kind: 'amount', amount: '2', currency: 'EUR' }, stackable: true }),
        promo('promo_5pct', { discount: { kind: 'percent', percent: '5' }, stackable: true }),
        promo('promo_10pct', { discount: { kind: 'percent', percent: '10' }, stackable: true, priority: 1 }),
      ],
    };
    // The breakdown lists percentages first, by priority; the total does not depend on that order.
    const result = resolvePrice(data, request());
    expect(result).toMatchObject({ unitPrice: '83.00' });
    expect(result.ok && result.breakdown.map((s) => [s.step, s.unitPrice])).toEqual([
      ['base', '100.00'],
      ['promotion', '90.00'],
      ['promotion', '85.00'],
      ['promotion', '83.00'],
    ]);
  });

  it('of two non-stackable promotions the higher priority applies; at equal priority the cheaper for the buyer', () => {
    const clearance = promo('promo_clearance', {
      discount: { kind: 'percent', percent: '20' },
      priority: 10,
    });
    const spring = promo('promo_spring', { discount: { kind: 'percent', percent: '25' }, priority: 5 });
    expect(price({ priceLists: [PUBLIC], promotions: [spring, clearance] })).toBe('80.00');
    expect(price({ priceLists: [PUBLIC], promotions: [spring, { ...clearance, priority: 5 }] })).toBe(
      '75.00',
    );
  });

  it('promotions follow their target, product scope and currency', () => {
    const tools = promo('promo_tools', {
      discount: { kind: 'percent', percent: '10' },
      scope: { categoryIds: ['cat_tools'] },
      targets: [DISTRIBUTORS],
    });
    const dollars = promo('promo_usd', { discount: { kind: 'amount', amount: '5', currency: 'USD' } });
    const data = { priceLists: [PUBLIC], promotions: [tools, dollars] };
    expect(price(data)).toBe('90.00'); // a power tool is a tool, and ACME is a distributor
    expect(price(data, { groupIds: [] })).toBe('100.00'); // not for other groups
    expect(price(data, { sku: 'GLOVES', categoryPath: ['cat_safety'] })).toBe('9.99'); // not a tool
    const skuPromo = promo('promo_gloves', {
      discount: { kind: 'percent', percent: '15' },
      scope: { skus: ['GLOVES'] },
    });
    // 15 % off 9,99 € = 8,4915 €: unit prices keep 4 decimals.
    expect(price({ priceLists: [PUBLIC], promotions: [skuPromo] }, { sku: 'GLOVES' })).toBe('8.4915');
  });

  it('a promotion marked "not on net prices" leaves contract prices alone', () => {
    const contract = list('pl_acme', [ACME], { DRILL: '75.00' });
    const p = promo('promo_public', { discount: { kind: 'percent', percent: '10' }, excludeNetPrices: true });
    expect(price({ priceLists: [PUBLIC, contract], promotions: [p] })).toBe('75.00');
    expect(price({ priceLists: [PUBLIC, contract], promotions: [p] }, { accountId: 'acct_other' })).toBe(
      '90.00',
    );
  });

  it('group discount levels: the most specific scope wins, so low-margin cables keep only 10 %', () => {
    const levels: GroupDiscount[] = [
      distributors30,
      { id: 'gd_cables', groupId: 'grp_distrib', percent: '10', scope: { categoryIds: ['cat_cables'] } },
      { id: 'gd_resellers', groupId: 'grp_resellers', percent: '35' },
    ];
    const data = { priceLists: [PUBLIC], groupDiscounts: levels };
    expect(price(data, { sku: 'CABLE', categoryPath: ['cat_electric', 'cat_cables'] })).toBe('27.00');
    expect(price(data)).toBe('70.00');
    // In two groups, at the same specificity, the larger discount applies — levels never add up.
    expect(price(data, { groupIds: ['grp_distrib', 'grp_resellers'] })).toBe('65.00');
  });

  it('the group discount and promotions combine in order: base, then group discount, then promotion', () => {
    const result = resolvePrice(
      {
        priceLists: [PUBLIC],
        groupDiscounts: [distributors30],
        promotions: [promo('promo_10', { discount: { kind: 'percent', percent: '10' } })],
      },
      request(),
    );
    expect(result.ok && result.breakdown.map((s) => s.unitPrice)).toEqual(['100.00', '70.00', '63.00']);
  });

  it('a price never goes below zero: 20 € off a 15 € item is free, not −5 €', () => {
    const data = {
      priceLists: [list('pl', [ALL], { PEN: '15.00' })],
      promotions: [
        promo('promo_20', { discount: { kind: 'amount', amount: '20', currency: 'EUR' }, stackable: true }),
      ],
    };
    const result = resolvePrice(data, request({ sku: 'PEN' }));
    expect(result).toMatchObject({
      unitPrice: '0.00',
      breakdown: [{}, { reduction: '15.00', unitPrice: '0.00' }],
    });
  });

  it('a unit price is rounded half-up to 4 decimals, so 50 % of 1,0001 € is 0,5001 €', () => {
    const data = {
      priceLists: [list('pl', [ALL], { CLIP: '1.0001' })],
      promotions: [promo('p50', { discount: { kind: 'percent', percent: '50' } })],
    };
    expect(price(data, { sku: 'CLIP' })).toBe('0.5001');
  });

  it('prices in yen have no decimals; a euro list does not price a yen request', () => {
    const yen: PriceList = { ...list('pl_jpy', [ALL], { DRILL: '12000' }), currency: 'JPY' };
    expect(price({ priceLists: [PUBLIC, yen] }, { currency: 'JPY' })).toBe('12000');
    expect(price({ priceLists: [yen], groupDiscounts: [distributors30] }, { currency: 'JPY' })).toBe('8400');
  });

  it('says why there is no price', () => {
    const boxes: PriceList = {
      id: 'pl_boxes',
      currency: 'EUR',
      targets: [ALL],
      entries: [{ sku: 'PALLET', breaks: [{ minQuantity: 10, unitPrice: '500' }] }],
    };
    expect(resolvePrice({ priceLists: [PUBLIC] }, request({ currency: 'USD' }))).toMatchObject({
      ok: false,
      reason: 'no-price-list',
      currency: 'USD',
      sku: 'DRILL',
    });
    expect(resolvePrice({ priceLists: [PUBLIC] }, request({ sku: 'UNKNOWN' }))).toMatchObject({
      ok: false,
      reason: 'sku-not-priced',
    });
    expect(resolvePrice({ priceLists: [boxes] }, request({ sku: 'PALLET', quantity: 3 }))).toMatchObject({
      ok: false,
      reason: 'below-minimum-quantity',
      detail: 'PALLET is priced from 10 units; 3 is fewer',
    });
  });

  it('refuses malformed data instead of guessing', () => {
    const bad = (unitPrice: string) => ({ priceLists: [list('pl', [ALL], { DRILL: unitPrice })] });
    expect(() => resolvePrice(bad('12.34567'), request())).toThrow(MoneyError);
    expect(() => resolvePrice(bad('-1'), request())).toThrow(MoneyError);
    expect(() => resolvePrice(bad('1.5e2'), request())).toThrow(MoneyError);
    expect(() => resolvePrice({ priceLists: [PUBLIC] }, request({ quantity: 0 }))).toThrow(MoneyError);
    expect(() => resolvePrice({ priceLists: [PUBLIC] }, request({ quantity: 2.5 }))).toThrow(MoneyError);
    expect(() => resolvePrice({ priceLists: [PUBLIC] }, request({ currency: 'XYZ' }))).toThrow(MoneyError);
    expect(() => resolvePrice({ priceLists: [PUBLIC, PUBLIC] }, request())).toThrow(PricingDataError);
    expect(() => resolvePrice({ priceLists: [PUBLIC] }, request({ at: 'yesterday' }))).toThrow(
      PricingDataError,
    );
    const over = promo('p', { discount: { kind: 'percent', percent: '101' } });
    expect(() => resolvePrice({ priceLists: [PUBLIC], promotions: [over] }, request())).toThrow(
      /at most 100/,
    );
  });

  it('sells by measure: 2,5 m of cable at the 1 m price', () => {
    expect(price({ priceLists: [PUBLIC] }, { sku: 'CABLE', quantity: '2.5' })).toBe('30.00');
  });
});

describe('the worked example of docs/pricing.md', () => {
  const data: PricingData = {
    priceLists: [
      {
        id: 'pl_public_2026',
        currency: 'EUR',
        targets: [ALL],
        validFrom: '2026-01-01T00:00:00Z',
        entries: [
          {
            sku: 'PERC-18V',
            breaks: [
              { minQuantity: 1, unitPrice: '100.00' },
              { minQuantity: 10, unitPrice: '92.00' },
            ],
          },
        ],
      },
      list('pl_distrib_shop', [{ kind: 'storefront', storefrontId: 'sf_pro_distrib' }], {
        'PERC-18V': '98.00',
      }),
      {
        id: 'pl_acme',
        currency: 'EUR',
        targets: [{ kind: 'account', accountId: 'acct_acme' }],
        validFrom: '2026-01-01T00:00:00Z',
        validTo: '2027-01-01T00:00:00Z',
        entries: [{ sku: 'PERC-18V', breaks: [{ minQuantity: 50, unitPrice: '80.00' }] }],
      },
    ],
    groupDiscounts: [
      { id: 'gd_distrib', groupId: 'grp_distrib', percent: '30' },
      {
        id: 'gd_distrib_cables',
        groupId: 'grp_distrib',
        percent: '10',
        scope: { categoryIds: ['cat_cables'] },
      },
    ],
    promotions: [
      promo('promo_spring', {
        discount: { kind: 'percent', percent: '10' },
        scope: { categoryIds: ['cat_tools'] },
        priority: 1,
        validFrom: '2026-03-01T00:00:00Z',
        validTo: '2026-04-01T00:00:00Z',
      }),
      promo('promo_welcome', {
        discount: { kind: 'amount', amount: '5.00', currency: 'EUR' },
        stackable: true,
        validFrom: '2026-03-01T00:00:00Z',
        validTo: '2026-04-01T00:00:00Z',
      }),
    ],
  };
  const drill = (r: Partial<PriceRequest>) =>
    request({
      sku: 'PERC-18V',
      categoryPath: ['cat_tools', 'cat_power_tools'],
      storefrontId: 'sf_pro_distrib',
      groupIds: ['grp_distrib'],
      at: '2026-03-15T09:00:00Z',
      quantity: 12,
      ...r,
    });

  it('Électro Sud, a distributor, pays 61,74 € a drill for 12 drills (740,88 € HT)', () => {
    const result = resolvePrice(data, drill({ accountId: 'acct_electro_sud' }));
    expect(result.ok && result.breakdown.map((s) => s.unitPrice)).toEqual(['98.00', '68.60', '61.74']);
    expect(result).toMatchObject({
      rule: { priceListId: 'pl_distrib_shop', groupDiscountId: 'gd_distrib', promotionIds: ['promo_spring'] },
    });
    expect(lineTotal(money('61.74', 'EUR'), 12).amount).toBe('740.88');
  });

  it('ACME pays the same for 12 drills, and its contract price with Spring, 72,00 €, for 60', () => {
    expect(price(data, drill({}))).toBe('61.74');
    expect(price(data, drill({ quantity: 60 }))).toBe('72.00');
  });

  it('a signed-in buyer of no group on the main shop pays 82,80 € for 12 drills', () => {
    expect(price(data, drill({ accountId: 'acct_x', groupIds: [], storefrontId: 'sf_main' }))).toBe('82.80');
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random merchants

const ACCOUNTS = ['acct_a', 'acct_b'];
const GROUPS = ['grp_a', 'grp_b', 'grp_c'];
const STOREFRONTS = ['sf_a', 'sf_b'];
const SKUS = ['SKU-1', 'SKU-2'];
const CATEGORIES = ['cat_root', 'cat_mid', 'cat_leaf', 'cat_other'];
const DATES = [
  '2025-01-01T00:00:00Z',
  '2026-01-01T00:00:00Z',
  '2026-06-01T00:00:00Z',
  '2027-01-01T00:00:00Z',
];
const AT = fc.constantFrom(
  '2025-06-01T00:00:00Z',
  '2026-01-01T00:00:00Z',
  '2026-03-01T12:00:00Z',
  '2026-09-01T00:00:00Z',
);

/** A price string with up to 4 decimals, built from integers only. */
const priceArb = fc
  .integer({ min: 0, max: 2_000_000 })
  .map((n) => `${Math.floor(n / 10_000)}.${String(n % 10_000).padStart(4, '0')}`);
const percentArb = fc.integer({ min: 1, max: 1_000_000 }).map((n) => {
  const s = `${Math.floor(n / 10_000)}.${String(n % 10_000).padStart(4, '0')}`;
  return s;
});
const audienceArb: fc.Arbitrary<Audience> = fc.oneof(
  fc.constant<Audience>({ kind: 'all' }),
  fc.constantFrom(...STOREFRONTS).map((storefrontId): Audience => ({ kind: 'storefront', storefrontId })),
  fc.constantFrom(...GROUPS).map((groupId): Audience => ({ kind: 'group', groupId })),
  fc.constantFrom(...ACCOUNTS).map((accountId): Audience => ({ kind: 'account', accountId })),
);
const validityArb = fc
  .record({ validFrom: fc.option(fc.constantFrom(...DATES)), validTo: fc.option(fc.constantFrom(...DATES)) })
  .map(({ validFrom, validTo }) =>
    validFrom && validTo && validFrom >= validTo
      ? { validFrom: validTo, validTo: validFrom }
      : { validFrom, validTo },
  );
const scopeArb = fc.option(
  fc.record({
    skus: fc.subarray(SKUS),
    categoryIds: fc.subarray(CATEGORIES),
  }),
  { nil: undefined },
);
const breaksArb = fc
  .uniqueArray(fc.constantFrom(1, 5, 10, 50), { minLength: 1, maxLength: 4 })
  .chain((mins) =>
    fc.tuple(...mins.map((m) => priceArb.map((unitPrice) => ({ minQuantity: m, unitPrice })))),
  );
const listArb = (id: string): fc.Arbitrary<PriceList> =>
  fc
    .record({
      currency: fc.constantFrom('EUR', 'EUR', 'USD'),
      targets: fc.array(audienceArb, { minLength: 1, maxLength: 2 }),
      skus: fc.subarray(SKUS, { minLength: 1 }),
      validity: validityArb,
    })
    .chain(({ currency, targets, skus, validity }) =>
      fc.tuple(...skus.map((sku) => breaksArb.map((breaks) => ({ sku, breaks })))).map((entries) => ({
        id,
        currency,
        targets,
        entries,
        ...validity,
      })),
    );
const discountArb = (id: string): fc.Arbitrary<GroupDiscount> =>
  fc
    .record({
      groupId: fc.constantFrom(...GROUPS),
      percent: percentArb,
      scope: scopeArb,
      validity: validityArb,
    })
    .map(({ validity, ...d }) => ({ id, ...d, ...validity }));
const promotionArb = (id: string): fc.Arbitrary<Promotion> =>
  fc
    .record({
      targets: fc.array(audienceArb, { minLength: 1, maxLength: 2 }),
      scope: scopeArb,
      discount: fc.oneof(
        percentArb.map((percent) => ({ kind: 'percent' as const, percent })),
        fc.record({
          kind: fc.constant('amount' as const),
          amount: priceArb.filter((a) => a !== '0.0000'),
          currency: fc.constantFrom('EUR', 'USD'),
        }),
      ),
      stackable: fc.boolean(),
      priority: fc.integer({ min: 0, max: 3 }),
      excludeNetPrices: fc.boolean(),
      validity: validityArb,
    })
    .map(({ validity, ...p }) => ({ id, ...p, ...validity }));

function ids(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}_${String(i).padStart(3, '0')}`);
}
const dataArb: fc.Arbitrary<PricingData> = fc
  .record({ lists: fc.nat(6), discounts: fc.nat(3), promotions: fc.nat(4) })
  .chain(({ lists, discounts, promotions }) =>
    fc.record({
      priceLists: fc.tuple(...ids('pl', lists).map(listArb)),
      groupDiscounts: fc.tuple(...ids('gd', discounts).map(discountArb)),
      promotions: fc.tuple(...ids('promo', promotions).map(promotionArb)),
    }),
  );
const requestArb: fc.Arbitrary<PriceRequest> = fc.record({
  accountId: fc.option(fc.constantFrom(...ACCOUNTS)),
  groupIds: fc.subarray(GROUPS),
  storefrontId: fc.constantFrom(...STOREFRONTS),
  currency: fc.constantFrom('EUR', 'EUR', 'USD'),
  sku: fc.constantFrom(...SKUS),
  categoryPath: fc.constantFrom(['cat_root', 'cat_mid', 'cat_leaf'], ['cat_root', 'cat_other'], []),
  quantity: fc.integer({ min: 1, max: 100 }),
  at: AT,
});

/** A deterministic shuffle driven by fast-check's seed. */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function unit(result: PriceResult): Dec {
  if (!result.ok) throw new Error('expected a price');
  return new Dec(result.unitPrice);
}

describe('price resolution: properties', () => {
  it('property: a price is never negative, has at most 4 decimals, and its breakdown adds up', () => {
    fc.assert(
      fc.property(dataArb, requestArb, (data, req) => {
        const result = resolvePrice(data, req);
        if (!result.ok) return;
        const final = new Dec(result.unitPrice);
        expect(final.isNegative() && !final.isZero()).toBe(false);
        expect(final.decimalPlaces()).toBeLessThanOrEqual(4);
        let running = new Dec(result.breakdown[0]!.unitPrice);
        for (const step of result.breakdown.slice(1)) {
          if (step.step === 'base') throw new Error('one base step only');
          expect(new Dec(step.reduction).isNegative() && !new Dec(step.reduction).isZero()).toBe(false);
          running = running.minus(step.reduction);
          expect(running.eq(step.unitPrice)).toBe(true);
        }
        expect(running.eq(final)).toBe(true);
      }),
    );
  });

  it('property: the result is deterministic and independent of the order of the input lists', () => {
    fc.assert(
      fc.property(dataArb, requestArb, fc.integer(), (generated, req, seed) => {
        // Twins (same target, dates, scope and priority, another ID and price) force the ID tie-breaks to matter.
        const data: PricingData = {
          priceLists: generated.priceLists.flatMap((l) => [
            l,
            {
              ...l,
              id: `${l.id}_twin`,
              entries: l.entries.map((e) => ({
                ...e,
                breaks: e.breaks.map((b) => ({ ...b, unitPrice: new Dec(b.unitPrice).plus(1).toFixed(4) })),
              })),
            },
          ]),
          groupDiscounts: (generated.groupDiscounts ?? []).flatMap((d) => [d, { ...d, id: `${d.id}_twin` }]),
          promotions: (generated.promotions ?? []).flatMap((p) => [p, { ...p, id: `${p.id}_twin` }]),
        };
        const expected = resolvePrice(data, req);
        expect(resolvePrice(data, req)).toEqual(expected);
        const shuffled: PricingData = {
          priceLists: shuffle(data.priceLists, seed),
          groupDiscounts: shuffle(data.groupDiscounts ?? [], seed + 1),
          promotions: shuffle(data.promotions ?? [], seed + 2),
        };
        expect(resolvePrice(shuffled, req)).toEqual(expected);
      }),
    );
  });

  it('property: adding an expired list or a list in another currency never changes the result', () => {
    fc.assert(
      fc.property(dataArb, requestArb, listArb('pl_extra'), fc.boolean(), (data, req, extra, expire) => {
        const before = resolvePrice(data, req);
        const ignored: PriceList = expire
          ? { ...extra, validFrom: null, validTo: typeof req.at === 'string' ? req.at : req.at.toISOString() }
          : { ...extra, currency: req.currency === 'EUR' ? 'USD' : 'EUR' };
        expect(resolvePrice({ ...data, priceLists: [...data.priceLists, ignored] }, req)).toEqual(before);
      }),
    );
  });

  it('property: a valid contract price for the account always wins over group and storefront prices', () => {
    fc.assert(
      fc.property(
        dataArb,
        requestArb,
        fc.constantFrom(...ACCOUNTS),
        priceArb,
        (data, req, accountId, contractPrice) => {
          const contract = list('pl_contract', [{ kind: 'account', accountId }], {
            [req.sku]: contractPrice,
          });
          const result = resolvePrice(
            { ...data, priceLists: [...data.priceLists, { ...contract, currency: req.currency }] },
            { ...req, accountId },
          );
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          expect(result.rule.level).toBe('account');
          expect(result.rule.groupDiscountId).toBeNull();
          expect(result.breakdown.filter((s) => s.step === 'group-discount')).toEqual([]);
        },
      ),
    );
  });

  it('property: with decreasing break prices, more quantity never costs more per unit', () => {
    const decreasingBreaks = fc
      .uniqueArray(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 5 })
      .chain((mins) =>
        fc.uniqueArray(priceArb, { minLength: mins.length, maxLength: mins.length }).map((prices) => {
          const sortedMins = [...mins].sort((a, b) => a - b);
          const sortedPrices = [...prices].sort((a, b) => new Dec(b).comparedTo(a));
          return sortedMins.map((minQuantity, i) => ({ minQuantity, unitPrice: sortedPrices[i]! }));
        }),
      );
    fc.assert(
      fc.property(
        dataArb,
        requestArb,
        decreasingBreaks,
        fc.integer({ min: 1, max: 250 }),
        fc.integer({ min: 1, max: 250 }),
        (data, req, breaks, q1, q2) => {
          const only: PriceList = {
            id: 'pl_only',
            currency: req.currency,
            targets: [ALL],
            entries: [{ sku: req.sku, breaks }],
          };
          const scenario = { ...data, priceLists: [only] };
          const [small, large] = q1 <= q2 ? [q1, q2] : [q2, q1];
          const a = resolvePrice(scenario, { ...req, quantity: small });
          const b = resolvePrice(scenario, { ...req, quantity: large });
          if (!a.ok) return; // below the first break
          expect(unit(b).lte(unit(a))).toBe(true);
        },
      ),
    );
  });

  it('property: adding a stackable promotion never makes the price higher', () => {
    fc.assert(
      fc.property(dataArb, requestArb, promotionArb('promo_extra'), (data, req, extra) => {
        const before = resolvePrice(data, req);
        const after = resolvePrice(
          { ...data, promotions: [...(data.promotions ?? []), { ...extra, stackable: true }] },
          req,
        );
        expect(after.ok).toBe(before.ok);
        if (before.ok) expect(unit(after).lte(unit(before))).toBe(true);
      }),
    );
  });

  it('property: a percentage off is exact — (100 − p) % of the base, rounded half-up to 4 decimals', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 10n }),
        fc.bigInt({ min: 1n, max: 1_000_000n }),
        (base, pct) => {
          // Integer oracle: base in 1e-4, pct in 1e-4 %, result in 1e-4 = base × (1e6 − pct) / 1e6, half-up.
          const num = base * (1_000_000n - pct);
          const q = num / 1_000_000n;
          const expected = 2n * (num % 1_000_000n) >= 1_000_000n ? q + 1n : q;
          const fmt = (n: bigint) => `${n / 10_000n}.${(n % 10_000n).toString().padStart(4, '0')}`;
          const data = {
            priceLists: [list('pl', [ALL], { X: fmt(base) })],
            promotions: [promo('p', { discount: { kind: 'percent', percent: fmt(pct) } })],
          };
          expect(unit(resolvePrice(data, request({ sku: 'X' }))).eq(fmt(expected))).toBe(true);
        },
      ),
    );
  });
});
