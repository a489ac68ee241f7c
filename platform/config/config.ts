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

/** Parses and validates the configuration; throws `ConfigError` naming the first bad variable. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', 'development', ['development', 'production', 'test'] as const);
  const port = int(env, 'PORT', 3000, 0, 65535);
  const host = str(env, 'HOST') ?? 'localhost';
  const databaseUrl = postgresUrl(env, 'DATABASE_URL');
  const databaseMigrationUrl = postgresUrl(env, 'DATABASE_MIGRATION_URL') ?? databaseUrl;
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
  const publicUrl = httpUrl(
    'PUBLIC_URL',
    str(env, 'PUBLIC_URL') ?? `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${port}`,
  );
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
  };
}
