import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../db/database.ts';
import { Page, PageQuery } from '../http/pagination.ts';
import { AppError } from '../http/problems.ts';
import { inTenant, requestOrigin } from '../http/tenant-handler.ts';
import { IdSchema } from '../ids.ts';
import { createTenant, currentTenant, getTenant, listTenants, resolveTenantByHost } from './service.ts';

const Slug = Type.String({
  pattern: '^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$',
  description: 'Lower-case letters, digits and dashes',
});
const Hostname = Type.String({
  pattern: '^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$',
  description: 'A host name, lower case, without port',
});
const Locale = Type.String({ pattern: '^[a-z]{2}(-[A-Z]{2})?$', examples: ['fr', 'en'] });

export const TenantSchema = Type.Object(
  {
    id: IdSchema('ten'),
    slug: Type.String(),
    name: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('suspended')]),
    default_locale: Type.String(),
    timezone: Type.String(),
    domains: Type.Array(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Tenant' },
);

const CreateTenantBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    slug: Slug,
    default_locale: Type.Optional(Locale),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, examples: ['Europe/Paris'] })),
    domains: Type.Optional(Type.Array(Hostname, { maxItems: 20, uniqueItems: true })),
    owner: Type.Object(
      {
        email: Type.String({ format: 'email', maxLength: 320 }),
        display_name: Type.String({ minLength: 1, maxLength: 200 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const CreatedTenantSchema = Type.Object({
  tenant: Type.Ref('Tenant'),
  owner: Type.Object({ id: IdSchema('usr'), email: Type.String() }),
  owner_api_token: Type.Object({
    id: IdSchema('tok'),
    token: Type.String({ description: 'Shown once; store it in a secret manager.' }),
  }),
});

function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The platform operators' API (tenant lifecycle) and the public tenant look-up by host. */
export function tenancyRoutes(db: Database): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addSchema(TenantSchema);

    app.post(
      '/api/v1/platform/tenants',
      {
        schema: {
          operationId: 'createTenant',
          summary: 'Create a tenant',
          description:
            "Creates a tenant (a merchant), its domains, its owner user and the owner's first API token (returned once). Platform operators only.",
          tags: ['Platform'],
          'x-permission': 'platform.tenant.create',
          'x-action': 'tenancy.tenant.create',
          body: CreateTenantBody,
          response: { 201: CreatedTenantSchema },
        },
      },
      async (req, reply) => {
        const b = req.body;
        if (b.timezone && !validTimezone(b.timezone)) {
          throw new AppError('validation-error', 'Unknown time zone.', [
            { in: 'body', pointer: '/timezone', detail: 'is not an IANA time zone' },
          ]);
        }
        const created = await createTenant(
          db,
          {
            name: b.name,
            slug: b.slug,
            ...(b.default_locale ? { defaultLocale: b.default_locale } : {}),
            ...(b.timezone ? { timezone: b.timezone } : {}),
            domains: b.domains ?? [],
            owner: { email: b.owner.email, displayName: b.owner.display_name },
          },
          req.principal!.actor,
          requestOrigin(req),
        );
        reply.code(201);
        return {
          tenant: created.tenant,
          owner: { id: created.ownerId, email: b.owner.email },
          owner_api_token: created.ownerToken,
        };
      },
    );

    app.get(
      '/api/v1/platform/tenants',
      {
        schema: {
          operationId: 'listTenants',
          summary: 'List tenants',
          tags: ['Platform'],
          'x-permission': 'platform.tenant.read',
          querystring: Type.Object(PageQuery, { additionalProperties: false }),
          response: { 200: Page(Type.Ref('Tenant'), 'Tenant') },
        },
      },
      async (req) =>
        listTenants(db, {
          limit: req.query.limit ?? 50,
          ...(req.query.cursor ? { cursor: req.query.cursor } : {}),
        }),
    );

    app.get(
      '/api/v1/platform/tenants/:tenant_id',
      {
        schema: {
          operationId: 'getTenant',
          summary: 'Get a tenant',
          tags: ['Platform'],
          'x-permission': 'platform.tenant.read',
          params: Type.Object({ tenant_id: IdSchema('ten') }),
          response: { 200: Type.Ref('Tenant') },
        },
      },
      async (req) => getTenant(db, req.params.tenant_id),
    );

    app.get(
      '/api/v1/tenant',
      {
        schema: {
          operationId: 'getCurrentTenant',
          summary: 'Get the current tenant',
          description: 'The tenant of the authenticated API token.',
          tags: ['Tenant'],
          'x-permission': 'authenticated',
          response: { 200: Type.Ref('Tenant') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => currentTenant(ctx)),
    );

    app.get(
      '/api/v1/public/tenant',
      {
        schema: {
          operationId: 'getPublicTenant',
          summary: 'Identify the shop at this address',
          description:
            "Public: the tenant that the request's host name is registered to (storefront domains), so that a login page can show whose shop it is.",
          tags: ['Public'],
          security: [],
          'x-permission': 'public',
          response: {
            200: Type.Object({ slug: Type.String(), name: Type.String(), default_locale: Type.String() }),
          },
        },
      },
      async (req, reply) => {
        const tenantId = await resolveTenantByHost(db, req.hostname);
        if (!tenantId) throw new AppError('not-found', 'No shop is registered at this address.');
        const t = await inTenant(db, req, reply, (ctx) => currentTenant(ctx), tenantId);
        return { slug: t.slug, name: t.name, default_locale: t.default_locale };
      },
    );
  };
}
