/**
 * Visibility rules (assortments) — pure functions, no I/O. The service loads the rules that concern
 * one buyer, orders them with `decisionList`, and turns that list into one SQL condition for the
 * catalogue (search, facets, counts, product by ID); `decideVisibility` is the same decision for one
 * product in memory, property-tested against a brute-force reading of the precedence below.
 *
 * ## Who and what
 *
 * A rule says that a **subject** — a storefront, a customer group or one customer account — may
 * (`allow`) or may not (`deny`) see a **target** — the whole catalogue (`all`), a category (and
 * everything under it) or one product.
 *
 * ## Precedence (also in docs/storefronts.md)
 *
 * Of the rules whose subject matches the buyer (the storefront they shop on, one of their account's
 * groups, their account) and whose target covers the product:
 *
 * 1. the **most specific subject** wins: account, then group, then storefront — the assortment of a
 *    shop is the default, a group refines it, a single customer's exception beats both;
 * 2. for the same subject level, the **most specific target** wins: the product itself, then the
 *    deepest category of the product's paths, then the whole catalogue;
 * 3. still tied (two groups of the account, or two categories of the product at the same depth, one
 *    allowing and one denying), **deny** wins — hiding is the safe side;
 * 4. no rule at all: the product is **visible** (a tenant without rules shows its whole catalogue).
 *
 * So "storefront *pro-distrib*: deny all, allow category *Tools*" is a shop selling only tools, and
 * "account *ACME*: allow product *PERC-18V*" shows ACME that one product on it too.
 */

export type SubjectLevel = 'storefront' | 'group' | 'account';

export type Subject =
  | { kind: 'storefront'; storefrontId: string }
  | { kind: 'group'; groupId: string }
  | { kind: 'account'; accountId: string };

export type Target =
  | { kind: 'all' }
  | { kind: 'category'; categoryId: string }
  | { kind: 'product'; productId: string };

export type Effect = 'allow' | 'deny';

export interface VisibilityRule {
  id: string;
  subject: Subject;
  target: Target;
  effect: Effect;
}

/** Who is looking: the storefront of the request (if any), the account and its groups (buyers). */
export interface Viewer {
  storefrontId: string | null;
  accountId: string | null;
  groupIds: readonly string[];
}

/** Where the product sits: its ID and, for each of its categories, the path root first. */
export interface Placement {
  productId: string;
  categoryPaths: readonly (readonly string[])[];
}

const SUBJECT_RANK: Record<SubjectLevel, number> = { storefront: 1, group: 2, account: 3 };

/** Above any category depth. */
export const PRODUCT_SPECIFICITY = 1_000_000;

/** Whether the rule's subject is the viewer (its storefront, one of its groups, its account). */
export function concernsViewer(subject: Subject, viewer: Viewer): boolean {
  if (subject.kind === 'storefront') return viewer.storefrontId === subject.storefrontId;
  if (subject.kind === 'group') return viewer.groupIds.includes(subject.groupId);
  return viewer.accountId !== null && viewer.accountId === subject.accountId;
}

/**
 * How specific a target is: 0 the whole catalogue, 1 + depth for a category (a root category has
 * depth 0), `PRODUCT_SPECIFICITY` for a product. `depthOf` gives a category's depth in the tree;
 * a category it does not know (deleted) gives null and the rule is ignored.
 */
export function targetSpecificity(
  target: Target,
  depthOf: (categoryId: string) => number | undefined,
): number | null {
  if (target.kind === 'all') return 0;
  if (target.kind === 'product') return PRODUCT_SPECIFICITY;
  const depth = depthOf(target.categoryId);
  return depth === undefined ? null : 1 + depth;
}

export interface RankedRule {
  rule: VisibilityRule;
  subjectRank: number;
  specificity: number;
}

/**
 * The rules that concern the viewer, strongest first: subject level, then target specificity, then
 * deny before allow, then ID (only to make the order total). The first rule of this list that covers
 * a product decides its visibility; when none does, the product is visible.
 */
export function decisionList(
  rules: readonly VisibilityRule[],
  viewer: Viewer,
  depthOf: (categoryId: string) => number | undefined,
): RankedRule[] {
  const out: RankedRule[] = [];
  for (const rule of rules) {
    if (!concernsViewer(rule.subject, viewer)) continue;
    const specificity = targetSpecificity(rule.target, depthOf);
    if (specificity === null) continue;
    out.push({ rule, subjectRank: SUBJECT_RANK[rule.subject.kind], specificity });
  }
  return out.sort(
    (a, b) =>
      b.subjectRank - a.subjectRank ||
      b.specificity - a.specificity ||
      Number(b.rule.effect === 'deny') - Number(a.rule.effect === 'deny') ||
      (a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : 0),
  );
}

/** Whether the target covers the product (a category covers everything under it). */
export function covers(target: Target, product: Placement): boolean {
  if (target.kind === 'all') return true;
  if (target.kind === 'product') return target.productId === product.productId;
  return product.categoryPaths.some((path) => path.includes(target.categoryId));
}

export interface VisibilityDecision {
  visible: boolean;
  /** The rule that decided, or null when none applied (visible by default). */
  ruleId: string | null;
}

/** Depth of each category seen in the product's paths (its index, root first). */
function depthsFrom(product: Placement): Map<string, number> {
  const depth = new Map<string, number>();
  for (const path of product.categoryPaths) {
    for (const [i, c] of path.entries()) depth.set(c, i);
  }
  return depth;
}

/** Whether this viewer may see this product, and which rule said so. */
export function decideVisibility(
  rules: readonly VisibilityRule[],
  viewer: Viewer,
  product: Placement,
  depthOf?: (categoryId: string) => number | undefined,
): VisibilityDecision {
  const depths = depthsFrom(product);
  const lookup = depthOf ?? ((c: string) => depths.get(c) ?? Number.MAX_SAFE_INTEGER);
  for (const { rule } of decisionList(rules, viewer, lookup)) {
    if (covers(rule.target, product)) return { visible: rule.effect === 'allow', ruleId: rule.id };
  }
  return { visible: true, ruleId: null };
}

/**
 * The decision list shortened without changing any decision: after a rule on the whole catalogue
 * nothing else can decide. Consecutive rules of the same effect stay (the SQL groups them).
 */
export function effectiveList(list: readonly RankedRule[]): RankedRule[] {
  const out: RankedRule[] = [];
  for (const r of list) {
    out.push(r);
    if (r.rule.target.kind === 'all') break;
  }
  // Trailing allow rules with no deny after them change nothing: the default is visible.
  while (out.length && out.at(-1)!.rule.effect === 'allow') out.pop();
  return out;
}

/**
 * What a viewer may see, decided once per request (or once per cached viewer): null for staff and
 * integrations (everything); else drafts are hidden and `list` — the effective decision list
 * (rules.ts), strongest first — decides, the first rule covering a product winning, visible when
 * none covers it. `conditionOfPlan` (service.ts) turns it into SQL (search, facets, counts); `planAllows`
 * applies it to one product in JavaScript (the product page) — the same decisions.
 */
export interface VisibilityPlan {
  list: readonly RankedRule[];
}

/**
 * The plan applied to one product, in JavaScript: exactly `conditionOfPlan` (`categoryPaths` is
 * catalog_products.category_paths: every category the product is linked to and their ancestors).
 */
export function planAllows(
  plan: VisibilityPlan,
  product: { id: string; status: string; categoryPaths: readonly string[] },
): boolean {
  if (product.status === 'draft') return false;
  for (const { rule } of plan.list) {
    const t = rule.target;
    const covered =
      t.kind === 'all' ||
      (t.kind === 'product' && t.productId === product.id) ||
      (t.kind === 'category' && product.categoryPaths.includes(t.categoryId));
    if (covered) return rule.effect === 'allow';
  }
  return true;
}

/**
 * What a plan lets its viewer see, as a canonical text — for results shared between viewers (the
 * catalogue search's read cache): the plan's decisions in order, each its effect and target, which is
 * all that `planAllows` and `conditionOfPlan` read (not the rules' IDs nor their subjects). Equal keys
 * therefore mean exactly the same visible products; buyers of the same storefront, groups and rules
 * share one. `all` for unrestricted callers (no plan: staff, integrations), apart from every plan.
 */
export function visibilityKey(plan: VisibilityPlan | null): string {
  if (!plan) return 'all';
  const decisions = plan.list.map(({ rule: { effect, target } }) => [
    effect,
    target.kind,
    target.kind === 'product' ? target.productId : target.kind === 'category' ? target.categoryId : null,
  ]);
  return `plan:${JSON.stringify(decisions)}`;
}

// ─── Storefront fields ───────────────────────────────────────────────────────────────────────

/** A host name as registered in the tenant directory: lower case, no port, no trailing dot. */
export function normalizeHost(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/, '');
}

const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export function isValidHost(host: string): boolean {
  return HOST.test(host);
}

/** Duplicates in a list, in order of first repetition. */
export function duplicates<T>(items: readonly T[]): T[] {
  const seen = new Set<T>();
  const dup: T[] = [];
  for (const i of items) {
    if (seen.has(i) && !dup.includes(i)) dup.push(i);
    seen.add(i);
  }
  return dup;
}
