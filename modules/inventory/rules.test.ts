import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../pricing/money.ts';
import {
  type AvailabilitySettings,
  availabilityOf,
  DEFAULT_AVAILABILITY_SETTINGS,
  dateProblem,
  type LevelInput,
  quantityProblem,
  totalsOf,
} from './rules.ts';

const TODAY = '2026-12-07';
const level = (on_hand: string, o: Partial<LevelInput> = {}): LevelInput => ({
  warehouse_active: true,
  on_hand,
  reserved: '0',
  restock_date: null,
  restock_quantity: null,
  ...o,
});
const exact: AvailabilitySettings = {
  low_stock_threshold: '10',
  quantity_display: 'exact',
  default_lead_time_days: 15,
};
const statusOnly: AvailabilitySettings = { ...exact, quantity_display: 'status' };

describe('what is available', () => {
  it('adds on hand minus reserved over the active warehouses only', () => {
    const t = totalsOf([
      level('40', { reserved: '5' }),
      level('12.5'),
      level('1000', { warehouse_active: false }), // a closed warehouse's stock is not offered
    ]);
    expect(t.available.toString()).toBe('47.5');
    expect(t.on_hand.toString()).toBe('52.5');
    expect(t.reserved.toString()).toBe('5');
  });

  it('lets an over-reserved warehouse draw on the others, and never goes below zero', () => {
    expect(totalsOf([level('2', { reserved: '5' }), level('10')]).available.toString()).toBe('7');
    expect(totalsOf([level('2', { reserved: '5' })]).available.toString()).toBe('0');
  });
});

describe('the status a buyer sees', () => {
  it('is in stock above the threshold, low at or below it, with the quantity when the tenant shows it', () => {
    expect(availabilityOf([level('11')], exact, TODAY)).toMatchObject({
      status: 'in_stock',
      available_quantity: '11',
    });
    expect(availabilityOf([level('10')], exact, TODAY)).toMatchObject({
      status: 'low_stock',
      available_quantity: '10',
    });
    expect(availabilityOf([level('3')], statusOnly, TODAY)).toMatchObject({
      status: 'low_stock',
      available_quantity: null,
    });
  });

  it('is out of stock with the expected date when a delivery of unknown quantity is announced', () => {
    const a = availabilityOf([level('0', { restock_date: '2026-12-20' })], exact, TODAY);
    expect(a).toMatchObject({ status: 'out_of_stock', restock_date: '2026-12-20', lead_time_days: null });
  });

  it('is on order when a delivery with its quantity is expected', () => {
    const a = availabilityOf(
      [level('4', { reserved: '4', restock_date: '2027-01-05', restock_quantity: '200' })],
      exact,
      TODAY,
    );
    expect(a).toMatchObject({
      status: 'on_order',
      available_quantity: '0',
      restock_date: '2027-01-05',
      restock_quantity: '200',
    });
    // A tenant showing statuses only gives the date, not the quantity.
    expect(
      availabilityOf(
        [level('0', { restock_date: '2027-01-05', restock_quantity: '200' })],
        statusOnly,
        TODAY,
      ),
    ).toMatchObject({ status: 'on_order', restock_quantity: null, restock_date: '2027-01-05' });
  });

  it('falls back to the default lead time when out of stock with no date, or an overdue one', () => {
    expect(availabilityOf([level('0')], exact, TODAY)).toMatchObject({
      status: 'out_of_stock',
      restock_date: null,
      lead_time_days: 15,
    });
    expect(
      availabilityOf([level('0', { restock_date: '2026-12-01', restock_quantity: '50' })], exact, TODAY),
    ).toMatchObject({ status: 'out_of_stock', restock_date: null, lead_time_days: 15 });
    expect(availabilityOf([level('0')], DEFAULT_AVAILABILITY_SETTINGS, TODAY).lead_time_days).toBeNull();
  });

  it('is "on request" when no active warehouse stocks the variant', () => {
    expect(availabilityOf([], exact, TODAY)).toMatchObject({
      status: 'on_request',
      available_quantity: null,
    });
    expect(availabilityOf([level('50', { warehouse_active: false })], exact, TODAY).status).toBe(
      'on_request',
    );
  });
});

describe('what a buyer is told for the quantity they want', () => {
  it('"12 available, the rest in 15 days"', () => {
    const a = availabilityOf([level('12')], exact, TODAY, '30');
    expect(a.request).toEqual({
      quantity: '30',
      fulfilment: 'partial',
      available_now: '12',
      backordered: '18',
      rest_date: null,
      rest_lead_time_days: 15,
    });
  });

  it('gives the date of the delivery that covers the rest, counting deliveries in date order', () => {
    const levels = [
      level('12', { restock_date: '2026-12-15', restock_quantity: '10' }),
      level('0', { restock_date: '2026-12-22', restock_quantity: '100' }),
    ];
    expect(availabilityOf(levels, exact, TODAY, '20').request).toMatchObject({
      fulfilment: 'partial',
      backordered: '8',
      rest_date: '2026-12-15',
    });
    expect(availabilityOf(levels, exact, TODAY, '30').request).toMatchObject({
      backordered: '18',
      rest_date: '2026-12-22',
      rest_lead_time_days: null,
    });
  });

  it('tells a tenant showing statuses only "part now, the rest later" without any number', () => {
    expect(availabilityOf([level('12')], statusOnly, TODAY, '30').request).toEqual({
      quantity: '30',
      fulfilment: 'partial',
      available_now: null,
      backordered: null,
      rest_date: null,
      rest_lead_time_days: 15,
    });
  });

  it('is fully served when enough is available', () => {
    expect(availabilityOf([level('12')], exact, TODAY, '12').request).toMatchObject({
      fulfilment: 'full',
      available_now: '12',
      backordered: '0',
      rest_lead_time_days: null,
    });
  });
});

describe('input checks', () => {
  it('refuses negative, malformed and over-precise quantities, naming why', () => {
    expect(quantityProblem('-3')).toBe('must not be negative');
    expect(quantityProblem('1.23456')).toBe('has 5 decimals, at most 4 are allowed');
    expect(quantityProblem('abc')).toMatch(/decimal string/);
    expect(quantityProblem(12)).toMatch(/decimal string/);
    expect(quantityProblem('0')).toBeNull();
    expect(quantityProblem('0', true)).toBe('must be greater than zero');
    expect(quantityProblem('12.5')).toBeNull();
  });
  it('refuses dates that are not calendar dates', () => {
    expect(dateProblem('2026-02-30')).toBe('is not a calendar date');
    expect(dateProblem('24/12/2026')).toMatch(/date such as/);
    expect(dateProblem('2026-12-24')).toBeNull();
  });
});

// ─── Properties ─────────────────────────────────────────────────────────────────────────────

const qty = fc
  .tuple(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 9999 }))
  .map(([i, f]) => (f ? `${i}.${String(f).padStart(4, '0')}` : String(i)));
const day = fc
  .integer({ min: 0, max: 60 })
  .map((n) => new Date(Date.UTC(2026, 11, n)).toISOString().slice(0, 10));
const levelArb = fc.record({
  warehouse_active: fc.boolean(),
  on_hand: qty,
  reserved: qty,
  restock_date: fc.option(day, { nil: null }),
  restock_quantity: fc.option(
    qty.filter((q) => !new Dec(q).isZero()),
    { nil: null },
  ),
});
const settingsArb = fc.record({
  low_stock_threshold: qty,
  quantity_display: fc.constantFrom('exact' as const, 'status' as const),
  default_lead_time_days: fc.option(fc.integer({ min: 0, max: 365 }), { nil: null }),
});
const positiveQty = qty.filter((q) => !new Dec(q).isZero());

describe('properties', () => {
  it('available is never negative and never more than on hand', () => {
    fc.assert(
      fc.property(fc.array(levelArb, { maxLength: 6 }), (levels) => {
        const t = totalsOf(levels);
        expect(t.available.isNegative()).toBe(false);
        expect(t.available.lte(t.on_hand)).toBe(true);
      }),
    );
  });

  it('the status agrees with the quantity available and the threshold', () => {
    fc.assert(
      fc.property(fc.array(levelArb, { maxLength: 6 }), settingsArb, (levels, s) => {
        const a = availabilityOf(levels, s, TODAY);
        const available = totalsOf(levels).available;
        if (a.status === 'in_stock') expect(available.gt(s.low_stock_threshold)).toBe(true);
        if (a.status === 'low_stock')
          expect(available.gt(0) && available.lte(s.low_stock_threshold)).toBe(true);
        if (a.status === 'out_of_stock' || a.status === 'on_order') expect(available.isZero()).toBe(true);
        if (a.status === 'on_request') expect(levels.some((l) => l.warehouse_active)).toBe(false);
        // A restock date shown is never in the past.
        if (a.restock_date !== null) expect(a.restock_date >= TODAY).toBe(true);
      }),
    );
  });

  it('a tenant showing statuses only never lets a quantity out', () => {
    fc.assert(
      fc.property(fc.array(levelArb, { maxLength: 6 }), settingsArb, positiveQty, (levels, s, q) => {
        const a = availabilityOf(levels, { ...s, quantity_display: 'status' }, TODAY, q);
        expect(a.available_quantity).toBeNull();
        expect(a.restock_quantity).toBeNull();
        expect(a.request?.available_now).toBeNull();
        expect(a.request?.backordered).toBeNull();
      }),
    );
  });

  it('what is available now and what waits add up to the quantity asked, and "full" means nothing waits', () => {
    fc.assert(
      fc.property(fc.array(levelArb, { maxLength: 6 }), settingsArb, positiveQty, (levels, s, q) => {
        const r = availabilityOf(levels, { ...s, quantity_display: 'exact' }, TODAY, q).request!;
        const now = new Dec(r.available_now!);
        const rest = new Dec(r.backordered!);
        expect(now.plus(rest).eq(q)).toBe(true);
        expect(now.lte(totalsOf(levels).available)).toBe(true);
        expect(r.fulfilment === 'full').toBe(rest.isZero());
        if (rest.isZero()) expect([r.rest_date, r.rest_lead_time_days]).toEqual([null, null]);
      }),
    );
  });

  it("an inactive warehouse's stock changes nothing a buyer sees", () => {
    fc.assert(
      fc.property(fc.array(levelArb, { maxLength: 5 }), levelArb, settingsArb, (levels, extra, s) => {
        const without = availabilityOf(levels, s, TODAY, '7');
        const withClosed = availabilityOf([...levels, { ...extra, warehouse_active: false }], s, TODAY, '7');
        expect(withClosed).toEqual(without);
      }),
    );
  });
});
