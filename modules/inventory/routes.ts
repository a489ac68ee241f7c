import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../../platform/db/database.ts';
import { Page, PageQuery } from '../../platform/http/pagination.ts';
import { Nullable } from '../../platform/http/schemas.ts';
import { inTenant } from '../../platform/http/tenant-handler.ts';
import { IdSchema } from '../../platform/ids.ts';
import {
  BULK_MAX_LINES,
  bulkUpsertStockLevels,
  createWarehouse,
  deleteWarehouse,
  getInventorySettings,
  getVariantStock,
  getWarehouse,
  listWarehouses,
  productAvailability,
  putVariantStock,
  updateInventorySettings,
  updateWarehouse,
} from './service.ts';

const Quantity = (description: string, example = '120') =>
  Type.String({
    maxLength: 24,
    description: `${description} — a decimal string, at most 4 decimals`,
    examples: [example],
  });
const DateOnly = Type.String({
  maxLength: 10,
  description: 'A calendar date (`YYYY-MM-DD`)',
  examples: ['2026-12-24'],
});
const WarehouseCode = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$',
  description: 'Stable key of ERP imports',
  examples: ['LYON-1'],
});
const Status = Type.Union(
  [
    Type.Literal('in_stock'),
    Type.Literal('low_stock'),
    Type.Literal('out_of_stock'),
    Type.Literal('on_order'),
    Type.Literal('on_request'),
  ],
  {
    description:
      '`in_stock`: more than the low-stock threshold available; `low_stock`: some, at most the threshold; `on_order`: none, a delivery of known quantity is expected; `out_of_stock`: none, no confirmed delivery; `on_request`: the variant is not stocked',
  },
);
const QuantityDisplay = Type.Union([Type.Literal('exact'), Type.Literal('status')], {
  description: '`exact`: buyers see quantities; `status`: only statuses, dates and lead times',
});
const Deleted = Type.Object({ id: Type.String(), deleted: Type.Literal(true) });

const WarehouseSchema = Type.Object(
  {
    id: IdSchema('wh'),
    code: Type.String(),
    name: Type.String(),
    active: Type.Boolean({ description: "An inactive warehouse's stock is not offered to buyers" }),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Warehouse', title: 'Warehouse' },
);
const warehouseFields = {
  code: WarehouseCode,
  name: Type.String({ minLength: 1, maxLength: 200, examples: ['Entrepôt de Lyon'] }),
  active: Type.Boolean(),
};
const CreateWarehouseBody = Type.Object(
  { code: warehouseFields.code, name: warehouseFields.name, active: Type.Optional(warehouseFields.active) },
  { additionalProperties: false },
);
const UpdateWarehouseBody = Type.Partial(Type.Object(warehouseFields), {
  additionalProperties: false,
  minProperties: 1,
});

const AvailabilitySchema = {
  status: Status,
  available_quantity: Nullable(Type.String({ description: 'Only when the tenant shows quantities' })),
  restock_date: Nullable(Type.String({ description: 'Next expected delivery (not before today), if known' })),
  restock_quantity: Nullable(
    Type.String({ description: 'Its quantity — only when the tenant shows quantities' }),
  ),
  lead_time_days: Nullable(
    Type.Integer({
      description: "None available and no delivery date known: the tenant's default lead time",
    }),
  ),
  request: Nullable(
    Type.Object(
      {
        quantity: Type.String(),
        fulfilment: Type.Union([Type.Literal('full'), Type.Literal('partial'), Type.Literal('none')]),
        available_now: Nullable(Type.String({ description: 'Only when the tenant shows quantities' })),
        backordered: Nullable(Type.String({ description: 'Only when the tenant shows quantities' })),
        rest_date: Nullable(
          Type.String({ description: 'When the rest is expected, if a delivery covers it' }),
        ),
        rest_lead_time_days: Nullable(Type.Integer({ description: 'Else in how many days, if known' })),
      },
      { description: 'Only when `quantity` was asked' },
    ),
  ),
};

const LevelSchema = Type.Object({
  warehouse_id: IdSchema('wh'),
  warehouse_code: Type.String(),
  warehouse_name: Type.String(),
  warehouse_active: Type.Boolean(),
  on_hand: Type.String(),
  reserved: Type.String({ description: 'Promised to orders not shipped yet (written by ordering)' }),
  available: Type.String({ description: 'on_hand − reserved, never below zero' }),
  restock_date: Nullable(Type.String()),
  restock_quantity: Nullable(Type.String()),
  updated_at: Type.String({ format: 'date-time' }),
});
const VariantStockSchema = Type.Object(
  {
    variant_id: IdSchema('var'),
    sku: Type.String(),
    product_id: IdSchema('prod'),
    levels: Type.Array(LevelSchema),
    totals: Type.Object(
      { on_hand: Type.String(), reserved: Type.String(), available: Type.String() },
      { description: 'Over the active warehouses' },
    ),
    availability: Type.Object(AvailabilitySchema, {
      description: 'What a buyer is told (status, dates), with every quantity',
    }),
  },
  { $id: 'VariantStock', title: "A variant's stock per warehouse" },
);
const PutStockBody = Type.Object(
  {
    levels: Type.Array(
      Type.Object(
        {
          warehouse_id: IdSchema('wh'),
          on_hand: Quantity('Units physically in the warehouse, ≥ 0'),
          restock_date: Type.Optional(Nullable(DateOnly)),
          restock_quantity: Type.Optional(Nullable(Quantity('Quantity of that delivery, > 0', '200'))),
        },
        { additionalProperties: false },
      ),
      { maxItems: 200 },
    ),
  },
  { additionalProperties: false },
);
const BulkLine = Type.Object(
  {
    sku: Type.String({ minLength: 1, maxLength: 64, examples: ['DISJ-C16-1P'] }),
    warehouse_code: Type.String({ minLength: 1, maxLength: 64, examples: ['LYON-1'] }),
    on_hand: Quantity('Units physically in the warehouse, ≥ 0'),
    restock_date: Type.Optional(Nullable({ ...DateOnly, description: 'Absent: kept; null: none expected' })),
    restock_quantity: Type.Optional(
      Nullable(Quantity('Quantity of that delivery, > 0; absent: kept; null: unknown', '200')),
    ),
  },
  { additionalProperties: false },
);
const SettingsSchema = Type.Object(
  {
    low_stock_threshold: Type.String({ description: 'At or below it (and above zero): `low_stock`' }),
    quantity_display: QuantityDisplay,
    default_lead_time_days: Nullable(Type.Integer()),
    updated_at: Nullable(Type.String({ format: 'date-time', description: 'null: the defaults apply' })),
  },
  { $id: 'InventorySettings', title: "The tenant's availability settings" },
);
const SettingsBody = Type.Partial(
  Type.Object({
    low_stock_threshold: Quantity('At or below it (and above zero), a variant is `low_stock`', '5'),
    quantity_display: QuantityDisplay,
    default_lead_time_days: Nullable(
      Type.Integer({
        minimum: 0,
        maximum: 365,
        description: 'Days to restock when out of stock without a known date; null: unknown',
      }),
    ),
  }),
  { additionalProperties: false, minProperties: 1 },
);
const ProductAvailabilitySchema = Type.Object(
  {
    product_id: IdSchema('prod'),
    quantity_display: QuantityDisplay,
    variants: Type.Array(
      Type.Object({ variant_id: IdSchema('var'), sku: Type.String(), ...AvailabilitySchema }),
    ),
  },
  { $id: 'ProductAvailability', title: "A product's availability, as a buyer may see it" },
);

const P = {
  warehouse: Type.Object({ warehouse_id: IdSchema('wh') }),
  variant: Type.Object({ variant_id: IdSchema('var') }),
  product: Type.Object({ product_id: IdSchema('prod') }),
};

export function inventoryRoutes({ db }: { db: Database }): FastifyPluginAsyncTypebox {
  return async (app) => {
    for (const s of [WarehouseSchema, VariantStockSchema, SettingsSchema, ProductAvailabilitySchema])
      app.addSchema(s);
    const tags = ['Inventory'];
    const base = '/api/v1/inventory';

    // Warehouses
    app.post(
      `${base}/warehouses`,
      {
        schema: {
          operationId: 'createWarehouse',
          summary: 'Create a warehouse',
          tags,
          'x-permission': 'inventory.warehouse.write',
          'x-action': 'inventory.warehouse.create',
          body: CreateWarehouseBody,
          response: { 201: Type.Ref('Warehouse') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => createWarehouse(ctx, req.body));
      },
    );
    app.get(
      `${base}/warehouses`,
      {
        schema: {
          operationId: 'listWarehouses',
          summary: 'List warehouses',
          tags,
          'x-permission': 'inventory.stock.read',
          querystring: Type.Object(
            {
              ...PageQuery,
              active: Type.Optional(Type.Boolean({ description: 'Only active (or inactive) ones' })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Page(Type.Ref('Warehouse'), 'Warehouse') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          listWarehouses(ctx, { ...req.query, limit: req.query.limit ?? 50 }),
        ),
    );
    app.get(
      `${base}/warehouses/:warehouse_id`,
      {
        schema: {
          operationId: 'getWarehouse',
          summary: 'Get a warehouse',
          tags,
          'x-permission': 'inventory.stock.read',
          params: P.warehouse,
          response: { 200: Type.Ref('Warehouse') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getWarehouse(ctx, req.params.warehouse_id)),
    );
    app.patch(
      `${base}/warehouses/:warehouse_id`,
      {
        schema: {
          operationId: 'updateWarehouse',
          summary: 'Update a warehouse',
          description: 'Deactivating a warehouse withdraws its stock from what buyers see (it is kept).',
          tags,
          'x-permission': 'inventory.warehouse.write',
          'x-action': 'inventory.warehouse.update',
          params: P.warehouse,
          body: UpdateWarehouseBody,
          response: { 200: Type.Ref('Warehouse') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => updateWarehouse(ctx, req.params.warehouse_id, req.body)),
    );
    app.delete(
      `${base}/warehouses/:warehouse_id`,
      {
        schema: {
          operationId: 'deleteWarehouse',
          summary: 'Delete a warehouse',
          description:
            'Only a warehouse holding no stock (every quantity on hand and reserved zero): else 409 — deactivate it instead.',
          tags,
          'x-permission': 'inventory.warehouse.write',
          'x-action': 'inventory.warehouse.delete',
          params: P.warehouse,
          response: { 200: Deleted },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, async (ctx) => {
          await deleteWarehouse(ctx, req.params.warehouse_id);
          return { id: req.params.warehouse_id, deleted: true as const };
        }),
    );

    // Settings
    app.get(
      `${base}/settings`,
      {
        schema: {
          operationId: 'getInventorySettings',
          summary: 'Get the availability settings (low-stock threshold, what buyers see, lead time)',
          tags,
          'x-permission': 'inventory.stock.read',
          response: { 200: Type.Ref('InventorySettings') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getInventorySettings(ctx)),
    );
    app.patch(
      `${base}/settings`,
      {
        schema: {
          operationId: 'updateInventorySettings',
          summary: 'Change the availability settings',
          description: 'Only the fields sent change. Who manages warehouses decides what buyers are told.',
          tags,
          'x-permission': 'inventory.warehouse.write',
          'x-action': 'inventory.settings.update',
          body: SettingsBody,
          response: { 200: Type.Ref('InventorySettings') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => updateInventorySettings(ctx, req.body)),
    );

    // Stock levels
    app.get(
      `${base}/variants/:variant_id/stock`,
      {
        schema: {
          operationId: 'getVariantStock',
          summary: "Get a variant's stock per warehouse",
          tags,
          'x-permission': 'inventory.stock.read',
          params: P.variant,
          response: { 200: Type.Ref('VariantStock') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getVariantStock(ctx, req.params.variant_id)),
    );
    app.put(
      `${base}/variants/:variant_id/stock`,
      {
        schema: {
          operationId: 'putVariantStock',
          summary: "Replace a variant's stock levels",
          description:
            'Each warehouse listed gets exactly what is sent (absent restock fields: none expected); a warehouse not listed no longer records the variant — refused (409) while it has quantities reserved. Reserved quantities are written by ordering, never here.',
          tags,
          'x-permission': 'inventory.stock.write',
          'x-action': 'inventory.stock.update',
          params: P.variant,
          body: PutStockBody,
          response: { 200: Type.Ref('VariantStock') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => putVariantStock(ctx, req.params.variant_id, req.body.levels)),
    );
    app.post(
      `${base}/stock-levels/bulk`,
      {
        schema: {
          operationId: 'bulkUpsertStockLevels',
          summary: `Set the stock of up to ${BULK_MAX_LINES} SKUs × warehouses (ERP import)`,
          description:
            'By SKU and warehouse code, as an ERP knows them. All or nothing: every line is checked first; any problem refuses the whole call (400) with each one named by its pointer, e.g. `/items/12/on_hand`. Quantities are absolute: sending the same file twice changes nothing (`unchanged`). Lines not sent are kept; absent restock fields keep their value.',
          tags,
          'x-permission': 'inventory.stock.write',
          'x-action': 'inventory.stock.bulk_upsert',
          body: Type.Object(
            { items: Type.Array(BulkLine, { minItems: 1, maxItems: BULK_MAX_LINES }) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              created: Type.Integer(),
              updated: Type.Integer(),
              unchanged: Type.Integer(),
              items: Type.Array(
                Type.Object({
                  index: Type.Integer(),
                  sku: Type.String(),
                  warehouse_code: Type.String(),
                  variant_id: Type.String(),
                  result: Type.Union([
                    Type.Literal('created'),
                    Type.Literal('updated'),
                    Type.Literal('unchanged'),
                  ]),
                }),
              ),
            }),
          },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => bulkUpsertStockLevels(ctx, req.body.items)),
    );

    // The buyer's view
    app.get(
      '/api/v1/catalog/products/:product_id/availability',
      {
        schema: {
          operationId: 'getProductAvailability',
          summary: "A product's availability per variant, as the caller may see it",
          description:
            'For buyers (the product read permission): a product hidden from the caller is a 404, like its product read. Quantities only when the tenant shows them (`quantity_display`). With `quantity`: how much can be had now and when the rest comes, per variant.',
          tags: ['Catalog', ...tags],
          'x-permission': 'catalog.product.read',
          params: P.product,
          querystring: Type.Object(
            {
              quantity: Type.Optional(Quantity('The quantity wanted, > 0', '30')),
              variant_id: Type.Optional(IdSchema('var', 'Only this variant')),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Ref('ProductAvailability') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => productAvailability(ctx, req.params.product_id, req.query)),
    );
  };
}
