import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Database } from '../db/database.ts';
import { Nullable } from '../http/schemas.ts';
import { inTenant } from '../http/tenant-handler.ts';
import { IdSchema } from '../ids.ts';
import {
  closeCampaign,
  decideItem,
  getCampaign,
  listCampaigns,
  REVIEW_INTERVAL_MONTHS,
  reviewStatus,
  startCampaign,
} from './review.ts';

const When = (description?: string) =>
  Type.String({ format: 'date-time', ...(description ? { description } : {}) });

const CampaignFields = {
  id: IdSchema('arc'),
  name: Type.String(),
  status: Type.Union([Type.Literal('open'), Type.Literal('completed'), Type.Literal('closed')], {
    description: '`completed`: every item decided; `closed`: ended early (does not count as a review)',
  }),
  due_at: Nullable(When("The reviewers' deadline")),
  created_by: Type.String(),
  created_at: When(),
  closed_by: Nullable(Type.String()),
  closed_at: Nullable(When()),
  items_total: Type.Integer(),
  items_decided: Type.Integer(),
};
const CampaignSchema = Type.Object(CampaignFields, {
  $id: 'AccessReviewCampaign',
  title: 'Access review campaign',
});

const ItemSchema = Type.Object(
  {
    id: IdSchema('ari'),
    assignment_id: IdSchema('rasg'),
    user: Type.Object({
      id: IdSchema('usr'),
      email: Nullable(Type.String()),
      display_name: Nullable(Type.String()),
    }),
    role: Type.String(),
    scope: Nullable(Type.Object({ type: Type.String(), id: Type.String() })),
    expires_at: Nullable(When()),
    decision: Nullable(
      Type.Union([Type.Literal('certified'), Type.Literal('revoked'), Type.Literal('not_reviewed')]),
    ),
    decided_by: Nullable(Type.String()),
    decided_at: Nullable(When()),
    comment: Nullable(Type.String()),
  },
  { $id: 'AccessReviewItem', title: 'Access review item' },
);

const CampaignParams = Type.Object({ campaign_id: IdSchema('arc') });
const tags = ['Access control'];

/** Access review campaigns (certify or revoke each assignment) and the review status. */
export function reviewRoutes({ db }: { db: Database }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addSchema(CampaignSchema);
    app.addSchema(ItemSchema);

    app.post(
      '/api/v1/access-review/campaigns',
      {
        schema: {
          operationId: 'startAccessReviewCampaign',
          summary: 'Start an access review campaign',
          description:
            'Snapshots every active role assignment of the tenant as an item to certify or revoke.',
          tags,
          'x-permission': 'iam.access_review.run',
          'x-action': 'access.review_campaign.create',
          body: Type.Object(
            {
              name: Type.String({ minLength: 1, maxLength: 200, examples: ['Revue des accès S1 2026'] }),
              due_at: Type.Optional(When("The reviewers' deadline, in the future")),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('AccessReviewCampaign') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => startCampaign(ctx, req.body));
      },
    );

    app.get(
      '/api/v1/access-review/campaigns',
      {
        schema: {
          operationId: 'listAccessReviewCampaigns',
          summary: 'List access review campaigns',
          tags,
          'x-permission': 'iam.access_review.run',
          response: { 200: Type.Object({ data: Type.Array(Type.Ref('AccessReviewCampaign')) }) },
        },
      },
      async (req, reply) => ({ data: await inTenant(db, req, reply, (ctx) => listCampaigns(ctx)) }),
    );

    app.get(
      '/api/v1/access-review/campaigns/:campaign_id',
      {
        schema: {
          operationId: 'getAccessReviewCampaign',
          summary: 'Get an access review campaign and its items',
          tags,
          'x-permission': 'iam.access_review.run',
          params: CampaignParams,
          response: {
            200: Type.Object({ ...CampaignFields, items: Type.Array(Type.Ref('AccessReviewItem')) }),
          },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getCampaign(ctx, req.params.campaign_id)),
    );

    app.post(
      '/api/v1/access-review/campaigns/:campaign_id/items/:item_id/decision',
      {
        schema: {
          operationId: 'decideAccessReviewItem',
          summary: 'Certify or revoke one assignment',
          description:
            '`revoke` removes the assignment at once (the last owner cannot be revoked: 409). Nobody reviews their own access (403 `four-eyes-required`). The last decision completes the campaign.',
          tags,
          'x-permission': 'iam.access_review.run',
          'x-action': 'access.review_item.decide',
          params: Type.Object({ campaign_id: IdSchema('arc'), item_id: IdSchema('ari') }),
          body: Type.Object(
            {
              decision: Type.Union([Type.Literal('certify'), Type.Literal('revoke')]),
              comment: Type.Optional(
                Type.String({ maxLength: 500, examples: ['Left the pricing team in March'] }),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Ref('AccessReviewItem') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          decideItem(ctx, req.params.campaign_id, req.params.item_id, req.body),
        ),
    );

    app.post(
      '/api/v1/access-review/campaigns/:campaign_id/close',
      {
        schema: {
          operationId: 'closeAccessReviewCampaign',
          summary: 'Close an access review campaign early',
          description:
            'Undecided items become `not_reviewed`; a campaign closed with undecided items does not count as a completed review.',
          tags,
          'x-permission': 'iam.access_review.run',
          'x-action': 'access.review_campaign.close',
          params: CampaignParams,
          response: { 200: Type.Ref('AccessReviewCampaign') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => closeCampaign(ctx, req.params.campaign_id)),
    );

    app.get(
      '/api/v1/access-review/status',
      {
        schema: {
          operationId: 'getAccessReviewStatus',
          summary: 'When the next access review is due',
          description: `A review is due ${REVIEW_INTERVAL_MONTHS} months after the last completed campaign (or after the tenant's creation); once overdue, the security contacts get one reminder mail.`,
          tags,
          'x-permission': 'iam.access_review.run',
          response: {
            200: Type.Object({
              last_completed_campaign: Nullable(
                Type.Object({ id: IdSchema('arc'), name: Type.String(), completed_at: When() }),
              ),
              open_campaign_id: Nullable(IdSchema('arc')),
              due_at: When(),
              overdue: Type.Boolean(),
              last_reminder_at: Nullable(When()),
            }),
          },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => reviewStatus(ctx)),
    );
  };
}
