/**
 * Availability rules — pure functions, no database, no clock (today's date is an argument).
 *
 * * **Available** = Σ (on hand − reserved) over the *active* warehouses holding the variant, never
 *   below zero. A warehouse over-reserved (reserved > on hand, an order promised from incoming stock)
 *   lowers the total: those units will be taken from the other warehouses' stock.
 * * **Status** (docs/inventory.md):
 *   - `on_request`: no active warehouse records the variant — the merchant does not stock it (made to
 *     order, drop-shipped); the buyer is told to ask.
 *   - `in_stock`: more available than the tenant's low-stock threshold;
 *   - `low_stock`: available, at most the threshold;
 *   - `on_order`: none available, a delivery with a known quantity is expected (a purchase order);
 *   - `out_of_stock`: none available, no confirmed delivery; with the expected date when one is
 *     known, else the tenant's default lead time (or nothing).
 * * Quantities are shown to buyers only when the tenant says so (`quantity_display: 'exact'`);
 *   otherwise the buyer's view carries statuses, dates and lead times, never a number of units.
 * * A restock date before today is overdue: it is not promised to anyone (the lead time applies).
 */
import { Dec, QUANTITY_DECIMALS } from '../pricing/money.ts';

export type AvailabilityStatus = 'in_stock' | 'low_stock' | 'out_of_stock' | 'on_order' | 'on_request';
export type QuantityDisplay = 'exact' | 'status';

export interface AvailabilitySettings {
  /** Decimal string ≥ 0: at or below (and above zero) is "low stock". */
  low_stock_threshold: string;
  quantity_display: QuantityDisplay;
  /** Days to restock when none is available and no date is known; null: unknown. */
  default_lead_time_days: number | null;
}

/** Without a settings row. */
export const DEFAULT_AVAILABILITY_SETTINGS: AvailabilitySettings = {
  low_stock_threshold: '5',
  quantity_display: 'status',
  default_lead_time_days: null,
};

/** The stock of a variant in one warehouse, as the rules need it. */
export interface LevelInput {
  warehouse_active: boolean;
  /** Decimal strings. */
  on_hand: string;
  reserved: string;
  /** `YYYY-MM-DD` or null. */
  restock_date: string | null;
  restock_quantity: string | null;
}

export interface StockTotals {
  /** Whether any active warehouse records the variant. */
  stocked: boolean;
  on_hand: Dec;
  reserved: Dec;
  available: Dec;
}

/** On hand, reserved and available over the active warehouses. */
export function totalsOf(levels: readonly LevelInput[]): StockTotals {
  const active = levels.filter((l) => l.warehouse_active);
  let onHand = new Dec(0);
  let reserved = new Dec(0);
  for (const l of active) {
    onHand = onHand.plus(l.on_hand);
    reserved = reserved.plus(l.reserved);
  }
  const net = onHand.minus(reserved);
  return {
    stocked: active.length > 0,
    on_hand: onHand,
    reserved,
    available: net.isNegative() ? new Dec(0) : net,
  };
}

/** An expected delivery: a date (not before today) and, when known, its quantity. */
export interface Restock {
  date: string;
  quantity: Dec | null;
}

/** The deliveries expected in the active warehouses, earliest first; overdue dates are dropped. */
export function restocksOf(levels: readonly LevelInput[], today: string): Restock[] {
  return levels
    .filter((l) => l.warehouse_active && l.restock_date !== null && l.restock_date >= today)
    .map((l) => ({
      date: l.restock_date!,
      quantity: l.restock_quantity === null ? null : new Dec(l.restock_quantity),
    }))
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/** What is asked of the stock for one quantity, as the buyer is told. */
export interface RequestAvailability {
  /** Decimal string, as asked. */
  quantity: string;
  /** `full`: all of it now; `partial`: some now, the rest later; `none`: nothing now. */
  fulfilment: 'full' | 'partial' | 'none';
  /** Units available now (≤ quantity) — null when the tenant shows statuses only. */
  available_now: string | null;
  /** Units that must wait — null when the tenant shows statuses only. */
  backordered: string | null;
  /** When the rest is expected: the date of the delivery that covers it, when known… */
  rest_date: string | null;
  /** …else the tenant's default lead time in days (null: unknown, or nothing waits). */
  rest_lead_time_days: number | null;
}

export interface Availability {
  status: AvailabilityStatus;
  /** Decimal string of the available units — only with `quantity_display: 'exact'`. */
  available_quantity: string | null;
  /** Next expected delivery (not for in-stock variants' buyers to wait on, but shown as information). */
  restock_date: string | null;
  /** Its quantity — only with `quantity_display: 'exact'`. */
  restock_quantity: string | null;
  /** When none is available and no delivery date is known: the tenant's default lead time. */
  lead_time_days: number | null;
  /** Only when a quantity was asked. */
  request: RequestAvailability | null;
}

/** Exact decimal text without trailing zeros ("12.5000" → "12.5"). */
export const plainQuantity = (d: Dec) => d.toFixed(QUANTITY_DECIMALS).replace(/\.?0+$/, '') || '0';

/**
 * When the `missing` units can be expected: the first date by which the expected deliveries of
 * known quantity add up to them; a delivery of unknown quantity is counted as covering the rest (the
 * buyer is given its date, the best information there is). Null when the deliveries do not cover it.
 */
export function dateCovering(restocks: readonly Restock[], missing: Dec): string | null {
  let covered = new Dec(0);
  for (const r of restocks) {
    if (r.quantity === null) return r.date;
    covered = covered.plus(r.quantity);
    if (covered.gte(missing)) return r.date;
  }
  return null;
}

/**
 * The availability of one variant for a buyer: status, what may be shown, and — when `quantity` is
 * given (a positive decimal) — how much of it can be had now and when the rest comes.
 */
export function availabilityOf(
  levels: readonly LevelInput[],
  settings: AvailabilitySettings,
  today: string,
  quantity?: string,
): Availability {
  const exact = settings.quantity_display === 'exact';
  const totals = totalsOf(levels);
  const restocks = restocksOf(levels, today);
  const next = restocks[0] ?? null;
  const threshold = new Dec(settings.low_stock_threshold);
  const available = totals.available;

  let status: AvailabilityStatus;
  if (!totals.stocked) status = 'on_request';
  else if (available.gt(threshold)) status = 'in_stock';
  else if (available.gt(0)) status = 'low_stock';
  else if (restocks.some((r) => r.quantity !== null)) status = 'on_order';
  else status = 'out_of_stock';

  const noneNow = status === 'out_of_stock' || status === 'on_order';
  const leadTime = noneNow && !next ? settings.default_lead_time_days : null;

  let request: RequestAvailability | null = null;
  if (quantity !== undefined) {
    const asked = new Dec(quantity);
    const now = status === 'on_request' ? new Dec(0) : Dec.min(asked, available);
    const missing = asked.minus(now);
    const fulfilment = missing.isZero() ? 'full' : now.isZero() ? 'none' : 'partial';
    const restDate = missing.isZero() ? null : dateCovering(restocks, missing);
    request = {
      quantity: plainQuantity(asked),
      fulfilment,
      available_now: exact ? plainQuantity(now) : null,
      backordered: exact ? plainQuantity(missing) : null,
      rest_date: restDate,
      rest_lead_time_days:
        missing.isZero() || restDate !== null || status === 'on_request'
          ? null
          : settings.default_lead_time_days,
    };
  }

  return {
    status,
    available_quantity: exact && totals.stocked ? plainQuantity(available) : null,
    restock_date: next?.date ?? null,
    restock_quantity: exact && next?.quantity ? plainQuantity(next.quantity) : null,
    lead_time_days: leadTime,
    request,
  };
}

// ─── Input checks (shared by the single and the bulk write) ──────────────────────────────────

const DECIMAL = /^(0|[1-9][0-9]{0,13})(\.[0-9]+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Why a quantity text is refused (null: valid). `positive`: zero refused too. */
export function quantityProblem(value: unknown, positive = false): string | null {
  if (typeof value !== 'string' || !DECIMAL.test(value)) {
    if (typeof value === 'string' && /^-/.test(value.trim())) return 'must not be negative';
    return `must be a decimal string such as "12" or "2.5", got ${JSON.stringify(value)}`;
  }
  const decimals = value.includes('.') ? value.length - value.indexOf('.') - 1 : 0;
  if (decimals > QUANTITY_DECIMALS)
    return `has ${decimals} decimals, at most ${QUANTITY_DECIMALS} are allowed`;
  if (positive && new Dec(value).isZero()) return 'must be greater than zero';
  return null;
}

/** Why a calendar date text is refused (null: valid). */
export function dateProblem(value: string): string | null {
  if (!DATE.test(value)) return 'must be a date such as 2026-12-24';
  const d = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) return 'is not a calendar date';
  return null;
}
