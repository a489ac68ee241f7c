import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SecretBox } from '../crypto/secrets.ts';
import type { Database } from '../db/database.ts';
import { Page, PageQuery } from '../http/pagination.ts';
import { Nullable } from '../http/schemas.ts';
import { inTenant } from '../http/tenant-handler.ts';
import { IdSchema } from '../ids.ts';
import { type AuditDelivery, getDelivery, listDeliveries, SIGNAL } from './delivery.ts';
import { getAuditSettings, INTERVAL_S, RETENTION_DAYS, updateAuditSettings } from './delivery-settings.ts';
import { AUDIT_FORMATS } from './formats.ts';
import { audit } from './record.ts';
import type { AuditSealer } from './sealer.ts';

const Format = Type.Union(
  AUDIT_FORMATS.map((f) => Type.Literal(f)),
  {
    description: '`json` (the native event, verifiable), `ocsf` (OCSF 1.1 JSON lines) or `cef` (CEF:0 lines)',
  },
);
const Target = Type.Union([Type.Literal('s3'), Type.Literal('archive')], {
  description: '`s3`: the SIEM push; `archive`: written before retention pruned the events',
});
const Status = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')], {
  description:
    '`pending`: not yet delivered (retried with backoff); `failed`: 5 attempts or more failed in a row — the alert was raised, retries go on; `delivered`',
});

const fields = {
  retention_days: Type.Integer({
    ...RETENTION_DAYS,
    description: 'Events older than this are archived, then pruned from the database (30 days – 10 years)',
    examples: [365],
  }),
  enabled: Type.Boolean({ description: 'Push the trail to the S3 target below' }),
  endpoint: Nullable(
    Type.String({
      maxLength: 500,
      description: 'https:// URL of an S3-compatible service (MinIO, Ceph, Scaleway, OVH…); null: AWS S3',
      examples: ['https://s3.fr-par.scw.cloud'],
    }),
  ),
  region: Type.String({ pattern: '^[a-z0-9-]{1,40}$', examples: ['eu-west-3'] }),
  bucket: Nullable(
    Type.String({
      pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
      description: 'Bucket name (3–63 lower-case letters, digits, dots, hyphens)',
      examples: ['acme-siem'],
    }),
  ),
  prefix: Type.String({
    maxLength: 200,
    pattern: "^[A-Za-z0-9!_.*'()/-]*$",
    description: 'Files go under `<prefix>/<tenant_id>/`',
    examples: ['comptoir/audit'],
  }),
  access_key_id: Nullable(Type.String({ minLength: 1, maxLength: 256, pattern: '^[\\x21-\\x7e]+$' })),
  force_path_style: Type.Boolean({
    description:
      'Address the bucket in the path (`https://endpoint/bucket/key`), as MinIO and most on-premises stores need',
  }),
  format: Format,
  interval_s: Type.Integer({
    ...INTERVAL_S,
    description: 'At most one file per interval (seconds), unless a full file of events is waiting',
    examples: [300],
  }),
};

const AuditSettingsSchema = Type.Object(
  {
    ...fields,
    secret_access_key_set: Type.Boolean({
      description: 'A secret access key is stored (encrypted); it is never returned',
    }),
    updated_at: Nullable(Type.String({ format: 'date-time', description: 'null: never changed (defaults)' })),
  },
  { $id: 'AuditSettings', title: 'Audit retention and SIEM push settings' },
);

const UpdateAuditSettingsBody = Type.Object(
  {
    retention_days: Type.Optional(fields.retention_days),
    enabled: Type.Optional(fields.enabled),
    endpoint: Type.Optional(fields.endpoint),
    region: Type.Optional(fields.region),
    bucket: Type.Optional(fields.bucket),
    prefix: Type.Optional(fields.prefix),
    access_key_id: Type.Optional(fields.access_key_id),
    secret_access_key: Type.Optional(
      Nullable(
        Type.String({
          minLength: 1,
          maxLength: 256,
          writeOnly: true,
          description: 'Stored encrypted, never returned; null removes it',
        }),
      ),
    ),
    force_path_style: Type.Optional(fields.force_path_style),
    format: Type.Optional(fields.format),
    interval_s: Type.Optional(fields.interval_s),
  },
  { additionalProperties: false, minProperties: 1 },
);

const DeliverySchema = Type.Object(
  {
    id: IdSchema('adl'),
    target: Target,
    from_seq: Type.Integer({ description: 'First sequence number in the file' }),
    to_seq: Type.Integer({ description: 'Last sequence number in the file' }),
    event_count: Type.Integer(),
    format: Format,
    destination: Nullable(Type.String({ description: '`s3://bucket`, or the local archive' })),
    object_key: Type.String({
      description: '`<prefix>/<tenant_id>/audit-<from>-<to>.jsonl.gz` (12-digit numbers)',
    }),
    status: Status,
    attempts: Type.Integer({ description: 'Failed attempts so far' }),
    last_error: Nullable(Type.String()),
    next_attempt_at: Nullable(Type.String({ format: 'date-time', description: 'Next retry (backoff)' })),
    delivered_at: Nullable(Type.String({ format: 'date-time' })),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'AuditDelivery', title: 'Audit delivery (one file of events)' },
);

export function auditDeliveryRoutes({
  db,
  delivery,
  sealer,
  secrets,
  allowPrivateEndpoints,
}: {
  db: Database;
  delivery: AuditDelivery;
  sealer: AuditSealer;
  secrets: SecretBox;
  allowPrivateEndpoints: boolean;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addSchema(AuditSettingsSchema);
    app.addSchema(DeliverySchema);
    const tags = ['Audit trail'];

    app.get(
      '/api/v1/audit/settings',
      {
        schema: {
          operationId: 'getAuditSettings',
          summary: 'Get audit retention and SIEM push settings',
          description:
            'Defaults until changed: retention 365 days, no push. The secret access key is never returned: `secret_access_key_set` tells whether one is stored.',
          tags,
          'x-permission': 'audit.event.read',
          response: { 200: Type.Ref('AuditSettings') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getAuditSettings(ctx)),
    );

    app.put(
      '/api/v1/audit/settings',
      {
        schema: {
          operationId: 'updateAuditSettings',
          summary: 'Change audit retention and SIEM push settings',
          description:
            'Fields left out keep their value. Enabling the push needs `bucket`, `access_key_id` and `secret_access_key`. The secret is stored encrypted (AES-256-GCM, bound to this tenant) and never returned; the change is audited with the secret masked. Files are `<prefix>/<tenant_id>/audit-<from_seq>-<to_seq>.jsonl.gz` (gzip, one event per line, 12-digit sequence numbers): a gap in the names is a gap in what you received.',
          tags,
          'x-permission': 'audit.settings.write',
          'x-action': 'audit.settings.update',
          body: UpdateAuditSettingsBody,
          response: { 200: Type.Ref('AuditSettings') },
        },
      },
      async (req, reply) => {
        const settings = await inTenant(db, req, reply, (ctx) =>
          updateAuditSettings(ctx, req.body, { secrets, allowPrivateEndpoints }),
        );
        db.signals.emit(SIGNAL);
        return settings;
      },
    );

    app.get(
      '/api/v1/audit/deliveries',
      {
        schema: {
          operationId: 'listAuditDeliveries',
          summary: 'List audit deliveries (SIEM push and archive files)',
          description: 'Newest first. A `failed` delivery raised an alert and is still retried.',
          tags,
          'x-permission': 'audit.event.read',
          querystring: Type.Object(
            { ...PageQuery, status: Type.Optional(Status), target: Type.Optional(Target) },
            { additionalProperties: false },
          ),
          response: { 200: Page(Type.Ref('AuditDelivery'), 'AuditDelivery') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          listDeliveries(ctx, { ...req.query, limit: req.query.limit ?? 50 }),
        ),
    );

    app.get(
      '/api/v1/audit/deliveries/:delivery_id',
      {
        schema: {
          operationId: 'getAuditDelivery',
          summary: 'Get an audit delivery',
          tags,
          'x-permission': 'audit.event.read',
          params: Type.Object({ delivery_id: IdSchema('adl') }),
          response: { 200: Type.Ref('AuditDelivery') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getDelivery(ctx, req.params.delivery_id)),
    );

    app.post(
      '/api/v1/audit/deliveries/run',
      {
        schema: {
          operationId: 'runAuditDelivery',
          summary: 'Push the audit trail to the S3 target now',
          description:
            'Seals what is committed, then delivers without waiting for the interval or a retry’s backoff, until caught up (at most 20 files per call). Answers with what was attempted; a failure is in the delivery’s `last_error` (HTTP 200: the run itself worked).',
          tags,
          'x-permission': 'audit.settings.write',
          'x-action': 'audit.delivery.run',
          body: Type.Object({}, { additionalProperties: false, description: 'An empty object' }),
          response: {
            200: Type.Object({
              outcome: Type.Union(
                [
                  Type.Literal('disabled'),
                  Type.Literal('idle'),
                  Type.Literal('waiting'),
                  Type.Literal('busy'),
                  Type.Literal('delivered'),
                  Type.Literal('failed'),
                ],
                {
                  description:
                    '`disabled`: no push configured; `idle`: nothing new; `busy`: another worker is uploading; `delivered`; `failed`',
                },
              ),
              deliveries: Type.Array(Type.Ref('AuditDelivery')),
              delivered_through: Nullable(Type.Integer({ description: 'Last sequence number delivered' })),
              head_seq: Nullable(Type.Integer({ description: 'Last sequence number in the chain' })),
            }),
          },
        },
      },
      async (req, reply) => {
        const principal = req.principal;
        // The upload happens outside the request's transaction (never hold one open over the network);
        // the run is then recorded, with its result, in the request's own transaction.
        let round: Awaited<ReturnType<AuditDelivery['runTenant']>> | null = null;
        if (principal?.kind === 'tenant') {
          await sealer.sealTenant(principal.tenantId);
          // Alerts raised during the run are the system's, linked to this request by its ID.
          round = await delivery.runTenant(principal.tenantId, { force: true, requestId: req.id });
        }
        return inTenant(db, req, reply, async (ctx) => {
          await audit(ctx, {
            action: 'audit.delivery.run',
            resource: { type: 'audit_trail', id: null },
            metadata: {
              outcome: round?.outcome ?? null,
              files: round?.deliveries.length ?? 0,
              delivered_through: round?.delivered_through ?? null,
            },
          });
          return round!;
        });
      },
    );
  };
}
