import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { PermissionDefinition } from '../access/permissions.ts';
import type { Database } from '../db/database.ts';
import { Page, PageQuery } from '../http/pagination.ts';
import { Nullable } from '../http/schemas.ts';
import { inTenant } from '../http/tenant-handler.ts';
import { requireRecentSecondFactor } from '../identity/step-up.ts';
import { AUDIT_FORMATS, CONTENT_TYPES, formatLine } from './formats.ts';
import type { AuditKeys } from './keys.ts';
import { audit } from './record.ts';
import type { AuditSealer } from './sealer.ts';
import {
  chainState,
  exportLines,
  listCheckpoints,
  publicKeyList,
  queryEvents,
  readFeed,
  verifyStoredChain,
} from './service.ts';

export const AUDIT_PERMISSIONS: PermissionDefinition[] = [
  { name: 'audit.event.read', description: 'Read the audit trail, its feed and its verification' },
  { name: 'audit.export.run', description: 'Export the audit trail (a mass export, itself audited)' },
  { name: 'audit.settings.write', description: 'Configure audit retention and SIEM delivery' },
];

const Outcome = Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('denied')]);
const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

export const AuditEventSchema = Type.Object(
  {
    id: Type.String({ description: 'aud_…, unique' }),
    tenant_id: Type.String(),
    seq: Nullable(Type.Integer({ description: 'Position in the chain; null until sealed (seconds)' })),
    occurred_at: Type.String({ format: 'date-time', description: 'UTC, millisecond precision' }),
    actor: Type.Object({
      type: Type.String({ description: 'user, api_token, service_account, operator, system, anonymous' }),
      id: Type.String(),
      name: Type.String({ description: 'Display name at the time' }),
    }),
    on_behalf_of: Nullable(
      Type.Object({
        type: Type.String(),
        id: Type.String(),
        name: Type.String(),
        reason: Type.Optional(Type.String()),
      }),
    ),
    source_ip: Nullable(Type.String()),
    user_agent: Nullable(Type.String()),
    request_id: Nullable(Type.String()),
    action: Type.String({ description: 'Stable dotted name, e.g. accounts.account.create' }),
    resource: Nullable(Type.Object({ type: Type.String(), id: Nullable(Type.String()) })),
    outcome: Outcome,
    reason: Nullable(Type.String()),
    changes: Nullable(
      Type.Record(Type.String(), Type.Object({ before: Type.Unknown(), after: Type.Unknown() }), {
        description: 'Before/after of changed fields; secrets and personal data show as "[masked]"',
      }),
    ),
    metadata: Nullable(Type.Record(Type.String(), Type.Unknown())),
    prev_hash: Nullable(Type.String()),
    hash: Nullable(Type.String({ description: 'SHA-256 over the canonical JSON (docs/audit.md)' })),
  },
  { $id: 'AuditEvent', title: 'Audit event' },
);

const CheckpointSchema = Type.Object(
  {
    tenant_id: Type.String(),
    seq: Type.Integer(),
    hash: Type.String(),
    signed_at: Type.String({ format: 'date-time' }),
    key_id: Type.String(),
    signature: Type.String({ description: 'Base64 Ed25519 signature over the canonical checkpoint' }),
  },
  { $id: 'AuditCheckpoint', title: 'Signed audit checkpoint' },
);

const Range = Type.Object(
  {
    from_seq: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    to_seq: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
  },
  { additionalProperties: false },
);

/** At most this many events per export call; larger trails are exported range by range. */
export const MAX_EXPORT_EVENTS = 100_000;
export const MAX_FEED_LIMIT = 5000;

export function auditRoutes({
  db,
  keys,
  sealer,
}: {
  db: Database;
  keys: AuditKeys;
  sealer: AuditSealer;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addSchema(AuditEventSchema);
    app.addSchema(CheckpointSchema);
    const tags = ['Audit trail'];

    app.get(
      '/api/v1/audit/events',
      {
        schema: {
          operationId: 'listAuditEvents',
          summary: 'Search the audit trail',
          description:
            'Newest first. Filters combine with AND; `action` takes an exact name or a prefix such as `accounts.*`. Events not yet sealed into the chain have `seq: null` for a few seconds. Reading the trail is itself audited (`audit.event.read`).',
          tags,
          'x-permission': 'audit.event.read',
          'x-action': 'audit.event.read',
          querystring: Type.Object(
            {
              ...PageQuery,
              from: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive' })),
              to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive' })),
              actor_id: Type.Optional(Type.String({ maxLength: 200 })),
              actor_type: Type.Optional(Type.String({ maxLength: 40 })),
              action: Type.Optional(Type.String({ pattern: '^[a-z0-9_]+(\\.[a-z0-9_]+)*(\\.\\*)?$' })),
              resource_type: Type.Optional(Type.String({ maxLength: 100 })),
              resource_id: Type.Optional(Type.String({ maxLength: 200 })),
              outcome: Type.Optional(Outcome),
              request_id: Type.Optional(Type.String({ maxLength: 100 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Page(Type.Ref('AuditEvent'), 'AuditEvent') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => queryEvents(ctx, { ...req.query, limit: req.query.limit ?? 50 })),
    );

    app.get(
      '/api/v1/audit/feed',
      {
        schema: {
          operationId: 'readAuditFeed',
          summary: 'Incremental audit feed for a SIEM collector',
          description:
            'Sealed events with `seq > after`, in chain order, one per line: `json` (the native event, verifiable), `ocsf` (OCSF 1.1 API Activity, JSON lines) or `cef` (CEF:0 lines). Poll with `after` = the `Comptoir-Next-After` header of the previous answer: no gaps, no duplicates. Each poll is audited as `audit.feed.read`.',
          tags,
          'x-permission': 'audit.event.read',
          'x-action': 'audit.feed.read',
          querystring: Type.Object(
            {
              after: Type.Optional({ ...Seq, default: 0 }),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_FEED_LIMIT, default: 1000 })),
              format: Type.Optional(
                Type.Union(
                  AUDIT_FORMATS.map((f) => Type.Literal(f)),
                  { default: 'json' },
                ),
              ),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.String({ description: 'One event per line (JSON lines, or CEF lines)' }),
          },
        },
      },
      async (req, reply) => {
        const after = req.query.after ?? 0;
        const format = req.query.format ?? 'json';
        const events = await inTenant(db, req, reply, async (ctx) => {
          const list = await readFeed(ctx.tx, ctx.tenantId, after, req.query.limit ?? 1000);
          await audit(ctx, {
            action: 'audit.feed.read',
            resource: { type: 'audit_trail', id: null },
            metadata: { after, returned: list.length, format },
          });
          return list;
        });
        const next = events.at(-1)?.seq ?? after;
        reply.header('comptoir-next-after', String(next)).type(CONTENT_TYPES[format]);
        return events.map((e) => `${formatLine(e, format)}\n`).join('');
      },
    );

    app.get(
      '/api/v1/audit/export',
      {
        schema: {
          operationId: 'exportAuditTrail',
          summary: 'Export a range of the chain, verifiable offline',
          description: `JSON lines: a header (range, anchor hash, public keys), the events in chain order, then the signed checkpoints of the range. Everything committed is sealed and the head signed first; the export ends at a signed checkpoint (a range's end is moved back to the last checkpoint before it), so that a truncated copy is detected. Verify with \`npm run cli -- audit:verify --file <export>\` (docs/audit.md). At most ${MAX_EXPORT_EVENTS} events per call: export larger trails range by range.`,
          tags,
          'x-permission': 'audit.export.run',
          'x-action': 'audit.export.run',
          querystring: Range,
          response: { 200: Type.String({ description: 'JSON lines' }) },
        },
      },
      async (req, reply) => {
        const q = req.query;
        // Seal what is committed and sign the head, so the export ends at a fresh checkpoint.
        if (req.principal?.kind === 'tenant') await sealer.sealTenant(req.principal.tenantId, true);
        const lines = await inTenant(db, req, reply, async (ctx) => {
          // A mass export of the trail is a sensitive action: a recent second factor for web sessions.
          await requireRecentSecondFactor(ctx);
          const state = await chainState(ctx.tx, ctx.tenantId);
          const from = q.from_seq ?? state.first_seq ?? 1;
          const to = Math.min(q.to_seq ?? Number.MAX_SAFE_INTEGER, from + MAX_EXPORT_EVENTS - 1);
          const out: string[] = [];
          for await (const line of exportLines(ctx, keys, { from_seq: from, to_seq: to })) out.push(line);
          return out;
        });
        reply
          .type('application/x-ndjson; charset=utf-8')
          .header('content-disposition', 'attachment; filename="audit-export.jsonl"');
        return `${lines.join('\n')}\n`;
      },
    );

    app.get(
      '/api/v1/audit/verification',
      {
        schema: {
          operationId: 'verifyAuditChain',
          summary: 'Verify the stored chain',
          description:
            'Recomputes every hash and link of the range (default: all stored events) and checks the signed checkpoints in it. `ok: false` lists each problem with its position.',
          tags,
          'x-permission': 'audit.event.read',
          'x-action': 'audit.chain.verify',
          querystring: Range,
          response: {
            200: Type.Object({
              ok: Type.Boolean(),
              events_checked: Type.Integer(),
              checkpoints_checked: Type.Integer(),
              first_seq: Nullable(Type.Integer()),
              last_seq: Nullable(Type.Integer()),
              anchor: Type.String({
                description: 'What the range was checked from: genesis, checkpoint, event',
              }),
              head: Nullable(Type.Object({ seq: Type.Integer(), hash: Type.String() })),
              unsealed: Type.Integer({ description: 'Events committed but not yet in the chain' }),
              problems: Type.Array(
                Type.Object({
                  seq: Nullable(Type.Integer()),
                  id: Type.Optional(Type.String()),
                  problem: Type.String(),
                }),
              ),
            }),
          },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => verifyStoredChain(ctx, keys, req.query)),
    );

    app.get(
      '/api/v1/audit/checkpoints',
      {
        schema: {
          operationId: 'listAuditCheckpoints',
          summary: 'List signed checkpoints',
          description: 'Newest first. Each signs the chain head at `seq` with the key `key_id`.',
          tags,
          'x-permission': 'audit.event.read',
          querystring: Type.Object(PageQuery, { additionalProperties: false }),
          response: { 200: Page(Type.Ref('AuditCheckpoint'), 'AuditCheckpoint') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          listCheckpoints(ctx, { ...req.query, limit: req.query.limit ?? 50 }),
        ),
    );

    app.get(
      '/api/v1/audit/signing-keys',
      {
        schema: {
          operationId: 'listAuditSigningKeys',
          summary: 'Public keys that verify audit checkpoints',
          description:
            'Ed25519 public keys (SPKI PEM) of this deployment, current and previous. Pin them when verifying exports offline.',
          tags,
          'x-permission': 'public',
          security: [],
          response: {
            200: Type.Object({
              current_key_id: Type.String(),
              data: Type.Array(
                Type.Object({
                  key_id: Type.String(),
                  algorithm: Type.Literal('Ed25519'),
                  public_key_pem: Type.String(),
                }),
              ),
            }),
          },
        },
      },
      async () => ({ current_key_id: keys.keyId, data: publicKeyList(keys) }),
    );
  };
}
