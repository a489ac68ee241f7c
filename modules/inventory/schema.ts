import { boolean, date, integer, numeric, pgTable, primaryKey, text, unique } from 'drizzle-orm/pg-core';
import { ts } from '../../platform/db/columns.ts';

/**
 * Inventory tables. Migration: 0017_inventory.sql (the source of truth, with RLS and checks).
 * Quantities are `numeric` (≤ 4 decimals), read as strings — never floating point. The service
 * queries with Drizzle's `sql` template.
 */

export const warehouses = pgTable(
  'inventory_warehouses',
  {
    tenantId: text('tenant_id').notNull(),
    /** `wh_…` */
    id: text('id').notNull(),
    /** Stable key of ERP imports, e.g. `LYON-1`. */
    code: text('code').notNull(),
    name: text('name').notNull(),
    /** An inactive warehouse's stock is not offered to buyers (kept for the staff). */
    active: boolean('active').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), unique().on(t.tenantId, t.code)],
);

/** The stock of one variant in one warehouse. */
export const stockLevels = pgTable(
  'inventory_stock_levels',
  {
    tenantId: text('tenant_id').notNull(),
    variantId: text('variant_id').notNull(),
    warehouseId: text('warehouse_id').notNull(),
    /** Physically in the warehouse, ≥ 0. */
    onHand: numeric('on_hand', { precision: 18, scale: 4 }).notNull(),
    /** Promised to orders not shipped yet — written by ordering, never by the stock API. */
    reserved: numeric('reserved', { precision: 18, scale: 4 }).notNull(),
    /** Expected arrival of the next delivery (a calendar date), if known. */
    restockDate: date('restock_date', { mode: 'string' }),
    /** That delivery's quantity, if known (an open purchase order). */
    restockQuantity: numeric('restock_quantity', { precision: 18, scale: 4 }),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.variantId, t.warehouseId] })],
);

/** What buyers are told; no row: the defaults (rules.ts `DEFAULT_AVAILABILITY_SETTINGS`). */
export const inventorySettings = pgTable(
  'inventory_settings',
  {
    tenantId: text('tenant_id').notNull(),
    /** At or below (and above zero): "low stock". */
    lowStockThreshold: numeric('low_stock_threshold', { precision: 18, scale: 4 }).notNull(),
    /** `exact`: buyers see quantities; `status`: only in stock / low / out. */
    quantityDisplay: text('quantity_display', { enum: ['exact', 'status'] }).notNull(),
    /** Days to restock when out of stock without a known date; null: unknown. */
    defaultLeadTimeDays: integer('default_lead_time_days'),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId] })],
);
