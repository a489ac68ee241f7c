/**
 * Catalogue rules — pure functions (no I/O), tested directly in rules.test.ts.
 * GTIN check digits, packaging quantities, attribute typing, translations, completeness, the
 * search's price ranges.
 */

// ─── GTIN / EAN ──────────────────────────────────────────────────────────────────────────────

/** The GS1 check digit of the digits before it (mod 10, weights 3 and 1 from the right). */
export function gtinCheckDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const d = Number(body[body.length - 1 - i]);
    sum += i % 2 === 0 ? d * 3 : d;
  }
  return (10 - (sum % 10)) % 10;
}

export type Check = { ok: true } | { ok: false; reason: string };

/** GTIN-8 (EAN-8), GTIN-12 (UPC-A), GTIN-13 (EAN-13) or GTIN-14 (ITF-14), with its check digit. */
export function checkGtin(code: string): Check {
  if (!/^\d+$/.test(code)) return { ok: false, reason: 'must contain digits only' };
  if (![8, 12, 13, 14].includes(code.length))
    return { ok: false, reason: 'must have 8, 12, 13 or 14 digits (GTIN-8/12/13/14)' };
  const expected = gtinCheckDigit(code.slice(0, -1));
  if (Number(code.at(-1)) !== expected)
    return { ok: false, reason: `the check digit should be ${expected}, not ${code.at(-1)}` };
  return { ok: true };
}

export const isValidGtin = (code: string): boolean => checkGtin(code).ok;

/** Spaces and dashes as printed under a barcode are dropped. */
export const normalizeGtin = (raw: string): string => raw.replace(/[\s-]/g, '');

// ─── Packaging ───────────────────────────────────────────────────────────────────────────────

export interface Packaging {
  /** Smallest quantity accepted, in units of sale. */
  minOrderQty: number;
  /** Quantities must be a multiple of it (a box of 12 ⇒ 12). */
  orderMultiple: number;
}

export interface QuantityCheck {
  valid: boolean;
  /** Why it is not valid (empty when valid). */
  reasons: string[];
  /** The largest valid quantity ≤ the one asked (null when none). */
  lower: number | null;
  /** The smallest valid quantity ≥ the one asked. */
  higher: number;
}

/** The smallest valid quantity: the first multiple of the order multiple that reaches the minimum. */
export function smallestValidQuantity(p: Packaging): number {
  return Math.ceil(p.minOrderQty / p.orderMultiple) * p.orderMultiple;
}

/**
 * A quantity is valid iff it is a positive integer ≥ the minimum order quantity and a multiple of
 * the order multiple. Otherwise the nearest valid quantities below and above are suggested.
 */
export function checkQuantity(quantity: number, p: Packaging): QuantityCheck {
  const reasons: string[] = [];
  if (!Number.isInteger(quantity) || quantity <= 0) reasons.push('must be a positive whole number');
  if (quantity < p.minOrderQty) reasons.push(`the minimum order quantity is ${p.minOrderQty}`);
  if (quantity % p.orderMultiple !== 0) reasons.push(`must be a multiple of ${p.orderMultiple}`);
  const smallest = smallestValidQuantity(p);
  const down = Math.floor(quantity / p.orderMultiple) * p.orderMultiple;
  const up = Math.ceil(quantity / p.orderMultiple) * p.orderMultiple;
  return {
    valid: reasons.length === 0,
    reasons,
    lower: down >= smallest ? down : null,
    higher: Math.max(up, smallest),
  };
}

// ─── Attributes ──────────────────────────────────────────────────────────────────────────────

export type Translations = Record<string, string>;

export type AttributeType = 'text' | 'number' | 'enum' | 'boolean';

/** One attribute of a family, e.g. the voltage of a drill (number, unit V, filterable). */
export interface AttributeDefinition {
  code: string;
  type: AttributeType;
  label: Translations;
  /** Unit of a number attribute: V, mm, kg, W… */
  unit?: string | null;
  /** The allowed values of an enum attribute, each with its translated label. */
  values?: { code: string; label: Translations }[];
  /** Offered as a search facet and a list filter. */
  filterable: boolean;
  /** Counted by the completeness score: every variant should have a value. */
  required: boolean;
}

export type AttributeValue = string | number | boolean;

export interface Problem {
  /** JSON Pointer relative to the checked object, e.g. `/voltage`. */
  pointer: string;
  detail: string;
}

const ATTRIBUTE_CODE = /^[a-z][a-z0-9_]{0,62}$/;

/** A family's definitions are coherent: unique codes, enum values, units only on numbers. */
export function checkAttributeDefinitions(defs: AttributeDefinition[]): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  defs.forEach((d, i) => {
    if (!ATTRIBUTE_CODE.test(d.code))
      problems.push({ pointer: `/${i}/code`, detail: 'must be lower-case letters, digits and _' });
    if (seen.has(d.code)) problems.push({ pointer: `/${i}/code`, detail: `"${d.code}" is defined twice` });
    seen.add(d.code);
    if (d.type === 'enum') {
      if (!d.values?.length)
        problems.push({ pointer: `/${i}/values`, detail: 'an enum attribute needs its values' });
      const codes = new Set<string>();
      d.values?.forEach((v, j) => {
        if (codes.has(v.code))
          problems.push({ pointer: `/${i}/values/${j}/code`, detail: `"${v.code}" is listed twice` });
        codes.add(v.code);
      });
    } else if (d.values?.length) {
      problems.push({ pointer: `/${i}/values`, detail: 'only an enum attribute has values' });
    }
    if (d.unit && d.type !== 'number')
      problems.push({ pointer: `/${i}/unit`, detail: 'only a number attribute has a unit' });
  });
  return problems;
}

/** Checks one value against its definition; null when it fits. */
export function checkAttributeValue(def: AttributeDefinition, value: unknown): string | null {
  switch (def.type) {
    case 'text':
      return typeof value === 'string' && value.trim().length > 0 && value.length <= 1000
        ? null
        : 'must be a non-empty text (at most 1000 characters)';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
        ? null
        : `must be a number${def.unit ? ` (in ${def.unit})` : ''}`;
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'enum': {
      const allowed = (def.values ?? []).map((v) => v.code);
      return typeof value === 'string' && allowed.includes(value)
        ? null
        : `must be one of ${allowed.map((c) => `"${c}"`).join(', ')}`;
    }
  }
}

/**
 * Checks attribute values against a family: every code must be defined and every value of its type.
 * `null` removes a value and is always accepted.
 */
export function checkAttributeValues(
  defs: AttributeDefinition[],
  values: Record<string, unknown>,
): Problem[] {
  const byCode = new Map(defs.map((d) => [d.code, d]));
  const problems: Problem[] = [];
  for (const [code, value] of Object.entries(values)) {
    const def = byCode.get(code);
    if (!def) {
      problems.push({ pointer: `/${code}`, detail: 'is not an attribute of this product family' });
      continue;
    }
    if (value === null) continue;
    const wrong = checkAttributeValue(def, value);
    if (wrong) problems.push({ pointer: `/${code}`, detail: wrong });
  }
  return problems;
}

/**
 * Parses a filter value from a query string into the attribute's type (`18` → 18, `true` → true);
 * null when it cannot be of that type.
 */
export function parseAttributeFilter(def: AttributeDefinition, raw: string): AttributeValue | null {
  switch (def.type) {
    case 'number': {
      const n = Number(raw);
      return raw.trim() !== '' && Number.isFinite(n) ? n : null;
    }
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : null;
    case 'enum':
      return (def.values ?? []).some((v) => v.code === raw) ? raw : null;
    case 'text':
      return raw;
  }
}

// ─── Translations ────────────────────────────────────────────────────────────────────────────

/**
 * The languages a reader asked for, best first, from `Accept-Language` (RFC 9110 q-values);
 * primary subtags only (`fr-BE` → `fr`), `*` and q=0 dropped.
 */
export function parseAcceptLanguage(header: string | undefined): string[] {
  if (!header) return [];
  const entries = header
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { lang: (tag ?? '').trim().toLowerCase().split('-')[0] ?? '', q: q ? Number(q) : 1, i };
    })
    .filter((e) => /^[a-z]{2,3}$/.test(e.lang) && e.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  return [...new Set(entries.map((e) => e.lang))];
}

/** The locale to read in: the first wanted language the tenant offers, else the fallback. */
export function chooseLocale(wanted: string[], languages: string[], fallback: string): string {
  return wanted.find((l) => languages.includes(l)) ?? fallback;
}

/**
 * One field in `locale`, falling back to the tenant's fallback language, then to the first of its
 * languages that has a text. Null when the text exists in no language.
 */
export function resolveText(
  texts: Translations | null | undefined,
  locale: string,
  fallback: string,
  languages: string[] = [],
): { text: string; locale: string } | null {
  if (!texts) return null;
  for (const l of [locale, fallback, ...languages, ...Object.keys(texts)]) {
    const t = texts[l];
    if (typeof t === 'string' && t.trim() !== '') return { text: t, locale: l };
  }
  return null;
}

export const LOCALE = /^[a-z]{2,3}$/;

/** Language keys of a translations object that the tenant does not use. */
export function unknownLanguages(texts: Translations, languages: string[]): string[] {
  return Object.keys(texts).filter((l) => !languages.includes(l));
}

// ─── Completeness ────────────────────────────────────────────────────────────────────────────

export interface CompletenessInput {
  languages: string[];
  name: Translations;
  description: Translations;
  /** The family's attribute definitions. */
  attributes: AttributeDefinition[];
  /** Product-level attribute values (shared by its variants). */
  productAttributes: Record<string, unknown>;
  variants: { sku: string; attributes: Record<string, unknown> }[];
  mediaKinds: string[];
  /** The `active` flag of each category the product is in. */
  categoriesActive: boolean[];
}

export type MissingItem =
  | { check: 'variant' }
  | { check: 'attribute'; attribute: string; skus: string[] }
  | { check: 'name'; locale: string }
  | { check: 'description'; locale: string }
  | { check: 'image' }
  | { check: 'category' };

export interface Completeness {
  /** 0–100: the share of checks passed. */
  score: number;
  missing: MissingItem[];
}

const filled = (v: unknown) => v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');

/**
 * How ready a product is to sell: at least one variant; every required attribute filled on every
 * variant (product-level values count for all its variants); name and description in each of the
 * tenant's languages; at least one image; at least one active category. Each check weighs the same.
 */
export function completeness(p: CompletenessInput): Completeness {
  const missing: MissingItem[] = [];
  let checks = 0;
  const check = (ok: boolean, item: MissingItem) => {
    checks += 1;
    if (!ok) missing.push(item);
  };
  check(p.variants.length > 0, { check: 'variant' });
  for (const def of p.attributes.filter((d) => d.required)) {
    const skus = filled(p.productAttributes[def.code])
      ? []
      : p.variants.filter((v) => !filled(v.attributes[def.code])).map((v) => v.sku);
    const none = p.variants.length === 0 && !filled(p.productAttributes[def.code]);
    check(skus.length === 0 && !none, { check: 'attribute', attribute: def.code, skus });
  }
  for (const l of p.languages) check(filled(p.name[l]), { check: 'name', locale: l });
  for (const l of p.languages) check(filled(p.description[l]), { check: 'description', locale: l });
  check(p.mediaKinds.includes('image'), { check: 'image' });
  check(p.categoriesActive.some(Boolean), { check: 'category' });
  return { score: Math.floor((100 * (checks - missing.length)) / checks), missing };
}

// ─── Price ranges (the search's price facet) ─────────────────────────────────────────────────

export interface PriceRange {
  /** Included; null on the first range (everything below `to`). */
  from: string | null;
  /** Excluded; null on the last range (everything from `from` on). */
  to: string | null;
  count: number;
}

/** Prices in ten-thousandths (unit prices have at most 4 decimals): exact integers, fast to compare. */
const SCALE = 4;

/** A price (decimal string ≥ 0, at most 4 decimals) in ten-thousandths: `'12.5'` → `125000n`. */
export function priceUnits(price: string): bigint {
  const m = /^(\d+)(?:\.(\d{1,4}))?$/.exec(price);
  if (!m) throw new RangeError(`not a price with at most ${SCALE} decimals: ${price}`);
  return BigInt(m[1]!) * 10n ** BigInt(SCALE) + BigInt((m[2] ?? '').padEnd(SCALE, '0'));
}

/** Ten-thousandths as a decimal string without trailing zeros: `125000n` → `'12.5'`. */
export function formatPriceUnits(units: bigint): string {
  const whole = units / 10n ** BigInt(SCALE);
  const fraction = (units % 10n ** BigInt(SCALE)).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

/**
 * The largest of 1, 2, 2.5 and 5 × 10^k that is ≤ `v` (ten-thousandths, v > 0) and has at most 4
 * decimals (so 0.00025 is not one): a boundary a buyer reads at a glance, and a valid price bound.
 */
export function roundBoundary(v: bigint): bigint {
  let power = 1n;
  while (power * 10n <= v) power *= 10n;
  let best = power;
  for (const [num, den] of [
    [2n, 1n],
    [5n, 2n],
    [5n, 1n],
  ] as const)
    if ((power * num) % den === 0n && (power * num) / den <= v) best = (power * num) / den;
  return best;
}

/**
 * The price facet's ranges over some prices (decimal strings ≥ 0 with at most 4 decimals): at most
 * `max` non-empty ranges [from, to), ascending, the first open below and the last open above, with
 * round boundaries (`roundBoundary`) placed near the quantiles, so that ranges hold similar numbers
 * of hits. Every price is in exactly one range; the counts add up to the number of prices. No
 * prices: no ranges.
 */
export function priceRanges(prices: readonly string[], max = 6): PriceRange[] {
  if (!prices.length) return [];
  const sorted = prices.map(priceUnits).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const lowest = sorted[0]!;
  const highest = sorted.at(-1)!;
  // Cuts: round values at the quantiles, strictly above the lowest price (the first range is never
  // empty) and at most the highest (nor is the last).
  const cuts: bigint[] = [];
  for (let k = 1; k < max; k++) {
    const q = sorted[Math.floor((k * sorted.length) / max)]!;
    if (q <= 0n) continue;
    const cut = roundBoundary(q);
    if (cut > lowest && cut <= highest && !cuts.includes(cut)) cuts.push(cut);
  }
  // Prices that differ get two ranges whatever the quantiles when a round figure separates them (an
  // outlier among equal prices): the highest price's round boundary. Otherwise (3.50 and 3.60) one
  // range: boundaries are always round.
  if (!cuts.length && highest > lowest && roundBoundary(highest) > lowest) cuts.push(roundBoundary(highest));
  cuts.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const counts = (cs: bigint[]) => {
    const n = new Array<number>(cs.length + 1).fill(0);
    let i = 0;
    for (const p of sorted) {
      while (i < cs.length && p >= cs[i]!) i++;
      n[i]!++;
    }
    return n;
  };
  // A range may hold nothing: drop its upper cut (it joins the next range), or its lower one for
  // the last range. Each step removes a cut, so this ends.
  let n = counts(cuts);
  for (let i = n.indexOf(0); i !== -1 && cuts.length > 0; i = n.indexOf(0)) {
    cuts.splice(Math.min(i, cuts.length - 1), 1);
    n = counts(cuts);
  }
  return n.map((count, i) => ({
    from: i === 0 ? null : formatPriceUnits(cuts[i - 1]!),
    to: i === cuts.length ? null : formatPriceUnits(cuts[i]!),
    count,
  }));
}
