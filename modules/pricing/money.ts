/**
 * Exact decimal money — pure functions, never floating point.
 *
 * * On the wire an amount is a decimal **string** (`"70.00"`, `"8.5000"`), always with its ISO 4217
 *   currency next to it. JavaScript numbers are only accepted for whole quantities (safe integers).
 * * In code, amounts are `Decimal` values from our own decimal.js constructor `Dec` (64 significant
 *   digits, so no sum or product of our bounded amounts is ever rounded by the library itself).
 *   Rounding happens only where this file says so, with an explicit mode:
 *   - **half-up** (`0.125 → 0.13`, `-0.125 → -0.13`: ties away from zero) for every price and line
 *     total shown to a buyer — commercial rounding, what merchants and buyers check by hand;
 *   - **half-even** (`0.125 → 0.12`, `0.135 → 0.14`: banker's rounding) is available to modules
 *     that round many amounts and then add them up (tax aggregates, statistics), where half-up would
 *     drift upwards.
 * * A **unit price** carries up to 4 decimals (`UNIT_PRICE_DECIMALS`). A **line total**
 *   (`unit price × quantity`) and every other payable amount are rounded to the currency's minor
 *   units (EUR 2, JPY 0, KWD 3, …).
 */
import { Decimal } from 'decimal.js';

/** The decimal constructor used for money; independent of decimal.js's global configuration. */
export const Dec = Decimal.clone({
  precision: 64,
  rounding: Decimal.ROUND_HALF_UP,
  toExpNeg: -64,
  toExpPos: 64,
});
export type Dec = Decimal;

export type RoundingMode = 'half-up' | 'half-even';

const ROUNDING = { 'half-up': Decimal.ROUND_HALF_UP, 'half-even': Decimal.ROUND_HALF_EVEN } as const;

/** Unit prices (price-list entries, resolved prices) carry at most this many decimals. */
export const UNIT_PRICE_DECIMALS = 4;

/** Quantities (pieces, or metres and kilograms for goods sold by measure) carry at most this many decimals. */
export const QUANTITY_DECIMALS = 4;

/**
 * ISO 4217 minor units (number of decimals of the currency's smallest unit) of the currencies a
 * European B2B merchant is likely to sell in. A currency missing here is refused, not guessed.
 */
const MINOR_UNITS: Readonly<Record<string, number>> = {
  EUR: 2,
  USD: 2,
  GBP: 2,
  CHF: 2,
  SEK: 2,
  NOK: 2,
  DKK: 2,
  PLN: 2,
  CZK: 2,
  HUF: 2,
  RON: 2,
  BGN: 2,
  ISK: 0,
  TRY: 2,
  CAD: 2,
  AUD: 2,
  NZD: 2,
  CNY: 2,
  HKD: 2,
  SGD: 2,
  INR: 2,
  BRL: 2,
  MXN: 2,
  ZAR: 2,
  AED: 2,
  SAR: 2,
  MAD: 2,
  DZD: 2,
  XOF: 0,
  XAF: 0,
  XPF: 0,
  JPY: 0,
  KRW: 0,
  VND: 0,
  CLP: 0,
  BHD: 3,
  KWD: 3,
  OMR: 3,
  JOD: 3,
  TND: 3,
  IQD: 3,
  LYD: 3,
  CLF: 4,
};

/** An amount on the wire: a decimal string and its currency. */
export interface Money {
  amount: string;
  currency: string;
}

/** A value that is not a well-formed amount, quantity or currency. `field` names the offending input. */
export class MoneyError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'MoneyError';
  }
}

export function isCurrency(code: string): boolean {
  return Object.hasOwn(MINOR_UNITS, code);
}

export function supportedCurrencies(): string[] {
  return Object.keys(MINOR_UNITS).sort();
}

/** The currency's minor units (EUR 2, JPY 0, KWD 3); throws for a currency we do not know. */
export function minorUnits(currency: string): number {
  const units = MINOR_UNITS[currency];
  if (units === undefined)
    throw new MoneyError(`${currency} is not a supported ISO 4217 currency`, 'currency');
  return units;
}

const DECIMAL_STRING = /^-?\d+(\.\d+)?$/;

export interface ParseOptions {
  /** Refuse more decimals than this (a value is never silently rounded on input). */
  maxDecimals?: number;
  /** Refuse negative values. */
  nonNegative?: boolean;
  /** Refuse zero and negative values. */
  positive?: boolean;
  /** Name of the input, for the error message. */
  field?: string;
}

/**
 * Parses a plain decimal string (`"12"`, `"-0.5"`, `"8.5000"`): no exponent, no spaces, no
 * thousands separator, no `NaN`/`Infinity`. Throws `MoneyError` for anything else.
 */
export function parseDecimal(value: string, options: ParseOptions = {}): Dec {
  const field = options.field ?? 'value';
  if (typeof value !== 'string' || !DECIMAL_STRING.test(value)) {
    throw new MoneyError(
      `${field} must be a decimal string such as "12.50", got ${JSON.stringify(value)}`,
      field,
    );
  }
  const decimals = value.includes('.') ? value.length - value.indexOf('.') - 1 : 0;
  if (options.maxDecimals !== undefined && decimals > options.maxDecimals) {
    throw new MoneyError(
      `${field} has ${decimals} decimals, at most ${options.maxDecimals} are allowed`,
      field,
    );
  }
  const d = new Dec(value);
  if (options.positive && d.lte(0)) throw new MoneyError(`${field} must be greater than zero`, field);
  if (options.nonNegative && d.isNegative() && !d.isZero()) {
    throw new MoneyError(`${field} must not be negative`, field);
  }
  return d;
}

/** A unit price: a non-negative decimal string with at most 4 decimals. */
export function parseUnitPrice(value: string, field = 'unit_price'): Dec {
  return parseDecimal(value, { maxDecimals: UNIT_PRICE_DECIMALS, nonNegative: true, field });
}

/**
 * A quantity: a positive safe integer, or a positive decimal string with at most 4 decimals
 * (goods sold by the metre or the kilogram). A fractional JavaScript number is refused.
 */
export function parseQuantity(value: string | number, field = 'quantity'): Dec {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new MoneyError(`${field} must be a whole number, or a decimal string such as "2.5"`, field);
    }
    if (value <= 0) throw new MoneyError(`${field} must be greater than zero`, field);
    return new Dec(value);
  }
  return parseDecimal(value, { maxDecimals: QUANTITY_DECIMALS, positive: true, field });
}

/** Rounds to `decimals` decimals with the given mode. */
export function roundTo(value: Dec, decimals: number, mode: RoundingMode): Dec {
  return value.toDecimalPlaces(decimals, ROUNDING[mode]);
}

/** Rounds a computed unit price to 4 decimals; half-up by default (a price shown to buyers). */
export function roundUnitPrice(value: Dec, mode: RoundingMode = 'half-up'): Dec {
  return roundTo(value, UNIT_PRICE_DECIMALS, mode);
}

/** Rounds to the currency's minor units (EUR cents, whole yen); half-up by default. */
export function roundToMinorUnits(value: Dec, currency: string, mode: RoundingMode = 'half-up'): Dec {
  return roundTo(value, minorUnits(currency), mode);
}

/** An amount in the currency's minor units, always with all of them: `70` EUR → `"70.00"`, JPY → `"70"`. */
export function formatAmount(value: Dec, currency: string, mode: RoundingMode = 'half-up'): string {
  const units = minorUnits(currency);
  return roundTo(value, units, mode).toFixed(units);
}

/**
 * A unit price in its canonical wire form: rounded to 4 decimals (half-up by default), with at
 * least the currency's minor units and no trailing zeros beyond them:
 * `70` EUR → `"70.00"`, `8.5` → `"8.50"`, `6.69333` → `"6.6933"`, `1200` JPY → `"1200"`.
 */
export function formatUnitPrice(value: Dec, currency: string, mode: RoundingMode = 'half-up'): string {
  const keep = Math.min(minorUnits(currency), UNIT_PRICE_DECIMALS);
  const rounded = roundUnitPrice(value, mode);
  let s = rounded.toFixed(UNIT_PRICE_DECIMALS);
  const dot = s.indexOf('.');
  let end = s.length;
  while (end > dot + 1 + keep && s[end - 1] === '0') end--;
  if (end === dot + 1) end = dot; // no decimals left: drop the dot too
  s = s.slice(0, end);
  return s === '-0' || /^-0\.0*$/.test(s) ? s.slice(1) : s;
}

export function money(amount: string, currency: string): Money {
  minorUnits(currency);
  parseDecimal(amount, { field: 'amount' });
  return { amount, currency };
}

function sameCurrency(a: Money, b: Money): string {
  if (a.currency !== b.currency) {
    throw new MoneyError(`cannot combine ${a.currency} and ${b.currency} amounts`, 'currency');
  }
  return a.currency;
}

/** Exact sum, in the currency's minor units (half-up); both amounts must share a currency. */
export function addMoney(a: Money, b: Money): Money {
  const currency = sameCurrency(a, b);
  return { amount: formatAmount(new Dec(a.amount).plus(b.amount), currency), currency };
}

/** Exact difference `a − b`, in the currency's minor units (half-up); both must share a currency. */
export function subtractMoney(a: Money, b: Money): Money {
  const currency = sameCurrency(a, b);
  return { amount: formatAmount(new Dec(a.amount).minus(b.amount), currency), currency };
}

/** Exact sum of many amounts of one currency (zero for an empty list), in its minor units (half-up). */
export function sumMoney(amounts: readonly Money[], currency: string): Money {
  let total = new Dec(0);
  for (const a of amounts) {
    if (a.currency !== currency) {
      throw new MoneyError(`cannot add a ${a.currency} amount to a ${currency} total`, 'currency');
    }
    total = total.plus(a.amount);
  }
  return { amount: formatAmount(total, currency), currency };
}

/** −1, 0 or 1; both amounts must share a currency. */
export function compareMoney(a: Money, b: Money): -1 | 0 | 1 {
  sameCurrency(a, b);
  return new Dec(a.amount).comparedTo(b.amount) as -1 | 0 | 1;
}

/**
 * The total of an order line: `round(unit price × quantity)` to the currency's minor units,
 * computed exactly and rounded **once**, half-up by default (the documented mode for amounts shown
 * to buyers). `unitPrice` may carry up to 4 decimals; `quantity` follows `parseQuantity`.
 */
export function lineTotal(
  unitPrice: Money,
  quantity: string | number,
  mode: RoundingMode = 'half-up',
): Money {
  const unit = parseUnitPrice(unitPrice.amount);
  const qty = parseQuantity(quantity);
  return { amount: formatAmount(unit.times(qty), unitPrice.currency, mode), currency: unitPrice.currency };
}
