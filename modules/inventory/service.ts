import { sql } from 'drizzle-orm';
import { audit, changesOf } from '../../platform/audit/record.ts';
import type { Ctx } from '../../platform/context.ts';
import { rows } from '../../platform/db/database.ts';
import { publish } from '../../platform/events/outbox.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { AppError, conflict, type FieldError, notFound } from '../../platform/http/problems.ts';
import { newId } from '../../platform/ids.ts';
import { assertProductVisible } from '../catalog/search.ts';
import { getVariant, listProductVariants, skuOwners } from '../catalog/service.ts';
import { Dec } from '../pricing/money.ts';
import './events.ts';
import {
  type Availability,
  type AvailabilitySettings,
  availabilityOf,
  DEFAULT_AVAILABILITY_SETTINGS,
  dateProblem,
  type LevelInput,
  plainQuantity,
  quantityProblem,
  totalsOf,
} from './rules.ts';

const iso = (v: string | Date) => new Date(v).toISOString();
const plain = (v: string) => plainQuantity(new Dec(v));
const json = (v: unknown) => JSON.stringify(v);
/** Today's date in UTC (`YYYY-MM-DD`): restock dates before it are overdue. */
const todayUtc = () => new Date().toISOString().slice(0, 10);

function invalid(errors: FieldError[]): AppError {
  const first = errors[0]!;
  return new AppError(
    'validation-error',
    errors.length > 1
      ? `${errors.length} problem(s); nothing was saved. First: ${first.pointer.slice(1)} ${first.detail}`
      : `${first.pointer.slice(1)} ${first.detail}`,
    errors.slice(0, 500),
  );
}

// ─── Settings ───────────────────────────────────────────────────────────────────────────────

export interface InventorySettingsView extends AvailabilitySettings {
  updated_at: string | null;
}

export async function getInventorySettings(ctx: Ctx): Promise<InventorySettingsView> {
  const [row] = rows<{
    low_stock_threshold: string;
    quantity_display: 'exact' | 'status';
    default_lead_time_days: number | null;
    updated_at: string | Date;
  }>(
    await ctx.tx.execute(sql`select low_stock_threshold::text, quantity_display, default_lead_time_days, updated_at
      from inventory_settings where tenant_id = ${ctx.tenantId}`),
  );
  if (!row) return { ...DEFAULT_AVAILABILITY_SETTINGS, updated_at: null };
  return {
    low_stock_threshold: plain(row.low_stock_threshold),
    quantity_display: row.quantity_display,
    default_lead_time_days: row.default_lead_time_days,
    updated_at: iso(row.updated_at),
  };
}

export async function updateInventorySettings(
  ctx: Ctx,
  patch: Partial<AvailabilitySettings>,
): Promise<InventorySettingsView> {
  if (patch.low_stock_threshold !== undefined) {
    const p = quantityProblem(patch.low_stock_threshold);
    if (p) throw invalid([{ in: 'body', pointer: '/low_stock_threshold', detail: p }]);
  }
  const before = await getInventorySettings(ctx);
  const next = { ...before, ...patch };
  await ctx.tx.execute(sql`insert into inventory_settings (tenant_id, low_stock_threshold, quantity_display,
      default_lead_time_days, updated_at)
    values (${ctx.tenantId}, ${next.low_stock_threshold}::numeric, ${next.quantity_display},
            ${next.default_lead_time_days}, now())
    on conflict (tenant_id) do update set low_stock_threshold = excluded.low_stock_threshold,
      quantity_display = excluded.quantity_display, default_lead_time_days = excluded.default_lead_time_days,
      updated_at = now()`);
  const after = await getInventorySettings(ctx);
  const changes = changesOf({ ...before }, { ...after });
  await audit(ctx, {
    action: 'inventory.settings.update',
    resource: { type: 'inventory_settings', id: ctx.tenantId },
    changes,
  });
  await publish(ctx, 'inventory.settings.changed', { changed: Object.keys(changes ?? {}) });
  return after;
}

// ─── Warehouses ─────────────────────────────────────────────────────────────────────────────

export interface Warehouse {
  id: string;
  code: string;
  name: string;
  active: boolean;
  created_at: string;
  updated_at: string;
}

export interface WarehouseInput {
  code: string;
  name: string;
  active?: boolean;
}

interface WarehouseRow {
  id: string;
  code: string;
  name: string;
  active: boolean;
  created_at: string | Date;
  updated_at: string | Date;
}

const toWarehouse = (r: WarehouseRow): Warehouse => ({
  id: r.id,
  code: r.code,
  name: r.name,
  active: r.active,
  created_at: iso(r.created_at),
  updated_at: iso(r.updated_at),
});

export async function getWarehouse(ctx: Ctx, id: string): Promise<Warehouse> {
  const [row] = rows<WarehouseRow>(
    await ctx.tx.execute(sql`select id, code, name, active, created_at, updated_at from inventory_warehouses
      where tenant_id = ${ctx.tenantId} and id = ${id}`),
  );
  if (!row) throw notFound(`Warehouse ${id}`);
  return toWarehouse(row);
}

async function assertCodeFree(ctx: Ctx, code: string, exceptId?: string) {
  const [other] = rows<{ id: string }>(
    await ctx.tx.execute(
      sql`select id from inventory_warehouses where tenant_id = ${ctx.tenantId} and code = ${code}`,
    ),
  );
  if (other && other.id !== exceptId)
    throw new AppError('conflict', `Warehouse ${other.id} already has the code "${code}".`, [
      { in: 'body', pointer: '/code', detail: `is already the code of warehouse ${other.id}` },
    ]);
}

export async function createWarehouse(ctx: Ctx, input: WarehouseInput): Promise<Warehouse> {
  await assertCodeFree(ctx, input.code);
  const id = newId('wh');
  await ctx.tx.execute(sql`insert into inventory_warehouses (tenant_id, id, code, name, active)
    values (${ctx.tenantId}, ${id}, ${input.code}, ${input.name.trim()}, ${input.active ?? true})`);
  const created = await getWarehouse(ctx, id);
  await audit(ctx, {
    action: 'inventory.warehouse.create',
    resource: { type: 'warehouse', id },
    changes: changesOf(null, { ...created }),
  });
  await publish(ctx, 'inventory.warehouse.changed', { warehouse_id: id, change: 'created' });
  return created;
}

export async function updateWarehouse(
  ctx: Ctx,
  id: string,
  patch: Partial<WarehouseInput>,
): Promise<Warehouse> {
  const current = await getWarehouse(ctx, id);
  if (patch.code !== undefined && patch.code !== current.code) await assertCodeFree(ctx, patch.code, id);
  await ctx.tx.execute(sql`update inventory_warehouses set code = ${patch.code ?? current.code},
      name = ${patch.name?.trim() ?? current.name}, active = ${patch.active ?? current.active}, updated_at = now()
    where tenant_id = ${ctx.tenantId} and id = ${id}`);
  const updated = await getWarehouse(ctx, id);
  await audit(ctx, {
    action: 'inventory.warehouse.update',
    resource: { type: 'warehouse', id },
    changes: changesOf({ ...current }, { ...updated }),
  });
  await publish(ctx, 'inventory.warehouse.changed', { warehouse_id: id, change: 'updated' });
  return updated;
}

/** A warehouse still holding or owing stock is not deleted (409): deactivate it instead. */
export async function deleteWarehouse(ctx: Ctx, id: string): Promise<void> {
  const current = await getWarehouse(ctx, id);
  const [held] = rows<{ n: number }>(
    await ctx.tx.execute(sql`select count(*)::int as n from inventory_stock_levels
      where tenant_id = ${ctx.tenantId} and warehouse_id = ${id} and (on_hand > 0 or reserved > 0)`),
  );
  if (held && held.n > 0)
    throw conflict(
      `Warehouse ${current.code} still holds or owes stock of ${held.n} variant(s): set their quantities to zero, or deactivate the warehouse.`,
    );
  await ctx.tx.execute(
    sql`delete from inventory_warehouses where tenant_id = ${ctx.tenantId} and id = ${id}`,
  );
  await audit(ctx, {
    action: 'inventory.warehouse.delete',
    resource: { type: 'warehouse', id },
    changes: changesOf({ ...current }, null),
  });
  await publish(ctx, 'inventory.warehouse.changed', { warehouse_id: id, change: 'deleted' });
}

export async function listWarehouses(ctx: Ctx, f: { limit: number; cursor?: string; active?: boolean }) {
  const after = decodeCursor(f.cursor);
  const fetched = rows<WarehouseRow>(
    await ctx.tx.execute(sql`select id, code, name, active, created_at, updated_at from inventory_warehouses
      where tenant_id = ${ctx.tenantId}
        ${f.active === undefined ? sql`` : sql`and active = ${f.active}`}
        ${after ? sql`and id > ${String(after[0])}` : sql``}
      order by id limit ${f.limit + 1}`),
  );
  return toPage(fetched, f.limit, (r) => [r.id], toWarehouse);
}

// ─── Stock levels ───────────────────────────────────────────────────────────────────────────

export interface StockLevel {
  warehouse_id: string;
  warehouse_code: string;
  warehouse_name: string;
  warehouse_active: boolean;
  on_hand: string;
  reserved: string;
  /** on_hand − reserved, never below zero. */
  available: string;
  restock_date: string | null;
  restock_quantity: string | null;
  updated_at: string;
}

export interface VariantStock {
  variant_id: string;
  sku: string;
  product_id: string;
  levels: StockLevel[];
  /** Over the active warehouses. */
  totals: { on_hand: string; reserved: string; available: string };
  /** What a buyer is told (status, dates), with every quantity: the staff's view. */
  availability: Availability;
}

interface LevelRow {
  variant_id: string;
  warehouse_id: string;
  warehouse_code: string;
  warehouse_name: string;
  warehouse_active: boolean;
  on_hand: string;
  reserved: string;
  restock_date: string | null;
  restock_quantity: string | null;
  updated_at: string | Date;
}

/** The levels of these variants, in warehouse code order. */
async function levelsOf(ctx: Ctx, variantIds: string[]): Promise<Map<string, StockLevel[]>> {
  const out = new Map<string, StockLevel[]>(variantIds.map((id) => [id, []]));
  if (!variantIds.length) return out;
  const found = rows<LevelRow>(
    await ctx.tx.execute(sql`select l.variant_id, l.warehouse_id, w.code as warehouse_code, w.name as warehouse_name,
        w.active as warehouse_active, l.on_hand::text, l.reserved::text, l.restock_date::text,
        l.restock_quantity::text, l.updated_at
      from inventory_stock_levels l
      join inventory_warehouses w on w.tenant_id = l.tenant_id and w.id = l.warehouse_id
      where l.tenant_id = ${ctx.tenantId}
        and l.variant_id in (select jsonb_array_elements_text(${json(variantIds)}::jsonb))
      order by l.variant_id, w.code`),
  );
  for (const r of found) {
    const available = new Dec(r.on_hand).minus(r.reserved);
    out.get(r.variant_id)?.push({
      warehouse_id: r.warehouse_id,
      warehouse_code: r.warehouse_code,
      warehouse_name: r.warehouse_name,
      warehouse_active: r.warehouse_active,
      on_hand: plain(r.on_hand),
      reserved: plain(r.reserved),
      available: plainQuantity(available.isNegative() ? new Dec(0) : available),
      restock_date: r.restock_date,
      restock_quantity: r.restock_quantity === null ? null : plain(r.restock_quantity),
      updated_at: iso(r.updated_at),
    });
  }
  return out;
}

const asInput = (l: StockLevel): LevelInput => ({
  warehouse_active: l.warehouse_active,
  on_hand: l.on_hand,
  reserved: l.reserved,
  restock_date: l.restock_date,
  restock_quantity: l.restock_quantity,
});

export async function getVariantStock(ctx: Ctx, variantId: string): Promise<VariantStock> {
  const variant = await getVariant(ctx, variantId);
  const levels = (await levelsOf(ctx, [variantId])).get(variantId) ?? [];
  const settings = await getInventorySettings(ctx);
  const totals = totalsOf(levels.map(asInput));
  return {
    variant_id: variant.id,
    sku: variant.sku,
    product_id: variant.product_id,
    levels,
    totals: {
      on_hand: plainQuantity(totals.on_hand),
      reserved: plainQuantity(totals.reserved),
      available: plainQuantity(totals.available),
    },
    availability: availabilityOf(levels.map(asInput), { ...settings, quantity_display: 'exact' }, todayUtc()),
  };
}

export interface LevelInputBody {
  warehouse_id: string;
  on_hand: string;
  restock_date?: string | null;
  restock_quantity?: string | null;
}

function checkLevelFields(
  errors: FieldError[],
  at: string,
  l: {
    on_hand: string;
    restock_date?: string | null | undefined;
    restock_quantity?: string | null | undefined;
  },
) {
  const p = quantityProblem(l.on_hand);
  if (p) errors.push({ in: 'body', pointer: `${at}/on_hand`, detail: p });
  if (l.restock_date != null) {
    const d = dateProblem(l.restock_date);
    if (d) errors.push({ in: 'body', pointer: `${at}/restock_date`, detail: d });
  }
  if (l.restock_quantity != null) {
    const q = quantityProblem(l.restock_quantity, true);
    if (q) errors.push({ in: 'body', pointer: `${at}/restock_quantity`, detail: q });
  }
}

/** Upserts rows `[variant_id, warehouse_id, on_hand, restock_date, restock_quantity]`, in chunks. */
async function writeLevels(ctx: Ctx, values: [string, string, string, string | null, string | null][]) {
  for (let i = 0; i < values.length; i += 1000) {
    const chunk = values.slice(i, i + 1000);
    await ctx.tx.execute(sql`insert into inventory_stock_levels (tenant_id, variant_id, warehouse_id, on_hand,
        restock_date, restock_quantity, updated_at)
      select ${ctx.tenantId}, x->>0, x->>1, (x->>2)::numeric, (x->>3)::date, (x->>4)::numeric, now()
        from jsonb_array_elements(${json(chunk)}::jsonb) as x
      on conflict (tenant_id, variant_id, warehouse_id) do update set on_hand = excluded.on_hand,
        restock_date = excluded.restock_date, restock_quantity = excluded.restock_quantity, updated_at = now()`);
  }
}

const snapshot = (levels: StockLevel[]) =>
  Object.fromEntries(
    levels.map((l) => [
      l.warehouse_code,
      { on_hand: l.on_hand, restock_date: l.restock_date, restock_quantity: l.restock_quantity },
    ]),
  );

/**
 * Replaces a variant's stock levels: each warehouse listed gets exactly what is sent (absent restock
 * fields: none); a warehouse not listed no longer records the variant — refused (409) while it has
 * quantities reserved for orders. All or nothing, every problem named by its pointer.
 */
export async function putVariantStock(
  ctx: Ctx,
  variantId: string,
  levels: LevelInputBody[],
): Promise<VariantStock> {
  const before = await getVariantStock(ctx, variantId);
  const errors: FieldError[] = [];
  const known = new Set(
    rows<{ id: string }>(
      await ctx.tx.execute(sql`select id from inventory_warehouses where tenant_id = ${ctx.tenantId}
        and id in (select jsonb_array_elements_text(${json(levels.map((l) => l.warehouse_id))}::jsonb))`),
    ).map((r) => r.id),
  );
  const seen = new Map<string, number>();
  levels.forEach((l, i) => {
    const at = `/levels/${i}`;
    if (seen.has(l.warehouse_id))
      errors.push({
        in: 'body',
        pointer: `${at}/warehouse_id`,
        detail: `is also level ${seen.get(l.warehouse_id)}`,
      });
    seen.set(l.warehouse_id, i);
    if (!known.has(l.warehouse_id))
      errors.push({
        in: 'body',
        pointer: `${at}/warehouse_id`,
        detail: `"${l.warehouse_id}" is not a warehouse of this tenant`,
      });
    checkLevelFields(errors, at, l);
  });
  if (errors.length) throw invalid(errors);
  const dropped = before.levels.filter((l) => !seen.has(l.warehouse_id));
  const owed = dropped.find((l) => new Dec(l.reserved).gt(0));
  if (owed)
    throw conflict(
      `Warehouse ${owed.warehouse_code} has ${owed.reserved} reserved for orders: keep it in the levels (on hand may be 0).`,
    );
  if (dropped.length)
    await ctx.tx.execute(sql`delete from inventory_stock_levels where tenant_id = ${ctx.tenantId} and variant_id = ${variantId}
      and warehouse_id in (select jsonb_array_elements_text(${json(dropped.map((l) => l.warehouse_id))}::jsonb))`);
  await writeLevels(
    ctx,
    levels.map((l) => [
      variantId,
      l.warehouse_id,
      l.on_hand,
      l.restock_date ?? null,
      l.restock_quantity ?? null,
    ]),
  );
  const after = await getVariantStock(ctx, variantId);
  await audit(ctx, {
    action: 'inventory.stock.update',
    resource: { type: 'variant_stock', id: variantId },
    changes: changesOf(snapshot(before.levels), snapshot(after.levels)),
    metadata: { sku: after.sku, product_id: after.product_id },
  });
  await publish(ctx, 'inventory.stock.changed', { variant_ids: [variantId], source: 'variant' });
  return after;
}

// ─── Bulk upsert (ERP) ──────────────────────────────────────────────────────────────────────

export const BULK_MAX_LINES = 5000;

/** One line of an ERP's stock file: a SKU in a warehouse, by code. */
export interface BulkStockLine {
  sku: string;
  warehouse_code: string;
  on_hand: string;
  /** Absent: kept; null: none expected. */
  restock_date?: string | null;
  restock_quantity?: string | null;
}

export interface BulkStockResult {
  created: number;
  updated: number;
  unchanged: number;
  items: {
    index: number;
    sku: string;
    warehouse_code: string;
    variant_id: string;
    result: 'created' | 'updated' | 'unchanged';
  }[];
}

/**
 * Sets the stock of SKUs in warehouses (by code, as an ERP knows them), in the caller's transaction,
 * all or nothing: every line is checked first and any problem refuses the whole call with each one
 * named by its pointer (`/items/12/on_hand`). Values are absolute, so sending the same file twice
 * changes nothing the second time (each line `unchanged`). Lines not sent are kept.
 */
export async function bulkUpsertStockLevels(ctx: Ctx, items: BulkStockLine[]): Promise<BulkStockResult> {
  const errors: FieldError[] = [];
  const add = (pointer: string, detail: string) => errors.push({ in: 'body', pointer, detail });
  const owners = await skuOwners(ctx, [...new Set(items.map((i) => i.sku))]);
  const whByCode = new Map(
    rows<{ id: string; code: string }>(
      await ctx.tx.execute(sql`select id, code from inventory_warehouses where tenant_id = ${ctx.tenantId}`),
    ).map((w) => [w.code, w.id]),
  );
  const variantIds = [...new Set([...owners.values()].map((o) => o.id))];
  const current = new Map<string, StockLevel>();
  for (let i = 0; i < variantIds.length; i += 2000) {
    for (const [variantId, levels] of await levelsOf(ctx, variantIds.slice(i, i + 2000)))
      for (const l of levels) current.set(`${variantId}|${l.warehouse_id}`, l);
  }
  const seen = new Map<string, number>();
  const result: BulkStockResult = { created: 0, updated: 0, unchanged: 0, items: [] };
  const values: [string, string, string, string | null, string | null][] = [];
  items.forEach((line, i) => {
    const at = `/items/${i}`;
    const variant = owners.get(line.sku);
    const warehouseId = whByCode.get(line.warehouse_code);
    if (!variant) add(`${at}/sku`, `"${line.sku}" is not a SKU of this catalogue`);
    if (!warehouseId)
      add(`${at}/warehouse_code`, `"${line.warehouse_code}" is not a warehouse of this tenant`);
    const key = `${line.sku}|${line.warehouse_code}`;
    if (seen.has(key))
      add(`${at}/sku`, `"${line.sku}" in "${line.warehouse_code}" is also item ${seen.get(key)}`);
    seen.set(key, i);
    checkLevelFields(errors, at, line);
    if (!variant || !warehouseId || errors.length) return;
    const cur = current.get(`${variant.id}|${warehouseId}`);
    const restockDate = line.restock_date === undefined ? (cur?.restock_date ?? null) : line.restock_date;
    const restockQuantity =
      line.restock_quantity === undefined
        ? (cur?.restock_quantity ?? null)
        : line.restock_quantity === null
          ? null
          : plain(line.restock_quantity);
    const onHand = plain(line.on_hand);
    const outcome = !cur
      ? 'created'
      : cur.on_hand === onHand && cur.restock_date === restockDate && cur.restock_quantity === restockQuantity
        ? 'unchanged'
        : 'updated';
    result[outcome] += 1;
    result.items.push({
      index: i,
      sku: line.sku,
      warehouse_code: line.warehouse_code,
      variant_id: variant.id,
      result: outcome,
    });
    if (outcome !== 'unchanged') values.push([variant.id, warehouseId, onHand, restockDate, restockQuantity]);
  });
  if (errors.length) throw invalid(errors);
  await writeLevels(ctx, values);
  const changed = [...new Set(values.map((v) => v[0]))];
  await audit(ctx, {
    action: 'inventory.stock.bulk_upsert',
    resource: { type: 'variant_stock', id: null },
    metadata: {
      lines: items.length,
      created: result.created,
      updated: result.updated,
      unchanged: result.unchanged,
      variant_ids: changed.slice(0, 1000),
    },
  });
  if (changed.length) await publish(ctx, 'inventory.stock.changed', { variant_ids: changed, source: 'bulk' });
  return result;
}

// ─── The buyer's view ───────────────────────────────────────────────────────────────────────

export interface ProductAvailability {
  product_id: string;
  quantity_display: 'exact' | 'status';
  variants: ({ variant_id: string; sku: string } & Availability)[];
}

/**
 * The availability of a product's variants as the caller (a buyer) may see it: a product hidden from
 * them is a 404, exactly like its product read (the same visibility check). Quantities only when the
 * tenant shows them. `quantity`: how much of it can be had now, and when the rest comes.
 */
export async function productAvailability(
  ctx: Ctx,
  productId: string,
  opts: { quantity?: string; variant_id?: string } = {},
): Promise<ProductAvailability> {
  if (opts.quantity !== undefined) {
    const p = quantityProblem(opts.quantity, true);
    if (p) throw invalid([{ in: 'query', pointer: '/quantity', detail: p }]);
  }
  await assertProductVisible(ctx, productId);
  const variants = (await listProductVariants(ctx, productId)).data.filter(
    (v) => opts.variant_id === undefined || v.id === opts.variant_id,
  );
  if (opts.variant_id !== undefined && !variants.length)
    throw notFound(`Variant ${opts.variant_id} of product ${productId}`);
  const settings = await getInventorySettings(ctx);
  const levels = await levelsOf(
    ctx,
    variants.map((v) => v.id),
  );
  const today = todayUtc();
  return {
    product_id: productId,
    quantity_display: settings.quantity_display,
    variants: variants.map((v) => ({
      variant_id: v.id,
      sku: v.sku,
      ...availabilityOf((levels.get(v.id) ?? []).map(asInput), settings, today, opts.quantity),
    })),
  };
}
