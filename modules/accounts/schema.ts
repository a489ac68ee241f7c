import { pgTable, primaryKey, text, unique } from 'drizzle-orm/pg-core';
import { ts } from '../../platform/db/columns.ts';

/** Customer accounts: the companies that buy from the merchant. Migration: 0002_accounts.sql. */
export const accounts = pgTable(
  'accounts',
  {
    tenantId: text('tenant_id').notNull(),
    /** `acct_…` */
    id: text('id').notNull(),
    /** Trading name shown to staff and buyers. */
    name: text('name').notNull(),
    /** Registered name printed on invoices, when it differs from the trading name. */
    legalName: text('legal_name'),
    /** ISO 3166-1 alpha-2 country of registration. */
    country: text('country').notNull(),
    /** French establishment number (14 digits, Luhn-checked). */
    siret: text('siret'),
    /** Intra-community VAT number, with its country prefix. */
    vatNumber: text('vat_number'),
    /** The ERP's identifier, unique per tenant, so a sync can upsert idempotently. */
    externalRef: text('external_ref'),
    status: text('status', { enum: ['active', 'blocked'] }).notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), unique().on(t.tenantId, t.externalRef)],
);

export type AccountRow = typeof accounts.$inferSelect;
