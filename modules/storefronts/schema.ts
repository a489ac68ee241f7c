import { boolean, integer, jsonb, pgTable, primaryKey, text, unique } from 'drizzle-orm/pg-core';
import { ts } from '../../platform/db/columns.ts';

/**
 * Storefront tables. Migration: 0011_storefronts.sql (the source of truth, with RLS, checks and the
 * generated keys of visibility rules). The service queries them with Drizzle's `sql` template.
 */

export const storefronts = pgTable(
  'storefronts',
  {
    tenantId: text('tenant_id').notNull(),
    /** `sf_…` */
    id: text('id').notNull(),
    /** Stable key, e.g. `pro-distrib`. */
    code: text('code').notNull(),
    name: text('name').notNull(),
    /** `{logo_object_key, colors: {primary, …}}`, served to the web app by host. */
    theme: jsonb('theme').notNull(),
    /** Languages it is offered in; the first is its default. */
    languages: text('languages').array().notNull(),
    /** Currencies it sells in; the first is its default. */
    currencies: text('currencies').array().notNull(),
    status: text('status', { enum: ['active', 'inactive'] }).notNull(),
    /** The uploaded logo (migration 0018; all four null: no logo): its type, SHA-256 (the ETag), size. */
    logoContentType: text('logo_content_type', {
      enum: ['image/png', 'image/jpeg', 'image/webp', 'image/svg+xml'],
    }),
    logoSha256: text('logo_sha256'),
    logoSizeBytes: integer('logo_size_bytes'),
    logoUploadedAt: ts('logo_uploaded_at'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), unique().on(t.tenantId, t.code)],
);

export const storefrontDomains = pgTable(
  'storefront_domains',
  {
    tenantId: text('tenant_id').notNull(),
    /** Lower-case host name; also registered in tenant_domains (the global host → tenant directory). */
    host: text('host').notNull(),
    storefrontId: text('storefront_id').notNull(),
    /** True when this storefront created the tenant_domains entry (removed with the domain). */
    directoryEntry: boolean('directory_entry').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.host] })],
);

export const customerGroups = pgTable(
  'customer_groups',
  {
    tenantId: text('tenant_id').notNull(),
    /** `cgrp_…` */
    id: text('id').notNull(),
    /** Stable key, e.g. `distributors`. */
    code: text('code').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), unique().on(t.tenantId, t.code)],
);

/** Account ↔ group membership; an account may be in several groups. */
export const customerGroupMembers = pgTable(
  'customer_group_members',
  {
    tenantId: text('tenant_id').notNull(),
    groupId: text('group_id').notNull(),
    /** An account of modules/accounts. */
    accountId: text('account_id').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.groupId, t.accountId] })],
);

/** Subject (storefront | group | account) × target (all | category | product) → allow | deny. */
export const visibilityRules = pgTable(
  'visibility_rules',
  {
    tenantId: text('tenant_id').notNull(),
    /** `vis_…` */
    id: text('id').notNull(),
    subjectKind: text('subject_kind', { enum: ['storefront', 'group', 'account'] }).notNull(),
    /** Exactly one of the three subject columns is set, the one `subject_kind` names. */
    storefrontId: text('storefront_id'),
    groupId: text('group_id'),
    accountId: text('account_id'),
    targetKind: text('target_kind', { enum: ['all', 'category', 'product'] }).notNull(),
    /** Set for a category target (covers its sub-categories too). */
    categoryId: text('category_id'),
    /** Set for a product target. */
    productId: text('product_id'),
    effect: text('effect', { enum: ['allow', 'deny'] }).notNull(),
    /** Generated `kind:id`: one rule per subject and target. */
    subjectKey: text('subject_key').notNull(),
    /** Generated `kind:id` (`all:*` for the whole catalogue). */
    targetKey: text('target_key').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), unique().on(t.tenantId, t.subjectKey, t.targetKey)],
);
