import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { runAsTenant } from '../context.ts';
import type { Database } from '../db/database.ts';
import { Nullable } from '../http/schemas.ts';
import { inTenant, requestOrigin } from '../http/tenant-handler.ts';
import type { Catalogue } from '../identity/api-tokens.ts';
import { IdSchema } from '../ids.ts';
import { getTenant } from '../tenancy/service.ts';
import {
  approveSupportRequest,
  listSupportRequests,
  MAX_SUPPORT_HOURS,
  rejectSupportRequest,
  requestSupportAccess,
  revokeSupportRequest,
} from './support.ts';

const When = () => Type.String({ format: 'date-time' });

const SupportRequestSchema = Type.Object(
  {
    id: IdSchema('sup'),
    tenant_id: IdSchema('ten'),
    operator: Type.Object({
      id: Type.String({ description: 'The operator token (`opt_…`) that asked and may use the grant' }),
      name: Type.String(),
    }),
    reason: Type.String(),
    duration_hours: Type.Integer(),
    permissions: Type.Array(Type.String(), {
      description: 'Write permissions granted on top of every read; empty: read-only',
    }),
    access: Type.Union([Type.Literal('read_only'), Type.Literal('read_write')]),
    status: Type.Union(
      [
        Type.Literal('pending'),
        Type.Literal('approved'),
        Type.Literal('rejected'),
        Type.Literal('revoked'),
        Type.Literal('expired'),
      ],
      { description: '`approved` is a usable grant until `expires_at`; then `expired`' },
    ),
    created_at: When(),
    decided_by: Nullable(Type.String({ description: 'The tenant admin who approved or rejected it' })),
    decided_at: Nullable(When()),
    decision_reason: Nullable(Type.String()),
    expires_at: Nullable(When()),
    revoked_by: Nullable(Type.String()),
    revoked_at: Nullable(When()),
  },
  { $id: 'SupportRequest', title: 'Support access request (and grant)' },
);

const Rejection = Type.Object(
  {
    comment: Type.String({
      minLength: 1,
      maxLength: 500,
      examples: ['Please go through our support desk: ticket first'],
    }),
  },
  { additionalProperties: false },
);
const RequestParams = Type.Object({ request_id: IdSchema('sup') });
const tags = ['Access control'];

/**
 * Support access: the operators' side (platform API: ask, follow) and the tenant's side (list,
 * approve, reject, revoke). The grant is used with `Comptoir-Support-Grant` (platform/http/auth-hooks.ts).
 */
export function supportRoutes({
  db,
  catalogue,
}: {
  db: Database;
  catalogue: Catalogue;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addSchema(SupportRequestSchema);
    const TenantParams = Type.Object({ tenant_id: IdSchema('ten') });

    app.post(
      '/api/v1/platform/tenants/:tenant_id/support-requests',
      {
        schema: {
          operationId: 'requestSupportAccess',
          summary: 'Ask a tenant for support access',
          description: `Platform operators only. Nothing is granted until an administrator of the tenant approves (its security contacts, or owners, are told by mail). Once approved, send \`Comptoir-Support-Grant: <id>\` with your operator token on the tenant's API: every \`*.read\` permission, plus the write permissions asked for here (never an administrative one), until \`duration_hours\` (at most ${MAX_SUPPORT_HOURS}) after the approval. Everything you do is audited as you, on behalf of this request.`,
          tags: ['Platform'],
          'x-permission': 'platform.support_access.request',
          'x-action': 'access.support_request.create',
          params: TenantParams,
          body: Type.Object(
            {
              reason: Type.String({
                minLength: 10,
                maxLength: 1000,
                examples: ['Ticket #4821: the price list import fails with a 500'],
              }),
              duration_hours: Type.Integer({ minimum: 1, maximum: MAX_SUPPORT_HOURS, examples: [4] }),
              permissions: Type.Optional(
                Type.Array(
                  Type.String({
                    minLength: 1,
                    maxLength: 100,
                    pattern: '^[a-z][a-z_]*\\.[a-z][a-z_]*\\.[a-z][a-z_]*$',
                  }),
                  { maxItems: 50, examples: [['pricing.price_list.write']] },
                ),
              ),
            },
            { additionalProperties: false },
          ),
          response: {
            201: Type.Object({
              tenant: Type.Object({ id: IdSchema('ten'), name: Type.String() }),
              support_request: Type.Ref('SupportRequest'),
            }),
          },
        },
      },
      async (req, reply) => {
        const tenant = await getTenant(db, req.params.tenant_id);
        const created = await runAsTenant(
          db,
          { tenantId: tenant.id, actor: req.principal!.actor, ...requestOrigin(req) },
          (ctx) => requestSupportAccess(ctx, req.body, catalogue),
        );
        reply.code(201);
        return { tenant: { id: tenant.id, name: tenant.name }, support_request: created };
      },
    );

    app.get(
      '/api/v1/platform/tenants/:tenant_id/support-requests',
      {
        schema: {
          operationId: 'listOwnSupportRequests',
          summary: "Follow one's support requests to a tenant",
          description: 'Platform operators only: the requests this operator token made to the tenant.',
          tags: ['Platform'],
          'x-permission': 'platform.support_access.request',
          params: TenantParams,
          response: { 200: Type.Object({ data: Type.Array(Type.Ref('SupportRequest')) }) },
        },
      },
      async (req) => {
        const tenant = await getTenant(db, req.params.tenant_id);
        const actor = req.principal!.actor;
        return {
          data: await runAsTenant(db, { tenantId: tenant.id, actor, ...requestOrigin(req) }, (ctx) =>
            listSupportRequests(ctx, actor.id),
          ),
        };
      },
    );

    app.get(
      '/api/v1/support-access',
      {
        schema: {
          operationId: 'listSupportAccess',
          summary: 'List support access requests and grants',
          description:
            'Every request platform operators made to this tenant, with its status: pending, approved (a usable grant until `expires_at`), rejected, revoked or expired.',
          tags,
          'x-permission': 'iam.support_access.read',
          response: { 200: Type.Object({ data: Type.Array(Type.Ref('SupportRequest')) }) },
        },
      },
      async (req, reply) => ({ data: await inTenant(db, req, reply, (ctx) => listSupportRequests(ctx)) }),
    );

    app.post(
      '/api/v1/support-access/:request_id/approve',
      {
        schema: {
          operationId: 'approveSupportAccess',
          summary: 'Approve a support access request',
          description:
            'The grant starts now and ends `duration_hours` later (checked at every request of the operator). You cannot grant write permissions you do not hold. A web session needs a recent second factor (step-up).',
          tags,
          'x-permission': 'iam.support_access.approve',
          'x-action': 'access.support_request.approve',
          params: RequestParams,
          response: { 200: Type.Ref('SupportRequest') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => approveSupportRequest(ctx, req.params.request_id, {})),
    );

    app.post(
      '/api/v1/support-access/:request_id/reject',
      {
        schema: {
          operationId: 'rejectSupportAccess',
          summary: 'Reject a support access request',
          tags,
          'x-permission': 'iam.support_access.approve',
          'x-action': 'access.support_request.reject',
          params: RequestParams,
          body: Rejection,
          response: { 200: Type.Ref('SupportRequest') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => rejectSupportRequest(ctx, req.params.request_id, req.body)),
    );

    app.post(
      '/api/v1/support-access/:request_id/revoke',
      {
        schema: {
          operationId: 'revokeSupportAccess',
          summary: 'Revoke a support access grant',
          description:
            "Ends the grant (or withdraws a pending request) at once: the operator's next request is refused.",
          tags,
          'x-permission': 'iam.support_access.approve',
          'x-action': 'access.support_request.revoke',
          params: RequestParams,
          response: { 200: Type.Ref('SupportRequest') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => revokeSupportRequest(ctx, req.params.request_id)),
    );
  };
}
