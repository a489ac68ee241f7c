import { sql } from 'drizzle-orm';
import { audit, changesOf } from '../../platform/audit/record.ts';
import type { Ctx } from '../../platform/context.ts';
import { rows } from '../../platform/db/database.ts';
import { publish } from '../../platform/events/outbox.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { AppError, conflict, type FieldError, notFound } from '../../platform/http/problems.ts';
import { newId } from '../../platform/ids.ts';
import { getAccount } from '../accounts/service.ts';
import { getCategory, getProduct, listVariants } from '../catalog/service.ts';
import { getCustomerGroup, getStorefront, groupIdsOfAccount } from '../storefronts/service.ts';
import './events.ts';
import {
  Dec,
  isCurrency,
  lineTotal,
  type Money,
  MoneyError,
  parseDecimal,
  parseQuantity,
  parseUnitPrice,
  QUANTITY_DECIMALS,
} from './money.ts';
import { type Audience, type PriceList, type PriceResult, type Promotion, resolvePrice } from './rules.ts';

const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());
const json = (v: unknown) => JSON.stringify(v);
const invalid = (errors: FieldError[]) =>
  new AppError('validation-error', `${errors[0]!.pointer.slice(1)} ${errors[0]!.detail}`, errors);

/** Exact decimal text of a numeric column, without trailing zeros ("10.0000" → "10"). */
const plain = (v: string | number) => new Dec(String(v)).toString();

// ─── Targets ─────────────────────────────────────────────────────────────────────────────────

export type TargetInput =
  | { kind: 'all' }
  | { kind: 'storefront'; id: string }
  | { kind: 'group'; id: string }
  | { kind: 'account'; id: string };

const keyOf = (t: TargetInput) => `${t.kind}:${t.kind === 'all' ? '*' : t.id}`;

function targetOfKey(key: string): TargetInput {
  const [kind, id] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
  return kind === 'all' ? { kind: 'all' } : { kind: kind as 'storefront' | 'group' | 'account', id };
}

function audienceOf(t: TargetInput): Audience {
  if (t.kind === 'all') return { kind: 'all' };
  if (t.kind === 'storefront') return { kind: 'storefront', storefrontId: t.id };
  if (t.kind === 'group') return { kind: 'group', groupId: t.id };
  return { kind: 'account', accountId: t.id };
}

/** Every target must exist in this tenant (else 400 naming it), and appear once. */
async function checkTargets(ctx: Ctx, targets: TargetInput[], pointer: string): Promise<void> {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const [i, t] of targets.entries()) {
    if (seen.has(keyOf(t))) errors.push({ in: 'body', pointer: `${pointer}/${i}`, detail: 'is given twice' });
    seen.add(keyOf(t));
    if (t.kind === 'all') continue;
    const found = await (t.kind === 'storefront'
      ? getStorefront(ctx, t.id)
      : t.kind === 'group'
        ? getCustomerGroup(ctx, t.id)
        : getAccount(ctx, t.id)
    ).then(
      () => true,
      (e) => {
        if (e instanceof AppError && e.type === 'not-found') return false;
        throw e;
      },
    );
    if (!found)
      errors.push({ in: 'body', pointer: `${pointer}/${i}/id`, detail: `is not a ${t.kind} of this tenant` });
  }
  if (errors.length) throw invalid(errors);
}

function checkValidity(v: { valid_from?: string | null; valid_to?: string | null }, errors: FieldError[]) {
  if (v.valid_from && v.valid_to && Date.parse(v.valid_to) <= Date.parse(v.valid_from))
    errors.push({
      in: 'body',
      pointer: '/valid_to',
      detail: 'must be after valid_from (the end is excluded)',
    });
}

// ─── Price lists ─────────────────────────────────────────────────────────────────────────────

export interface PriceListView {
  id: string;
  code: string;
  name: string;
  currency: string;
  valid_from: string | null;
  valid_to: string | null;
  targets: TargetInput[];
  sku_count: number;
  created_at: string;
  updated_at: string;
}

export interface PriceListInput {
  code: string;
  name: string;
  currency: string;
  valid_from?: string | null;
  valid_to?: string | null;
  targets: TargetInput[];
}

interface ListRow {
  id: string;
  code: string;
  name: string;
  currency: string;
  valid_from: string | Date | null;
  valid_to: string | Date | null;
  targets: string[] | null;
  sku_count: number;
  created_at: string | Date;
  updated_at: string | Date;
}

const selectLists = (
  t: string,
) => sql`select l.id, l.code, l.name, l.currency, l.valid_from, l.valid_to, l.created_at, l.updated_at,
    (select coalesce(array_agg(pt.target_key order by pt.target_key), '{}') from price_list_targets pt
      where pt.tenant_id = l.tenant_id and pt.price_list_id = l.id) as targets,
    (select count(distinct e.sku)::int from price_list_entries e where e.tenant_id = l.tenant_id and e.price_list_id = l.id) as sku_count
  from price_lists l where l.tenant_id = ${t}`;

const toList = (r: ListRow): PriceListView => ({
  id: r.id,
  code: r.code,
  name: r.name,
  currency: r.currency,
  valid_from: iso(r.valid_from),
  valid_to: iso(r.valid_to),
  targets: (r.targets ?? []).map(targetOfKey),
  sku_count: Number(r.sku_count),
  created_at: iso(r.created_at)!,
  updated_at: iso(r.updated_at)!,
});

export async function getPriceList(ctx: Ctx, id: string): Promise<PriceListView> {
  const [row] = rows<ListRow>(await ctx.tx.execute(sql`${selectLists(ctx.tenantId)} and l.id = ${id}`));
  if (!row) throw notFound(`Price list ${id}`);
  return toList(row);
}

export async function listPriceLists(ctx: Ctx, f: { limit: number; cursor?: string; currency?: string }) {
  const after = decodeCursor(f.cursor);
  const fetched = rows<ListRow>(
    await ctx.tx.execute(sql`${selectLists(ctx.tenantId)}
      ${after ? sql`and l.id > ${String(after[0])}` : sql``} ${f.currency ? sql`and l.currency = ${f.currency}` : sql``}
      order by l.id limit ${f.limit + 1}`),
  );
  return toPage(fetched, f.limit, (r) => [r.id], toList);
}

async function writeTargets(ctx: Ctx, listId: string, targets: TargetInput[]) {
  await ctx.tx.execute(
    sql`delete from price_list_targets where tenant_id = ${ctx.tenantId} and price_list_id = ${listId}`,
  );
  for (const t of targets) {
    await ctx.tx.execute(sql`insert into price_list_targets (tenant_id, price_list_id, kind, storefront_id, group_id, account_id)
      values (${ctx.tenantId}, ${listId}, ${t.kind}, ${t.kind === 'storefront' ? t.id : null},
              ${t.kind === 'group' ? t.id : null}, ${t.kind === 'account' ? t.id : null})`);
  }
}

/**
 * docs/pricing.md rule 3: two lists of the same currency, a common target and the same start date
 * that both price a SKU are refused — the merchant, not an ID, decides which price applies.
 */
async function refusePriorityConflicts(ctx: Ctx, listId: string) {
  const t = ctx.tenantId;
  const [c] = rows<{ other_id: string; other_code: string; sku: string }>(
    await ctx.tx.execute(sql`select o.id as other_id, o.code as other_code, s.sku
      from price_lists l
      join price_lists o on o.tenant_id = l.tenant_id and o.id <> l.id and o.currency = l.currency
                        and o.valid_from is not distinct from l.valid_from
      join lateral (select e.sku from price_list_entries e
                     where e.tenant_id = ${t} and e.price_list_id = l.id
                       and exists (select 1 from price_list_entries f where f.tenant_id = ${t} and f.price_list_id = o.id and f.sku = e.sku)
                     limit 1) s on true
     where l.tenant_id = ${t} and l.id = ${listId}
       and exists (select 1 from price_list_targets a join price_list_targets b
                     on b.tenant_id = a.tenant_id and b.target_key = a.target_key and b.price_list_id = o.id
                    where a.tenant_id = ${t} and a.price_list_id = l.id)
     limit 1`),
  );
  if (c)
    throw new AppError(
      'business-rule-violation',
      `Price list ${c.other_code} (${c.other_id}) also prices ${c.sku} in the same currency, for a common target, from the same date: give one a later valid_from, or remove ${c.sku} from one of them.`,
      [
        {
          in: 'body',
          pointer: '/valid_from',
          detail: `same start as ${c.other_id} for a common target and SKU ${c.sku}`,
        },
      ],
    );
}

export async function createPriceList(ctx: Ctx, input: PriceListInput): Promise<PriceListView> {
  const errors: FieldError[] = [];
  if (!isCurrency(input.currency))
    errors.push({
      in: 'body',
      pointer: '/currency',
      detail: `${input.currency} is not a supported ISO 4217 currency`,
    });
  checkValidity(input, errors);
  if (errors.length) throw invalid(errors);
  await checkTargets(ctx, input.targets, '/targets');
  const [dup] = rows<{ id: string }>(
    await ctx.tx.execute(
      sql`select id from price_lists where tenant_id = ${ctx.tenantId} and code = ${input.code}`,
    ),
  );
  if (dup) throw conflict(`${dup.id} already has the code "${input.code}".`);
  const id = newId('pl');
  await ctx.tx.execute(sql`insert into price_lists (tenant_id, id, code, name, currency, valid_from, valid_to)
    values (${ctx.tenantId}, ${id}, ${input.code}, ${input.name.trim()}, ${input.currency},
            ${input.valid_from ?? null}, ${input.valid_to ?? null})`);
  await writeTargets(ctx, id, input.targets);
  const created = await getPriceList(ctx, id);
  await audit(ctx, {
    action: 'pricing.price_list.create',
    resource: { type: 'price_list', id },
    changes: changesOf(null, { ...created }),
  });
  await publish(ctx, 'price_list.changed', { price_list_id: id, change: 'created', skus: [] });
  return created;
}

export async function updatePriceList(
  ctx: Ctx,
  id: string,
  patch: Partial<Omit<PriceListInput, 'currency'>>,
): Promise<PriceListView> {
  const current = await getPriceList(ctx, id);
  const next = {
    valid_from: patch.valid_from !== undefined ? patch.valid_from : current.valid_from,
    valid_to: patch.valid_to !== undefined ? patch.valid_to : current.valid_to,
  };
  const errors: FieldError[] = [];
  checkValidity(next, errors);
  if (errors.length) throw invalid(errors);
  if (patch.targets) await checkTargets(ctx, patch.targets, '/targets');
  if (patch.code && patch.code !== current.code) {
    const [dup] = rows<{ id: string }>(
      await ctx.tx.execute(
        sql`select id from price_lists where tenant_id = ${ctx.tenantId} and code = ${patch.code}`,
      ),
    );
    if (dup) throw conflict(`${dup.id} already has the code "${patch.code}".`);
  }
  await ctx.tx.execute(sql`update price_lists set code = ${patch.code ?? current.code}, name = ${patch.name?.trim() ?? current.name},
      valid_from = ${next.valid_from}, valid_to = ${next.valid_to}, updated_at = now()
    where tenant_id = ${ctx.tenantId} and id = ${id}`);
  if (patch.targets) await writeTargets(ctx, id, patch.targets);
  await refusePriorityConflicts(ctx, id);
  const updated = await getPriceList(ctx, id);
  await audit(ctx, {
    action: 'pricing.price_list.update',
    resource: { type: 'price_list', id },
    changes: changesOf({ ...current }, { ...updated }),
  });
  await publish(ctx, 'price_list.changed', { price_list_id: id, change: 'updated', skus: [] });
  return updated;
}

export async function deletePriceList(ctx: Ctx, id: string): Promise<void> {
  const current = await getPriceList(ctx, id);
  await ctx.tx.execute(sql`delete from price_lists where tenant_id = ${ctx.tenantId} and id = ${id}`);
  await audit(ctx, {
    action: 'pricing.price_list.delete',
    resource: { type: 'price_list', id },
    changes: changesOf({ ...current }, null),
  });
  await publish(ctx, 'price_list.changed', { price_list_id: id, change: 'deleted', skus: [] });
}

// ─── Entries (quantity breaks) ───────────────────────────────────────────────────────────────

export const BULK_MAX_ENTRIES = 5000;

export interface EntryInput {
  sku: string;
  /** Empty: the SKU is removed from the list. */
  breaks: { min_quantity: string; unit_price: string }[];
}

export interface EntryView {
  sku: string;
  breaks: { min_quantity: string; unit_price: Money }[];
}

/**
 * Replaces the breaks of each SKU given (one transaction: all or nothing). Prices are decimal strings
 * with at most 4 decimals; each wrong value is named (`/entries/12/breaks/0/unit_price`).
 */
export async function upsertEntries(
  ctx: Ctx,
  listId: string,
  entries: EntryInput[],
): Promise<{ price_list_id: string; skus: number; breaks: number; removed_skus: number }> {
  const list = await getPriceList(ctx, listId);
  const errors: FieldError[] = [];
  const seen = new Map<string, number>();
  const flat: { sku: string; min_quantity: string; unit_price: string }[] = [];
  entries.forEach((e, i) => {
    if (seen.has(e.sku))
      errors.push({
        in: 'body',
        pointer: `/entries/${i}/sku`,
        detail: `${e.sku} is also at /entries/${seen.get(e.sku)}`,
      });
    seen.set(e.sku, i);
    const mins = new Set<string>();
    e.breaks.forEach((b, j) => {
      const at = `/entries/${i}/breaks/${j}`;
      try {
        const min = parseDecimal(b.min_quantity, {
          maxDecimals: QUANTITY_DECIMALS,
          positive: true,
          field: 'min_quantity',
        });
        if (mins.has(min.toString()))
          errors.push({
            in: 'body',
            pointer: `${at}/min_quantity`,
            detail: `a break from ${min} is given twice`,
          });
        mins.add(min.toString());
      } catch (err) {
        if (!(err instanceof MoneyError)) throw err;
        errors.push({ in: 'body', pointer: `${at}/min_quantity`, detail: err.message });
      }
      try {
        parseUnitPrice(b.unit_price);
      } catch (err) {
        if (!(err instanceof MoneyError)) throw err;
        errors.push({ in: 'body', pointer: `${at}/unit_price`, detail: err.message });
      }
      flat.push({ sku: e.sku, min_quantity: b.min_quantity, unit_price: b.unit_price });
    });
  });
  if (errors.length) throw invalid(errors.slice(0, 100));
  const skus = entries.map((e) => e.sku);
  const t = ctx.tenantId;
  await ctx.tx.execute(sql`delete from price_list_entries where tenant_id = ${t} and price_list_id = ${listId}
    and sku in (select jsonb_array_elements_text(${json(skus)}::jsonb))`);
  if (flat.length)
    await ctx.tx.execute(sql`insert into price_list_entries (tenant_id, price_list_id, sku, min_quantity, unit_price)
      select ${t}, ${listId}, r.sku, r.min_quantity::numeric, r.unit_price::numeric
        from jsonb_to_recordset(${json(flat)}::jsonb) as r(sku text, min_quantity text, unit_price text)`);
  await refusePriorityConflicts(ctx, listId);
  await ctx.tx.execute(
    sql`update price_lists set updated_at = now() where tenant_id = ${t} and id = ${listId}`,
  );
  const removed = entries.filter((e) => e.breaks.length === 0).length;
  await audit(ctx, {
    action: 'pricing.price_list.entries_upsert',
    resource: { type: 'price_list', id: listId },
    metadata: {
      currency: list.currency,
      skus: entries.length,
      breaks: flat.length,
      removed_skus: removed,
      first_skus: skus.slice(0, 20),
    },
  });
  await publish(ctx, 'price_list.changed', {
    price_list_id: listId,
    change: 'entries',
    skus: skus.slice(0, 1000),
  });
  return { price_list_id: listId, skus: entries.length, breaks: flat.length, removed_skus: removed };
}

export async function listEntries(
  ctx: Ctx,
  listId: string,
  f: { limit: number; cursor?: string; sku?: string },
) {
  const after = decodeCursor(f.cursor);
  const list = await getPriceList(ctx, listId);
  const fetched = rows<{
    sku: string;
    breaks: { min_quantity: string | number; unit_price: string | number }[] | string;
  }>(
    await ctx.tx.execute(sql`select sku, jsonb_agg(jsonb_build_object('min_quantity', min_quantity::text, 'unit_price', unit_price::text)
        order by min_quantity) as breaks
      from price_list_entries where tenant_id = ${ctx.tenantId} and price_list_id = ${listId}
      ${after ? sql`and sku > ${String(after[0])}` : sql``} ${f.sku ? sql`and sku = ${f.sku}` : sql``}
      group by sku order by sku limit ${f.limit + 1}`),
  );
  return toPage(
    fetched,
    f.limit,
    (r) => [r.sku],
    (r): EntryView => ({
      sku: r.sku,
      breaks: (typeof r.breaks === 'string' ? JSON.parse(r.breaks) : r.breaks).map(
        (b: { min_quantity: string; unit_price: string }) => ({
          min_quantity: plain(b.min_quantity),
          unit_price: { amount: plain(b.unit_price), currency: list.currency },
        }),
      ),
    }),
  );
}

// ─── Group discount levels ───────────────────────────────────────────────────────────────────

export interface GroupDiscountInput {
  group_id: string;
  percent: string;
  skus?: string[];
  category_ids?: string[];
  valid_from?: string | null;
  valid_to?: string | null;
}

export interface GroupDiscountView extends Required<GroupDiscountInput> {
  id: string;
  created_at: string;
}

interface DiscountRow {
  id: string;
  group_id: string;
  percent: string;
  skus: string[];
  category_ids: string[];
  valid_from: string | Date | null;
  valid_to: string | Date | null;
  created_at: string | Date;
}

const toDiscount = (r: DiscountRow): GroupDiscountView => ({
  id: r.id,
  group_id: r.group_id,
  percent: plain(r.percent),
  skus: r.skus,
  category_ids: r.category_ids,
  valid_from: iso(r.valid_from),
  valid_to: iso(r.valid_to),
  created_at: iso(r.created_at)!,
});

const arr = (items: string[] | undefined) =>
  sql`array(select jsonb_array_elements_text(${json(items ?? [])}::jsonb))`;

async function checkCategories(ctx: Ctx, ids: string[] | undefined, errors: FieldError[]) {
  for (const [i, id] of (ids ?? []).entries()) {
    const ok = await getCategory(ctx, id).then(
      () => true,
      () => false,
    );
    if (!ok)
      errors.push({
        in: 'body',
        pointer: `/category_ids/${i}`,
        detail: 'is not a category of this catalogue',
      });
  }
}

function checkPercent(value: string, pointer: string, errors: FieldError[]) {
  try {
    const p = parseDecimal(value, { maxDecimals: 4, positive: true, field: pointer.slice(1) });
    if (p.gt(100)) errors.push({ in: 'body', pointer, detail: 'must be at most 100' });
  } catch (err) {
    if (!(err instanceof MoneyError)) throw err;
    errors.push({ in: 'body', pointer, detail: err.message });
  }
}

export async function createGroupDiscount(ctx: Ctx, input: GroupDiscountInput): Promise<GroupDiscountView> {
  const errors: FieldError[] = [];
  checkPercent(input.percent, '/percent', errors);
  checkValidity(input, errors);
  await checkCategories(ctx, input.category_ids, errors);
  const group = await getCustomerGroup(ctx, input.group_id).then(
    () => true,
    () => false,
  );
  if (!group)
    errors.push({ in: 'body', pointer: '/group_id', detail: 'is not a customer group of this tenant' });
  if (errors.length) throw invalid(errors);
  const id = newId('gdsc');
  const [row] = rows<DiscountRow>(
    await ctx.tx.execute(sql`insert into group_discounts (tenant_id, id, group_id, percent, skus, category_ids, valid_from, valid_to)
      values (${ctx.tenantId}, ${id}, ${input.group_id}, ${input.percent}::numeric, ${arr(input.skus)}, ${arr(input.category_ids)},
              ${input.valid_from ?? null}, ${input.valid_to ?? null})
      returning id, group_id, percent::text, skus, category_ids, valid_from, valid_to, created_at`),
  );
  const created = toDiscount(row!);
  await audit(ctx, {
    action: 'pricing.group_discount.create',
    resource: { type: 'group_discount', id },
    changes: changesOf(null, { ...created }),
  });
  return created;
}

export async function listGroupDiscounts(ctx: Ctx, f: { limit: number; cursor?: string; group_id?: string }) {
  const after = decodeCursor(f.cursor);
  const fetched = rows<DiscountRow>(
    await ctx.tx.execute(sql`select id, group_id, percent::text, skus, category_ids, valid_from, valid_to, created_at
      from group_discounts where tenant_id = ${ctx.tenantId}
      ${after ? sql`and id > ${String(after[0])}` : sql``} ${f.group_id ? sql`and group_id = ${f.group_id}` : sql``}
      order by id limit ${f.limit + 1}`),
  );
  return toPage(fetched, f.limit, (r) => [r.id], toDiscount);
}

export async function deleteGroupDiscount(ctx: Ctx, id: string): Promise<void> {
  const [row] = rows<DiscountRow>(
    await ctx.tx.execute(sql`delete from group_discounts where tenant_id = ${ctx.tenantId} and id = ${id}
      returning id, group_id, percent::text, skus, category_ids, valid_from, valid_to, created_at`),
  );
  if (!row) throw notFound(`Group discount ${id}`);
  await audit(ctx, {
    action: 'pricing.group_discount.delete',
    resource: { type: 'group_discount', id },
    changes: changesOf({ ...toDiscount(row) }, null),
  });
}

// ─── Promotions ──────────────────────────────────────────────────────────────────────────────

export interface PromotionInput {
  name: string;
  targets?: TargetInput[];
  skus?: string[];
  category_ids?: string[];
  discount: { kind: 'percent'; percent: string } | { kind: 'amount'; amount: string; currency: string };
  stackable?: boolean;
  priority?: number;
  exclude_net_prices?: boolean;
  valid_from?: string | null;
  valid_to?: string | null;
}

export interface PromotionView {
  id: string;
  name: string;
  targets: TargetInput[];
  skus: string[];
  category_ids: string[];
  discount: PromotionInput['discount'];
  stackable: boolean;
  priority: number;
  exclude_net_prices: boolean;
  valid_from: string | null;
  valid_to: string | null;
  created_at: string;
}

interface PromotionRow {
  id: string;
  name: string;
  targets: TargetInput[] | string;
  skus: string[];
  category_ids: string[];
  discount_kind: 'percent' | 'amount';
  percent: string | null;
  amount: string | null;
  amount_currency: string | null;
  stackable: boolean;
  priority: number;
  exclude_net_prices: boolean;
  valid_from: string | Date | null;
  valid_to: string | Date | null;
  created_at: string | Date;
}

const PROMO_COLUMNS = sql`id, name, targets, skus, category_ids, discount_kind, percent::text, amount::text, amount_currency,
  stackable, priority, exclude_net_prices, valid_from, valid_to, created_at`;

const toPromotion = (r: PromotionRow): PromotionView => ({
  id: r.id,
  name: r.name,
  targets: typeof r.targets === 'string' ? JSON.parse(r.targets) : r.targets,
  skus: r.skus,
  category_ids: r.category_ids,
  discount:
    r.discount_kind === 'percent'
      ? { kind: 'percent', percent: plain(r.percent!) }
      : { kind: 'amount', amount: plain(r.amount!), currency: r.amount_currency! },
  stackable: r.stackable,
  priority: r.priority,
  exclude_net_prices: r.exclude_net_prices,
  valid_from: iso(r.valid_from),
  valid_to: iso(r.valid_to),
  created_at: iso(r.created_at)!,
});

export async function createPromotion(ctx: Ctx, input: PromotionInput): Promise<PromotionView> {
  const errors: FieldError[] = [];
  const d = input.discount;
  if (d.kind === 'percent') checkPercent(d.percent, '/discount/percent', errors);
  else {
    if (!isCurrency(d.currency))
      errors.push({
        in: 'body',
        pointer: '/discount/currency',
        detail: `${d.currency} is not a supported ISO 4217 currency`,
      });
    try {
      parseDecimal(d.amount, { maxDecimals: 4, positive: true, field: 'amount' });
    } catch (err) {
      if (!(err instanceof MoneyError)) throw err;
      errors.push({ in: 'body', pointer: '/discount/amount', detail: err.message });
    }
  }
  checkValidity(input, errors);
  await checkCategories(ctx, input.category_ids, errors);
  if (errors.length) throw invalid(errors);
  const targets = input.targets ?? [{ kind: 'all' }];
  await checkTargets(ctx, targets, '/targets');
  const id = newId('promo');
  const [row] = rows<PromotionRow>(
    await ctx.tx.execute(sql`insert into promotions (tenant_id, id, name, targets, skus, category_ids, discount_kind, percent, amount,
        amount_currency, stackable, priority, exclude_net_prices, valid_from, valid_to)
      values (${ctx.tenantId}, ${id}, ${input.name.trim()}, ${json(targets)}::jsonb, ${arr(input.skus)}, ${arr(input.category_ids)},
              ${d.kind}, ${d.kind === 'percent' ? d.percent : null}::numeric, ${d.kind === 'amount' ? d.amount : null}::numeric,
              ${d.kind === 'amount' ? d.currency : null}, ${input.stackable ?? false}, ${input.priority ?? 0},
              ${input.exclude_net_prices ?? false}, ${input.valid_from ?? null}, ${input.valid_to ?? null})
      returning ${PROMO_COLUMNS}`),
  );
  const created = toPromotion(row!);
  await audit(ctx, {
    action: 'pricing.promotion.create',
    resource: { type: 'promotion', id },
    changes: changesOf(null, { ...created }),
  });
  return created;
}

export async function listPromotions(ctx: Ctx, f: { limit: number; cursor?: string }) {
  const after = decodeCursor(f.cursor);
  const fetched = rows<PromotionRow>(
    await ctx.tx.execute(sql`select ${PROMO_COLUMNS} from promotions where tenant_id = ${ctx.tenantId}
      ${after ? sql`and id > ${String(after[0])}` : sql``} order by id limit ${f.limit + 1}`),
  );
  return toPage(fetched, f.limit, (r) => [r.id], toPromotion);
}

export async function deletePromotion(ctx: Ctx, id: string): Promise<void> {
  const [row] = rows<PromotionRow>(
    await ctx.tx.execute(
      sql`delete from promotions where tenant_id = ${ctx.tenantId} and id = ${id} returning ${PROMO_COLUMNS}`,
    ),
  );
  if (!row) throw notFound(`Promotion ${id}`);
  await audit(ctx, {
    action: 'pricing.promotion.delete',
    resource: { type: 'promotion', id },
    changes: changesOf({ ...toPromotion(row) }, null),
  });
}

// ─── Resolution ──────────────────────────────────────────────────────────────────────────────

export interface ResolveQuery {
  sku: string;
  quantity: string;
  currency: string;
  account_id?: string;
  storefront_id?: string;
  date?: string;
}

/** snake_case keys, recursively (the breakdown of rules.ts is camelCase in code). */
function snake(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snake);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), snake(x)]),
    );
  return v;
}

/** The category of the product (its first one) and its ancestors, root first; [] for an unknown SKU. */
async function categoryPathOf(ctx: Ctx, sku: string): Promise<string[]> {
  const [variant] = (await listVariants(ctx, { sku, limit: 1 })).data;
  if (!variant) return [];
  const product = await getProduct(ctx, variant.product_id);
  const path: string[] = [];
  let id: string | null = product.category_ids[0] ?? null;
  while (id && path.length < 50) {
    path.unshift(id);
    id = (await getCategory(ctx, id)).parent_id;
  }
  return path;
}

/**
 * Loads what applies to this buyer — lists in the currency valid at the date and targeted at the
 * tenant, the storefront, the account's groups or the account (with only this SKU's entries), the
 * groups' discount levels and the promotions valid at the date — and calls the one pure `resolvePrice`.
 */
export async function resolveUnitPrice(ctx: Ctx, q: ResolveQuery) {
  const errors: FieldError[] = [];
  if (!isCurrency(q.currency))
    errors.push({
      in: 'query',
      pointer: '/currency',
      detail: `${q.currency} is not a supported ISO 4217 currency`,
    });
  try {
    parseQuantity(q.quantity);
  } catch (err) {
    if (!(err instanceof MoneyError)) throw err;
    errors.push({ in: 'query', pointer: '/quantity', detail: err.message });
  }
  if (errors.length) throw invalid(errors);
  if (q.storefront_id) {
    const sf = await getStorefront(ctx, q.storefront_id);
    if (!sf.currencies.includes(q.currency))
      throw new AppError('business-rule-violation', `Storefront ${sf.code} does not sell in ${q.currency}.`, [
        { in: 'query', pointer: '/currency', detail: `the storefront sells in ${sf.currencies.join(', ')}` },
      ]);
  }
  if (q.account_id) await getAccount(ctx, q.account_id);
  const groupIds = q.account_id ? await groupIdsOfAccount(ctx, q.account_id) : [];
  const at = q.date ?? new Date().toISOString();
  const keys = [
    'all:*',
    ...(q.storefront_id ? [`storefront:${q.storefront_id}`] : []),
    ...groupIds.map((g) => `group:${g}`),
    ...(q.account_id ? [`account:${q.account_id}`] : []),
  ];
  const t = ctx.tenantId;
  const valid = sql`(valid_from is null or valid_from <= ${at}::timestamptz) and (valid_to is null or valid_to > ${at}::timestamptz)`;
  const lists = rows<{
    id: string;
    valid_from: string | Date | null;
    valid_to: string | Date | null;
    targets: string[];
    breaks: { min_quantity: string; unit_price: string }[] | string | null;
  }>(
    await ctx.tx.execute(sql`select l.id, l.valid_from, l.valid_to,
        array(select pt.target_key from price_list_targets pt where pt.tenant_id = l.tenant_id and pt.price_list_id = l.id
               and pt.target_key in (select jsonb_array_elements_text(${json(keys)}::jsonb))) as targets,
        (select jsonb_agg(jsonb_build_object('min_quantity', e.min_quantity::text, 'unit_price', e.unit_price::text))
           from price_list_entries e where e.tenant_id = l.tenant_id and e.price_list_id = l.id and e.sku = ${q.sku}) as breaks
      from price_lists l
     where l.tenant_id = ${t} and l.currency = ${q.currency} and ${valid}
       and exists (select 1 from price_list_targets pt where pt.tenant_id = l.tenant_id and pt.price_list_id = l.id
                    and pt.target_key in (select jsonb_array_elements_text(${json(keys)}::jsonb)))`),
  );
  const priceLists: PriceList[] = lists.map((l) => {
    const breaks = (typeof l.breaks === 'string' ? JSON.parse(l.breaks) : l.breaks) as
      | { min_quantity: string; unit_price: string }[]
      | null;
    return {
      id: l.id,
      currency: q.currency,
      validFrom: iso(l.valid_from),
      validTo: iso(l.valid_to),
      targets: l.targets.map((k) => audienceOf(targetOfKey(k))),
      entries: breaks?.length
        ? [
            {
              sku: q.sku,
              breaks: breaks.map((b) => ({
                minQuantity: plain(b.min_quantity),
                unitPrice: plain(b.unit_price),
              })),
            },
          ]
        : [],
    };
  });
  const discounts = groupIds.length
    ? rows<DiscountRow>(
        await ctx.tx.execute(sql`select id, group_id, percent::text, skus, category_ids, valid_from, valid_to, created_at
          from group_discounts where tenant_id = ${t} and ${valid}
           and group_id in (select jsonb_array_elements_text(${json(groupIds)}::jsonb))`),
      )
    : [];
  const promotions = rows<PromotionRow>(
    await ctx.tx.execute(sql`select ${PROMO_COLUMNS} from promotions where tenant_id = ${t} and ${valid}`),
  ).map(toPromotion);
  const categoryPath = await categoryPathOf(ctx, q.sku);
  const result: PriceResult = resolvePrice(
    {
      priceLists,
      groupDiscounts: discounts.map((d) => ({
        id: d.id,
        groupId: d.group_id,
        percent: plain(d.percent),
        scope: { skus: d.skus, categoryIds: d.category_ids },
        validFrom: iso(d.valid_from),
        validTo: iso(d.valid_to),
      })),
      promotions: promotions.map(
        (p): Promotion => ({
          id: p.id,
          targets: p.targets.map(audienceOf),
          scope: { skus: p.skus, categoryIds: p.category_ids },
          discount: p.discount,
          stackable: p.stackable,
          priority: p.priority,
          excludeNetPrices: p.exclude_net_prices,
          validFrom: p.valid_from,
          validTo: p.valid_to,
        }),
      ),
    },
    {
      accountId: q.account_id ?? null,
      groupIds,
      storefrontId: q.storefront_id ?? '',
      currency: q.currency,
      sku: q.sku,
      categoryPath,
      quantity: q.quantity,
      at,
    },
  );
  const common = { sku: q.sku, quantity: q.quantity, currency: q.currency, at: new Date(at).toISOString() };
  if (!result.ok)
    return {
      ...common,
      priced: false,
      unit_price: null,
      line_total: null,
      rule: null,
      breakdown: [],
      reason: result.reason,
      detail: result.detail,
    };
  const unit = { amount: result.unitPrice, currency: q.currency };
  return {
    ...common,
    priced: true,
    unit_price: unit,
    line_total: lineTotal(unit, q.quantity),
    rule: snake(result.rule),
    breakdown: snake(result.breakdown),
    reason: null,
    detail: null,
  };
}
