import { isIP } from 'node:net';
import path from 'node:path';

/**
 * Runtime configuration, read once from the environment at start and validated.
 * A bad value stops the process with a message naming the variable — never a silent default.
 */
export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  /** Absent: embedded PGlite under `dataDir`. */
  databaseUrl: string | null;
  /** Connection used for migrations (table owner); defaults to `databaseUrl`. */
  databaseMigrationUrl: string | null;
  dataDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  publicUrl: string;
  corsOrigins: string[];
  bodyLimitBytes: number;
  trustProxy: boolean;
  /** Time allowed for in-flight requests to finish after SIGTERM before the process exits anyway. */
  shutdownGraceMs: number;
  /** Read cache (platform/cache/read-cache.ts): at most this many entry units per process (a search page weighs 10); 0 turns it off. */
  readCacheMaxEntries: number;
  /** Read cache: an entry's longest life, in seconds (invalidation by notification is the rule). */
  readCacheTtlS: number;
  /** Delay between readiness turning false and the listener closing, so load balancers stop routing. */
  shutdownDrainDelayMs: number;
  seedDemo: boolean;
  outboxPollMs: number;
  dbPoolMax: number;
  /** RFC 9116 Contact of /.well-known/security.txt (mailto: or https: URI). */
  securityContact: string;
  /**
   * PKCS#8 PEM file of the Ed25519 key that signs audit checkpoints. Required in production; in
   * development a key is generated under DATA_DIR/keys. It must not live in the database.
   */
  auditSigningKeyFile: string | null;
  /** Public keys (PEM files) of previous signing keys, so older checkpoints still verify after rotation. */
  auditPreviousPublicKeyFiles: string[];
  /** A signed checkpoint of each active tenant's chain at least this often. */
  auditCheckpointIntervalS: number;
  /**
   * File holding the 32-byte master key (base64) that seals tenants' secrets in the database
   * (platform/crypto/secrets.ts). Required in production; in development generated under DATA_DIR/keys.
   */
  secretsKeyFile: string | null;
  /** How often the SIEM push worker looks for tenants whose delivery is due. */
  auditDeliveryPollMs: number;
  /** Most events in one file pushed to a SIEM bucket or archived. */
  auditDeliveryBatchSize: number;
  /** How often retention runs: archive, checkpoint and prune events older than each tenant's retention. */
  auditRetentionIntervalS: number;
  /** Where archive files go for tenants without an S3 target. */
  auditArchiveDir: string;
  /** S3 endpoints on loopback or private addresses, and over plain http, are allowed (self-hosting, tests). */
  auditS3AllowPrivateEndpoints: boolean;
  /** Redis for shared login throttling across replicas; absent: in-memory (one process). */
  redisUrl: string | null;
  /** Namespace of this deployment's keys in Redis. */
  redisKeyPrefix: string;
  /** smtp(s):// URL of the mail relay; absent: mails stay in the mail_outbox table (`mail:list`). */
  smtpUrl: string | null;
  /** From: address of transactional mails. */
  mailFrom: string;
  /** Secure session cookie (`__Host-` prefix); false only for plain-http test set-ups. */
  cookieSecure: boolean;
  /** Failed logins allowed per account, and per client IP, in a 15-minute window before 429. */
  loginMaxFailuresPerAccount: number;
  loginMaxFailuresPerIp: number;
  /**
   * File holding the 32-byte (base64) key that encrypts the OAuth signing keys stored in the database;
   * absent: DATA_DIR/keys/oauth-kek.key, generated on first use (replicas must then share it).
   */
  oauthKeyEncryptionKeyFile: string | null;
  /** A new OAuth access-token signing key this often (days); the previous ones keep verifying. */
  oauthSigningKeyRotationDays: number;
  /** Lifetime of OAuth access tokens (seconds). */
  oauthAccessTokenTtlS: number;
  /** Product images and documents uploaded through the API: files under this directory unless S3 is configured. */
  mediaDir: string;
  /** Largest media upload accepted (bytes). */
  mediaMaxBytes: number;
  /** S3 bucket for media (MEDIA_S3_*); null: the filesystem under `mediaDir`. */
  mediaS3: {
    bucket: string;
    endpoint: string | null;
    region: string;
    forcePathStyle: boolean;
    accessKeyId: string;
    secretAccessKey: string;
  } | null;
  /** WebAuthn relying-party ID (a registrable domain): WEBAUTHN_RP_ID, else PUBLIC_URL's host name. */
  webauthnRpId: string;
  /** Origins a WebAuthn ceremony may come from: WEBAUTHN_ORIGINS, else PUBLIC_URL's origin. */
  webauthnOrigins: string[];
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return def;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `must be an integer between ${min} and ${max} (got "${raw}")`);
  }
  return Number(raw);
}

function bool(env: Env, name: string, def: boolean): boolean {
  const raw = str(env, name);
  if (raw === undefined) return def;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

function oneOf<T extends string>(env: Env, name: string, def: T, allowed: readonly T[]): T {
  const raw = str(env, name);
  if (raw === undefined) return def;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${raw}")`);
  }
  return raw as T;
}

function postgresUrl(env: Env, name: string): string | null {
  const raw = str(env, name);
  if (raw === undefined) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be a URL such as postgres://user@host:5432/db');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(name, `must use the postgres:// scheme (got "${url.protocol}")`);
  }
  return raw;
}

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/** A host name (letters, digits, `-`, `_`, dots) or an IPv4/IPv6 address — not a URL, no port. */
function hostName(env: Env, name: string, def: string): string {
  const raw = str(env, name);
  if (raw === undefined) return def;
  if (isIP(raw) || HOST_NAME.test(raw)) return raw;
  throw new ConfigError(name, `must be a host name or an IP address such as 0.0.0.0 (got "${raw}")`);
}

/** A URL with one of the given schemes (redis://, smtp://…), or null when unset. */
function schemeUrl(env: Env, name: string, schemes: string[]): string | null {
  const raw = str(env, name);
  if (raw === undefined) return null;
  let ok = false;
  try {
    ok = schemes.includes(new URL(raw).protocol);
  } catch {}
  if (!ok) throw new ConfigError(name, `must be a ${schemes.map((s) => `${s}//`).join(' or ')} URL`);
  return raw;
}

function httpUrl(name: string, raw: string): string {
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    return raw.replace(/\/$/, '');
  } catch {
    throw new ConfigError(name, `must be an http(s) URL (got "${raw}")`);
  }
}

function contactUri(raw: string): string {
  if (!/^(mailto:[^@\s]+@[^@\s]+|https:\/\/\S+)$/.test(raw)) {
    throw new ConfigError('SECURITY_CONTACT', `must be a mailto: or https: URI (got "${raw}")`);
  }
  return raw;
}

function auditKeyFile(env: Env, nodeEnv: string, cwd: string): string | null {
  const file = str(env, 'AUDIT_SIGNING_KEY_FILE');
  if (!file && nodeEnv === 'production') {
    throw new ConfigError(
      'AUDIT_SIGNING_KEY_FILE',
      'is required in production (an Ed25519 PKCS#8 PEM file kept outside the database)',
    );
  }
  return file ? path.resolve(cwd, file) : null;
}

function secretsKeyFile(env: Env, nodeEnv: string, cwd: string): string | null {
  const file = str(env, 'SECRETS_KEY_FILE');
  if (!file && nodeEnv === 'production') {
    throw new ConfigError(
      'SECRETS_KEY_FILE',
      'is required in production (32 random bytes, base64, e.g. `openssl rand -base64 32`, kept outside the database)',
    );
  }
  return file ? path.resolve(cwd, file) : null;
}

/** The host part of the default PUBLIC_URL: `localhost` for the wildcard addresses, IPv6 in brackets. */
function publicHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** WebAuthn relying party: the RP ID must be the origins' host or a parent domain of it. */
function webauthn(env: Env, publicUrl: string): { webauthnRpId: string; webauthnOrigins: string[] } {
  const origins = (str(env, 'WEBAUTHN_ORIGINS') ?? new URL(publicUrl).origin)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((o) => new URL(httpUrl('WEBAUTHN_ORIGINS', o)).origin);
  // An IP address in PUBLIC_URL (HOST=127.0.0.1, HOST=::1) is taken as it is, IPv6 without brackets.
  const unbracket = (h: string) => h.replace(/^\[(.*)\]$/, '$1');
  const explicitRpId = str(env, 'WEBAUTHN_RP_ID');
  const rpId = (explicitRpId ?? unbracket(new URL(publicUrl).hostname)).toLowerCase();
  const derivedIp = explicitRpId === undefined && isIP(rpId) !== 0;
  if (!derivedIp && (!/^[a-z0-9.-]+$/.test(rpId) || rpId.startsWith('.') || rpId.endsWith('.')))
    throw new ConfigError('WEBAUTHN_RP_ID', `must be a domain name without scheme or port (got "${rpId}")`);
  for (const o of origins) {
    const host = unbracket(new URL(o).hostname);
    if (host !== rpId && !host.endsWith(`.${rpId}`))
      throw new ConfigError(
        'WEBAUTHN_ORIGINS',
        `${o} is not on ${rpId} (WEBAUTHN_RP_ID) or a subdomain of it`,
      );
  }
  return { webauthnRpId: rpId, webauthnOrigins: origins };
}

/** MEDIA_S3_BUCKET turns the S3 media store on; its keys are then required. */
function mediaS3(env: Env): Config['mediaS3'] {
  const bucket = str(env, 'MEDIA_S3_BUCKET');
  if (!bucket) return null;
  const need = (name: string) => {
    const v = str(env, name);
    if (!v) throw new ConfigError(name, 'is required when MEDIA_S3_BUCKET is set');
    return v;
  };
  const endpoint = str(env, 'MEDIA_S3_ENDPOINT');
  return {
    bucket,
    endpoint: endpoint ? httpUrl('MEDIA_S3_ENDPOINT', endpoint) : null,
    region: str(env, 'MEDIA_S3_REGION') ?? 'us-east-1',
    forcePathStyle: bool(env, 'MEDIA_S3_FORCE_PATH_STYLE', endpoint !== undefined),
    accessKeyId: need('MEDIA_S3_ACCESS_KEY_ID'),
    secretAccessKey: need('MEDIA_S3_SECRET_ACCESS_KEY'),
  };
}

/** Parses and validates the configuration; throws `ConfigError` naming the first bad variable. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', 'development', ['development', 'production', 'test'] as const);
  const port = int(env, 'PORT', 3000, 0, 65535);
  const host = hostName(env, 'HOST', 'localhost');
  const databaseUrl = postgresUrl(env, 'DATABASE_URL');
  const migrationUrl = postgresUrl(env, 'DATABASE_MIGRATION_URL');
  if (migrationUrl && !databaseUrl) {
    // Migrations would go to that server while the process runs on the embedded database.
    throw new ConfigError('DATABASE_MIGRATION_URL', 'is set but DATABASE_URL is not (set both, or neither)');
  }
  const databaseMigrationUrl = migrationUrl ?? databaseUrl;
  const dataDir = path.resolve(cwd, str(env, 'DATA_DIR') ?? 'data');
  const logLevel = oneOf(env, 'LOG_LEVEL', nodeEnv === 'test' ? 'silent' : 'info', [
    'fatal',
    'error',
    'warn',
    'info',
    'debug',
    'trace',
    'silent',
  ] as const);
  const publicUrl = httpUrl('PUBLIC_URL', str(env, 'PUBLIC_URL') ?? `http://${publicHost(host)}:${port}`);
  const corsOrigins = (str(env, 'CORS_ORIGINS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((o) => httpUrl('CORS_ORIGINS', o));
  return {
    nodeEnv,
    port,
    host,
    databaseUrl,
    databaseMigrationUrl,
    dataDir,
    logLevel,
    publicUrl,
    corsOrigins,
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1_048_576, 1024, 104_857_600),
    trustProxy: bool(env, 'TRUST_PROXY', false),
    shutdownGraceMs: int(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    readCacheMaxEntries: int(env, 'READ_CACHE_MAX_ENTRIES', 5000, 0, 1_000_000),
    readCacheTtlS: int(env, 'READ_CACHE_TTL_S', 300, 1, 86_400),
    shutdownDrainDelayMs: int(env, 'SHUTDOWN_DRAIN_DELAY_MS', 0, 0, 60_000),
    // Demo data on the embedded database by default; never on a server unless asked for.
    seedDemo: bool(env, 'SEED_DEMO', databaseUrl === null),
    outboxPollMs: int(env, 'OUTBOX_POLL_MS', 1000, 10, 60_000),
    dbPoolMax: int(env, 'DB_POOL_MAX', 10, 1, 200),
    securityContact: contactUri(str(env, 'SECURITY_CONTACT') ?? 'mailto:security@comptoir.dev'),
    auditSigningKeyFile: auditKeyFile(env, nodeEnv, cwd),
    auditPreviousPublicKeyFiles: (str(env, 'AUDIT_PREVIOUS_PUBLIC_KEY_FILES') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((f) => path.resolve(cwd, f)),
    auditCheckpointIntervalS: int(env, 'AUDIT_CHECKPOINT_INTERVAL_S', 300, 1, 86_400),
    secretsKeyFile: secretsKeyFile(env, nodeEnv, cwd),
    auditDeliveryPollMs: int(env, 'AUDIT_DELIVERY_POLL_MS', 30_000, 100, 3_600_000),
    auditDeliveryBatchSize: int(env, 'AUDIT_DELIVERY_BATCH_SIZE', 10_000, 1, 100_000),
    auditRetentionIntervalS: int(env, 'AUDIT_RETENTION_INTERVAL_S', 86_400, 60, 604_800),
    auditArchiveDir: path.resolve(cwd, str(env, 'AUDIT_ARCHIVE_DIR') ?? path.join(dataDir, 'archive')),
    auditS3AllowPrivateEndpoints: bool(env, 'AUDIT_S3_ALLOW_PRIVATE_ENDPOINTS', nodeEnv !== 'production'),
    redisUrl: schemeUrl(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisKeyPrefix: str(env, 'REDIS_KEY_PREFIX') ?? 'comptoir:',
    smtpUrl: schemeUrl(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: str(env, 'MAIL_FROM') ?? 'Comptoir <no-reply@comptoir.dev>',
    cookieSecure: bool(env, 'COOKIE_SECURE', true),
    loginMaxFailuresPerAccount: int(env, 'LOGIN_MAX_FAILURES_PER_ACCOUNT', 20, 1, 100_000),
    loginMaxFailuresPerIp: int(env, 'LOGIN_MAX_FAILURES_PER_IP', 100, 1, 1_000_000),
    oauthKeyEncryptionKeyFile: ((f) => (f ? path.resolve(cwd, f) : null))(
      str(env, 'OAUTH_KEY_ENCRYPTION_KEY_FILE'),
    ),
    oauthSigningKeyRotationDays: int(env, 'OAUTH_SIGNING_KEY_ROTATION_DAYS', 30, 1, 365),
    oauthAccessTokenTtlS: int(env, 'OAUTH_ACCESS_TOKEN_TTL_S', 600, 60, 3600),
    mediaDir: path.resolve(cwd, str(env, 'MEDIA_DIR') ?? path.join(dataDir, 'media')),
    mediaMaxBytes: int(env, 'MEDIA_MAX_BYTES', 20 * 1_048_576, 1024, 104_857_600),
    mediaS3: mediaS3(env),
    ...webauthn(env, publicUrl),
  };
}
