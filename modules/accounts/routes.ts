import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../../platform/db/database.ts';
import { Page, PageQuery } from '../../platform/http/pagination.ts';
import { Nullable } from '../../platform/http/schemas.ts';
import { inTenant } from '../../platform/http/tenant-handler.ts';
import { IdSchema } from '../../platform/ids.ts';
import { createAccount, getAccount, listAccounts, updateAccount } from './service.ts';

const Status = Type.Union([Type.Literal('active'), Type.Literal('blocked')], {
  description: '`blocked`: the account cannot order (e.g. unpaid invoices)',
});

export const AccountSchema = Type.Object(
  {
    id: IdSchema('acct'),
    name: Type.String({ description: 'Trading name' }),
    legal_name: Nullable(Type.String({ description: 'Registered name, if different' })),
    country: Type.String({ description: 'ISO 3166-1 alpha-2' }),
    siret: Nullable(Type.String()),
    vat_number: Nullable(Type.String()),
    external_ref: Nullable(Type.String({ description: "The ERP's identifier" })),
    status: Status,
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'Account', title: 'Customer account' },
);

const fields = {
  name: Type.String({ minLength: 1, maxLength: 200, examples: ['Boulangerie Martin'] }),
  legal_name: Nullable(Type.String({ minLength: 1, maxLength: 200 })),
  country: Type.String({ pattern: '^[A-Z]{2}$', examples: ['FR'] }),
  siret: Nullable(Type.String({ pattern: '^[0-9 ]{14,17}$', examples: ['73282932000074'] })),
  vat_number: Nullable(Type.String({ minLength: 4, maxLength: 20, examples: ['FR44732829320'] })),
  external_ref: Nullable(Type.String({ minLength: 1, maxLength: 100, examples: ['C-000123'] })),
  status: Status,
};

const CreateAccountBody = Type.Object(
  {
    name: fields.name,
    legal_name: Type.Optional(fields.legal_name),
    country: Type.Optional(fields.country),
    siret: Type.Optional(fields.siret),
    vat_number: Type.Optional(fields.vat_number),
    external_ref: Type.Optional(fields.external_ref),
    status: Type.Optional(fields.status),
  },
  { additionalProperties: false },
);

const UpdateAccountBody = Type.Partial(Type.Object(fields), {
  additionalProperties: false,
  minProperties: 1,
});

const AccountParams = Type.Object({ account_id: IdSchema('acct') });

export function accountRoutes({ db }: { db: Database }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addSchema(AccountSchema);
    const tags = ['Customer accounts'];

    app.post(
      '/api/v1/accounts',
      {
        schema: {
          operationId: 'createAccount',
          summary: 'Create a customer account',
          description:
            'SIRET and VAT numbers are checked (checksum, French VAT key). Send an `Idempotency-Key` to retry safely.',
          tags,
          'x-permission': 'accounts.account.write',
          'x-action': 'accounts.account.create',
          body: CreateAccountBody,
          response: { 201: Type.Ref('Account') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => createAccount(ctx, req.body));
      },
    );

    app.get(
      '/api/v1/accounts',
      {
        schema: {
          operationId: 'listAccounts',
          summary: 'List customer accounts',
          description: 'Ordered by creation (ID). Filters combine with AND.',
          tags,
          'x-permission': 'accounts.account.read',
          querystring: Type.Object(
            {
              ...PageQuery,
              status: Type.Optional(Status),
              external_ref: Type.Optional(Type.String({ maxLength: 100 })),
              name: Type.Optional(
                Type.String({ minLength: 1, maxLength: 200, description: 'Name prefix, case-insensitive' }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: Page(Type.Ref('Account'), 'Account') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => listAccounts(ctx, { ...req.query, limit: req.query.limit ?? 50 })),
    );

    app.get(
      '/api/v1/accounts/:account_id',
      {
        schema: {
          operationId: 'getAccount',
          summary: 'Get a customer account',
          tags,
          'x-permission': 'accounts.account.read',
          params: AccountParams,
          response: { 200: Type.Ref('Account') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getAccount(ctx, req.params.account_id)),
    );

    app.patch(
      '/api/v1/accounts/:account_id',
      {
        schema: {
          operationId: 'updateAccount',
          summary: 'Update a customer account',
          description: 'Only the fields sent change; `null` clears an optional field.',
          tags,
          'x-permission': 'accounts.account.write',
          'x-action': 'accounts.account.update',
          params: AccountParams,
          body: UpdateAccountBody,
          response: { 200: Type.Ref('Account') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => updateAccount(ctx, req.params.account_id, req.body)),
    );
  };
}
