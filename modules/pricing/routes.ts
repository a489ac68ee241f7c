import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../../platform/db/database.ts';
import { Page, PageQuery } from '../../platform/http/pagination.ts';
import { Nullable } from '../../platform/http/schemas.ts';
import { inTenant } from '../../platform/http/tenant-handler.ts';
import { IdSchema } from '../../platform/ids.ts';
import {
  approvePriceChangeRequest,
  BATCH_MAX_LINES,
  BULK_MAX_ENTRIES,
  createGroupDiscount,
  createPriceList,
  createPromotion,
  deleteGroupDiscount,
  deletePriceList,
  deletePromotion,
  getPriceChangeRequest,
  getPriceList,
  getPricingSettings,
  listEntries,
  listGroupDiscounts,
  listPriceChangeRequests,
  listPriceLists,
  listPromotions,
  rejectPriceChangeRequest,
  resolvePriceBatch,
  resolveUnitPrice,
  updateGroupDiscount,
  updatePriceList,
  updatePricingSettings,
  updatePromotion,
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

const UpdateGroupDiscountBody = Type.Object(
  {
    percent: Type.Optional(Decimal('Percent off the public price (0–100]', '25')),
    ...Scope,
    valid_from: Type.Optional(Nullable(Instant)),
    valid_to: Type.Optional(Nullable(Instant)),
  },
  { additionalProperties: false, minProperties: 1 },
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

const UpdatePromotionBody = Type.Partial(CreatePromotionBody, {
  additionalProperties: false,
  minProperties: 1,
});

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
    breaks: Type.Array(
      Type.Object({
        min_quantity: Type.String(),
        unit_price: Type.Ref('Money'),
        level: Type.Union(
          [
            Type.Literal('account'),
            Type.Literal('group'),
            Type.Literal('storefront'),
            Type.Literal('tenant'),
          ],
          { description: 'The kind of price list that gives this price' },
        ),
      }),
      {
        description:
          'The buyer’s quantity breaks for this SKU: each quantity that is a break of a price list applying to them, with the unit price they pay from there (resolved at that quantity: group discount and promotions included, whichever list wins there). Ascending; a quantity that changes nothing is left out.',
      },
    ),
  },
  { $id: 'ResolvedPrice', title: 'A resolved unit price' },
);

const RequestStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('approved'),
  Type.Literal('rejected'),
  Type.Literal('applied'),
]);
const PriceChangeRequestSchema = Type.Object(
  {
    id: IdSchema('pcr'),
    price_list_id: Type.String(),
    status: RequestStatus,
    entries: Type.Array(
      Type.Object({
        sku: Type.String(),
        breaks: Type.Array(Type.Object({ min_quantity: Type.String(), unit_price: Type.String() })),
      }),
      { description: 'The proposed entries, applied as sent on approval' },
    ),
    changes: Type.Array(
      Type.Object({
        sku: Type.String(),
        min_quantity: Type.String(),
        before: Nullable(Type.String()),
        after: Nullable(Type.String()),
        change_percent: Nullable(Type.String()),
      }),
      { description: 'The changes above the threshold (at most 1,000 listed)' },
    ),
    sku_count: Type.Integer(),
    initiated_by: Type.String({ description: 'The user (or service account) who made the change' }),
    initiated_by_name: Nullable(
      Type.String({ description: "The initiator's display name (or the service account's name)" }),
    ),
    created_at: Type.String({ format: 'date-time' }),
    decided_by: Nullable(Type.String()),
    decided_by_name: Nullable(Type.String({ description: "The decider's display name" })),
    decided_at: Nullable(Type.String({ format: 'date-time' })),
    rejection_reason: Nullable(Type.String()),
    applied_at: Nullable(Type.String({ format: 'date-time' })),
  },
  {
    $id: 'PriceChangeRequest',
    title: 'Price change waiting for (or given) four-eyes approval',
    description:
      '`pending` until someone other than the initiator approves it (then `applied`, in the same transaction) or rejects it. `approved` is reserved for a deferred application.',
  },
);
const PricingSettingsSchema = Type.Object(
  {
    approval_threshold_percent: Nullable(Type.String()),
    approval_threshold_amount: Nullable(Type.String()),
    approve_additions_and_removals: Type.Boolean(),
    updated_at: Nullable(Type.String({ format: 'date-time' })),
  },
  { $id: 'PricingSettings', title: 'Price-change approval policy' },
);
const SettingsBody = Type.Object(
  {
    approval_threshold_percent: Type.Optional(
      Nullable(
        Decimal(
          'A change of a unit price by more than this percentage (up or down) needs approval; null: no percentage rule',
          '10',
        ),
      ),
    ),
    approval_threshold_amount: Type.Optional(
      Nullable(
        Decimal(
          'A change of a unit price by more than this amount (list currency) needs approval; null: no amount rule',
          '50.00',
        ),
      ),
    ),
    approve_additions_and_removals: Type.Optional(
      Type.Boolean({
        description: 'A price added or removed on a list in force (now or later) needs approval too',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

const P = {
  request: Type.Object({ price_change_request_id: IdSchema('pcr') }),
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
      PriceChangeRequestSchema,
      PricingSettingsSchema,
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
            {
              ...PageQuery,
              currency: Type.Optional(Currency),
              target_kind: Type.Optional(
                Type.Union(
                  [
                    Type.Literal('all'),
                    Type.Literal('storefront'),
                    Type.Literal('group'),
                    Type.Literal('account'),
                  ],
                  { description: 'Lists with a target of this kind (`account`: contract prices)' },
                ),
              ),
              target_id: Type.Optional(
                Type.String({
                  pattern: '^(sf|cgrp|acct)_[0-7][0-9a-hjkmnp-tv-z]{25}$',
                  description:
                    'With `target_kind`: lists targeted at this storefront, customer group or account (another tenant’s ID finds nothing)',
                  examples: ['acct_01jd5q6m3xf0k8y2v7r9t4w1zc'],
                }),
              ),
            },
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
          description: `Up to ${BULK_MAX_ENTRIES} SKUs per call, in one transaction (all or nothing). Each SKU sent gets exactly the breaks sent; an empty \`breaks\` removes it. A change of a price above the tenant's approval threshold (\`/pricing/settings\`) is not applied: the whole call becomes a pending price change request (202) that someone else approves. Unit prices carry at most 4 decimals. A SKU priced by another list of the same currency, target and start date is refused (422).`,
          tags,
          'x-permission': 'pricing.price_list.write',
          'x-action': 'pricing.price_list.entries_upsert',
          params: P.list,
          body: EntriesBody,
          response: {
            200: Type.Object({
              status: Type.Literal('applied'),
              price_list_id: Type.String(),
              skus: Type.Integer(),
              breaks: Type.Integer(),
              removed_skus: Type.Integer(),
            }),
            202: Type.Object({
              status: Type.Literal('pending_approval'),
              price_change_request: Type.Ref('PriceChangeRequest'),
            }),
          },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, async (ctx) => {
          const result = await upsertEntries(ctx, req.params.price_list_id, req.body.entries);
          if (result.status === 'pending_approval') reply.code(202);
          return result;
        }),
    );

    app.get(
      '/api/v1/pricing/settings',
      {
        schema: {
          operationId: 'getPricingSettings',
          summary: 'Get the price-change approval policy',
          tags,
          'x-permission': 'pricing.price_list.read',
          response: { 200: Type.Ref('PricingSettings') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getPricingSettings(ctx)),
    );
    app.patch(
      '/api/v1/pricing/settings',
      {
        schema: {
          operationId: 'updatePricingSettings',
          summary: 'Change the price-change approval policy',
          description:
            'Who approves price changes sets the threshold (permission `pricing.price_list.approve`), not who prepares them. `null` removes a rule; all three off: every change applies directly.',
          tags,
          'x-permission': 'pricing.price_list.approve',
          'x-action': 'pricing.settings.update',
          body: SettingsBody,
          response: { 200: Type.Ref('PricingSettings') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => updatePricingSettings(ctx, req.body)),
    );
    app.get(
      '/api/v1/price-change-requests',
      {
        schema: {
          operationId: 'listPriceChangeRequests',
          summary: 'List price change requests (newest first)',
          tags,
          'x-permission': 'pricing.price_list.read',
          querystring: Type.Object(
            {
              ...PageQuery,
              status: Type.Optional(RequestStatus),
              price_list_id: Type.Optional(IdSchema('pl')),
            },
            { additionalProperties: false },
          ),
          response: { 200: Page(Type.Ref('PriceChangeRequest'), 'PriceChangeRequest') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          listPriceChangeRequests(ctx, { ...req.query, limit: limitOf(req.query) }),
        ),
    );
    app.get(
      '/api/v1/price-change-requests/:price_change_request_id',
      {
        schema: {
          operationId: 'getPriceChangeRequest',
          summary: 'Get a price change request',
          tags,
          'x-permission': 'pricing.price_list.read',
          params: P.request,
          response: { 200: Type.Ref('PriceChangeRequest') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => getPriceChangeRequest(ctx, req.params.price_change_request_id)),
    );
    app.post(
      '/api/v1/price-change-requests/:price_change_request_id/approve',
      {
        schema: {
          operationId: 'approvePriceChangeRequest',
          summary: 'Approve and apply a price change request',
          description:
            'Applies the proposed entries in this one transaction (status `applied`). Four-eyes: the initiator cannot approve their own request (403 `four-eyes-required`). A request whose prices changed meanwhile is stale: 409, nothing applied.',
          tags,
          'x-permission': 'pricing.price_list.approve',
          'x-action': 'pricing.price_change_request.approve',
          params: P.request,
          response: { 200: Type.Ref('PriceChangeRequest') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => approvePriceChangeRequest(ctx, req.params.price_change_request_id)),
    );
    app.post(
      '/api/v1/price-change-requests/:price_change_request_id/reject',
      {
        schema: {
          operationId: 'rejectPriceChangeRequest',
          summary: 'Reject a price change request, with a reason',
          tags,
          'x-permission': 'pricing.price_list.approve',
          'x-action': 'pricing.price_change_request.reject',
          params: P.request,
          body: Type.Object(
            {
              reason: Type.String({
                minLength: 1,
                maxLength: 1000,
                examples: ['−25 % on the drills is below our margin floor'],
              }),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Ref('PriceChangeRequest') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          rejectPriceChangeRequest(ctx, req.params.price_change_request_id, req.body.reason),
        ),
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

    app.patch(
      '/api/v1/group-discounts/:group_discount_id',
      {
        schema: {
          operationId: 'updateGroupDiscount',
          summary: 'Change a group discount level',
          description:
            'Its percent, scope (SKUs, categories) or validity; the other fields are kept. The customer group does not change.',
          tags,
          'x-permission': 'pricing.discount.write',
          'x-action': 'pricing.group_discount.update',
          params: P.discount,
          body: UpdateGroupDiscountBody,
          response: { 200: Type.Ref('GroupDiscount') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => updateGroupDiscount(ctx, req.params.group_discount_id, req.body)),
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

    app.patch(
      '/api/v1/promotions/:promotion_id',
      {
        schema: {
          operationId: 'updatePromotion',
          summary: 'Change a promotion',
          description: 'Any field of its creation; the others are kept. `discount` is replaced as a whole.',
          tags,
          'x-permission': 'pricing.promotion.write',
          'x-action': 'pricing.promotion.update',
          params: P.promotion,
          body: UpdatePromotionBody,
          response: { 200: Type.Ref('Promotion') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => updatePromotion(ctx, req.params.promotion_id, req.body)),
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

    app.post(
      '/api/v1/prices/resolve-batch',
      {
        schema: {
          operationId: 'resolvePriceBatch',
          summary: 'Resolve the unit prices of many lines (a cart, a quick order) at once',
          description:
            'Read-only: the price context (lists, discount levels, promotions, categories) is loaded once for the buyer, currency and date, then the one price-resolution function runs per line. Each line is exactly what GET /prices/resolve answers for it; an SKU without a price (unknown, hidden from a buyer, in no list) is a line with `priced: false`, not an error. `total` adds up the priced lines. A buyer prices for their own company on the storefront of the request’s host only (403 otherwise). A POST only because a cart does not fit in a query string: it changes nothing and is not recorded in the audit trail (`x-read-only`), like GET /prices/resolve.',
          tags,
          'x-permission': 'pricing.price.read',
          'x-read-only': true,
          body: Type.Object(
            {
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
              lines: Type.Array(
                Type.Object(
                  {
                    sku: Sku,
                    quantity: Decimal('Positive; up to 4 decimals for goods sold by measure', '12'),
                  },
                  { additionalProperties: false },
                ),
                { minItems: 1, maxItems: BATCH_MAX_LINES },
              ),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              data: Type.Array(Type.Ref('ResolvedPrice'), { description: 'One per line, in order' }),
              total: Type.Ref('Money', { description: 'Sum of the priced lines’ totals' }),
            }),
          },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => resolvePriceBatch(ctx, req.body)),
    );
  };
}
