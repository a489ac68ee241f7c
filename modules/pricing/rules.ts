/**
 * Price resolution — one pure function, `resolvePrice`, used for lists, product pages, carts,
 * quotes and orders alike. No I/O: the service loads the applicable data and calls it. Amounts are
 * exact decimals (`money.ts`); the merchant-facing description is `docs/pricing.md`.
 *
 * ## Which price list gives the base price
 *
 * A list applies when its currency is the requested one, the date lies in its validity interval
 * `[valid_from, valid_to)` (start included, end excluded, both optional), one of its targets
 * matches the buyer, and it has an entry for the SKU with a quantity break the quantity reaches.
 * Among the lists that apply:
 *
 * 1. **level** first: a list assigned to the buyer's **account** (contract price) beats one assigned
 *    to one of the account's **customer groups**, which beats one assigned to the **storefront**,
 *    which beats the tenant's **default** list (target `all`). A list with several targets takes
 *    the highest level it matches;
 * 2. within one level, the list with the **most recent `valid_from`** wins (no `valid_from` counts
 *    as the oldest);
 * 3. still tied, the **greatest ID** wins (IDs are time-sortable TypeIDs: the list created last).
 *    The service refuses such ties when lists are written (`findPriorityConflicts`); this rule only
 *    makes the function deterministic whatever the data.
 *
 * A list that has the SKU but no break the quantity reaches does not apply: the next one does
 * (a contract price "from 100 units" leaves smaller orders at the group or public price).
 *
 * **Quantity breaks**: the break with the highest minimum quantity that is ≤ the quantity.
 *
 * ## Discounts and promotions, in this order
 *
 * 1. **Base price** from the winning list and break.
 * 2. **Group discount level** (a percentage off the base list, so distributors keep their margin):
 *    only when the base price comes from a storefront or default list — a group list or a contract
 *    price is already a negotiated net price. When several levels apply (the account is in several
 *    groups, or a group has levels per category), the **most specific scope** wins (a SKU, then the
 *    deepest category of the product's path, then the whole catalogue), then the **largest
 *    percentage**, then the greatest ID. Levels never add up.
 * 3. **Promotions** that apply (valid at the date, targeted at everyone, the storefront, one of the
 *    groups or the account, scoped to the SKU or one of its categories or to everything, an amount
 *    promotion only in its own currency, and — if `excludeNetPrices` — only on a storefront or
 *    default list price):
 *    * all **stackable** promotions add up: their percentages are summed and taken from the price
 *      before promotions (10 % + 5 % = 15 %, not 14.5 %), then their fixed amounts per unit are
 *      subtracted;
 *    * of the **non-stackable** promotions a single one can apply: the highest `priority`, then the
 *      one giving the lowest price, then the greatest ID;
 *    * the buyer gets whichever of the two — the single non-stackable promotion or the sum of the
 *      stackable ones — gives the **lower price** (the non-stackable one when equal). They never
 *      combine.
 * 4. A price never goes below **zero**.
 *
 * Every step's price is rounded to 4 decimals **half-up** (a price shown to buyers); reductions are
 * the exact differences between consecutive prices, so the breakdown always adds up.
 *
 * Malformed data (a negative price, too many decimals, a duplicate ID, an unknown currency, a
 * quantity ≤ 0, an unparsable date) throws `MoneyError`/`PricingDataError`: routes validate input
 * first, so a throw here is a bug or corrupt data, never a buyer's "no price".
 */
import {
  Dec,
  formatUnitPrice,
  MoneyError,
  minorUnits,
  parseDecimal,
  parseQuantity,
  parseUnitPrice,
  roundUnitPrice,
  UNIT_PRICE_DECIMALS,
} from './money.ts';

// ---------------------------------------------------------------------------------------------
// Input

/** Who a price list or a promotion is for. For a price list, `all` is the tenant's default list. */
export type Audience =
  | { kind: 'all' }
  | { kind: 'storefront'; storefrontId: string }
  | { kind: 'group'; groupId: string }
  | { kind: 'account'; accountId: string };

/** Validity interval `[validFrom, validTo)`, ISO 8601 instants; a missing bound is open. */
export interface Validity {
  validFrom?: string | null;
  validTo?: string | null;
}

/** From `minQuantity` units on (inclusive), the unit price is `unitPrice` (excl. tax, ≤ 4 decimals). */
export interface PriceBreak {
  minQuantity: string | number;
  unitPrice: string;
}

export interface PriceListEntry {
  sku: string;
  /** One break per minimum quantity; a single price is one break from 1. */
  breaks: readonly PriceBreak[];
}

export interface PriceList extends Validity {
  id: string;
  currency: string;
  targets: readonly Audience[];
  /** The entries the caller loaded; only the requested SKU's entry is read. */
  entries: readonly PriceListEntry[];
}

/** Products a discount or promotion covers; with neither SKUs nor categories, the whole catalogue. */
export interface ProductScope {
  skus?: readonly string[];
  /** Matches a product when one of these categories is in its category path (so sub-categories too). */
  categoryIds?: readonly string[];
}

/** A customer group's discount level: `percent` (0–100, ≤ 4 decimals) off the base list price. */
export interface GroupDiscount extends Validity {
  id: string;
  groupId: string;
  percent: string;
  scope?: ProductScope;
}

export type PromotionDiscount =
  | { kind: 'percent'; percent: string }
  /** A fixed amount off the unit price, applied only to prices in `currency`. */
  | { kind: 'amount'; amount: string; currency: string };

export interface Promotion extends Validity {
  id: string;
  targets: readonly Audience[];
  scope?: ProductScope;
  discount: PromotionDiscount;
  stackable: boolean;
  /** Among non-stackable promotions, the highest priority is the one that applies. */
  priority: number;
  /** When true, not applied on a contract or group list price (net prices stay net). */
  excludeNetPrices?: boolean;
}

export interface PricingData {
  priceLists: readonly PriceList[];
  groupDiscounts?: readonly GroupDiscount[];
  promotions?: readonly Promotion[];
}

export interface PriceRequest {
  /** The buyer's customer account; null for a visitor who is not signed in. */
  accountId: string | null;
  groupIds: readonly string[];
  storefrontId: string;
  currency: string;
  sku: string;
  /** The product's category and its ancestors, root first. */
  categoryPath: readonly string[];
  /** A positive whole number, or a decimal string (≤ 4 decimals) for goods sold by measure. */
  quantity: string | number;
  /** The pricing instant (order date, quote date, now). */
  at: string | Date;
}

// ---------------------------------------------------------------------------------------------
// Output

/** Highest first: account (contract) > group > storefront > tenant default. */
export type PriceLevel = 'account' | 'group' | 'storefront' | 'tenant';

const LEVELS: readonly PriceLevel[] = ['tenant', 'storefront', 'group', 'account'];

/** The rule that produced the price. */
export interface PriceRule {
  level: PriceLevel;
  priceListId: string;
  sku: string;
  /** The quantity break used. */
  minQuantity: string;
  groupDiscountId: string | null;
  /** The promotions applied, in the order of the breakdown. */
  promotionIds: string[];
}

export type PriceStep =
  | { step: 'base'; level: PriceLevel; priceListId: string; minQuantity: string; unitPrice: string }
  | {
      step: 'group-discount';
      groupDiscountId: string;
      groupId: string;
      percent: string;
      reduction: string;
      unitPrice: string;
    }
  | {
      step: 'promotion';
      promotionId: string;
      stackable: boolean;
      discount: PromotionDiscount;
      reduction: string;
      unitPrice: string;
    };

export type NoPriceReason =
  /** No list in this currency is valid at the date and assigned to this buyer/storefront/tenant. */
  | 'no-price-list'
  /** Lists apply, but none has an entry for the SKU. */
  | 'sku-not-priced'
  /** Entries exist, but the quantity is below every break. */
  | 'below-minimum-quantity';

export type PriceResult =
  | {
      ok: true;
      /** Unit price excluding tax, ≤ 4 decimals, at least the currency's minor units. */
      unitPrice: string;
      currency: string;
      rule: PriceRule;
      breakdown: PriceStep[];
    }
  | { ok: false; currency: string; sku: string; reason: NoPriceReason; detail: string };

export class PricingDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PricingDataError';
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function instant(value: string | Date, field: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : value.getTime();
  if (Number.isNaN(ms)) throw new PricingDataError(`${field} is not a valid ISO 8601 instant`);
  return ms;
}

function validFromMs(v: Validity, id: string): number {
  return v.validFrom ? instant(v.validFrom, `valid_from of ${id}`) : Number.NEGATIVE_INFINITY;
}

/** `[validFrom, validTo)`: the start instant is included, the end instant is not. */
export function isValidAt(v: Validity, at: number, id = 'rule'): boolean {
  const to = v.validTo ? instant(v.validTo, `valid_to of ${id}`) : Number.POSITIVE_INFINITY;
  return validFromMs(v, id) <= at && at < to;
}

/** Level index (0 tenant … 3 account) of the highest target matching the request, or -1. */
function matchLevel(targets: readonly Audience[], req: PriceRequest): number {
  let best = -1;
  for (const t of targets) {
    let level = -1;
    if (t.kind === 'all') level = 0;
    else if (t.kind === 'storefront' && t.storefrontId === req.storefrontId) level = 1;
    else if (t.kind === 'group' && req.groupIds.includes(t.groupId)) level = 2;
    else if (t.kind === 'account' && req.accountId !== null && t.accountId === req.accountId) level = 3;
    if (level > best) best = level;
  }
  return best;
}

/**
 * How precisely a scope matches the product, or null when it does not: 0 for the whole catalogue,
 * 1 + depth for a category of the path (deeper is more specific), above any category for the SKU.
 */
function scopeMatch(scope: ProductScope | undefined, req: PriceRequest): number | null {
  const skus = scope?.skus ?? [];
  const categories = scope?.categoryIds ?? [];
  if (skus.length === 0 && categories.length === 0) return 0;
  if (skus.includes(req.sku)) return 1 + req.categoryPath.length + 1;
  for (let depth = req.categoryPath.length - 1; depth >= 0; depth--) {
    if (categories.includes(req.categoryPath[depth]!)) return 1 + depth;
  }
  return null;
}

function checkUniqueIds(kind: string, items: readonly { id: string }[]): void {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.id)) throw new PricingDataError(`${kind} ${item.id} is given twice`);
    seen.add(item.id);
  }
}

function parsePercent(value: string, field: string): Dec {
  const p = parseDecimal(value, { maxDecimals: UNIT_PRICE_DECIMALS, positive: true, field });
  if (p.gt(100)) throw new MoneyError(`${field} must be at most 100`, field);
  return p;
}

/** `price × (100 − percent) / 100`, rounded half-up to 4 decimals, never below zero. */
function percentOff(price: Dec, percent: Dec): Dec {
  const after = roundUnitPrice(price.times(new Dec(100).minus(percent)).div(100));
  return after.isNegative() ? new Dec(0) : after;
}

function amountOff(price: Dec, amount: Dec): Dec {
  const after = price.minus(amount);
  return after.isNegative() ? new Dec(0) : after;
}

/** Greatest ID first — IDs are time-sortable, so the most recently created. */
function byIdDesc(a: string, b: string): number {
  return a < b ? 1 : a > b ? -1 : 0;
}

interface Candidate {
  list: PriceList;
  level: number;
  fromMs: number;
  minQuantity: Dec;
  unitPrice: Dec;
}

/** Within a level: most recent valid_from, then greatest ID. */
function beats(a: Candidate, b: Candidate | undefined): boolean {
  if (!b) return true;
  if (a.fromMs !== b.fromMs) return a.fromMs > b.fromMs;
  return byIdDesc(a.list.id, b.list.id) < 0;
}

/** The break with the highest minimum quantity ≤ quantity, or undefined. */
function pickBreak(entry: PriceListEntry, quantity: Dec, listId: string): PriceBreak | undefined {
  let best: PriceBreak | undefined;
  let bestMin: Dec | undefined;
  const mins = new Set<string>();
  for (const b of entry.breaks) {
    const min =
      typeof b.minQuantity === 'number'
        ? parseQuantity(b.minQuantity, `min_quantity in ${listId}`)
        : parseDecimal(b.minQuantity, {
            maxDecimals: UNIT_PRICE_DECIMALS,
            positive: true,
            field: `min_quantity in ${listId}`,
          });
    parseUnitPrice(b.unitPrice, `unit_price in ${listId}`);
    const key = min.toString();
    if (mins.has(key)) throw new PricingDataError(`${listId} has two breaks from ${key} for ${entry.sku}`);
    mins.add(key);
    if (min.lte(quantity) && (!bestMin || min.gt(bestMin))) {
      best = b;
      bestMin = min;
    }
  }
  return best;
}

function findEntry(list: PriceList, sku: string): PriceListEntry | undefined {
  let found: PriceListEntry | undefined;
  for (const e of list.entries) {
    if (e.sku !== sku) continue;
    if (found) throw new PricingDataError(`${list.id} has two entries for ${sku}`);
    found = e;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// The function

/** Resolves the unit price excluding tax of `request.quantity` × `request.sku` for one buyer. */
export function resolvePrice(data: PricingData, request: PriceRequest): PriceResult {
  const { currency, sku } = request;
  minorUnits(currency);
  const quantity = parseQuantity(request.quantity);
  const at = instant(request.at, 'at');
  const groupDiscounts = data.groupDiscounts ?? [];
  const promotions = data.promotions ?? [];
  checkUniqueIds('price list', data.priceLists);
  checkUniqueIds('group discount', groupDiscounts);
  checkUniqueIds('promotion', promotions);
  const fmt = (d: Dec) => formatUnitPrice(d, currency);

  // 1. Base price: the best candidate of each level.
  const best: (Candidate | undefined)[] = [undefined, undefined, undefined, undefined];
  let listApplies = false;
  let skuPriced = false;
  let smallestBreak: Dec | undefined;
  for (const list of data.priceLists) {
    if (list.currency !== currency || !isValidAt(list, at, list.id)) continue;
    const level = matchLevel(list.targets, request);
    if (level < 0) continue;
    listApplies = true;
    const entry = findEntry(list, sku);
    if (!entry) continue;
    skuPriced = true;
    const brk = pickBreak(entry, quantity, list.id);
    if (!brk) {
      for (const b of entry.breaks) {
        const min = new Dec(b.minQuantity);
        if (!smallestBreak || min.lt(smallestBreak)) smallestBreak = min;
      }
      continue;
    }
    const candidate: Candidate = {
      list,
      level,
      fromMs: validFromMs(list, list.id),
      minQuantity: new Dec(brk.minQuantity),
      unitPrice: parseUnitPrice(brk.unitPrice),
    };
    if (beats(candidate, best[level])) best[level] = candidate;
  }
  const base = best[3] ?? best[2] ?? best[1] ?? best[0];
  if (!base) {
    const when = typeof request.at === 'string' ? request.at : request.at.toISOString();
    if (!listApplies) {
      return {
        ok: false,
        currency,
        sku,
        reason: 'no-price-list',
        detail: `no ${currency} price list is valid on ${when} for this account, its groups, the storefront or the tenant`,
      };
    }
    if (!skuPriced) {
      return {
        ok: false,
        currency,
        sku,
        reason: 'sku-not-priced',
        detail: `${sku} has no ${currency} price in the price lists that apply`,
      };
    }
    return {
      ok: false,
      currency,
      sku,
      reason: 'below-minimum-quantity',
      detail: `${sku} is priced from ${smallestBreak?.toString()} units; ${quantity.toString()} is fewer`,
    };
  }

  const level = LEVELS[base.level]!;
  const net = level === 'account' || level === 'group';
  let price = base.unitPrice;
  const breakdown: PriceStep[] = [
    {
      step: 'base',
      level,
      priceListId: base.list.id,
      minQuantity: base.minQuantity.toString(),
      unitPrice: fmt(price),
    },
  ];
  const rule: PriceRule = {
    level,
    priceListId: base.list.id,
    sku,
    minQuantity: base.minQuantity.toString(),
    groupDiscountId: null,
    promotionIds: [],
  };

  // 2. Group discount level, on a storefront or default list price only.
  if (!net) {
    let chosen: { d: GroupDiscount; specificity: number; percent: Dec } | undefined;
    for (const d of groupDiscounts) {
      if (!request.groupIds.includes(d.groupId) || !isValidAt(d, at, d.id)) continue;
      const specificity = scopeMatch(d.scope, request);
      if (specificity === null) continue;
      const percent = parsePercent(d.percent, `percent of ${d.id}`);
      const better =
        !chosen ||
        specificity > chosen.specificity ||
        (specificity === chosen.specificity &&
          (percent.gt(chosen.percent) || (percent.eq(chosen.percent) && byIdDesc(d.id, chosen.d.id) < 0)));
      if (better) chosen = { d, specificity, percent };
    }
    if (chosen) {
      const after = percentOff(price, chosen.percent);
      breakdown.push({
        step: 'group-discount',
        groupDiscountId: chosen.d.id,
        groupId: chosen.d.groupId,
        percent: chosen.percent.toString(),
        reduction: fmt(price.minus(after)),
        unitPrice: fmt(after),
      });
      rule.groupDiscountId = chosen.d.id;
      price = after;
    }
  }

  // 3. Promotions.
  const applicable: { p: Promotion; value: Dec }[] = [];
  for (const p of promotions) {
    if (!isValidAt(p, at, p.id) || matchLevel(p.targets, request) < 0) continue;
    if (scopeMatch(p.scope, request) === null || (p.excludeNetPrices && net)) continue;
    if (p.discount.kind === 'amount') {
      minorUnits(p.discount.currency);
      const amount = parseDecimal(p.discount.amount, {
        maxDecimals: UNIT_PRICE_DECIMALS,
        positive: true,
        field: `amount of ${p.id}`,
      });
      if (p.discount.currency !== currency) continue;
      applicable.push({ p, value: amount });
    } else {
      applicable.push({ p, value: parsePercent(p.discount.percent, `percent of ${p.id}`) });
    }
  }
  const before = price;
  const apply = (p: Promotion, value: Dec, from: Dec) =>
    p.discount.kind === 'percent' ? percentOff(from, value) : amountOff(from, value);

  // 3a. The single non-stackable promotion: highest priority, then lowest price, then greatest ID.
  let exclusive: { p: Promotion; after: Dec } | undefined;
  for (const { p, value } of applicable) {
    if (p.stackable) continue;
    const after = apply(p, value, before);
    const better =
      !exclusive ||
      p.priority > exclusive.p.priority ||
      (p.priority === exclusive.p.priority &&
        (after.lt(exclusive.after) || (after.eq(exclusive.after) && byIdDesc(p.id, exclusive.p.id) < 0)));
    if (better) exclusive = { p, after };
  }

  // 3b. All stackable promotions: percentages summed on the price before promotions, then amounts.
  const stack = applicable
    .filter(({ p }) => p.stackable)
    .sort((a, b) => {
      const kind = Number(a.p.discount.kind === 'amount') - Number(b.p.discount.kind === 'amount');
      return kind || b.p.priority - a.p.priority || byIdDesc(a.p.id, b.p.id);
    });
  const stackSteps: { p: Promotion; after: Dec }[] = [];
  let percentSum = new Dec(0);
  let running = before;
  for (const { p, value } of stack) {
    if (p.discount.kind === 'percent') {
      percentSum = percentSum.plus(value);
      running = percentSum.gte(100) ? new Dec(0) : percentOff(before, percentSum);
    } else {
      running = amountOff(running, value);
    }
    stackSteps.push({ p, after: running });
  }

  const steps =
    exclusive && (stackSteps.length === 0 || exclusive.after.lte(running)) ? [exclusive] : stackSteps;
  for (const { p, after } of steps) {
    breakdown.push({
      step: 'promotion',
      promotionId: p.id,
      stackable: p.stackable,
      discount: p.discount,
      reduction: fmt(price.minus(after)),
      unitPrice: fmt(after),
    });
    rule.promotionIds.push(p.id);
    price = after;
  }

  return { ok: true, unitPrice: fmt(price), currency, rule, breakdown };
}

// ---------------------------------------------------------------------------------------------
// Write-time check

export interface PriorityConflict {
  listIds: [string, string];
  sku: string;
  detail: string;
}

function sameAudience(a: Audience, b: Audience): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'all') return true;
  if (a.kind === 'storefront') return a.storefrontId === (b as typeof a).storefrontId;
  if (a.kind === 'group') return a.groupId === (b as typeof a).groupId;
  return a.accountId === (b as typeof a).accountId;
}

function overlap(a: Validity, b: Validity): boolean {
  const from = (v: Validity) => (v.validFrom ? instant(v.validFrom, 'valid_from') : Number.NEGATIVE_INFINITY);
  const to = (v: Validity) => (v.validTo ? instant(v.validTo, 'valid_to') : Number.POSITIVE_INFINITY);
  return from(a) < to(b) && from(b) < to(a);
}

/**
 * Pairs of lists that only the ID tie-break would separate: same currency, a common target, the
 * same `valid_from`, overlapping validity, and a SKU in both. The service refuses to save such a
 * list, explaining the conflict, so the merchant — not an ID — decides which price applies.
 */
export function findPriorityConflicts(lists: readonly PriceList[]): PriorityConflict[] {
  const conflicts: PriorityConflict[] = [];
  for (let i = 0; i < lists.length; i++) {
    for (let j = i + 1; j < lists.length; j++) {
      const a = lists[i]!;
      const b = lists[j]!;
      if (a.currency !== b.currency || !overlap(a, b)) continue;
      if (validFromMs(a, a.id) !== validFromMs(b, b.id)) continue;
      if (!a.targets.some((t) => b.targets.some((u) => sameAudience(t, u)))) continue;
      const skus = new Set(a.entries.map((e) => e.sku));
      const shared = b.entries.find((e) => skus.has(e.sku));
      if (!shared) continue;
      conflicts.push({
        listIds: [a.id, b.id],
        sku: shared.sku,
        detail: `${a.id} and ${b.id} both price ${shared.sku} in ${a.currency} for the same target from the same date; give one a later valid_from or remove the entry from one of them`,
      });
    }
  }
  return conflicts;
}

// ---------------------------------------------------------------------------------------------
// Price changes that need approval (four-eyes, docs/pricing.md "Changes that need approval")

/** The tenant's policy. A change *above* a threshold (strictly) needs another person's approval. */
export interface ApprovalPolicy {
  /** Percentage of the current price; null: no percentage rule. */
  thresholdPercent: string | null;
  /** Absolute change of a unit price, in the list's currency; null: no amount rule. */
  thresholdAmount: string | null;
  /** A price added where there was none, or removed, on a list in force now or later. */
  additionsAndRemovals: boolean;
}

/** One quantity level of one SKU whose price changes: `before`/`after` null when absent on that side. */
export interface PriceChange {
  sku: string;
  minQuantity: string;
  before: string | null;
  after: string | null;
  /** Signed, 2 decimals; null for an addition, a removal, or a change from 0. */
  changePercent: string | null;
}

/** The unit price at quantity `q`: the break with the highest minimum ≤ q; null if none. */
function priceAt(breaks: readonly PriceBreak[], q: Dec): string | null {
  let best: { min: Dec; price: string } | null = null;
  for (const b of breaks) {
    const min = new Dec(String(b.minQuantity));
    if (min.lte(q) && (!best || min.gt(best.min))) best = { min, price: b.unitPrice };
  }
  return best ? best.price : null;
}

/**
 * The changes of `proposed` against `current` (the SKU's breaks today) that need approval under
 * `policy`. Each quantity that is a break on either side is compared at the effective price (so
 * moving a break is seen as the price change it makes at that quantity). A price that appears or
 * disappears counts only when `additionsAndRemovals` is set and the list is in force (`listInForce`:
 * valid now or later). Pure; the service decides with it whether to apply or to hold the change.
 */
export function changesNeedingApproval(
  current: ReadonlyMap<string, readonly PriceBreak[]>,
  proposed: readonly PriceListEntry[],
  policy: ApprovalPolicy,
  listInForce: boolean,
): PriceChange[] {
  const pct = policy.thresholdPercent === null ? null : new Dec(policy.thresholdPercent);
  const amount = policy.thresholdAmount === null ? null : new Dec(policy.thresholdAmount);
  const out: PriceChange[] = [];
  for (const entry of proposed) {
    const before = current.get(entry.sku) ?? [];
    const levels = new Map<string, Dec>();
    for (const b of [...before, ...entry.breaks]) {
      const q = new Dec(String(b.minQuantity));
      levels.set(q.toString(), q);
    }
    for (const [key, q] of [...levels].sort((a, b) => a[1].comparedTo(b[1]))) {
      const was = priceAt(before, q);
      const now = priceAt(entry.breaks, q);
      if (was === null && now === null) continue;
      if (was !== null && now !== null && new Dec(was).eq(now)) continue;
      const change = (changePercent: string | null): PriceChange => ({
        sku: entry.sku,
        minQuantity: key,
        before: was === null ? null : new Dec(was).toString(),
        after: now === null ? null : new Dec(now).toString(),
        changePercent,
      });
      if (was === null || now === null) {
        if (policy.additionsAndRemovals && listInForce) out.push(change(null));
        continue;
      }
      const diff = new Dec(now).minus(was);
      const old = new Dec(was);
      const percent = old.isZero() ? null : diff.div(old).times(100);
      const abovePercent = pct !== null && (percent === null || percent.abs().gt(pct));
      const aboveAmount = amount !== null && diff.abs().gt(amount);
      if (abovePercent || aboveAmount)
        out.push(change(percent === null ? null : percent.toDecimalPlaces(2, Dec.ROUND_HALF_UP).toFixed(2)));
    }
  }
  return out;
}
