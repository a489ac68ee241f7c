import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { Type } from 'typebox';
import { modules } from '../modules/index.ts';
import { PermissionCatalogue } from '../platform/access/permissions.ts';
import { accessHousekeeping } from '../platform/access/review.ts';
import { ACCESS_PERMISSIONS, installRoleCatalogue } from '../platform/access/roles.ts';
import { accessRoutes } from '../platform/access/routes.ts';
import { AuditDelivery } from '../platform/audit/delivery.ts';
import { auditDeliveryRoutes } from '../platform/audit/delivery-routes.ts';
import { type AuditKeys, loadAuditKeys } from '../platform/audit/keys.ts';
import { auditAttempt, resourceOf } from '../platform/audit/record.ts';
import { AUDIT_PERMISSIONS, auditRoutes } from '../platform/audit/routes.ts';
import { AuditSealer } from '../platform/audit/sealer.ts';
import { startReadCache } from '../platform/cache/read-cache.ts';
import type { Config } from '../platform/config/config.ts';
import { loadSecretBox, type SecretBox } from '../platform/crypto/secrets.ts';
import type { Database } from '../platform/db/database.ts';
import { startHousekeeping } from '../platform/db/housekeeping.ts';
import { OutboxDispatcher } from '../platform/events/dispatcher.ts';
import type { ProblemObserver } from '../platform/http/errors.ts';
import { shutdown } from '../platform/http/lifecycle.ts';
import { type App, createServer, type ServerState } from '../platform/http/server.ts';
import { requestOrigin } from '../platform/http/tenant-handler.ts';
import { registerWebApp } from '../platform/http/web-app.ts';
import { createIdentity } from '../platform/identity/index.ts';
import { MACHINE_IDENTITY_PERMISSIONS } from '../platform/identity/machine-permissions.ts';
import { machineIdentityRoutes } from '../platform/identity/machine-routes.ts';
import type { MailSender } from '../platform/mail/sender.ts';
import { FileObjectStore, type ObjectStore, S3ObjectStore } from '../platform/storage/object-store.ts';
import { tenancyRoutes } from '../platform/tenancy/routes.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const securityPolicy = readFileSync(new URL('../SECURITY.md', import.meta.url), 'utf8');

/** Permissions of the platform itself (operators' API). Modules declare theirs in their index.ts. */
const PLATFORM_PERMISSIONS = [
  { name: 'platform.tenant.create', description: 'Create tenants (platform operators)' },
  { name: 'platform.tenant.read', description: 'See the list of tenants (platform operators)' },
];

export interface Comptoir {
  app: App;
  state: ServerState;
  dispatcher: OutboxDispatcher;
  sealer: AuditSealer;
  /** SIEM push and retention of the audit trail (tests run its rounds directly). */
  auditDelivery: AuditDelivery;
  /** Seals tenants' secrets stored in the database. */
  secrets: SecretBox;
  /** Sends the mail outbox over SMTP (when SMTP_URL is set). */
  mailer: MailSender;
  auditKeys: AuditKeys;
  permissions: PermissionCatalogue;
  /** Starts the background work of this process: outbox delivery and housekeeping. */
  startWorkers(): void;
  /** Graceful stop: readiness off, in-flight requests finish, dispatcher and database released. */
  stop(): Promise<number>;
}

/** Wires the platform and the modules into one application. Does not listen. */
export async function buildApp(opts: {
  config: Config;
  db: Database;
  logStream?: Writable;
  /** Checkpoint signing keys; by default from AUDIT_SIGNING_KEY_FILE or DATA_DIR/keys. */
  auditKeys?: AuditKeys;
  /** By default from SECRETS_KEY_FILE or DATA_DIR/keys (random in memory under NODE_ENV=test). */
  secrets?: SecretBox;
  /** The built web app to serve under `/` (web/dist); none: the API only. */
  webDist?: string;
}): Promise<Comptoir> {
  const { config, db } = opts;
  const auditKeys = opts.auditKeys ?? loadAuditKeys(config);
  const secrets = opts.secrets ?? loadSecretBox(config);
  const { app, state } = await createServer({
    config,
    db,
    version: pkg.version,
    onProblem: recordRefusal(db),
    ...(opts.logStream ? { logStream: opts.logStream } : {}),
  });
  // Cached reads, dropped by the database's notifications at every committed change (platform/cache).
  if (config.readCacheMaxEntries > 0) {
    const stopReadCache = await startReadCache(db, {
      maxEntries: config.readCacheMaxEntries,
      ttlMs: config.readCacheTtlS * 1000,
      onError: (err) => app.log.warn({ err }, 'read cache: listening for invalidations failed; cache off'),
    });
    app.addHook('onClose', () => stopReadCache());
  }
  const permissions = new PermissionCatalogue();
  permissions.register(PLATFORM_PERMISSIONS);
  permissions.register(AUDIT_PERMISSIONS);
  const identity = createIdentity(db, config, app.log, secrets);
  permissions.register(identity.permissions);
  app.addHook('onClose', () => identity.stop());
  permissions.register(MACHINE_IDENTITY_PERMISSIONS);
  permissions.register(ACCESS_PERMISSIONS);
  const dispatcher = new OutboxDispatcher(db, { pollMs: config.outboxPollMs, logger: app.log });
  const sealer = new AuditSealer(db, auditKeys, {
    pollMs: config.outboxPollMs,
    checkpointIntervalMs: config.auditCheckpointIntervalS * 1000,
    logger: app.log,
  });

  await app.register(tenancyRoutes(db));
  await app.register(identity.routes);
  await app.register(auditRoutes({ db, keys: auditKeys, sealer }));
  const auditDelivery = new AuditDelivery(db, auditKeys, secrets, {
    pollMs: config.auditDeliveryPollMs,
    batchSize: config.auditDeliveryBatchSize,
    retentionIntervalMs: config.auditRetentionIntervalS * 1000,
    archiveStore: new FileObjectStore(config.auditArchiveDir),
    allowPrivateEndpoints: config.auditS3AllowPrivateEndpoints,
    logger: app.log,
  });
  await app.register(
    auditDeliveryRoutes({
      db,
      delivery: auditDelivery,
      sealer,
      secrets,
      allowPrivateEndpoints: config.auditS3AllowPrivateEndpoints,
    }),
  );
  await app.register(machineIdentityRoutes({ db, config, catalogue: permissions }));
  await app.register(accessRoutes({ db, catalogue: permissions }));
  const objects = mediaStore(config);
  app.addHook('onClose', async () => objects.close?.());
  for (const m of modules) {
    permissions.register(m.permissions);
    await app.register(m.routes({ db, objects, config }));
    m.subscribe?.(dispatcher, { db });
  }
  // Predefined roles are rules over the catalogue: resolved once every module declared its permissions.
  installRoleCatalogue(permissions);

  app.get(
    '/api/v1/permissions',
    {
      schema: {
        operationId: 'listPermissions',
        summary: 'List the permission catalogue',
        description: 'Every atomic permission a route may require (`x-permission` on each operation).',
        tags: ['Access control'],
        'x-permission': 'authenticated',
        response: {
          200: Type.Object({
            data: Type.Array(Type.Object({ name: Type.String(), description: Type.String() })),
          }),
        },
      },
    },
    async () => ({ data: permissions.list() }),
  );
  if (opts.webDist) registerWebApp(app, opts.webDist);
  app.get('/security-policy', { schema: { hide: true, 'x-permission': 'public' } }, async (_req, reply) => {
    reply.type('text/markdown; charset=utf-8');
    return securityPolicy;
  });

  let stopHousekeeping = () => {};
  return {
    app,
    state,
    dispatcher,
    sealer,
    auditDelivery,
    secrets,
    mailer: identity.mailer,
    auditKeys,
    permissions,
    startWorkers() {
      dispatcher.start();
      identity.mailer.start();
      sealer.start();
      auditDelivery.start();
      stopHousekeeping = startHousekeeping(
        db,
        10 * 60_000,
        (err) => app.log.error({ err }, 'housekeeping failed'),
        [accessHousekeeping],
      );
    },
    stop: () =>
      shutdown(app, state, {
        drainDelayMs: config.shutdownDrainDelayMs,
        graceMs: config.shutdownGraceMs,
        release: async () => {
          stopHousekeeping();
          await dispatcher.stop();
          await sealer.stop();
          await auditDelivery.stop();
          await db.close();
        },
      }),
  };
}

/** Product media: the S3 bucket of MEDIA_S3_* when configured, else files under MEDIA_DIR (DATA_DIR/media). */
export function mediaStore(config: Config): ObjectStore {
  const s3 = config.mediaS3;
  if (!s3) return new FileObjectStore(config.mediaDir);
  return new S3ObjectStore({
    endpoint: s3.endpoint,
    region: s3.region,
    bucket: s3.bucket,
    forcePathStyle: s3.forcePathStyle,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

/**
 * Records refused and failed requests in the tenant's trail, in their own transaction (the request's
 * rolled back): a 403 on any route is `denied` under the route's action (or the permission it lacked);
 * any other error on an audited route (`x-action`) is a `failure` with the problem as reason.
 * Unauthenticated requests have no tenant to record them in; the identity module records login
 * failures itself.
 */
function recordRefusal(db: Database): ProblemObserver {
  return async (req, problem) => {
    const principal = req.principal;
    if (principal?.kind !== 'tenant') return;
    const schema = req.routeOptions.schema;
    const action = schema?.['x-action'];
    const denied = problem.status === 403;
    if (!denied && !action) return;
    if (problem.status === 401) return;
    const name = action ?? schema?.['x-permission'] ?? 'unknown';
    await auditAttempt(
      db,
      {
        tenantId: principal.tenantId,
        actor: principal.actor,
        ...requestOrigin(req),
      },
      {
        action: name,
        resource: resourceOf(name, req.params),
        outcome: denied ? 'denied' : 'failure',
        reason:
          `${problem.status} ${problem.type.split('/').pop()}: ${problem.detail ?? problem.title}`.slice(
            0,
            500,
          ),
      },
    );
  };
}
