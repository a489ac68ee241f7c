import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Page, PageQuery } from '../../platform/http/pagination.ts';
import { notFound } from '../../platform/http/problems.ts';
import { Nullable } from '../../platform/http/schemas.ts';
import { inTenant } from '../../platform/http/tenant-handler.ts';
import { IdSchema } from '../../platform/ids.ts';
import type { ModuleDeps } from '../../platform/module.ts';
import { resolveTenantByHost } from '../../platform/tenancy/service.ts';
import { publicLogoUrl, removeLogoObject } from './logo.ts';
import { storefrontLogoRoutes } from './logo-routes.ts';
import {
  addGroupMember,
  createCustomerGroup,
  createStorefront,
  createVisibilityRule,
  deleteCustomerGroup,
  deleteStorefront,
  deleteVisibilityRule,
  getCustomerGroup,
  getStorefront,
  getVisibilityRule,
  listCustomerGroups,
  listGroupMembers,
  listStorefronts,
  listVisibilityRules,
  removeGroupMember,
  storefrontByHost,
  updateCustomerGroup,
  updateStorefront,
  updateVisibilityRule,
} from './service.ts';

const Timestamps = {
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
};
const Deleted = Type.Object({ id: Type.String(), deleted: Type.Literal(true) });
const Code = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', examples: ['pro-distrib'] });
const Host = Type.String({
  minLength: 4,
  maxLength: 253,
  pattern: '^[A-Za-z0-9.-]+$',
  description: 'A host name the storefront answers on (registered to this tenant only)',
  examples: ['pro-distrib.fr'],
});
const Lang = Type.String({ pattern: '^[a-z]{2,3}$', examples: ['fr'] });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', examples: ['EUR'] });
const Color = Type.String({ pattern: '^#[0-9a-fA-F]{6}$', examples: ['#0b5fff'] });
const Status = Type.Union([Type.Literal('active'), Type.Literal('inactive')], {
  description: '`inactive`: the storefront answers no public request',
});

const ThemeSchema = Type.Object(
  {
    logo_object_key: Nullable(
      Type.String({
        pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,511}$',
        description:
          'Key of the logo in the object store, set by `PUT /api/v1/storefronts/{storefront_id}/logo` (a create or update may only send back the current value)',
        examples: ['tenants/ten_01jd5q6m3xf0k8y2v7r9t4w1zc/storefronts/sf_01jd5q6m3xf0k8y2v7r9t4w1zc/logo'],
      }),
    ),
    colors: Type.Record(Type.String({ pattern: '^[a-z][a-z_]{0,31}$' }), Color, {
      additionalProperties: false,
      maxProperties: 16,
      description: 'Named CSS colours (`primary`, `secondary`, `accent`, `background`, `text`…)',
      examples: [{ primary: '#0b5fff', background: '#ffffff' }],
    }),
  },
  { additionalProperties: false },
);

const StorefrontSchema = Type.Object(
  {
    id: IdSchema('sf'),
    code: Type.String(),
    name: Type.String(),
    domains: Type.Array(Type.String()),
    theme: ThemeSchema,
    logo: Nullable(
      Type.Object(
        {
          content_type: Type.String({ examples: ['image/svg+xml'] }),
          size_bytes: Type.Integer(),
          checksum_sha256: Type.String({ description: 'Also the `ETag` of the logo’s download' }),
          uploaded_at: Type.String({ format: 'date-time' }),
        },
        { description: 'The uploaded logo (`GET …/logo` downloads it); null: none, the shop shows its name' },
      ),
    ),
    languages: Type.Array(Type.String(), { description: 'The first is the default' }),
    currencies: Type.Array(Type.String(), { description: 'The first is the default' }),
    status: Status,
    ...Timestamps,
  },
  { $id: 'Storefront', title: 'Storefront' },
);

const storefrontFields = {
  code: Code,
  name: Type.String({ minLength: 1, maxLength: 200, examples: ['Pro Distrib'] }),
  domains: Type.Array(Host, { maxItems: 20 }),
  theme: Type.Partial(ThemeSchema, { additionalProperties: false }),
  languages: Type.Array(Lang, { minItems: 1, maxItems: 20 }),
  currencies: Type.Array(Currency, { minItems: 1, maxItems: 20 }),
  status: Status,
};

const CreateStorefrontBody = Type.Object(
  {
    code: storefrontFields.code,
    name: storefrontFields.name,
    domains: Type.Optional(storefrontFields.domains),
    theme: Type.Optional(storefrontFields.theme),
    languages: Type.Optional(storefrontFields.languages),
    currencies: Type.Optional(storefrontFields.currencies),
    status: Type.Optional(storefrontFields.status),
  },
  { additionalProperties: false },
);
const UpdateStorefrontBody = Type.Partial(Type.Object(storefrontFields), {
  additionalProperties: false,
  minProperties: 1,
});

const PublicStorefrontSchema = Type.Object(
  {
    id: IdSchema('sf'),
    name: Type.String(),
    theme: Type.Object({
      logo_object_key: ThemeSchema.properties.logo_object_key,
      colors: ThemeSchema.properties.colors,
      logo_url: Nullable(
        Type.String({
          description:
            'Where the web app loads the logo from (`GET /api/v1/public/storefront/logo`, versioned); null: no logo, show the name',
          examples: ['/api/v1/public/storefront/logo?v=3f2a9c0d1e4b5a6f'],
        }),
      ),
    }),
    languages: Type.Array(Type.String()),
    currencies: Type.Array(Type.String()),
    default_language: Type.String(),
    default_currency: Type.String(),
  },
  { $id: 'PublicStorefront', title: 'Storefront theme, as the web app reads it' },
);

const GroupSchema = Type.Object(
  {
    id: IdSchema('cgrp'),
    code: Type.String(),
    name: Type.String(),
    description: Nullable(Type.String()),
    member_count: Type.Integer(),
    ...Timestamps,
  },
  { $id: 'CustomerGroup', title: 'Customer group' },
);
const groupFields = {
  code: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', examples: ['distributors'] }),
  name: Type.String({ minLength: 1, maxLength: 200, examples: ['Distributeurs'] }),
  description: Nullable(Type.String({ maxLength: 2000, examples: ['Revendeurs sous contrat'] })),
};
const CreateGroupBody = Type.Object(
  { code: groupFields.code, name: groupFields.name, description: Type.Optional(groupFields.description) },
  { additionalProperties: false },
);
const UpdateGroupBody = Type.Partial(Type.Object(groupFields), {
  additionalProperties: false,
  minProperties: 1,
});
const MemberSchema = Type.Object(
  {
    group_id: IdSchema('cgrp'),
    account_id: IdSchema('acct'),
    account_name: Nullable(
      Type.String({
        description: "The account's trading name; null when the caller may not read that account",
      }),
    ),
    added_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'CustomerGroupMember', title: 'Member of a customer group' },
);

const SubjectType = Type.Union([Type.Literal('storefront'), Type.Literal('group'), Type.Literal('account')], {
  description: 'Who the rule is for',
});
const TargetType = Type.Union([Type.Literal('all'), Type.Literal('category'), Type.Literal('product')], {
  description: 'What it covers: the whole catalogue, a category and everything under it, or one product',
});
const Effect = Type.Union([Type.Literal('allow'), Type.Literal('deny')]);
const AnyId = (description: string, example: string) =>
  Type.String({ pattern: '^[a-z]{2,8}_[0-9a-z]{26}$', description, examples: [example] });

const RuleSchema = Type.Object(
  {
    id: IdSchema('vis'),
    subject_type: SubjectType,
    subject_id: Type.String(),
    target_type: TargetType,
    target_id: Nullable(Type.String()),
    effect: Effect,
    ...Timestamps,
  },
  {
    $id: 'VisibilityRule',
    title: 'Visibility rule',
    description:
      'Precedence: the most specific subject (account > group > storefront), then the most specific target (product > deeper category > all), then deny over allow; no rule: visible.',
  },
);
const CreateRuleBody = Type.Object(
  {
    subject_type: SubjectType,
    subject_id: AnyId(
      '`sf_…`, `cgrp_…` or `acct_…`, as `subject_type` says',
      'sf_01jd5q6m3xf0k8y2v7r9t4w1zc',
    ),
    target_type: TargetType,
    target_id: Type.Optional(
      Nullable(AnyId('`cat_…` or `prod_…`; absent for `all`', 'cat_01jd5q6m3xf0k8y2v7r9t4w1zc')),
    ),
    effect: Effect,
  },
  { additionalProperties: false },
);
const UpdateRuleBody = Type.Object({ effect: Effect }, { additionalProperties: false });

const P = {
  storefront: Type.Object({ storefront_id: IdSchema('sf') }),
  group: Type.Object({ group_id: IdSchema('cgrp') }),
  member: Type.Object({ group_id: IdSchema('cgrp'), account_id: IdSchema('acct') }),
  rule: Type.Object({ rule_id: IdSchema('vis') }),
};

export function storefrontRoutes(deps: ModuleDeps): FastifyPluginAsyncTypebox {
  const { db, objects } = deps;
  return async (app) => {
    for (const s of [StorefrontSchema, PublicStorefrontSchema, GroupSchema, MemberSchema, RuleSchema])
      app.addSchema(s);
    const tags = ['Storefronts'];
    const groupTags = ['Customer groups'];
    const ruleTags = ['Visibility rules'];
    const limitOf = (q: { limit?: number }) => q.limit ?? 50;

    // Storefronts
    app.post(
      '/api/v1/storefronts',
      {
        schema: {
          operationId: 'createStorefront',
          summary: 'Create a storefront',
          description:
            'Its domains are registered to this tenant (a host of another tenant: 409); the public theme is then served on them.',
          tags,
          'x-permission': 'storefronts.storefront.write',
          'x-action': 'storefronts.storefront.create',
          body: CreateStorefrontBody,
          response: { 201: Type.Ref('Storefront') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => createStorefront(ctx, req.body));
      },
    );
    app.get(
      '/api/v1/storefronts',
      {
        schema: {
          operationId: 'listStorefronts',
          summary: 'List storefronts',
          tags,
          'x-permission': 'storefronts.storefront.read',
          querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
          response: { 200: Page(Type.Ref('Storefront'), 'Storefront') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => listStorefronts(ctx, { ...req.query, limit: limitOf(req.query) })),
    );
    app.get(
      '/api/v1/storefronts/:storefront_id',
      {
        schema: {
          operationId: 'getStorefront',
          summary: 'Get a storefront',
          tags,
          'x-permission': 'storefronts.storefront.read',
          params: P.storefront,
          response: { 200: Type.Ref('Storefront') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getStorefront(ctx, req.params.storefront_id)),
    );
    app.patch(
      '/api/v1/storefronts/:storefront_id',
      {
        schema: {
          operationId: 'updateStorefront',
          summary: 'Update a storefront',
          description:
            'Only the fields sent change; `domains` replaces the list (removed hosts are unregistered).',
          tags,
          'x-permission': 'storefronts.storefront.write',
          'x-action': 'storefronts.storefront.update',
          params: P.storefront,
          body: UpdateStorefrontBody,
          response: { 200: Type.Ref('Storefront') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => updateStorefront(ctx, req.params.storefront_id, req.body)),
    );
    app.delete(
      '/api/v1/storefronts/:storefront_id',
      {
        schema: {
          operationId: 'deleteStorefront',
          summary: 'Delete a storefront',
          description: 'Its domains are unregistered and its visibility rules deleted.',
          tags,
          'x-permission': 'storefronts.storefront.write',
          'x-action': 'storefronts.storefront.delete',
          params: P.storefront,
          response: { 200: Deleted },
        },
      },
      async (req, reply) => {
        let tenantId = '';
        await inTenant(db, req, reply, async (ctx) => {
          tenantId = ctx.tenantId;
          await deleteStorefront(ctx, req.params.storefront_id);
        });
        // Its logo goes with it, once the deletion is committed.
        await removeLogoObject(objects, tenantId, req.params.storefront_id);
        return { id: req.params.storefront_id, deleted: true as const };
      },
    );
    app.get(
      '/api/v1/public/storefront',
      {
        schema: {
          operationId: 'getPublicStorefront',
          summary: 'The storefront of this host, with its theme (for the web app)',
          description:
            'No authentication: the storefront is the one the `Host` header is registered to. An unknown host or an inactive storefront: 404.',
          tags,
          security: [],
          'x-permission': 'public',
          response: { 200: Type.Ref('PublicStorefront') },
        },
      },
      async (req, reply) => {
        const host = req.headers.host ?? '';
        const tenantId = await resolveTenantByHost(db, host);
        if (!tenantId) throw notFound('The storefront');
        reply.header('cache-control', 'public, max-age=60');
        return inTenant(
          db,
          req,
          reply,
          async (ctx) => {
            const s = await storefrontByHost(ctx, host.replace(/:\d+$/, ''));
            return {
              id: s.id,
              name: s.name,
              theme: { ...s.theme, logo_url: publicLogoUrl(s) },
              languages: s.languages,
              currencies: s.currencies,
              default_language: s.languages[0]!,
              default_currency: s.currencies[0]!,
            };
          },
          tenantId,
        );
      },
    );

    // Logos (a context of its own: binary bodies)
    await app.register(storefrontLogoRoutes(deps));

    // Customer groups
    app.post(
      '/api/v1/customer-groups',
      {
        schema: {
          operationId: 'createCustomerGroup',
          summary: 'Create a customer group',
          tags: groupTags,
          'x-permission': 'storefronts.customer_group.write',
          'x-action': 'storefronts.customer_group.create',
          body: CreateGroupBody,
          response: { 201: Type.Ref('CustomerGroup') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => createCustomerGroup(ctx, req.body));
      },
    );
    app.get(
      '/api/v1/customer-groups',
      {
        schema: {
          operationId: 'listCustomerGroups',
          summary: 'List customer groups',
          tags: groupTags,
          'x-permission': 'storefronts.customer_group.read',
          querystring: Type.Object(
            {
              ...PageQuery,
              account_id: Type.Optional(IdSchema('acct', 'Only the groups this account belongs to')),
            },
            { additionalProperties: false },
          ),
          response: { 200: Page(Type.Ref('CustomerGroup'), 'CustomerGroup') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          listCustomerGroups(ctx, { ...req.query, limit: limitOf(req.query) }),
        ),
    );
    app.get(
      '/api/v1/customer-groups/:group_id',
      {
        schema: {
          operationId: 'getCustomerGroup',
          summary: 'Get a customer group',
          tags: groupTags,
          'x-permission': 'storefronts.customer_group.read',
          params: P.group,
          response: { 200: Type.Ref('CustomerGroup') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getCustomerGroup(ctx, req.params.group_id)),
    );
    app.patch(
      '/api/v1/customer-groups/:group_id',
      {
        schema: {
          operationId: 'updateCustomerGroup',
          summary: 'Update a customer group',
          tags: groupTags,
          'x-permission': 'storefronts.customer_group.write',
          'x-action': 'storefronts.customer_group.update',
          params: P.group,
          body: UpdateGroupBody,
          response: { 200: Type.Ref('CustomerGroup') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => updateCustomerGroup(ctx, req.params.group_id, req.body)),
    );
    app.delete(
      '/api/v1/customer-groups/:group_id',
      {
        schema: {
          operationId: 'deleteCustomerGroup',
          summary: 'Delete a customer group',
          description: 'Its memberships, visibility rules and price-list assignments go with it.',
          tags: groupTags,
          'x-permission': 'storefronts.customer_group.write',
          'x-action': 'storefronts.customer_group.delete',
          params: P.group,
          response: { 200: Deleted },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, async (ctx) => {
          await deleteCustomerGroup(ctx, req.params.group_id);
          return { id: req.params.group_id, deleted: true as const };
        }),
    );
    app.get(
      '/api/v1/customer-groups/:group_id/members',
      {
        schema: {
          operationId: 'listCustomerGroupMembers',
          summary: 'List the accounts of a customer group',
          tags: groupTags,
          'x-permission': 'storefronts.customer_group.read',
          params: P.group,
          querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
          response: { 200: Page(Type.Ref('CustomerGroupMember'), 'CustomerGroupMember') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          listGroupMembers(ctx, req.params.group_id, { ...req.query, limit: limitOf(req.query) }),
        ),
    );
    app.post(
      '/api/v1/customer-groups/:group_id/members',
      {
        schema: {
          operationId: 'addCustomerGroupMember',
          summary: 'Put a customer account in the group',
          description: 'Idempotent: an account already in the group stays (200 either way).',
          tags: groupTags,
          'x-permission': 'storefronts.customer_group.write',
          'x-action': 'storefronts.customer_group.add_member',
          params: P.group,
          body: Type.Object({ account_id: IdSchema('acct') }, { additionalProperties: false }),
          response: { 200: Type.Ref('CustomerGroupMember') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => addGroupMember(ctx, req.params.group_id, req.body.account_id)),
    );
    app.delete(
      '/api/v1/customer-groups/:group_id/members/:account_id',
      {
        schema: {
          operationId: 'removeCustomerGroupMember',
          summary: 'Take a customer account out of the group',
          tags: groupTags,
          'x-permission': 'storefronts.customer_group.write',
          'x-action': 'storefronts.customer_group.remove_member',
          params: P.member,
          response: { 200: Deleted },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, async (ctx) => {
          await removeGroupMember(ctx, req.params.group_id, req.params.account_id);
          return { id: req.params.account_id, deleted: true as const };
        }),
    );

    // Visibility rules
    app.post(
      '/api/v1/visibility-rules',
      {
        schema: {
          operationId: 'createVisibilityRule',
          summary: 'Show or hide part of the catalogue to a storefront, a group or an account',
          description:
            'One rule per subject and target (409 otherwise). Precedence: account > group > storefront; then product > deeper category > all; then deny over allow. Buyers never see a hidden product in search, facets, counts or by ID.',
          tags: ruleTags,
          'x-permission': 'storefronts.visibility.write',
          'x-action': 'storefronts.visibility_rule.create',
          body: CreateRuleBody,
          response: { 201: Type.Ref('VisibilityRule') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => createVisibilityRule(ctx, req.body));
      },
    );
    app.get(
      '/api/v1/visibility-rules',
      {
        schema: {
          operationId: 'listVisibilityRules',
          summary: 'List visibility rules',
          tags: ruleTags,
          'x-permission': 'storefronts.visibility.read',
          querystring: Type.Object(
            {
              ...PageQuery,
              subject_type: Type.Optional(SubjectType),
              subject_id: Type.Optional(AnyId('Rules of this subject', 'cgrp_01jd5q6m3xf0k8y2v7r9t4w1zc')),
              target_type: Type.Optional(TargetType),
              target_id: Type.Optional(
                AnyId('Rules on this category or product', 'cat_01jd5q6m3xf0k8y2v7r9t4w1zc'),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: Page(Type.Ref('VisibilityRule'), 'VisibilityRule') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          listVisibilityRules(ctx, { ...req.query, limit: limitOf(req.query) }),
        ),
    );
    app.get(
      '/api/v1/visibility-rules/:rule_id',
      {
        schema: {
          operationId: 'getVisibilityRule',
          summary: 'Get a visibility rule',
          tags: ruleTags,
          'x-permission': 'storefronts.visibility.read',
          params: P.rule,
          response: { 200: Type.Ref('VisibilityRule') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getVisibilityRule(ctx, req.params.rule_id)),
    );
    app.patch(
      '/api/v1/visibility-rules/:rule_id',
      {
        schema: {
          operationId: 'updateVisibilityRule',
          summary: 'Change the effect of a visibility rule',
          tags: ruleTags,
          'x-permission': 'storefronts.visibility.write',
          'x-action': 'storefronts.visibility_rule.update',
          params: P.rule,
          body: UpdateRuleBody,
          response: { 200: Type.Ref('VisibilityRule') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => updateVisibilityRule(ctx, req.params.rule_id, req.body)),
    );
    app.delete(
      '/api/v1/visibility-rules/:rule_id',
      {
        schema: {
          operationId: 'deleteVisibilityRule',
          summary: 'Delete a visibility rule',
          tags: ruleTags,
          'x-permission': 'storefronts.visibility.write',
          'x-action': 'storefronts.visibility_rule.delete',
          params: P.rule,
          response: { 200: Deleted },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, async (ctx) => {
          await deleteVisibilityRule(ctx, req.params.rule_id);
          return { id: req.params.rule_id, deleted: true as const };
        }),
    );
  };
}
