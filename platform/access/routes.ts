import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../db/database.ts';
import { Nullable } from '../http/schemas.ts';
import { inTenant } from '../http/tenant-handler.ts';
import type { Catalogue } from '../identity/api-tokens.ts';
import { IdSchema } from '../ids.ts';
import { companyRoutes } from './company-routes.ts';
import { myPermissions } from './me.ts';
import { reviewRoutes } from './review-routes.ts';
import {
  accessReview,
  accessReviewCsv,
  approveSodException,
  assignRole,
  createRole,
  deleteRole,
  listAssignments,
  listRoles,
  listSodExceptions,
  replaceSecurityContacts,
  replaceSodRules,
  requestSodException,
  revokeAssignment,
  securityContacts,
  sodRules,
  updateRole,
} from './service.ts';
import { supportRoutes } from './support-routes.ts';

const When = (description?: string, examples?: string[]) =>
  Type.String({
    format: 'date-time',
    ...(description ? { description } : {}),
    ...(examples ? { examples } : {}),
  });
const PermissionName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[a-z][a-z_]*\\.[a-z][a-z_]*\\.[a-z][a-z_]*$',
  examples: ['catalog.product.write'],
});
const RoleKey = Type.String({
  minLength: 2,
  maxLength: 63,
  pattern: '^[a-z][a-z0-9_]{1,62}$',
  description: 'A predefined role (`owner`, `catalogue_manager`, `buyer`, …) or a custom role key',
  examples: ['catalogue_manager'],
});
const Audience = Type.Union([Type.Literal('staff'), Type.Literal('customer')], {
  description: '`staff`: roles of the merchant team; `customer`: roles of buyers, within their company',
});
const Scope = Type.Object(
  {
    type: Type.Union([Type.Literal('storefront'), Type.Literal('account')], {
      description: '`storefront`: a staff role limited to one storefront; `account`: one customer company',
    }),
    id: Type.String({
      pattern: '^[a-z]{1,16}_[0-7][0-9a-hjkmnp-tv-z]{25}$',
      description: 'The storefront (`sf_…`) or customer account (`acct_…`)',
      examples: ['acct_01jd5q6m3xf0k8y2v7r9t4w1zc'],
    }),
  },
  { additionalProperties: false, description: 'Where the assignment applies; omitted: the whole tenant' },
);

const RoleSchema = Type.Object(
  {
    key: Type.String(),
    id: Nullable(Type.String({ description: 'Custom roles only (`role_…`)' })),
    name: Type.String(),
    description: Nullable(Type.String()),
    audience: Audience,
    predefined: Type.Boolean(),
    account_id: Nullable(
      Type.String({
        description: "A customer company's own role (built by its company admin): that company",
      }),
    ),
    permissions: Type.Array(Type.String(), {
      description: 'Catalogue permissions; `*` (owner): all of them',
    }),
    administrative: Type.Boolean({
      description: 'Includes an administrative permission: granting it alerts the security contacts',
    }),
    created_at: Nullable(When()),
    updated_at: Nullable(When()),
  },
  { $id: 'Role', title: 'Role' },
);

const AssignmentSchema = Type.Object(
  {
    id: IdSchema('rasg'),
    user_id: IdSchema('usr'),
    role: Type.String(),
    scope: Nullable(Type.Object({ type: Type.String(), id: Type.String() })),
    expires_at: Nullable(When('A temporary assignment stops granting at this time')),
    status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
    granted_by: Nullable(Type.String({ description: 'Actor that granted it' })),
    sod_exception_id: Nullable(
      Type.String({ description: 'The exception that allowed a conflicting assignment' }),
    ),
    created_at: When(),
    revoked_at: Nullable(When()),
  },
  { $id: 'RoleAssignment', title: 'Role assignment' },
);

const SodRuleSchema = Type.Object(
  {
    permissions: Type.Tuple([PermissionName, PermissionName], {
      description: 'Two permissions one person may not hold together',
      examples: [['pricing.price_list.write', 'pricing.price_list.approve']],
    }),
    description: Type.Optional(Type.String({ maxLength: 300, examples: ['Prepare vs approve price lists'] })),
  },
  { additionalProperties: false },
);
const SodRules = Type.Object({
  rules: Type.Array(SodRuleSchema),
  is_default: Type.Boolean({ description: 'The platform defaults: the tenant never changed them' }),
});

const SodExceptionSchema = Type.Object(
  {
    id: IdSchema('sodx'),
    user_id: IdSchema('usr'),
    permissions: Type.Array(Type.String()),
    justification: Type.String(),
    expires_at: When(),
    status: Type.Union([
      Type.Literal('pending'),
      Type.Literal('approved'),
      Type.Literal('revoked'),
      Type.Literal('expired'),
    ]),
    requested_by: Type.String({ description: 'The initiator (a user ID)' }),
    approved_by: Nullable(Type.String()),
    approved_at: Nullable(When()),
    created_at: When(),
  },
  { $id: 'SodException', title: 'Separation-of-duties exception' },
);

const Contacts = Type.Object({
  emails: Type.Array(Type.String()),
  fallback_to_owners: Type.Boolean({ description: 'No contact listed: alerts go to the owners' }),
});

const UserParams = Type.Object({ user_id: IdSchema('usr') });
const tags = ['Access control'];

/** Roles, assignments, separation of duties, elevation alert contacts and the access review. */
export function accessRoutes({
  db,
  catalogue,
}: {
  db: Database;
  catalogue: Catalogue;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addSchema(RoleSchema);
    app.addSchema(AssignmentSchema);
    app.addSchema(SodExceptionSchema);
    await app.register(supportRoutes({ db, catalogue }));
    await app.register(reviewRoutes({ db }));
    await app.register(companyRoutes({ db, catalogue }));

    app.get(
      '/api/v1/me',
      {
        schema: {
          operationId: 'getMyPermissions',
          summary: 'My effective permissions',
          description:
            "Who the caller is and what they may do now: the effective permissions (an owner's `*` expanded to the catalogue; an API token: its scopes ∩ its user's permissions) and, for permissions held only through scoped role assignments, where they apply. A user interface hides what the caller cannot do; the API still checks every request.",
          tags,
          'x-permission': 'authenticated',
          response: {
            200: Type.Object({
              actor_type: Type.String({ examples: ['user'] }),
              actor_id: Type.String({ description: 'usr_…, tok_…, or the service account' }),
              user_id: Nullable(IdSchema('usr')),
              display_name: Type.String(),
              permissions: Type.Array(Type.String(), { examples: [['catalog.product.read']] }),
              scopes: Type.Array(
                Type.Object({
                  permission: Type.String(),
                  scopes: Type.Array(Type.Object({ type: Type.String(), id: Type.String() })),
                }),
                {
                  description:
                    'Permissions held only within scopes (a storefront, a customer company); a permission absent here applies tenant-wide',
                },
              ),
            }),
          },
        },
      },
      async (req, reply) => {
        reply.header('cache-control', 'no-store');
        return inTenant(db, req, reply, async (ctx) => myPermissions(ctx.actor));
      },
    );

    app.get(
      '/api/v1/roles',
      {
        schema: {
          operationId: 'listRoles',
          summary: 'List roles',
          description:
            'The predefined roles (resolved against the permission catalogue) followed by the custom roles of the tenant. docs/access-control.md explains each predefined role.',
          tags,
          'x-permission': 'iam.role.read',
          response: { 200: Type.Object({ data: Type.Array(Type.Ref('Role')) }) },
        },
      },
      async (req, reply) => ({ data: await inTenant(db, req, reply, (ctx) => listRoles(ctx)) }),
    );

    app.post(
      '/api/v1/roles',
      {
        schema: {
          operationId: 'createRole',
          summary: 'Create a custom role',
          description:
            'Built from catalogue permissions (each one checked; `*` refused). You may only put in a role permissions you hold yourself. The key may not be a predefined role’s.',
          tags,
          'x-permission': 'iam.role.write',
          'x-action': 'access.role.create',
          body: Type.Object(
            {
              key: RoleKey,
              name: Type.String({ minLength: 1, maxLength: 100, examples: ['Price reviewer'] }),
              description: Type.Optional(Type.String({ maxLength: 500, examples: ['Reviews price lists'] })),
              audience: Type.Optional(Audience),
              permissions: Type.Array(PermissionName, {
                minItems: 1,
                maxItems: 200,
                examples: [['catalog.product.read']],
              }),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('Role') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => createRole(ctx, req.body, catalogue));
      },
    );

    const RoleParams = Type.Object({ role_id: IdSchema('role') });
    app.patch(
      '/api/v1/roles/:role_id',
      {
        schema: {
          operationId: 'updateRole',
          summary: 'Change a custom role',
          description:
            'Changing the permissions applies at once to everyone holding the role; separation of duties is checked for each of them (409 `sod-conflict`), and newly added administrative permissions alert the security contacts.',
          tags,
          'x-permission': 'iam.role.write',
          'x-action': 'access.role.update',
          params: RoleParams,
          body: Type.Object(
            {
              name: Type.Optional(
                Type.String({ minLength: 1, maxLength: 100, examples: ['Price reviewer'] }),
              ),
              description: Type.Optional(
                Nullable(Type.String({ maxLength: 500, examples: ['Reviews price lists'] })),
              ),
              permissions: Type.Optional(
                Type.Array(PermissionName, {
                  minItems: 1,
                  maxItems: 200,
                  examples: [['catalog.product.read']],
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Ref('Role') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => updateRole(ctx, req.params.role_id, req.body, catalogue)),
    );

    app.delete(
      '/api/v1/roles/:role_id',
      {
        schema: {
          operationId: 'deleteRole',
          summary: 'Delete a custom role',
          description: 'Refused (409) while someone holds it.',
          tags,
          'x-permission': 'iam.role.write',
          'x-action': 'access.role.delete',
          params: RoleParams,
          response: { 204: Type.Null() },
        },
      },
      async (req, reply) => {
        await inTenant(db, req, reply, (ctx) => deleteRole(ctx, req.params.role_id));
        reply.code(204);
      },
    );

    app.post(
      '/api/v1/users/:user_id/roles',
      {
        schema: {
          operationId: 'assignRole',
          summary: 'Assign a role to a user',
          description:
            "Staff roles go to staff users, customer roles to buyers — always limited to the buyer's own company. `expires_at` makes it temporary: it stops granting at that time (checked on every request) and its expiry is audited. You may only grant permissions you hold. A conflict with the separation-of-duties rules is a 409 `sod-conflict` naming the permissions, unless an approved exception covers it (the assignment then ends with the exception). A role with administrative permissions alerts the security contacts.",
          tags,
          'x-permission': 'iam.role.assign',
          'x-action': 'access.role_assignment.create',
          params: UserParams,
          body: Type.Object(
            {
              role: RoleKey,
              scope: Type.Optional(Scope),
              expires_at: Type.Optional(
                When('Temporary assignment: in the future', ['2026-12-31T18:00:00.000Z']),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('RoleAssignment') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => assignRole(ctx, req.params.user_id, req.body));
      },
    );

    app.get(
      '/api/v1/users/:user_id/roles',
      {
        schema: {
          operationId: 'listRoleAssignments',
          summary: "List a user's role assignments",
          description: 'Active assignments; `include_inactive=true` adds the revoked and expired ones.',
          tags,
          'x-permission': 'iam.role.read',
          params: UserParams,
          querystring: Type.Object(
            { include_inactive: Type.Optional(Type.Boolean({ default: false })) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ data: Type.Array(Type.Ref('RoleAssignment')) }) },
        },
      },
      async (req, reply) => ({
        data: await inTenant(db, req, reply, (ctx) =>
          listAssignments(ctx, req.params.user_id, req.query.include_inactive ?? false),
        ),
      }),
    );

    app.delete(
      '/api/v1/users/:user_id/roles/:assignment_id',
      {
        schema: {
          operationId: 'revokeRoleAssignment',
          summary: 'Revoke a role assignment',
          description:
            'Takes effect at the next request of the user (sessions and tokens alike). The last owner cannot be revoked (409).',
          tags,
          'x-permission': 'iam.role.assign',
          'x-action': 'access.role_assignment.revoke',
          params: Type.Object({ user_id: IdSchema('usr'), assignment_id: IdSchema('rasg') }),
          response: { 204: Type.Null() },
        },
      },
      async (req, reply) => {
        await inTenant(db, req, reply, (ctx) =>
          revokeAssignment(ctx, req.params.user_id, req.params.assignment_id),
        );
        reply.code(204);
      },
    );

    app.get(
      '/api/v1/sod-rules',
      {
        schema: {
          operationId: 'getSodRules',
          summary: 'Separation-of-duties rules',
          description: 'Pairs of permissions one person may not hold together (the defaults until changed).',
          tags,
          'x-permission': 'iam.role.read',
          response: { 200: SodRules },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => sodRules(ctx)),
    );

    app.put(
      '/api/v1/sod-rules',
      {
        schema: {
          operationId: 'replaceSodRules',
          summary: 'Replace the separation-of-duties rules',
          description:
            'Applies to assignments made from now on. Rules may name permissions a module will declare later (refunds, credit notes).',
          tags,
          'x-permission': 'iam.policy.write',
          'x-action': 'access.sod_rules.update',
          body: Type.Object(
            { rules: Type.Array(SodRuleSchema, { maxItems: 100 }) },
            { additionalProperties: false },
          ),
          response: { 200: SodRules },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => replaceSodRules(ctx, req.body.rules)),
    );

    app.get(
      '/api/v1/sod-exceptions',
      {
        schema: {
          operationId: 'listSodExceptions',
          summary: 'List separation-of-duties exceptions',
          tags,
          'x-permission': 'iam.role.read',
          response: { 200: Type.Object({ data: Type.Array(Type.Ref('SodException')) }) },
        },
      },
      async (req, reply) => ({ data: await inTenant(db, req, reply, (ctx) => listSodExceptions(ctx)) }),
    );

    app.post(
      '/api/v1/sod-exceptions',
      {
        schema: {
          operationId: 'requestSodException',
          summary: 'Request a separation-of-duties exception',
          description: `Lets one user hold one conflicting pair of permissions until \`expires_at\` (at most 90 days), for a written reason. It is \`pending\` until someone other than the requester approves it (four-eyes).`,
          tags,
          'x-permission': 'iam.role.assign',
          'x-action': 'access.sod_exception.create',
          body: Type.Object(
            {
              user_id: IdSchema('usr'),
              permissions: Type.Array(PermissionName, {
                minItems: 2,
                maxItems: 2,
                examples: [['pricing.price_list.write', 'pricing.price_list.approve']],
              }),
              justification: Type.String({
                minLength: 20,
                maxLength: 1000,
                examples: ['Sole finance officer during the summer closure; reviewed weekly by the CFO'],
              }),
              expires_at: When('In the future, within 90 days', ['2026-08-31T18:00:00.000Z']),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('SodException') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => requestSodException(ctx, req.body));
      },
    );

    app.post(
      '/api/v1/sod-exceptions/:exception_id/approve',
      {
        schema: {
          operationId: 'approveSodException',
          summary: 'Approve a separation-of-duties exception',
          description:
            'Four-eyes: the requester cannot approve their own request (403 `four-eyes-required`).',
          tags,
          'x-permission': 'iam.sod_exception.approve',
          'x-action': 'access.sod_exception.approve',
          params: Type.Object({ exception_id: IdSchema('sodx') }),
          response: { 200: Type.Ref('SodException') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => approveSodException(ctx, req.params.exception_id)),
    );

    app.get(
      '/api/v1/security-contacts',
      {
        schema: {
          operationId: 'getSecurityContacts',
          summary: 'Security contacts',
          description: 'Who receives privilege elevation alerts (none listed: the owners).',
          tags,
          'x-permission': 'iam.role.read',
          response: { 200: Contacts },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => securityContacts(ctx)),
    );

    app.put(
      '/api/v1/security-contacts',
      {
        schema: {
          operationId: 'replaceSecurityContacts',
          summary: 'Replace the security contacts',
          tags,
          'x-permission': 'iam.policy.write',
          'x-action': 'access.security_contacts.update',
          body: Type.Object(
            {
              emails: Type.Array(
                Type.String({
                  format: 'email',
                  maxLength: 254,
                  examples: ['security@acme-industrie.example'],
                }),
                { maxItems: 20 },
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: Contacts },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => replaceSecurityContacts(ctx, req.body.emails)),
    );

    app.get(
      '/api/v1/access-review',
      {
        schema: {
          operationId: 'exportAccessReview',
          summary: 'Export the access review (who can do what)',
          description:
            'Every user: status, roles and their scopes and expiry, effective permissions, last login, MFA and SSO status, active API tokens and their scopes. `format=csv` (one line per user, lists separated by `|`) or `json`. A sensitive read: audited, and a recent second factor for web sessions.',
          tags,
          'x-permission': 'iam.access_review.run',
          'x-action': 'access.access_review.export',
          querystring: Type.Object(
            {
              format: Type.Optional(
                Type.Union([Type.Literal('json'), Type.Literal('csv')], {
                  default: 'json',
                  examples: ['csv'],
                }),
              ),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.String({ description: 'JSON ({"generated_at", "data": [...]}) or CSV, by `format`' }),
          },
        },
      },
      async (req, reply) => {
        const format = req.query.format ?? 'json';
        const list = await inTenant(db, req, reply, (ctx) => accessReview(ctx, format));
        if (format === 'csv') {
          reply
            .type('text/csv; charset=utf-8')
            .header('content-disposition', 'attachment; filename="access-review.csv"');
          return accessReviewCsv(list);
        }
        reply.type('application/json; charset=utf-8');
        return JSON.stringify({ generated_at: new Date().toISOString(), data: list });
      },
    );
  };
}
