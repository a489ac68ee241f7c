import { boolean, integer, jsonb, numeric, pgTable, primaryKey, text, unique } from 'drizzle-orm/pg-core';
import { ts } from '../../platform/db/columns.ts';

/**
 * Pricing tables. Migration: 0012_pricing.sql (the source of truth, with RLS and checks). Amounts are
 * `numeric`, read as strings — never floating point. The service queries with Drizzle's `sql` template.
 */

export const priceLists = pgTable(
  'price_lists',
  {
    tenantId: text('tenant_id').notNull(),
    /** `pl_…` */
    id: text('id').notNull(),
    /** Stable key for imports, e.g. `public-2026`. */
    code: text('code').notNull(),
    name: text('name').notNull(),
    /** ISO 4217; one currency per list. */
    currency: text('currency').notNull(),
    /** Included; null: always since. */
    validFrom: ts('valid_from'),
    /** Excluded; null: until further notice. */
    validTo: ts('valid_to'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), unique().on(t.tenantId, t.code)],
);

/** Who a list is for: `all` (the default list), a storefront, a customer group or an account (contract). */
export const priceListTargets = pgTable(
  'price_list_targets',
  {
    tenantId: text('tenant_id').notNull(),
    priceListId: text('price_list_id').notNull(),
    kind: text('kind', { enum: ['all', 'storefront', 'group', 'account'] }).notNull(),
    storefrontId: text('storefront_id'),
    groupId: text('group_id'),
    accountId: text('account_id'),
    /** Generated `kind:id` (`all:*`). */
    targetKey: text('target_key').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.priceListId, t.targetKey] })],
);

/** A quantity break: from `min_quantity` on, `unit_price` (excl. tax, ≤ 4 decimals). */
export const priceListEntries = pgTable(
  'price_list_entries',
  {
    tenantId: text('tenant_id').notNull(),
    priceListId: text('price_list_id').notNull(),
    /** Not a foreign key: prices may be loaded before the product. */
    sku: text('sku').notNull(),
    minQuantity: numeric('min_quantity', { precision: 18, scale: 4 }).notNull(),
    unitPrice: numeric('unit_price', { precision: 18, scale: 4 }).notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.priceListId, t.sku, t.minQuantity] })],
);

/** Percent off the public price for a customer group, on everything or on SKUs / categories. */
export const groupDiscounts = pgTable(
  'group_discounts',
  {
    tenantId: text('tenant_id').notNull(),
    /** `gdsc_…` */
    id: text('id').notNull(),
    groupId: text('group_id').notNull(),
    percent: numeric('percent', { precision: 7, scale: 4 }).notNull(),
    /** Empty with `categoryIds` empty: the whole catalogue. */
    skus: text('skus').array().notNull(),
    categoryIds: text('category_ids').array().notNull(),
    validFrom: ts('valid_from'),
    validTo: ts('valid_to'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);

export const promotions = pgTable(
  'promotions',
  {
    tenantId: text('tenant_id').notNull(),
    /** `promo_…` */
    id: text('id').notNull(),
    name: text('name').notNull(),
    /** `[{kind: 'all'} | {kind: 'storefront' | 'group' | 'account', id}]`. */
    targets: jsonb('targets').notNull(),
    skus: text('skus').array().notNull(),
    categoryIds: text('category_ids').array().notNull(),
    discountKind: text('discount_kind', { enum: ['percent', 'amount'] }).notNull(),
    percent: numeric('percent', { precision: 7, scale: 4 }),
    /** A fixed amount off the unit price, only on prices in `amount_currency`. */
    amount: numeric('amount', { precision: 18, scale: 4 }),
    amountCurrency: text('amount_currency'),
    stackable: boolean('stackable').notNull(),
    /** Among non-stackable promotions, the highest applies. */
    priority: integer('priority').notNull(),
    /** Not applied on contract or group list prices. */
    excludeNetPrices: boolean('exclude_net_prices').notNull(),
    validFrom: ts('valid_from'),
    validTo: ts('valid_to'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] })],
);
