import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../db/database.ts';
import { inTenant } from '../http/tenant-handler.ts';
import type { Catalogue } from '../identity/api-tokens.ts';
import { IdSchema } from '../ids.ts';
import {
  assignCompanyRole,
  createCompanyRole,
  customerRolePolicy,
  listCompanyAssignments,
  listCompanyRoles,
  replaceCustomerRolePolicy,
  revokeCompanyAssignment,
} from './company.ts';

const PermissionName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[a-z][a-z_]*\\.[a-z][a-z_]*\\.[a-z][a-z_]*$',
  examples: ['orders.order.read'],
});
const Policy = Type.Object({
  permissions: Type.Array(Type.String()),
  is_default: Type.Boolean({
    description: 'The permissions of the predefined customer roles (never changed)',
  }),
});
const tags = ['Access control'];

/** The customer role policy (staff side) and customer companies' own roles (company admins). */
export function companyRoutes({
  db,
  catalogue,
}: {
  db: Database;
  catalogue: Catalogue;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/v1/customer-role-policy',
      {
        schema: {
          operationId: 'getCustomerRolePolicy',
          summary: "What customer companies' admins may put in their roles",
          description:
            'The permissions company admins may use in their own custom roles; by default those of the predefined customer roles.',
          tags,
          'x-permission': 'iam.role.read',
          response: { 200: Policy },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => customerRolePolicy(ctx)),
    );

    app.put(
      '/api/v1/customer-role-policy',
      {
        schema: {
          operationId: 'replaceCustomerRolePolicy',
          summary: "Set what customer companies' admins may put in their roles",
          description:
            'Catalogue permissions, never administrative ones. Applies to roles built from now on (existing company roles keep their permissions).',
          tags,
          'x-permission': 'iam.policy.write',
          'x-action': 'access.customer_role_policy.update',
          body: Type.Object(
            {
              permissions: Type.Array(PermissionName, {
                maxItems: 200,
                examples: [['catalog.product.read', 'accounts.account.read']],
              }),
            },
            { additionalProperties: false },
          ),
          response: { 200: Policy },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => replaceCustomerRolePolicy(ctx, req.body.permissions, catalogue)),
    );

    app.get(
      '/api/v1/company/roles',
      {
        schema: {
          operationId: 'listCompanyRoles',
          summary: "The roles of one's customer company",
          description:
            "For a customer company's users: the predefined customer roles and the company's own roles, with the permissions the shop allows in them.",
          tags,
          'x-permission': 'customers.role.read',
          response: {
            200: Type.Object({
              account_id: IdSchema('acct'),
              allowed_permissions: Type.Array(Type.String()),
              data: Type.Array(Type.Ref('Role')),
            }),
          },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => listCompanyRoles(ctx)),
    );

    app.post(
      '/api/v1/company/roles',
      {
        schema: {
          operationId: 'createCompanyRole',
          summary: "Create a custom role for one's customer company",
          description:
            'Company admins only: a role of their company, from the permissions the shop allows (GET /api/v1/company/roles) and that they hold themselves; anything else is a 403 naming the permission.',
          tags,
          'x-permission': 'customers.role.write',
          'x-action': 'access.role.create',
          body: Type.Object(
            {
              key: Type.String({
                minLength: 2,
                maxLength: 63,
                pattern: '^[a-z][a-z0-9_]{1,62}$',
                examples: ['martin_orderer'],
              }),
              name: Type.String({ minLength: 1, maxLength: 100, examples: ['Commandes seulement'] }),
              description: Type.Optional(Type.String({ maxLength: 500 })),
              permissions: Type.Array(PermissionName, { minItems: 1, maxItems: 200 }),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('Role') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => createCompanyRole(ctx, req.body, catalogue));
      },
    );

    app.post(
      '/api/v1/company/users/:user_id/roles',
      {
        schema: {
          operationId: 'assignCompanyRole',
          summary: "Give a role to a user of one's customer company",
          description:
            "Company admins only: a predefined customer role or one of the company's roles, to a user of the same company (another company's user is a 404). Always limited to the company.",
          tags,
          'x-permission': 'customers.role.assign',
          'x-action': 'access.role_assignment.create',
          params: Type.Object({ user_id: IdSchema('usr') }),
          body: Type.Object(
            {
              role: Type.String({
                minLength: 2,
                maxLength: 63,
                pattern: '^[a-z][a-z0-9_]{1,62}$',
                examples: ['buyer'],
              }),
              expires_at: Type.Optional(Type.String({ format: 'date-time' })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('RoleAssignment') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => assignCompanyRole(ctx, req.params.user_id, req.body));
      },
    );

    app.get(
      '/api/v1/company/users/:user_id/roles',
      {
        schema: {
          operationId: 'listCompanyRoleAssignments',
          summary: "A company user's active role assignments",
          description: "Company admins only; another company's user is a 404.",
          tags,
          'x-permission': 'customers.role.read',
          params: Type.Object({ user_id: IdSchema('usr') }),
          response: { 200: Type.Object({ data: Type.Array(Type.Ref('RoleAssignment')) }) },
        },
      },
      async (req, reply) => ({
        data: await inTenant(db, req, reply, (ctx) => listCompanyAssignments(ctx, req.params.user_id)),
      }),
    );

    app.delete(
      '/api/v1/company/users/:user_id/roles/:assignment_id',
      {
        schema: {
          operationId: 'revokeCompanyRoleAssignment',
          summary: "Revoke a role of a user of one's customer company",
          description:
            "Company admins only; another company's user is a 404. Takes effect at the user's next request.",
          tags,
          'x-permission': 'customers.role.assign',
          'x-action': 'access.role_assignment.revoke',
          params: Type.Object({ user_id: IdSchema('usr'), assignment_id: IdSchema('rasg') }),
          response: { 204: Type.Null() },
        },
      },
      async (req, reply) => {
        await inTenant(db, req, reply, (ctx) =>
          revokeCompanyAssignment(ctx, req.params.user_id, req.params.assignment_id),
        );
        reply.code(204);
      },
    );
  };
}
