import {
  bigint,
  boolean,
  customType,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  unique,
} from 'drizzle-orm/pg-core';
import { ts } from '../../platform/db/columns.ts';
import type { AttributeDefinition, Translations } from './rules.ts';

/** Catalogue tables. Migration: 0008_catalog.sql (the source of truth, with RLS and indexes). */

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** The languages a tenant's catalogue texts must exist in. One row per tenant, created on demand. */
export const catalogSettings = pgTable('catalog_settings', {
  tenantId: text('tenant_id').primaryKey(),
  languages: text('languages').array().notNull(),
  updatedAt: ts('updated_at').notNull(),
});

export const families = pgTable(
  'catalog_families',
  {
    tenantId: text('tenant_id').notNull(),
    /** `fam_…` */
    id: text('id').notNull(),
    /** Stable key for imports, e.g. `power-drills`. */
    code: text('code').notNull(),
    name: jsonb('name').$type<Translations>().notNull(),
    /** The attribute definitions variants of this family are typed against. */
    attributes: jsonb('attributes').$type<AttributeDefinition[]>().notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), unique().on(t.tenantId, t.code)],
);

export const categories = pgTable(
  'catalog_categories',
  {
    tenantId: text('tenant_id').notNull(),
    /** `cat_…` */
    id: text('id').notNull(),
    code: text('code').notNull(),
    /** Null for a root category. */
    parentId: text('parent_id'),
    /** Order among siblings. */
    position: integer('position').notNull(),
    name: jsonb('name').$type<Translations>().notNull(),
    description: jsonb('description').$type<Translations>().notNull(),
    /** Inactive categories are hidden from buyers and do not count for completeness. */
    active: boolean('active').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), unique().on(t.tenantId, t.code)],
);

export const brands = pgTable(
  'catalog_brands',
  {
    tenantId: text('tenant_id').notNull(),
    /** `brand_…` */
    id: text('id').notNull(),
    code: text('code').notNull(),
    /** Brand names are not translated. */
    name: text('name').notNull(),
    description: jsonb('description').$type<Translations>().notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), unique().on(t.tenantId, t.code)],
);

export const products = pgTable(
  'catalog_products',
  {
    tenantId: text('tenant_id').notNull(),
    /** `prod_…` */
    id: text('id').notNull(),
    /** The product reference: the ERP's key for bulk upserts. */
    code: text('code').notNull(),
    familyId: text('family_id').notNull(),
    brandId: text('brand_id'),
    status: text('status', { enum: ['draft', 'active', 'discontinued'] }).notNull(),
    /** For a discontinued product: what to buy instead. */
    replacementId: text('replacement_id'),
    /** Resolved to a VAT rate by the tax rules (`standard`, `reduced`, …). */
    taxCategory: text('tax_category').notNull(),
    name: jsonb('name').$type<Translations>().notNull(),
    description: jsonb('description').$type<Translations>().notNull(),
    /** Attribute values shared by all variants (a variant's own value wins). */
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull(),
    /** 0–100, recomputed on every change of the product or what it depends on (rules.ts). */
    completeness: integer('completeness').notNull(),
    completenessMissing: jsonb('completeness_missing').notNull(),
    /** Maintained by service.ts (refreshSearch): names/descriptions per language, SKUs, brand. */
    searchDocument: tsvector('search_document').notNull(),
    /** Unaccented lower-case names and SKUs, for trigram (typo-tolerant) matching. */
    searchText: text('search_text').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), unique().on(t.tenantId, t.code)],
);

export const variants = pgTable(
  'catalog_variants',
  {
    tenantId: text('tenant_id').notNull(),
    /** `var_…` */
    id: text('id').notNull(),
    productId: text('product_id').notNull(),
    /** Unique per tenant. */
    sku: text('sku').notNull(),
    /** GTIN-8/12/13/14 with a verified check digit. */
    gtin: text('gtin'),
    /** Manufacturer part number. */
    mpn: text('mpn'),
    /** Variant label, e.g. {"fr": "Boîte de 100"}. */
    name: jsonb('name').$type<Translations>().notNull(),
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull(),
    /** Unit quantities are counted in: piece, m, kg, l… */
    unit: text('unit').notNull(),
    /** Units per sale pack (sold by box of N). */
    packSize: integer('pack_size').notNull(),
    minOrderQty: integer('min_order_qty').notNull(),
    orderMultiple: integer('order_multiple').notNull(),
    weight: numeric('weight'),
    weightUnit: text('weight_unit').notNull(),
    length: numeric('length'),
    width: numeric('width'),
    height: numeric('height'),
    dimensionUnit: text('dimension_unit').notNull(),
    position: integer('position').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), unique().on(t.tenantId, t.sku)],
);

export const productCategories = pgTable(
  'catalog_product_categories',
  {
    tenantId: text('tenant_id').notNull(),
    productId: text('product_id').notNull(),
    categoryId: text('category_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.productId, t.categoryId] })],
);

export const relations = pgTable(
  'catalog_relations',
  {
    tenantId: text('tenant_id').notNull(),
    productId: text('product_id').notNull(),
    /** `accessory` (sold with) or `substitute` (instead of). */
    kind: text('kind', { enum: ['accessory', 'substitute'] }).notNull(),
    relatedProductId: text('related_product_id').notNull(),
    position: integer('position').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.productId, t.kind, t.relatedProductId] })],
);

export const media = pgTable(
  'catalog_media',
  {
    tenantId: text('tenant_id').notNull(),
    /** `med_…` */
    id: text('id').notNull(),
    productId: text('product_id').notNull(),
    /** Set when the medium shows one variant only. */
    variantId: text('variant_id'),
    kind: text('kind', { enum: ['image', 'datasheet', 'safety_sheet'] }).notNull(),
    /** Where the bytes are in the object store. */
    objectKey: text('object_key').notNull(),
    contentType: text('content_type').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    /** Hex SHA-256 of the bytes. */
    checksumSha256: text('checksum_sha256').notNull(),
    /** Alt text or document title, translated. */
    title: jsonb('title').$type<Translations>().notNull(),
    /** A document that exists in one language only (a safety sheet). */
    locale: text('locale'),
    position: integer('position').notNull(),
    /** When the bytes were received through the API (migration 0015); null: metadata of an object put there otherwise. */
    uploadedAt: ts('uploaded_at'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), unique().on(t.tenantId, t.objectKey)],
);

export type FamilyRow = typeof families.$inferSelect;
export type CategoryRow = typeof categories.$inferSelect;
export type BrandRow = typeof brands.$inferSelect;
export type ProductRow = typeof products.$inferSelect;
export type VariantRow = typeof variants.$inferSelect;
export type MediaRow = typeof media.$inferSelect;
