import { type SQL, sql } from 'drizzle-orm';
import { assertNotInitiator, personOf } from '../../platform/access/four-eyes.ts';
import { hasPermission } from '../../platform/access/permissions.ts';
import { audit, changesOf } from '../../platform/audit/record.ts';
import { cachedRead, cachedReadWhile, readCacheOf } from '../../platform/cache/read-cache.ts';
import type { Ctx } from '../../platform/context.ts';
import { rows } from '../../platform/db/database.ts';
import { publish } from '../../platform/events/outbox.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { AppError, conflict, type FieldError, notFound } from '../../platform/http/problems.ts';
import { newId } from '../../platform/ids.ts';
import { getAccount } from '../accounts/service.ts';
import { categoryPathsOfSkus, type HitLine, type SearchPricing, skuSetKey } from '../catalog/search.ts';
import { getCategory } from '../catalog/service.ts';
import {
  getCustomerGroup,
  getStorefront,
  groupsOfReadableAccount,
  storefrontCurrencies,
  viewerOf,
} from '../storefronts/service.ts';
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
  sumMoney,
} from './money.ts';
import {
  type ApprovalPolicy,
  type Audience,
  changesNeedingApproval,
  type GroupDiscount,
  type PriceBreak,
  type PriceChange,
  type PriceList,
  type PriceListEntry,
  type PriceRequest,
  type PriceResult,
  type PriceRule,
  type PricingData,
  type Promotion,
  resolvePrice,
} from './rules.ts';

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

const TARGET_ID_PREFIX = { storefront: 'sf_', group: 'cgrp_', account: 'acct_' } as const;

export async function listPriceLists(
  ctx: Ctx,
  f: {
    limit: number;
    cursor?: string;
    currency?: string;
    target_kind?: TargetInput['kind'];
    target_id?: string;
  },
) {
  const after = decodeCursor(f.cursor);
  // A target filter: lists with a target of that kind (and that ID), e.g. the contract prices of an account.
  let target: ReturnType<typeof sql> = sql``;
  if (f.target_id !== undefined) {
    const kind = f.target_kind;
    const fail = (detail: string) => invalid([{ in: 'query', pointer: '/target_id', detail }]);
    if (!kind) throw fail('needs target_kind');
    if (kind === 'all') throw fail('is not allowed with target_kind all');
    if (!f.target_id.startsWith(TARGET_ID_PREFIX[kind])) throw fail(`is not a ${kind} ID`);
    target = sql`and exists (select 1 from price_list_targets pt where pt.tenant_id = l.tenant_id
      and pt.price_list_id = l.id and pt.target_key = ${`${kind}:${f.target_id}`})`;
  } else if (f.target_kind)
    target = sql`and exists (select 1 from price_list_targets pt where pt.tenant_id = l.tenant_id
      and pt.price_list_id = l.id and left(pt.target_key, ${f.target_kind.length + 1}) = ${`${f.target_kind}:`})`;
  const fetched = rows<ListRow>(
    await ctx.tx.execute(sql`${selectLists(ctx.tenantId)}
      ${after ? sql`and l.id > ${String(after[0])}` : sql``} ${f.currency ? sql`and l.currency = ${f.currency}` : sql``}
      ${target}
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
export async function upsertEntries(ctx: Ctx, listId: string, entries: EntryInput[]): Promise<UpsertResult> {
  const list = await getPriceList(ctx, listId);
  const errors: FieldError[] = [];
  const seen = new Map<string, number>();
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
    });
  });
  if (errors.length) throw invalid(errors.slice(0, 100));
  // Four-eyes: a change above the tenant's threshold is held for approval, not applied.
  const policy = await approvalPolicy(ctx);
  if (policyIsActive(policy)) {
    const current = await currentBreaks(
      ctx,
      listId,
      entries.map((e) => e.sku),
    );
    const changes = changesNeedingApproval(
      toBreakMap(current),
      entries.map((e) => ({
        sku: e.sku,
        breaks: e.breaks.map((b) => ({ minQuantity: b.min_quantity, unitPrice: b.unit_price })),
      })),
      policy,
      list.valid_to === null || Date.parse(list.valid_to) > Date.now(),
    );
    if (changes.length) {
      const request = await holdForApproval(ctx, list, entries, current, changes);
      return { status: 'pending_approval', price_change_request: request };
    }
  }
  return { status: 'applied', ...(await applyEntries(ctx, list, entries)) };
}

export type UpsertResult =
  | { status: 'applied'; price_list_id: string; skus: number; breaks: number; removed_skus: number }
  | { status: 'pending_approval'; price_change_request: PriceChangeRequestView };

/** Writes the entries (the SKUs given get exactly these breaks), audited, with its event. */
async function applyEntries(ctx: Ctx, list: PriceListView, entries: EntryInput[], requestId?: string) {
  const listId = list.id;
  const flat = entries.flatMap((e) =>
    e.breaks.map((b) => ({ sku: e.sku, min_quantity: b.min_quantity, unit_price: b.unit_price })),
  );
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
      ...(requestId ? { price_change_request_id: requestId } : {}),
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

// ─── Price-change approval (four-eyes) ───────────────────────────────────────────────────────

export interface PricingSettingsView {
  /** Decimal percent; null: no percentage rule. */
  approval_threshold_percent: string | null;
  /** Per unit, in the list's currency; null: no amount rule. */
  approval_threshold_amount: string | null;
  approve_additions_and_removals: boolean;
  updated_at: string | null;
}

/** Without a row: 10 %, no amount rule, additions and removals free (docs/pricing.md). */
export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = {
  thresholdPercent: '10',
  thresholdAmount: null,
  additionsAndRemovals: false,
};

async function settingsRow(ctx: Ctx) {
  const [row] = rows<{
    approval_threshold_percent: string | null;
    approval_threshold_amount: string | null;
    approve_additions_and_removals: boolean;
    updated_at: string | Date;
  }>(
    await ctx.tx.execute(sql`select approval_threshold_percent::text, approval_threshold_amount::text,
        approve_additions_and_removals, updated_at from pricing_settings where tenant_id = ${ctx.tenantId}`),
  );
  return row ?? null;
}

export async function getPricingSettings(ctx: Ctx): Promise<PricingSettingsView> {
  const row = await settingsRow(ctx);
  if (!row)
    return {
      approval_threshold_percent: DEFAULT_APPROVAL_POLICY.thresholdPercent,
      approval_threshold_amount: DEFAULT_APPROVAL_POLICY.thresholdAmount,
      approve_additions_and_removals: DEFAULT_APPROVAL_POLICY.additionsAndRemovals,
      updated_at: null,
    };
  return {
    approval_threshold_percent:
      row.approval_threshold_percent === null ? null : plain(row.approval_threshold_percent),
    approval_threshold_amount:
      row.approval_threshold_amount === null ? null : plain(row.approval_threshold_amount),
    approve_additions_and_removals: row.approve_additions_and_removals,
    updated_at: iso(row.updated_at),
  };
}

async function approvalPolicy(ctx: Ctx): Promise<ApprovalPolicy> {
  const s = await getPricingSettings(ctx);
  return {
    thresholdPercent: s.approval_threshold_percent,
    thresholdAmount: s.approval_threshold_amount,
    additionsAndRemovals: s.approve_additions_and_removals,
  };
}

const policyIsActive = (p: ApprovalPolicy) =>
  p.thresholdPercent !== null || p.thresholdAmount !== null || p.additionsAndRemovals;

export async function updatePricingSettings(
  ctx: Ctx,
  patch: Partial<Omit<PricingSettingsView, 'updated_at'>>,
): Promise<PricingSettingsView> {
  const before = await getPricingSettings(ctx);
  const errors: FieldError[] = [];
  for (const field of ['approval_threshold_percent', 'approval_threshold_amount'] as const) {
    const v = patch[field];
    if (v === undefined || v === null) continue;
    try {
      const d = parseDecimal(v, { maxDecimals: 4, nonNegative: true, field });
      if (field === 'approval_threshold_percent' && d.gt(1000))
        errors.push({ in: 'body', pointer: `/${field}`, detail: 'must be at most 1000' });
    } catch (err) {
      if (!(err instanceof MoneyError)) throw err;
      errors.push({ in: 'body', pointer: `/${field}`, detail: err.message });
    }
  }
  if (errors.length) throw invalid(errors);
  const next = { ...before, ...patch };
  await ctx.tx.execute(sql`insert into pricing_settings (tenant_id, approval_threshold_percent, approval_threshold_amount,
      approve_additions_and_removals, updated_at)
    values (${ctx.tenantId}, ${next.approval_threshold_percent}::numeric, ${next.approval_threshold_amount}::numeric,
            ${next.approve_additions_and_removals}, now())
    on conflict (tenant_id) do update set approval_threshold_percent = excluded.approval_threshold_percent,
      approval_threshold_amount = excluded.approval_threshold_amount,
      approve_additions_and_removals = excluded.approve_additions_and_removals, updated_at = now()`);
  const after = await getPricingSettings(ctx);
  await audit(ctx, {
    action: 'pricing.settings.update',
    resource: { type: 'pricing_settings', id: ctx.tenantId },
    changes: changesOf({ ...before }, { ...after }),
  });
  return after;
}

type BreakRow = { min_quantity: string; unit_price: string };

/** The breaks of these SKUs in the list today, each SKU's sorted by quantity, prices without trailing zeros. */
async function currentBreaks(ctx: Ctx, listId: string, skus: string[]): Promise<Record<string, BreakRow[]>> {
  const found = rows<{ sku: string; breaks: BreakRow[] | string }>(
    await ctx.tx.execute(sql`select sku, jsonb_agg(jsonb_build_object('min_quantity', min_quantity::text,
          'unit_price', unit_price::text) order by min_quantity) as breaks
        from price_list_entries where tenant_id = ${ctx.tenantId} and price_list_id = ${listId}
         and sku in (select jsonb_array_elements_text(${json(skus)}::jsonb))
       group by sku`),
  );
  const out: Record<string, BreakRow[]> = {};
  for (const r of found)
    out[r.sku] = (typeof r.breaks === 'string' ? JSON.parse(r.breaks) : r.breaks).map((b: BreakRow) => ({
      min_quantity: plain(b.min_quantity),
      unit_price: plain(b.unit_price),
    }));
  return out;
}

const toBreakMap = (current: Record<string, BreakRow[]>) =>
  new Map(
    Object.entries(current).map(([sku, bs]) => [
      sku,
      bs.map((b) => ({ minQuantity: b.min_quantity, unitPrice: b.unit_price })),
    ]),
  );

export interface PriceChangeRequestView {
  id: string;
  price_list_id: string;
  status: 'pending' | 'approved' | 'rejected' | 'applied';
  entries: EntryInput[];
  /** The changes above the threshold (at most 1,000 listed). */
  changes: {
    sku: string;
    min_quantity: string;
    before: string | null;
    after: string | null;
    change_percent: string | null;
  }[];
  sku_count: number;
  initiated_by: string;
  /** The initiator's display name (user) or name (service account); null if gone. */
  initiated_by_name: string | null;
  created_at: string;
  decided_by: string | null;
  decided_by_name: string | null;
  decided_at: string | null;
  rejection_reason: string | null;
  applied_at: string | null;
}

interface RequestRow {
  id: string;
  price_list_id: string;
  status: PriceChangeRequestView['status'];
  entries: EntryInput[] | string;
  before: Record<string, BreakRow[]> | string;
  changes: PriceChangeRequestView['changes'] | string;
  sku_count: number;
  initiated_by: string;
  initiated_by_name: string | null;
  created_at: string | Date;
  decided_by: string | null;
  decided_by_name: string | null;
  decided_at: string | Date | null;
  rejection_reason: string | null;
  applied_at: string | Date | null;
}

const parsed = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

const toRequest = (r: RequestRow): PriceChangeRequestView => ({
  id: r.id,
  price_list_id: r.price_list_id,
  status: r.status,
  entries: parsed(r.entries),
  changes: parsed(r.changes),
  sku_count: Number(r.sku_count),
  initiated_by: r.initiated_by,
  initiated_by_name: r.initiated_by_name ?? null,
  created_at: iso(r.created_at)!,
  decided_by: r.decided_by,
  decided_by_name: r.decided_by_name ?? null,
  decided_at: iso(r.decided_at),
  rejection_reason: r.rejection_reason,
  applied_at: iso(r.applied_at),
});

/** A person's name beside their ID (a user, else a service account), so that screens show names. */
const personName = (column: 'initiated_by' | 'decided_by') =>
  sql.raw(`coalesce((select u.display_name from users u where u.tenant_id = price_change_requests.tenant_id
      and u.id = price_change_requests.${column}),
    (select a.name from service_accounts a where a.tenant_id = price_change_requests.tenant_id
      and a.id = price_change_requests.${column}))`);
const REQUEST_COLUMNS = sql`id, price_list_id, status, entries, before, changes, sku_count, initiated_by, created_at,
  decided_by, decided_at, rejection_reason, applied_at,
  ${personName('initiated_by')} as initiated_by_name, ${personName('decided_by')} as decided_by_name`;

async function holdForApproval(
  ctx: Ctx,
  list: PriceListView,
  entries: EntryInput[],
  current: Record<string, BreakRow[]>,
  changes: PriceChange[],
): Promise<PriceChangeRequestView> {
  const id = newId('pcr');
  const listed = changes.slice(0, 1000).map((c) => ({
    sku: c.sku,
    min_quantity: c.minQuantity,
    before: c.before,
    after: c.after,
    change_percent: c.changePercent,
  }));
  const [row] = rows<RequestRow>(
    await ctx.tx.execute(sql`insert into price_change_requests (tenant_id, id, price_list_id, entries, before, changes, sku_count, initiated_by)
      values (${ctx.tenantId}, ${id}, ${list.id}, ${json(entries)}::jsonb, ${json(current)}::jsonb, ${json(listed)}::jsonb,
              ${entries.length}, ${personOf(ctx)})
      returning ${REQUEST_COLUMNS}`),
  );
  const request = toRequest(row!);
  const metadata = {
    price_list_id: list.id,
    currency: list.currency,
    skus: entries.length,
    changes_above_threshold: changes.length,
    first_changes: listed.slice(0, 20),
  };
  // The route's action (the change was received, and held), then the request itself.
  await audit(ctx, {
    action: 'pricing.price_list.entries_upsert',
    resource: { type: 'price_list', id: list.id },
    metadata: { ...metadata, status: 'pending_approval', price_change_request_id: id },
  });
  await audit(ctx, {
    action: 'pricing.price_change_request.create',
    resource: { type: 'price_change_request', id },
    metadata,
  });
  await publish(ctx, 'price_change_request.created', {
    price_change_request_id: id,
    price_list_id: list.id,
    initiated_by: request.initiated_by,
    skus: entries.length,
  });
  return request;
}

async function requestRow(ctx: Ctx, id: string, forUpdate = false): Promise<RequestRow> {
  const [row] = rows<RequestRow>(
    await ctx.tx.execute(sql`select ${REQUEST_COLUMNS} from price_change_requests
      where tenant_id = ${ctx.tenantId} and id = ${id} ${forUpdate ? sql`for update` : sql``}`),
  );
  if (!row) throw notFound(`Price change request ${id}`);
  return row;
}

export async function getPriceChangeRequest(ctx: Ctx, id: string): Promise<PriceChangeRequestView> {
  return toRequest(await requestRow(ctx, id));
}

export async function listPriceChangeRequests(
  ctx: Ctx,
  f: { limit: number; cursor?: string; status?: string; price_list_id?: string },
) {
  const after = decodeCursor(f.cursor);
  const fetched = rows<RequestRow>(
    await ctx.tx.execute(sql`select ${REQUEST_COLUMNS} from price_change_requests where tenant_id = ${ctx.tenantId}
      ${f.status ? sql`and status = ${f.status}` : sql``} ${f.price_list_id ? sql`and price_list_id = ${f.price_list_id}` : sql``}
      ${after ? sql`and id < ${String(after[0])}` : sql``}
      order by id desc limit ${f.limit + 1}`),
  );
  return toPage(fetched, f.limit, (r) => [r.id], toRequest);
}

function assertPending(row: RequestRow) {
  if (row.status !== 'pending')
    throw conflict(
      `Price change request ${row.id} is already ${row.status}; only a pending request can be decided.`,
    );
}

/**
 * Approves and applies a pending request in this one transaction — by someone other than its
 * initiator (403 `four-eyes-required`). If a price it touches changed since it was made, it is stale:
 * 409, nothing applied (reject it and submit the change again against today's prices).
 */
export async function approvePriceChangeRequest(ctx: Ctx, id: string): Promise<PriceChangeRequestView> {
  const row = await requestRow(ctx, id, true);
  assertPending(row);
  assertNotInitiator(ctx, row.initiated_by);
  const entries = parsed(row.entries);
  const before = parsed(row.before);
  const list = await getPriceList(ctx, row.price_list_id);
  const now = await currentBreaks(
    ctx,
    list.id,
    entries.map((e) => e.sku),
  );
  // jsonb does not keep key order: compare the breaks as text.
  const same = (bs: BreakRow[] | undefined) =>
    (bs ?? []).map((b) => `${plain(b.min_quantity)}@${plain(b.unit_price)}`).join(' ');
  const stale = entries.map((e) => e.sku).filter((sku) => same(now[sku]) !== same(before[sku]));
  if (stale.length)
    throw conflict(
      `The prices of ${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ` and ${stale.length - 5} more SKUs` : ''} changed since this request was made: reject it and submit the change again.`,
    );
  await applyEntries(ctx, list, entries, id);
  const [updated] = rows<RequestRow>(
    await ctx.tx.execute(sql`update price_change_requests set status = 'applied', decided_by = ${personOf(ctx)},
        decided_at = now(), applied_at = now()
      where tenant_id = ${ctx.tenantId} and id = ${id} returning ${REQUEST_COLUMNS}`),
  );
  const view = toRequest(updated!);
  await audit(ctx, {
    action: 'pricing.price_change_request.approve',
    resource: { type: 'price_change_request', id },
    changes: { status: { before: 'pending', after: 'applied' } },
    metadata: { price_list_id: list.id, initiated_by: view.initiated_by, skus: view.sku_count },
  });
  await publish(ctx, 'price_change_request.decided', {
    price_change_request_id: id,
    price_list_id: list.id,
    status: 'applied',
    initiated_by: view.initiated_by,
    decided_by: view.decided_by!,
  });
  return view;
}

export async function rejectPriceChangeRequest(
  ctx: Ctx,
  id: string,
  reason: string,
): Promise<PriceChangeRequestView> {
  const row = await requestRow(ctx, id, true);
  assertPending(row);
  const text = reason.trim();
  if (!text) throw invalid([{ in: 'body', pointer: '/reason', detail: 'must not be blank' }]);
  const [updated] = rows<RequestRow>(
    await ctx.tx.execute(sql`update price_change_requests set status = 'rejected', decided_by = ${personOf(ctx)},
        decided_at = now(), rejection_reason = ${text}
      where tenant_id = ${ctx.tenantId} and id = ${id} returning ${REQUEST_COLUMNS}`),
  );
  const view = toRequest(updated!);
  await audit(ctx, {
    action: 'pricing.price_change_request.reject',
    resource: { type: 'price_change_request', id },
    reason: text.slice(0, 500),
    changes: { status: { before: 'pending', after: 'rejected' } },
    metadata: { price_list_id: view.price_list_id, initiated_by: view.initiated_by },
  });
  await publish(ctx, 'price_change_request.decided', {
    price_change_request_id: id,
    price_list_id: view.price_list_id,
    status: 'rejected',
    initiated_by: view.initiated_by,
    decided_by: view.decided_by!,
  });
  return view;
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

const DISCOUNT_COLUMNS = sql`id, group_id, percent::text, skus, category_ids, valid_from, valid_to, created_at`;

/** Changes a group discount level's percent, scope or validity (the group stays: delete and create to move it). */
export async function updateGroupDiscount(
  ctx: Ctx,
  id: string,
  patch: Partial<Omit<GroupDiscountInput, 'group_id'>>,
): Promise<GroupDiscountView> {
  const [row] = rows<DiscountRow>(
    await ctx.tx.execute(sql`select ${DISCOUNT_COLUMNS} from group_discounts
      where tenant_id = ${ctx.tenantId} and id = ${id} for update`),
  );
  if (!row) throw notFound(`Group discount ${id}`);
  const current = toDiscount(row);
  const next = { ...current, ...patch };
  const errors: FieldError[] = [];
  if (patch.percent !== undefined) checkPercent(patch.percent, '/percent', errors);
  checkValidity(next, errors);
  await checkCategories(ctx, patch.category_ids, errors);
  if (errors.length) throw invalid(errors);
  const [updated] = rows<DiscountRow>(
    await ctx.tx.execute(sql`update group_discounts set percent = ${next.percent}::numeric, skus = ${arr(next.skus)},
        category_ids = ${arr(next.category_ids)}, valid_from = ${next.valid_from}, valid_to = ${next.valid_to}
      where tenant_id = ${ctx.tenantId} and id = ${id} returning ${DISCOUNT_COLUMNS}`),
  );
  const view = toDiscount(updated!);
  await audit(ctx, {
    action: 'pricing.group_discount.update',
    resource: { type: 'group_discount', id },
    changes: changesOf({ ...current }, { ...view }),
  });
  return view;
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

/** A promotion's discount: a percentage, or an amount (up to 4 decimals) in a known currency. */
function checkDiscount(d: PromotionInput['discount'], errors: FieldError[]): void {
  if (d.kind === 'percent') {
    checkPercent(d.percent, '/discount/percent', errors);
    return;
  }
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

export async function createPromotion(ctx: Ctx, input: PromotionInput): Promise<PromotionView> {
  const errors: FieldError[] = [];
  const d = input.discount;
  checkDiscount(d, errors);
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

/** Changes a promotion: any field of its creation; the others are kept. */
export async function updatePromotion(
  ctx: Ctx,
  id: string,
  patch: Partial<PromotionInput>,
): Promise<PromotionView> {
  const [row] = rows<PromotionRow>(
    await ctx.tx.execute(
      sql`select ${PROMO_COLUMNS} from promotions where tenant_id = ${ctx.tenantId} and id = ${id} for update`,
    ),
  );
  if (!row) throw notFound(`Promotion ${id}`);
  const current = toPromotion(row);
  const next = { ...current, ...patch, name: (patch.name ?? current.name).trim() };
  const errors: FieldError[] = [];
  const d = next.discount;
  if (patch.discount) checkDiscount(d, errors);
  checkValidity(next, errors);
  await checkCategories(ctx, patch.category_ids, errors);
  if (errors.length) throw invalid(errors);
  if (patch.targets) await checkTargets(ctx, patch.targets, '/targets');
  const [updated] = rows<PromotionRow>(
    await ctx.tx.execute(sql`update promotions set name = ${next.name}, targets = ${json(next.targets)}::jsonb,
        skus = ${arr(next.skus)}, category_ids = ${arr(next.category_ids)}, discount_kind = ${d.kind},
        percent = ${d.kind === 'percent' ? d.percent : null}::numeric, amount = ${d.kind === 'amount' ? d.amount : null}::numeric,
        amount_currency = ${d.kind === 'amount' ? d.currency : null}, stackable = ${next.stackable},
        priority = ${next.priority}, exclude_net_prices = ${next.exclude_net_prices},
        valid_from = ${next.valid_from}, valid_to = ${next.valid_to}
      where tenant_id = ${ctx.tenantId} and id = ${id} returning ${PROMO_COLUMNS}`),
  );
  const view = toPromotion(updated!);
  await audit(ctx, {
    action: 'pricing.promotion.update',
    resource: { type: 'promotion', id },
    changes: changesOf({ ...current }, { ...view }),
  });
  return view;
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

/**
 * A buyer (or a storefront visitor) prices for themselves only: their own account and the storefront
 * of the request's host are the defaults, and naming another account or storefront is a 403. Staff
 * and integrations price for whomever they name.
 */
async function boundToViewer<Q extends Omit<ResolveQuery, 'sku' | 'quantity'>>(
  ctx: Ctx,
  q: Q,
  part: 'query' | 'body',
): Promise<Q> {
  const viewer = await viewerOf(ctx);
  if (!viewer) return q;
  if (q.account_id && q.account_id !== viewer.accountId)
    throw new AppError('forbidden', 'A buyer sees the prices of their own company only.', [
      { in: part, pointer: '/account_id', detail: 'is not your company' },
    ]);
  if (q.storefront_id && q.storefront_id !== viewer.storefrontId)
    throw new AppError('forbidden', 'A buyer sees the prices of the storefront they shop on only.', [
      { in: part, pointer: '/storefront_id', detail: 'is not the storefront of this site' },
    ]);
  const { account_id: _a, storefront_id: _s, ...rest } = q;
  const bound = {
    ...rest,
    ...(viewer.accountId ? { account_id: viewer.accountId } : {}),
    ...(viewer.storefrontId ? { storefront_id: viewer.storefrontId } : {}),
  } as Q;
  // The buyer's own account exists and its groups are known: no need to read them again.
  if (viewer.accountId) knownAccounts.set(bound, [...viewer.groupIds]);
  return bound;
}

/** Queries bound to a buyer's own account, with that account's groups (read by `viewerOf`). */
const knownAccounts = new WeakMap<object, string[]>();

export interface PriceLine {
  sku: string;
  quantity: string;
}

export interface BatchQuery {
  currency: string;
  account_id?: string;
  storefront_id?: string;
  date?: string;
  lines: PriceLine[];
}

export const BATCH_MAX_LINES = 500;

/** What one line resolves to: the same shape for GET /prices/resolve and each line of the batch. */
export interface ResolvedLine {
  sku: string;
  quantity: string;
  currency: string;
  at: string;
  priced: boolean;
  unit_price: Money | null;
  line_total: Money | null;
  rule: Record<string, unknown> | null;
  breakdown: Record<string, unknown>[];
  reason: 'no-price-list' | 'sku-not-priced' | 'below-minimum-quantity' | null;
  detail: string | null;
  /**
   * The buyer's quantity breaks for this SKU: every quantity that is a break of a price list
   * applying to this buyer, priced by `resolvePrice` at that quantity (so after group discount and
   * promotions, and with the list that wins there — a contract "from 50" shows up even when the
   * line's own quantity is priced by the public list), with the level of the list that gives it.
   * Ascending; a quantity whose price equals the previous one's, or that has no price, is left out.
   */
  breaks: { min_quantity: string; unit_price: Money; level: PriceRule['level'] }[];
}

/** The price context of one buyer, currency and date: loaded once, then `resolvePrice` per line. */
interface PriceContext {
  currency: string;
  at: string;
  accountId: string | null;
  storefrontId: string;
  groupIds: string[];
  /** The applicable lists, each with its entries for the requested SKUs, by SKU. */
  lists: { list: Omit<PriceList, 'entries'>; bySku: Map<string, PriceListEntry> }[];
  groupDiscounts: GroupDiscount[];
  promotions: Promotion[];
  /** By SKU; absent for an SKU the catalogue does not know. */
  products: Map<string, { productId: string; categoryPath: string[]; visible: boolean }>;
  /**
   * When read whatever the validity (the read cache's way): the instants around `at` between which
   * no list, discount level or promotion starts or ends — every price of this context stays the
   * same from `from` (included) to `to` (excluded), microseconds, null: open. Null otherwise.
   */
  window: { from: bigint | null; to: bigint | null } | null;
}

/**
 * Loads the price context for a set of SKUs — lists in the currency valid at the date and targeted
 * at the tenant, the storefront, the account's groups or the account (with these SKUs' entries), the
 * groups' discount levels, the promotions valid at the date, and the SKUs' category paths — with a
 * constant number of statements, whatever the number of SKUs.
 *
 * A read-only request (`ctx.readOnly`) with the read cache on reads each part from the cache
 * (platform/cache/read-cache.ts; dropped at every committed change of the tables they come from,
 * migrations 0019 and 0021), keyed by everything but the date: the lists, discounts and promotions
 * are read whatever their validity and the date is applied here, to the microsecond, exactly as the
 * SQL condition `valid_from <= at < valid_to` (null bounds open) does otherwise. So a list that
 * starts at 10:00 applies to the first request after 10:00 with no change to the database.
 */
async function loadPriceContext(
  ctx: Ctx,
  q: Omit<BatchQuery, 'lines'>,
  skus: readonly string[],
  part: 'query' | 'body',
  opts: {
    /** SKUs of search hits, which the search already filtered. */
    knownVisible?: boolean;
    /**
     * Many SKUs at once (a search's hit set): the lists' entries and the SKUs' categories are read
     * for this call only, never stored in the read cache, where they would weigh too much.
     */
    many?: boolean;
    /**
     * The SKUs' products as the caller (catalogue search) already knows them: no placements are
     * read when every SKU has one.
     */
    placed?: PlacedSkus;
  } = {},
): Promise<PriceContext> {
  if (q.storefront_id) {
    const sf = await storefrontCurrencies(ctx, q.storefront_id);
    if (!sf.currencies.includes(q.currency))
      throw new AppError('business-rule-violation', `Storefront ${sf.code} does not sell in ${q.currency}.`, [
        { in: part, pointer: '/currency', detail: `the storefront sells in ${sf.currencies.join(', ')}` },
      ]);
  }
  // A search prices its hit set, then its page, whose SKUs are among the set's: one context for both.
  const shareKey =
    opts.knownVisible && q.date
      ? JSON.stringify([q.currency, q.date, q.storefront_id ?? null, q.account_id ?? null])
      : null;
  const shared = shareKey ? searchContexts.get(ctx) : undefined;
  if (shared && shared.key === shareKey && skus.every((s) => shared.skus.has(s))) return shared.pc;
  let groupIds = knownAccounts.get(q);
  if (!groupIds) groupIds = q.account_id ? await groupsOfReadableAccount(ctx, q.account_id) : [];
  const at = q.date ?? new Date().toISOString();
  const keys = [
    'all:*',
    ...(q.storefront_id ? [`storefront:${q.storefront_id}`] : []),
    ...groupIds.map((g) => `group:${g}`),
    ...(q.account_id ? [`account:${q.account_id}`] : []),
  ];
  const wanted = [...new Set(skus)];
  // The cached form needs the date to the microsecond, as PostgreSQL reads it; a date this cannot
  // read exactly (more than 6 decimals, a leap second…) goes to the database, as without the cache.
  const atUs = instantMicros(at);
  const cached = atUs !== null && ctx.readOnly === true && readCacheOf(ctx.db) !== null;
  const valid = cached
    ? sql`true`
    : sql`(valid_from is null or valid_from <= ${at}::timestamptz) and (valid_to is null or valid_to > ${at}::timestamptz)`;
  const inForce = <T extends Bounds>(items: readonly T[]): readonly T[] =>
    cached ? items.filter((i) => validAt(i, atUs!)) : items;
  const sortedKeys = [...keys].sort();
  const sortedGroups = [...groupIds].sort();
  const lists = await readCached(
    ctx,
    cached && !opts.many,
    `pricing:lists:${JSON.stringify([q.currency, sortedKeys, skuSetKey(wanted)])}`,
    () => loadLists(ctx, q.currency, sortedKeys, wanted, valid),
  );
  const discounts = groupIds.length
    ? await readCached(ctx, cached, `pricing:group-discounts:${JSON.stringify(sortedGroups)}`, () =>
        loadDiscounts(ctx, sortedGroups, valid),
      )
    : [];
  const promotions = await readCached(ctx, cached, 'pricing:promotions', () => loadPromotions(ctx, valid));
  const pc: PriceContext = {
    currency: q.currency,
    at,
    accountId: q.account_id ?? null,
    storefrontId: q.storefront_id ?? '',
    groupIds,
    lists: inForce(lists).map((l) => ({
      list: {
        id: l.id,
        currency: q.currency,
        validFrom: iso(l.valid_from),
        validTo: iso(l.valid_to),
        targets: l.targets,
      },
      bySku: l.bySku,
    })),
    groupDiscounts: inForce(discounts).map((d) => ({
      id: d.id,
      groupId: d.group_id,
      percent: plain(d.percent),
      scope: { skus: d.skus, categoryIds: d.category_ids },
      validFrom: iso(d.valid_from),
      validTo: iso(d.valid_to),
    })),
    promotions: inForce(promotions).map((r): Promotion => {
      const p = toPromotion(r);
      return {
        id: p.id,
        targets: p.targets.map(audienceOf),
        scope: { skus: p.skus, categoryIds: p.category_ids },
        discount: p.discount,
        stackable: p.stackable,
        priority: p.priority,
        excludeNetPrices: p.exclude_net_prices,
        validFrom: p.valid_from,
        validTo: p.valid_to,
      };
    }),
    products:
      opts.placed && wanted.every((s) => opts.placed!.has(s))
        ? new Map(wanted.map((s) => [s, { ...opts.placed!.get(s)!, visible: true }]))
        : await categoryPathsOfSkus(ctx, wanted, {
            knownVisible: opts.knownVisible === true,
            store: !opts.many,
          }),
    window: cached ? constantAround(atUs!, [...lists, ...discounts, ...promotions]) : null,
  };
  if (shareKey && opts.many) searchContexts.set(ctx, { key: shareKey, skus: new Set(wanted), pc });
  return pc;
}

/**
 * The context a search loaded for its hit set, for the rest of its request (the request's `ctx`):
 * its page is priced from it when every SKU of the page is in it — same buyer, currency and instant,
 * hits the search already filtered.
 */
const searchContexts = new WeakMap<Ctx, { key: string; skus: ReadonlySet<string>; pc: PriceContext }>();

/** The widest interval around `at` in which none of these starts or ends (see `PriceContext.window`). */
function constantAround(at: bigint, items: readonly Bounds[]): { from: bigint | null; to: bigint | null } {
  let from: bigint | null = null;
  let to: bigint | null = null;
  for (const i of items)
    for (const b of [i.from_us, i.to_us]) {
      if (b === null) continue;
      if (b <= at && (from === null || b > from)) from = b;
      if (b > at && (to === null || b < to)) to = b;
    }
  return { from, to };
}

/** `load()` through the read cache when `cached`, else straight from the database. */
const readCached = <T>(ctx: Ctx, cached: boolean, key: string, load: () => Promise<T>): Promise<T> =>
  cached ? cachedRead(ctx, key, load) : load();

/** Validity bounds in microseconds since the epoch, as PostgreSQL compares them; null: open. */
interface Bounds {
  from_us: bigint | null;
  to_us: bigint | null;
}

/** `[from, to)` at `at`, null bounds open: the SQL condition of the uncached reads. */
function validAt(b: Bounds, at: bigint): boolean {
  return (b.from_us === null || b.from_us <= at) && (b.to_us === null || at < b.to_us);
}

/** A timestamptz column as microseconds since the epoch (exact: `extract` is numeric), as text. */
const micros = (column: string) =>
  sql.raw(`trunc(extract(epoch from ${column}) * 1000000)::text as ${column.replace(/^\w+\./, '')}_us`);

const FAR = 10n ** 30n;
/** The text of `micros`: ±Infinity for PostgreSQL's infinite timestamps. */
function bound(text: string | null): bigint | null {
  if (text === null) return null;
  if (text === 'Infinity') return FAR;
  if (text === '-Infinity') return -FAR;
  return BigInt(text);
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;

/**
 * An RFC 3339 instant as microseconds since the epoch, exactly as PostgreSQL reads it as a
 * timestamptz; null for what this does not read exactly (no offset, more than 6 decimals, a leap
 * second, hour 24, an impossible date): the caller then leaves the comparison to the database.
 */
export function instantMicros(text: string): bigint | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  if (date.getUTCMonth() !== mo - 1) return null; // 31 April, 30 February…
  date.setUTCHours(h, mi, s, 0);
  let offsetMin = 0;
  if (!m[8]) {
    const [oh, om] = [Number(m[10]), Number(m[11] ?? 0)];
    if (oh > 14 || om > 59) return null;
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const fraction = BigInt((m[7] ?? '').padEnd(6, '0'));
  return BigInt(date.getTime() - offsetMin * 60_000) * 1000n + fraction;
}

interface LoadedList extends Bounds {
  id: string;
  valid_from: string | Date | null;
  valid_to: string | Date | null;
  /** The list's targets among those asked for. */
  targets: Audience[];
  /** The list's entries for the requested SKUs, by SKU. */
  bySku: Map<string, PriceListEntry>;
}

/** The lists of `currency` targeted at one of `keys` (and valid where `valid`), with these SKUs' breaks. */
async function loadLists(
  ctx: Ctx,
  currency: string,
  keys: readonly string[],
  wanted: readonly string[],
  valid: SQL,
): Promise<LoadedList[]> {
  const found = rows<{
    id: string;
    valid_from: string | Date | null;
    valid_to: string | Date | null;
    valid_from_us: string | null;
    valid_to_us: string | null;
    targets: string[];
    breaks: { sku: string; min_quantity: string; unit_price: string }[] | string | null;
  }>(
    await ctx.tx.execute(sql`select l.id, l.valid_from, l.valid_to, ${micros('l.valid_from')}, ${micros('l.valid_to')},
        array(select pt.target_key from price_list_targets pt where pt.tenant_id = l.tenant_id and pt.price_list_id = l.id
               and pt.target_key in (select jsonb_array_elements_text(${json(keys)}::jsonb))) as targets,
        (select jsonb_agg(jsonb_build_object('sku', e.sku, 'min_quantity', e.min_quantity::text, 'unit_price', e.unit_price::text))
           from price_list_entries e where e.tenant_id = l.tenant_id and e.price_list_id = l.id
            and e.sku = any(array(select jsonb_array_elements_text(${json(wanted)}::jsonb)))) as breaks
      from price_lists l
     where l.tenant_id = ${ctx.tenantId} and l.currency = ${currency} and ${valid}
       and exists (select 1 from price_list_targets pt where pt.tenant_id = l.tenant_id and pt.price_list_id = l.id
                    and pt.target_key in (select jsonb_array_elements_text(${json(keys)}::jsonb)))`),
  );
  return found.map((l) => {
    const breaks = (typeof l.breaks === 'string' ? JSON.parse(l.breaks) : l.breaks) as
      | { sku: string; min_quantity: string; unit_price: string }[]
      | null;
    const bySku = new Map<string, PriceListEntry>();
    for (const b of breaks ?? []) {
      let entry = bySku.get(b.sku);
      if (!entry) {
        entry = { sku: b.sku, breaks: [] };
        bySku.set(b.sku, entry);
      }
      (entry.breaks as PriceBreak[]).push({
        minQuantity: plain(b.min_quantity),
        unitPrice: plain(b.unit_price),
      });
    }
    return {
      id: l.id,
      valid_from: l.valid_from,
      valid_to: l.valid_to,
      from_us: bound(l.valid_from_us),
      to_us: bound(l.valid_to_us),
      targets: l.targets.map((k) => audienceOf(targetOfKey(k))),
      bySku,
    };
  });
}

async function loadDiscounts(
  ctx: Ctx,
  groupIds: readonly string[],
  valid: SQL,
): Promise<(DiscountRow & Bounds)[]> {
  return rows<DiscountRow & { valid_from_us: string | null; valid_to_us: string | null }>(
    await ctx.tx.execute(sql`select id, group_id, percent::text, skus, category_ids, valid_from, valid_to, created_at,
        ${micros('valid_from')}, ${micros('valid_to')}
      from group_discounts where tenant_id = ${ctx.tenantId} and ${valid}
       and group_id in (select jsonb_array_elements_text(${json(groupIds)}::jsonb))`),
  ).map((d) => ({ ...d, from_us: bound(d.valid_from_us), to_us: bound(d.valid_to_us) }));
}

async function loadPromotions(ctx: Ctx, valid: SQL): Promise<(PromotionRow & Bounds)[]> {
  return rows<PromotionRow & { valid_from_us: string | null; valid_to_us: string | null }>(
    await ctx.tx.execute(sql`select ${PROMO_COLUMNS}, ${micros('valid_from')}, ${micros('valid_to')}
      from promotions where tenant_id = ${ctx.tenantId} and ${valid}`),
  ).map((p) => ({
    ...p,
    // Parsed once (the cached rows are shared and never changed).
    targets: typeof p.targets === 'string' ? (JSON.parse(p.targets) as TargetInput[]) : p.targets,
    from_us: bound(p.valid_from_us),
    to_us: bound(p.valid_to_us),
  }));
}

/**
 * One line through the pure `resolvePrice`. A product hidden from this buyer is priced like an SKU
 * no list has (`sku-not-priced`): its price never tells that it exists.
 */
function resolveLine(pc: PriceContext, line: PriceLine, withBreaks = true): ResolvedLine {
  const { data, request } = inputsOf(pc, line.sku);
  const result: PriceResult = resolvePrice(data, request(line.quantity));
  // The buyer's break table: each break quantity of the lists that apply, priced at that quantity.
  const quantities = new Map<string, Dec>();
  for (const l of withBreaks ? data.priceLists : [])
    if (matchesBuyer(l.targets, pc))
      for (const e of l.entries)
        for (const b of e.breaks) {
          const d = new Dec(String(b.minQuantity));
          quantities.set(d.toString(), d);
        }
  const breaks: ResolvedLine['breaks'] = [];
  for (const [key] of [...quantities].sort((a, b) => a[1].comparedTo(b[1]))) {
    const at = resolvePrice(data, request(key));
    if (!at.ok || breaks.at(-1)?.unit_price.amount === at.unitPrice) continue;
    breaks.push({
      min_quantity: key,
      unit_price: { amount: at.unitPrice, currency: pc.currency },
      level: at.rule.level,
    });
  }
  const common = {
    sku: line.sku,
    quantity: line.quantity,
    currency: pc.currency,
    at: new Date(pc.at).toISOString(),
  };
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
      breaks,
    };
  const unit = { amount: result.unitPrice, currency: pc.currency };
  return {
    ...common,
    priced: true,
    unit_price: unit,
    line_total: lineTotal(unit, line.quantity),
    rule: snake(result.rule) as Record<string, unknown>,
    breakdown: snake(result.breakdown) as Record<string, unknown>[],
    reason: null,
    detail: null,
    breaks,
  };
}

/** What `resolvePrice` is given for one SKU of a price context, and its request at a quantity. */
function inputsOf(
  pc: PriceContext,
  sku: string,
): { data: PricingData; request: (quantity: string) => PriceRequest } {
  const product = pc.products.get(sku);
  const hidden = product !== undefined && !product.visible;
  const data: PricingData = {
    priceLists: pc.lists.map(({ list, bySku }) => {
      const entry = hidden ? undefined : bySku.get(sku);
      return { ...list, entries: entry ? [entry] : [] };
    }),
    groupDiscounts: pc.groupDiscounts,
    promotions: pc.promotions,
  };
  const request = (quantity: string): PriceRequest => ({
    accountId: pc.accountId,
    groupIds: pc.groupIds,
    storefrontId: pc.storefrontId,
    currency: pc.currency,
    sku,
    categoryPath: hidden ? [] : (product?.categoryPath ?? []),
    quantity,
    at: pc.at,
  });
  return { data, request };
}

/** Whether a list's targets name this buyer (the lists loaded all do; kept for clarity and safety). */
function matchesBuyer(targets: readonly Audience[], pc: PriceContext): boolean {
  return targets.some(
    (t) =>
      t.kind === 'all' ||
      (t.kind === 'storefront' && t.storefrontId === pc.storefrontId) ||
      (t.kind === 'group' && pc.groupIds.includes(t.groupId)) ||
      (t.kind === 'account' && t.accountId === pc.accountId),
  );
}

/**
 * Resolves many lines for one buyer, currency and date: the price context is loaded once (a constant
 * number of statements), then the one pure `resolvePrice` runs per line. Errors name the field
 * (`/lines/3/quantity`). An SKU without a price — unknown, hidden, or in no list — is a line with
 * `priced: false`, never an error.
 */
export async function resolvePriceBatch(
  ctx: Ctx,
  query: BatchQuery,
  part: 'query' | 'body' = 'body',
): Promise<{ data: ResolvedLine[]; total: Money }> {
  const { data, total } = await resolveLines(ctx, query, part);
  return { data, total };
}

/** `search`: lines of search hits (already visible to the caller; no break tables wanted). */
async function resolveLines(
  ctx: Ctx,
  query: BatchQuery,
  part: 'query' | 'body',
  search = false,
  placed?: PlacedSkus,
) {
  const { lines, ...rest } = query;
  const errors: FieldError[] = [];
  if (!isCurrency(rest.currency))
    errors.push({
      in: part,
      pointer: '/currency',
      detail: `${rest.currency} is not a supported ISO 4217 currency`,
    });
  lines.forEach((l, i) => {
    try {
      parseQuantity(l.quantity);
    } catch (err) {
      if (!(err instanceof MoneyError)) throw err;
      errors.push({
        in: part,
        pointer: part === 'query' ? '/quantity' : `/lines/${i}/quantity`,
        detail: err.message,
      });
    }
  });
  if (errors.length) throw invalid(errors.slice(0, 100));
  const q = await boundToViewer(ctx, rest, part);
  const pc = await loadPriceContext(
    ctx,
    q,
    lines.map((l) => l.sku),
    part,
    { knownVisible: search, placed },
  );
  const data = lines.map((l) => resolveLine(pc, l, !search));
  const hidden = lines.map((l) => {
    const p = pc.products.get(l.sku);
    return p && !p.visible ? p.productId : null;
  });
  return {
    data,
    hidden,
    total: sumMoney(
      data.flatMap((l) => (l.line_total ? [l.line_total] : [])),
      rest.currency,
    ),
  };
}

/**
 * One SKU: the batch with one line. For a buyer, a product hidden from them is a 404 here (as a
 * product read), where the batch prices it like an unknown SKU.
 */
export async function resolveUnitPrice(ctx: Ctx, query: ResolveQuery): Promise<ResolvedLine> {
  const { sku, quantity, ...rest } = query;
  const result = await resolveLines(ctx, { ...rest, lines: [{ sku, quantity }] }, 'query');
  if (result.hidden[0]) throw notFound(`Product ${result.hidden[0]}`);
  return result.data[0]!;
}

/**
 * How catalogue search prices its hits (installed with `setSearchPricing`): the caller's price of
 * each hit's line (first variant at its minimum order quantity), through the same price context and
 * `resolvePrice` as a cart.
 */
export const searchPricing: SearchPricing = {
  /**
   * The currency the caller's hits are priced in — the one asked for, else the storefront's default —
   * or null when the caller gets no prices: no `pricing.price.read`, or staff outside a storefront
   * without a currency.
   */
  async currency(ctx, requested) {
    if (!hasPermission(ctx.actor, 'pricing.price.read')) return null;
    if (requested) return requested;
    const viewer = await viewerOf(ctx);
    if (!viewer?.storefrontId) return null;
    return (await storefrontCurrencies(ctx, viewer.storefrontId)).currencies[0] ?? null;
  },

  /** The returned page's prices, with their rules, at `at`. */
  async page(ctx, lines, currency, at) {
    const { data } = await resolveLines(
      ctx,
      { currency, date: at, lines: lines.map(({ sku, quantity }) => ({ sku, quantity })) },
      'query',
      true,
      placedOf(lines),
    );
    return data.map((l) =>
      l.priced && l.unit_price
        ? { sku: l.sku, quantity: l.quantity, unit_price: l.unit_price, rule: l.rule ?? {} }
        : null,
    );
  },

  /**
   * The unit prices alone (null: no price) of a search's hit set, at `at`. A read-only request keeps
   * them in the read cache under `setKey` (what the hit set depends on) and this buyer (currency,
   * storefront, account — its groups follow from it), for as long as the price context's `window`
   * says they stay the same: a list or promotion that starts or ends later is a new computation, with
   * no write. Any committed change of what prices are read from drops them (migration 0021).
   */
  async amounts(ctx, lines, currency, at, setKey) {
    const q = await boundToViewer(ctx, { currency, date: at } as Omit<BatchQuery, 'lines'>, 'query');
    const atUs = instantMicros(at);
    const key = `pricing:search-amounts:${JSON.stringify([currency, q.storefront_id ?? null, q.account_id ?? null, setKey])}`;
    // No set key: the set is not one the cache can name, so nothing is kept or shared.
    const fresh = (held: HeldAmounts) =>
      setKey !== null &&
      atUs !== null &&
      (held.from === null || held.from <= atUs) &&
      (held.to === null || atUs < held.to);
    const held = await cachedReadWhile(
      ctx,
      key,
      async (): Promise<HeldAmounts> => {
        const pc = await loadPriceContext(
          ctx,
          q,
          lines.map((l) => l.sku),
          'query',
          {
            knownVisible: true,
            many: true,
            placed: placedOf(lines),
          },
        );
        const amounts = lines.map((l) => {
          const { data, request } = inputsOf(pc, l.sku);
          const r = resolvePrice(data, request(l.quantity));
          return r.ok ? r.unitPrice : null;
        });
        // Without a window (the cache is off, or the date is not one it reads exactly), what is
        // computed is never fresh for a later reader.
        return pc.window ? { amounts, ...pc.window } : { amounts, from: null, to: -FAR };
      },
      fresh,
      // A price is a short string: about a hundredth of a product page each.
      1 + Math.ceil(lines.length / 100),
    );
    return held.amounts;
  },
};

/** What a search already knows of its hits' products (`HitLine.product`), by SKU. */
type PlacedSkus = ReadonlyMap<string, { productId: string; categoryPath: string[] }>;
const placedOf = (lines: readonly HitLine[]): PlacedSkus =>
  new Map(
    lines.flatMap((l) =>
      l.product ? [[l.sku, { productId: l.product.id, categoryPath: l.product.categoryPath }]] : [],
    ),
  );

interface HeldAmounts {
  amounts: (string | null)[];
  from: bigint | null;
  to: bigint | null;
}
