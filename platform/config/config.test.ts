import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

/**
 * The configuration as the README documents it: every variable has a default, a bad value stops the
 * start with a `ConfigError` naming the variable (never a silent default), and secrets never show up
 * in an error message.
 */

const CWD = '/srv/comptoir';
const load = (env: Record<string, string>) => loadConfig(env, CWD);

/** The ConfigError thrown by loadConfig(env), or a failure if it loads. */
function refusal(env: Record<string, string>): ConfigError {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig defaults (the README table)', () => {
  it('an empty environment gives the documented defaults: embedded PGlite under ./data, port 3000', () => {
    expect(load({})).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      host: 'localhost',
      databaseUrl: null,
      databaseMigrationUrl: null,
      dataDir: path.join(CWD, 'data'),
      logLevel: 'info',
      publicUrl: 'http://localhost:3000',
      corsOrigins: [],
      bodyLimitBytes: 1_048_576,
      trustProxy: false,
      shutdownGraceMs: 10_000,
      shutdownDrainDelayMs: 0,
      seedDemo: true,
      outboxPollMs: 1000,
      dbPoolMax: 10,
      securityContact: 'mailto:security@comptoir.dev',
      auditSigningKeyFile: null,
    });
  });

  it('logs are silent under NODE_ENV=test unless LOG_LEVEL says otherwise', () => {
    expect(load({ NODE_ENV: 'test' }).logLevel).toBe('silent');
    expect(load({ NODE_ENV: 'test', LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
  });

  it('with DATABASE_URL: no demo seed by default, migrations through the same URL unless told', () => {
    const url = 'postgres://comptoir@db:5432/comptoir';
    expect(load({ DATABASE_URL: url })).toMatchObject({
      databaseUrl: url,
      databaseMigrationUrl: url,
      seedDemo: false,
    });
    const owner = 'postgresql://owner@db:5432/comptoir';
    expect(load({ DATABASE_URL: url, DATABASE_MIGRATION_URL: owner, SEED_DEMO: 'true' })).toMatchObject({
      databaseMigrationUrl: owner,
      seedDemo: true,
    });
  });

  it('PUBLIC_URL follows HOST and PORT; wildcard addresses become localhost, IPv6 is bracketed', () => {
    expect(load({ HOST: '0.0.0.0', PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(load({ HOST: '::' }).publicUrl).toBe('http://localhost:3000');
    expect(load({ HOST: '::1' }).publicUrl).toBe('http://[::1]:3000');
    expect(load({ HOST: 'api.internal' }).publicUrl).toBe('http://api.internal:3000');
    expect(load({ PUBLIC_URL: 'https://shop.example.com/' }).publicUrl).toBe('https://shop.example.com');
  });

  it('values are trimmed, an empty value is unset, paths are resolved from the working directory', () => {
    expect(load({ PORT: ' 8080 ', LOG_LEVEL: '', DATA_DIR: 'var/comptoir' })).toMatchObject({
      port: 8080,
      logLevel: 'info',
      dataDir: path.join(CWD, 'var/comptoir'),
    });
    expect(load({ DATA_DIR: '/var/lib/comptoir' }).dataDir).toBe('/var/lib/comptoir');
    expect(load({ CORS_ORIGINS: 'https://a.example, https://b.example/,' }).corsOrigins).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
  });

  it('accepts the documented forms of each kind of value', () => {
    for (const [raw, value] of [
      ['1', true],
      ['true', true],
      ['YES', true],
      ['on', true],
      ['0', false],
      ['false', false],
      ['No', false],
      ['off', false],
    ] as const) {
      expect(load({ TRUST_PROXY: raw }).trustProxy, `TRUST_PROXY=${raw}`).toBe(value);
      expect(load({ SEED_DEMO: raw }).seedDemo, `SEED_DEMO=${raw}`).toBe(value);
    }
    expect(load({ PORT: '0' }).port).toBe(0);
    expect(load({ PORT: '65535' }).port).toBe(65535);
    for (const host of ['0.0.0.0', '127.0.0.1', '::', '::1', 'localhost', 'comptoir-web', 'api.internal'])
      expect(load({ HOST: host }).host).toBe(host);
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      expect(load({ LOG_LEVEL: level }).logLevel).toBe(level);
    expect(load({ SHUTDOWN_GRACE_MS: '0', SHUTDOWN_DRAIN_DELAY_MS: '5000' })).toMatchObject({
      shutdownGraceMs: 0,
      shutdownDrainDelayMs: 5000,
    });
    expect(load({ SECURITY_CONTACT: 'https://example.com/security' }).securityContact).toBe(
      'https://example.com/security',
    );
  });
});

describe('loadConfig refuses a bad value with a ConfigError naming the variable', () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ['PORT', { PORT: 'abc' }, /must be an integer between 0 and 65535 \(got "abc"\)/],
    ['PORT', { PORT: '65536' }, /between 0 and 65535/],
    ['PORT', { PORT: '-1' }, /between 0 and 65535/],
    ['PORT', { PORT: '80.5' }, /between 0 and 65535/],
    ['PORT', { PORT: '3e3' }, /between 0 and 65535/],
    ['HOST', { HOST: 'http://0.0.0.0' }, /must be a host name or an IP address/],
    ['HOST', { HOST: '0.0.0.0:3000' }, /must be a host name or an IP address/],
    ['HOST', { HOST: 'my host' }, /must be a host name or an IP address/],
    [
      'DATABASE_URL',
      { DATABASE_URL: 'mysql://db/shop' },
      /must use the postgres:\/\/ scheme \(got "mysql:"\)/,
    ],
    [
      'DATABASE_URL',
      { DATABASE_URL: 'db.example:5432/shop' },
      /must (be a URL|use the postgres:\/\/ scheme)/,
    ],
    ['DATABASE_URL', { DATABASE_URL: 'not a url' }, /must be a URL such as postgres:\/\//],
    [
      'DATABASE_MIGRATION_URL',
      { DATABASE_URL: 'postgres://db/shop', DATABASE_MIGRATION_URL: 'https://db/shop' },
      /postgres:\/\//,
    ],
    [
      // Migrations would go to the server while the process runs on the embedded database.
      'DATABASE_MIGRATION_URL',
      { DATABASE_MIGRATION_URL: 'postgres://owner@db/shop' },
      /DATABASE_URL is not/,
    ],
    ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }, /must be one of fatal, error, warn, info, debug, trace, silent/],
    ['LOG_LEVEL', { LOG_LEVEL: 'INFO' }, /must be one of/],
    ['NODE_ENV', { NODE_ENV: 'staging' }, /must be one of development, production, test/],
    ['TRUST_PROXY', { TRUST_PROXY: 'maybe' }, /must be true or false \(got "maybe"\)/],
    ['SEED_DEMO', { SEED_DEMO: '2' }, /must be true or false/],
    ['SHUTDOWN_GRACE_MS', { SHUTDOWN_GRACE_MS: '10s' }, /must be an integer between 0 and 600000/],
    ['SHUTDOWN_GRACE_MS', { SHUTDOWN_GRACE_MS: '600001' }, /between 0 and 600000/],
    ['SHUTDOWN_DRAIN_DELAY_MS', { SHUTDOWN_DRAIN_DELAY_MS: '60001' }, /between 0 and 60000/],
    ['OUTBOX_POLL_MS', { OUTBOX_POLL_MS: '5' }, /between 10 and 60000/],
    ['AUDIT_CHECKPOINT_INTERVAL_S', { AUDIT_CHECKPOINT_INTERVAL_S: '0' }, /between 1 and 86400/],
    ['BODY_LIMIT_BYTES', { BODY_LIMIT_BYTES: '1mb' }, /must be an integer/],
    ['DB_POOL_MAX', { DB_POOL_MAX: '0' }, /between 1 and 200/],
    ['PUBLIC_URL', { PUBLIC_URL: 'shop.example.com' }, /must be an http\(s\) URL/],
    ['PUBLIC_URL', { PUBLIC_URL: 'ftp://shop.example.com' }, /must be an http\(s\) URL/],
    ['CORS_ORIGINS', { CORS_ORIGINS: 'https://ok.example,not-a-url' }, /must be an http\(s\) URL/],
    ['SECURITY_CONTACT', { SECURITY_CONTACT: 'security@comptoir.dev' }, /mailto: or https:/],
  ];

  it.each(cases)('%s: %j', (variable, env, message) => {
    const err = refusal(env);
    expect(err.variable).toBe(variable);
    expect(err.message.startsWith(`Invalid configuration: ${variable} `)).toBe(true);
    expect(err.message).toMatch(message);
  });

  it('names the bad variable, not the first one checked, when the others are fine', () => {
    const err = refusal({ PORT: '8080', HOST: '0.0.0.0', LOG_LEVEL: 'warn', DB_POOL_MAX: 'lots' });
    expect(err.variable).toBe('DB_POOL_MAX');
  });
});

describe('secrets never appear in a configuration error', () => {
  const secret = 'S3cret-pa55word';
  const cases: [string, Record<string, string>][] = [
    ['DATABASE_URL', { DATABASE_URL: `mysql://admin:${secret}@db.example/shop` }],
    ['DATABASE_URL', { DATABASE_URL: `postgres://admin:${secret}@db.example:port/shop` }],
    ['DATABASE_URL', { DATABASE_URL: `admin:${secret}@db.example/shop` }],
    [
      'DATABASE_MIGRATION_URL',
      {
        DATABASE_URL: `postgres://runtime:${secret}@db.example/shop`,
        DATABASE_MIGRATION_URL: `mysql://owner:${secret}@db.example/shop`,
      },
    ],
    ['DATABASE_MIGRATION_URL', { DATABASE_MIGRATION_URL: `postgres://owner:${secret}@db.example/shop` }],
    ['REDIS_URL', { REDIS_URL: `http://:${secret}@cache.example:6379` }],
    ['SMTP_URL', { SMTP_URL: `https://mailer:${secret}@relay.example:587` }],
  ];
  it.each(cases)('%s: %j', (variable, env) => {
    const err = refusal(env);
    expect(err.variable).toBe(variable);
    expect(err.message).not.toContain(secret);
    expect(String(err.stack)).not.toContain(secret);
  });
});

describe('production requirements (NODE_ENV=production)', () => {
  /**
   * Loads a production configuration, adding each variable it reports as missing (a path: the key
   * files are read at start, not by loadConfig); returns the variables required, in order.
   */
  function requiredInProduction(): { required: string[]; env: Record<string, string> } {
    const env: Record<string, string> = { NODE_ENV: 'production' };
    const required: string[] = [];
    for (let i = 0; i < 20; i++) {
      try {
        load(env);
        return { required, env };
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        const { variable, message } = err as ConfigError;
        expect(message, variable).toMatch(/is required in production/);
        expect(required).not.toContain(variable);
        required.push(variable);
        env[variable] = `/run/secrets/${variable.toLowerCase()}`;
      }
    }
    throw new Error(`still refused after ${required.join(', ')}`);
  }

  it('the audit signing key file is required, and each requirement is named when missing', () => {
    const { required, env } = requiredInProduction();
    expect(required).toContain('AUDIT_SIGNING_KEY_FILE');
    expect(load(env)).toMatchObject({
      nodeEnv: 'production',
      auditSigningKeyFile: '/run/secrets/audit_signing_key_file',
    });
    for (const variable of required) {
      const { [variable]: _, ...without } = env;
      expect(refusal(without).variable).toBe(variable);
      expect(refusal({ ...env, [variable]: '  ' }).variable).toBe(variable);
    }
  });

  it('none of them is required outside production (development generates its keys under DATA_DIR)', () => {
    expect(() => load({ NODE_ENV: 'development' })).not.toThrow();
    expect(() => load({ NODE_ENV: 'test' })).not.toThrow();
  });

  it('a relative key file path is resolved from the working directory', () => {
    const { env } = requiredInProduction();
    expect(load({ ...env, AUDIT_SIGNING_KEY_FILE: 'keys/audit.pem' }).auditSigningKeyFile).toBe(
      path.join(CWD, 'keys/audit.pem'),
    );
  });
});
