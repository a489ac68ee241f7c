import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../../platform/db/database.ts';
import { Page, PageQuery } from '../../platform/http/pagination.ts';
import { Nullable } from '../../platform/http/schemas.ts';
import { inTenant } from '../../platform/http/tenant-handler.ts';
import { IdSchema } from '../../platform/ids.ts';
import {
  BULK_MAX_ENTRIES,
  createGroupDiscount,
  createPriceList,
  createPromotion,
  deleteGroupDiscount,
  deletePriceList,
  deletePromotion,
  getPriceList,
  listEntries,
  listGroupDiscounts,
  listPriceLists,
  listPromotions,
  resolveUnitPrice,
  updatePriceList,
  upsertEntries,
} from './service.ts';

const Deleted = Type.Object({ id: Type.String(), deleted: Type.Literal(true) });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217', examples: ['EUR'] });
const Instant = Type.String({ format: 'date-time', examples: ['2026-01-01T00:00:00Z'] });
const Decimal = (description: string, example: string, decimals = 4) =>
  Type.String({ pattern: `^[0-9]{1,14}(\\.[0-9]{1,${decimals}})?$`, description, examples: [example] });
const MoneySchema = Type.Object(
  { amount: Type.String({ description: 'Exact decimal' }), currency: Type.String() },
  { $id: 'Money', title: 'Amount with its currency' },
);
const Sku = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$', examples: ['PERC-18V'] });
const Target = Type.Union(
  [
    Type.Object({ kind: Type.Literal('all') }, { additionalProperties: false }),
    Type.Object({ kind: Type.Literal('storefront'), id: IdSchema('sf') }, { additionalProperties: false }),
    Type.Object({ kind: Type.Literal('group'), id: IdSchema('cgrp') }, { additionalProperties: false }),
    Type.Object({ kind: Type.Literal('account'), id: IdSchema('acct') }, { additionalProperties: false }),
  ],
  { description: '`all`: the default list; a storefront; a customer group; an account (contract price)' },
);

const PriceListSchema = Type.Object(
  {
    id: IdSchema('pl'),
    code: Type.String(),
    name: Type.String(),
    currency: Type.String(),
    valid_from: Nullable(Type.String({ format: 'date-time' })),
    valid_to: Nullable(Type.String({ format: 'date-time' })),
    targets: Type.Array(Target),
    sku_count: Type.Integer(),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'PriceList', title: 'Price list' },
);
const listFields = {
  code: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', examples: ['public-2026'] }),
  name: Type.String({ minLength: 1, maxLength: 200, examples: ['Tarif public 2026'] }),
  valid_from: Nullable(Instant),
  valid_to: Nullable(Instant),
  targets: Type.Array(Target, { minItems: 1, maxItems: 100 }),
};
const CreateListBody = Type.Object(
  {
    code: listFields.code,
    name: listFields.name,
    currency: Currency,
    valid_from: Type.Optional(listFields.valid_from),
    valid_to: Type.Optional(listFields.valid_to),
    targets: listFields.targets,
  },
  { additionalProperties: false },
);
const UpdateListBody = Type.Partial(Type.Object(listFields), {
  additionalProperties: false,
  minProperties: 1,
});

const Break = Type.Object(
  {
    min_quantity: Decimal('From this quantity on (inclusive)', '10'),
    unit_price: Decimal('Unit price excluding tax, at most 4 decimals', '92.00'),
  },
  { additionalProperties: false },
);
const EntriesBody = Type.Object(
  {
    entries: Type.Array(
      Type.Object(
        {
          sku: Sku,
          breaks: Type.Array(Break, { maxItems: 50, description: 'Empty: remove the SKU from the list' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: BULK_MAX_ENTRIES },
    ),
  },
  { additionalProperties: false },
);
const EntrySchema = Type.Object(
  {
    sku: Type.String(),
    breaks: Type.Array(Type.Object({ min_quantity: Type.String(), unit_price: Type.Ref('Money') })),
  },
  { $id: 'PriceListEntry', title: 'Price-list entry (quantity breaks of a SKU)' },
);

const Scope = {
  skus: Type.Optional(Type.Array(Sku, { maxItems: 1000 })),
  category_ids: Type.Optional(Type.Array(IdSchema('cat'), { maxItems: 200 })),
};
const GroupDiscountSchema = Type.Object(
  {
    id: IdSchema('gdsc'),
    group_id: Type.String(),
    percent: Type.String(),
    skus: Type.Array(Type.String()),
    category_ids: Type.Array(Type.String()),
    valid_from: Nullable(Type.String({ format: 'date-time' })),
    valid_to: Nullable(Type.String({ format: 'date-time' })),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'GroupDiscount', title: 'Group discount level' },
);
const CreateGroupDiscountBody = Type.Object(
  {
    group_id: IdSchema('cgrp'),
    percent: Decimal('Percent off the public price (0–100]', '30'),
    ...Scope,
    valid_from: Type.Optional(Nullable(Instant)),
    valid_to: Type.Optional(Nullable(Instant)),
  },
  { additionalProperties: false },
);

const Discount = Type.Union([
  Type.Object(
    { kind: Type.Literal('percent'), percent: Decimal('Percent off (0–100]', '10') },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('amount'),
      amount: Decimal('Amount off the unit price', '5.00'),
      currency: Currency,
    },
    { additionalProperties: false },
  ),
]);
const PromotionSchema = Type.Object(
  {
    id: IdSchema('promo'),
    name: Type.String(),
    targets: Type.Array(Target),
    skus: Type.Array(Type.String()),
    category_ids: Type.Array(Type.String()),
    discount: Discount,
    stackable: Type.Boolean(),
    priority: Type.Integer(),
    exclude_net_prices: Type.Boolean(),
    valid_from: Nullable(Type.String({ format: 'date-time' })),
    valid_to: Nullable(Type.String({ format: 'date-time' })),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Promotion', title: 'Promotion' },
);
const CreatePromotionBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, examples: ['Printemps'] }),
    targets: Type.Optional(Type.Array(Target, { minItems: 1, maxItems: 100 })),
    ...Scope,
    discount: Discount,
    stackable: Type.Optional(Type.Boolean()),
    priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
    exclude_net_prices: Type.Optional(Type.Boolean()),
    valid_from: Type.Optional(Nullable(Instant)),
    valid_to: Type.Optional(Nullable(Instant)),
  },
  { additionalProperties: false },
);

const ResolvedSchema = Type.Object(
  {
    sku: Type.String(),
    quantity: Type.String(),
    currency: Type.String(),
    at: Type.String({ format: 'date-time' }),
    priced: Type.Boolean(),
    unit_price: Nullable(Type.Ref('Money')),
    line_total: Nullable(Type.Ref('Money')),
    rule: Nullable(
      Type.Object(
        {},
        { additionalProperties: true, description: 'The list, break, discount level and promotions used' },
      ),
    ),
    breakdown: Type.Array(Type.Object({}, { additionalProperties: true }), {
      description: 'Each step and its price',
    }),
    reason: Nullable(
      Type.Union([
        Type.Literal('no-price-list'),
        Type.Literal('sku-not-priced'),
        Type.Literal('below-minimum-quantity'),
      ]),
    ),
    detail: Nullable(Type.String()),
  },
  { $id: 'ResolvedPrice', title: 'A resolved unit price' },
);

const P = {
  list: Type.Object({ price_list_id: IdSchema('pl') }),
  discount: Type.Object({ group_discount_id: IdSchema('gdsc') }),
  promotion: Type.Object({ promotion_id: IdSchema('promo') }),
};

export function pricingRoutes({ db }: { db: Database }): FastifyPluginAsyncTypebox {
  return async (app) => {
    for (const s of [
      MoneySchema,
      PriceListSchema,
      EntrySchema,
      GroupDiscountSchema,
      PromotionSchema,
      ResolvedSchema,
    ])
      app.addSchema(s);
    const tags = ['Prices'];
    const limitOf = (q: { limit?: number }) => q.limit ?? 50;

    app.post(
      '/api/v1/price-lists',
      {
        schema: {
          operationId: 'createPriceList',
          summary: 'Create a price list',
          description:
            'One currency; validity `[valid_from, valid_to)`; targets: the tenant (`all`), storefronts, customer groups, accounts. Precedence: docs/pricing.md.',
          tags,
          'x-permission': 'pricing.price_list.write',
          'x-action': 'pricing.price_list.create',
          body: CreateListBody,
          response: { 201: Type.Ref('PriceList') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => createPriceList(ctx, req.body));
      },
    );
    app.get(
      '/api/v1/price-lists',
      {
        schema: {
          operationId: 'listPriceLists',
          summary: 'List price lists',
          tags,
          'x-permission': 'pricing.price_list.read',
          querystring: Type.Object(
            { ...PageQuery, currency: Type.Optional(Currency) },
            { additionalProperties: false },
          ),
          response: { 200: Page(Type.Ref('PriceList'), 'PriceList') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => listPriceLists(ctx, { ...req.query, limit: limitOf(req.query) })),
    );
    app.get(
      '/api/v1/price-lists/:price_list_id',
      {
        schema: {
          operationId: 'getPriceList',
          summary: 'Get a price list',
          tags,
          'x-permission': 'pricing.price_list.read',
          params: P.list,
          response: { 200: Type.Ref('PriceList') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getPriceList(ctx, req.params.price_list_id)),
    );
    app.patch(
      '/api/v1/price-lists/:price_list_id',
      {
        schema: {
          operationId: 'updatePriceList',
          summary: 'Update a price list',
          description:
            '`targets` replaces the list of targets. The currency cannot change: create another list.',
          tags,
          'x-permission': 'pricing.price_list.write',
          'x-action': 'pricing.price_list.update',
          params: P.list,
          body: UpdateListBody,
          response: { 200: Type.Ref('PriceList') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => updatePriceList(ctx, req.params.price_list_id, req.body)),
    );
    app.delete(
      '/api/v1/price-lists/:price_list_id',
      {
        schema: {
          operationId: 'deletePriceList',
          summary: 'Delete a price list and its entries',
          tags,
          'x-permission': 'pricing.price_list.write',
          'x-action': 'pricing.price_list.delete',
          params: P.list,
          response: { 200: Deleted },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, async (ctx) => {
          await deletePriceList(ctx, req.params.price_list_id);
          return { id: req.params.price_list_id, deleted: true as const };
        }),
    );
    app.put(
      '/api/v1/price-lists/:price_list_id/entries',
      {
        schema: {
          operationId: 'upsertPriceListEntries',
          summary: 'Set the quantity breaks of many SKUs at once',
          description: `Up to ${BULK_MAX_ENTRIES} SKUs per call, in one transaction (all or nothing). Each SKU sent gets exactly the breaks sent; an empty \`breaks\` removes it. Unit prices carry at most 4 decimals. A SKU priced by another list of the same currency, target and start date is refused (422).`,
          tags,
          'x-permission': 'pricing.price_list.write',
          'x-action': 'pricing.price_list.entries_upsert',
          params: P.list,
          body: EntriesBody,
          response: {
            200: Type.Object({
              price_list_id: Type.String(),
              skus: Type.Integer(),
              breaks: Type.Integer(),
              removed_skus: Type.Integer(),
            }),
          },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => upsertEntries(ctx, req.params.price_list_id, req.body.entries)),
    );
    app.get(
      '/api/v1/price-lists/:price_list_id/entries',
      {
        schema: {
          operationId: 'listPriceListEntries',
          summary: 'List the entries of a price list, by SKU',
          tags,
          'x-permission': 'pricing.price_list.read',
          params: P.list,
          querystring: Type.Object(
            { ...PageQuery, sku: Type.Optional(Sku) },
            { additionalProperties: false },
          ),
          response: { 200: Page(Type.Ref('PriceListEntry'), 'PriceListEntry') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          listEntries(ctx, req.params.price_list_id, { ...req.query, limit: limitOf(req.query) }),
        ),
    );

    app.post(
      '/api/v1/group-discounts',
      {
        schema: {
          operationId: 'createGroupDiscount',
          summary: 'Create a group discount level',
          description:
            'A percentage off public (storefront or default list) prices for a customer group; the most precise level wins (SKU, deepest category, everything), never added up.',
          tags,
          'x-permission': 'pricing.discount.write',
          'x-action': 'pricing.group_discount.create',
          body: CreateGroupDiscountBody,
          response: { 201: Type.Ref('GroupDiscount') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => createGroupDiscount(ctx, req.body));
      },
    );
    app.get(
      '/api/v1/group-discounts',
      {
        schema: {
          operationId: 'listGroupDiscounts',
          summary: 'List group discount levels',
          tags,
          'x-permission': 'pricing.price_list.read',
          querystring: Type.Object(
            { ...PageQuery, group_id: Type.Optional(IdSchema('cgrp')) },
            { additionalProperties: false },
          ),
          response: { 200: Page(Type.Ref('GroupDiscount'), 'GroupDiscount') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          listGroupDiscounts(ctx, { ...req.query, limit: limitOf(req.query) }),
        ),
    );
    app.delete(
      '/api/v1/group-discounts/:group_discount_id',
      {
        schema: {
          operationId: 'deleteGroupDiscount',
          summary: 'Delete a group discount level',
          tags,
          'x-permission': 'pricing.discount.write',
          'x-action': 'pricing.group_discount.delete',
          params: P.discount,
          response: { 200: Deleted },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, async (ctx) => {
          await deleteGroupDiscount(ctx, req.params.group_discount_id);
          return { id: req.params.group_discount_id, deleted: true as const };
        }),
    );

    app.post(
      '/api/v1/promotions',
      {
        schema: {
          operationId: 'createPromotion',
          summary: 'Create a promotion',
          description:
            'Stackable promotions add up; of the non-stackable ones the highest priority applies; the buyer gets the cheaper of the two (docs/pricing.md).',
          tags,
          'x-permission': 'pricing.promotion.write',
          'x-action': 'pricing.promotion.create',
          body: CreatePromotionBody,
          response: { 201: Type.Ref('Promotion') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => createPromotion(ctx, req.body));
      },
    );
    app.get(
      '/api/v1/promotions',
      {
        schema: {
          operationId: 'listPromotions',
          summary: 'List promotions',
          tags,
          'x-permission': 'pricing.price_list.read',
          querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
          response: { 200: Page(Type.Ref('Promotion'), 'Promotion') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => listPromotions(ctx, { ...req.query, limit: limitOf(req.query) })),
    );
    app.delete(
      '/api/v1/promotions/:promotion_id',
      {
        schema: {
          operationId: 'deletePromotion',
          summary: 'Delete a promotion',
          tags,
          'x-permission': 'pricing.promotion.write',
          'x-action': 'pricing.promotion.delete',
          params: P.promotion,
          response: { 200: Deleted },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, async (ctx) => {
          await deletePromotion(ctx, req.params.promotion_id);
          return { id: req.params.promotion_id, deleted: true as const };
        }),
    );

    app.get(
      '/api/v1/prices/resolve',
      {
        schema: {
          operationId: 'resolvePrice',
          summary: 'Resolve the unit price a buyer pays',
          description:
            'The one price-resolution function (modules/pricing/rules.ts): unit price excluding tax, the rule that produced it and the full breakdown. No price: `priced: false` and the reason.',
          tags,
          'x-permission': 'pricing.price.read',
          querystring: Type.Object(
            {
              sku: Sku,
              quantity: Decimal('Positive; up to 4 decimals for goods sold by measure', '12'),
              currency: Currency,
              account_id: Type.Optional(IdSchema('acct', 'The buyer’s customer account; absent: a visitor')),
              storefront_id: Type.Optional(IdSchema('sf', 'The storefront the buyer shops on')),
              date: Type.Optional(
                Type.String({
                  format: 'date-time',
                  description: 'Pricing instant; default now',
                  examples: ['2026-03-15T10:00:00Z'],
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Ref('ResolvedPrice') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => resolveUnitPrice(ctx, req.query)),
    );
  };
}
