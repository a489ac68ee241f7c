import { createPublicKey } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ephemeralAuditKeys } from '../platform/audit/keys.ts';
import { verifyExport } from '../platform/audit/verify-export.ts';
import { ConfigError, loadConfig } from '../platform/config/config.ts';
import type { Database } from '../platform/db/database.ts';

// The database and the application are imported by the commands that need them (`await import`), so
// that usage and configuration errors, and `config:check`, answer at once.

const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  migrate                                  apply pending database migrations
  seed [--force]                           create the demo tenants (only on an empty database unless --force)
  tenant:create --name N --slug S --owner-email E --owner-name O [--domain H]... [--locale fr] [--timezone Europe/Paris]
                                           create a tenant, its owner and the owner's first API token (printed once)
  operator:token:create --name N           issue a platform-operator token (printed once)
  operator:token:revoke --id opt_…         revoke a platform-operator token
  openapi:write [--out openapi.json]       write the OpenAPI document of the current code
  mail:list                                show the latest mails of the mail outbox (development, without SMTP_URL)
  config:check                             validate the environment configuration and print it (secrets masked)
  audit:verify --file F [--public-key P]... verify an audit export offline (exit 0 if intact, 1 if not); pin the
                                           keys published at /api/v1/audit/signing-keys with --public-key
`;

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      slug: { type: 'string' },
      'owner-email': { type: 'string' },
      'owner-name': { type: 'string' },
      domain: { type: 'string', multiple: true },
      locale: { type: 'string' },
      timezone: { type: 'string' },
      id: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      file: { type: 'string' },
      'public-key': { type: 'string', multiple: true },
    },
    strict: true,
  });
  if (!command || !COMMANDS.has(command)) {
    // Before the configuration and the database: a typo must not open (or create) a data directory.
    throw new UsageError(command ? `Unknown command "${command}"` : 'No command given');
  }
  if (command === 'audit:verify') {
    // Offline: needs neither configuration nor database, only the file and the public keys.
    const file = values.file;
    if (!file) throw new UsageError('--file is required');
    const keys = (values['public-key'] ?? []).map((f) => createPublicKey(readFileSync(f)));
    const result = verifyExport(readFileSync(file, 'utf8'), keys);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.stderr.write(
      result.ok
        ? `Intact: ${result.events_checked} events (${result.first_seq ?? '-'}–${result.last_seq ?? '-'}), ${result.checkpoints_checked} signed checkpoint(s), keys ${result.keys}.\n`
        : `NOT intact: ${result.problems.length} problem(s), first: ${result.problems[0]?.problem}\n`,
    );
    return result.ok ? 0 : 1;
  }
  const config = loadConfig();
  const need = (key: keyof typeof values): string => {
    const v = values[key];
    if (typeof v !== 'string' || !v) throw new UsageError(`--${key} is required`);
    return v;
  };
  // Missing options are reported before the database is opened.
  for (const key of REQUIRED[command] ?? []) need(key);

  switch (command) {
    case 'config:check': {
      // Every URL-valued setting (database, Redis, SMTP…) with its password masked.
      const shown = Object.fromEntries(
        Object.entries(config).map(([k, v]) => [k, typeof v === 'string' ? mask(v) : v]),
      );
      process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
      return 0;
    }
    case 'openapi:write': {
      // Documents the code, not a database: the app is built over a stand-in that refuses any query.
      const { buildApp } = await import('./app.ts');
      const db = noDatabase('openapi:write');
      const { app } = await buildApp({
        config: { ...config, logLevel: 'silent', publicUrl: 'http://localhost:3000' },
        db,
        auditKeys: ephemeralAuditKeys(),
      });
      await app.ready();
      const out = values.out ?? 'openapi.json';
      writeFileSync(out, `${JSON.stringify(app.swagger(), null, 2)}\n`);
      await app.close();
      await db.close();
      process.stdout.write(`Wrote ${out}\n`);
      return 0;
    }
  }

  const { migrateConfigured, openConfiguredDatabase } = await import('./bootstrap.ts');
  const db = await openConfiguredDatabase(config);
  try {
    switch (command) {
      case 'migrate': {
        const applied = await migrateConfigured(config, db);
        process.stdout.write(
          applied.length ? `Applied: ${applied.join(', ')}\n` : 'Database is up to date.\n',
        );
        return 0;
      }
      case 'seed': {
        await migrateConfigured(config, db);
        const { isEmpty, seedDemo } = await import('./seed.ts');
        if (!values.force && !(await isEmpty(db))) {
          process.stdout.write(
            'The database already has tenants; nothing seeded (use --force to add the demo tenants).\n',
          );
          return 0;
        }
        const { mediaStore } = await import('./app.ts');
        const objects = mediaStore(config);
        const creds = await seedDemo(db, config.dataDir, objects).finally(() => objects.close?.());
        process.stdout.write(
          `Seeded ${creds.logins.length} demo logins; see ${config.dataDir}/demo-credentials.json\n`,
        );
        return 0;
      }
      case 'tenant:create': {
        const { createTenant } = await import('../platform/tenancy/service.ts');
        const created = await createTenant(db, {
          name: need('name'),
          slug: need('slug'),
          domains: values.domain ?? [],
          ...(values.locale ? { defaultLocale: values.locale } : {}),
          ...(values.timezone ? { timezone: values.timezone } : {}),
          owner: { email: need('owner-email'), displayName: need('owner-name') },
        });
        process.stdout.write(
          `${JSON.stringify({ tenant: created.tenant, owner_id: created.ownerId, owner_api_token: created.ownerToken }, null, 2)}\n`,
        );
        return 0;
      }
      case 'mail:list': {
        const { listMails } = await import('../platform/mail/sender.ts');
        const mails = await listMails(db, 20);
        if (!mails.length) process.stdout.write('The mail outbox is empty.\n');
        for (const m of mails) {
          process.stdout.write(
            `── ${m.id}  ${m.status} (${m.attempts} attempt(s))  ${new Date(m.created_at).toISOString()}  ${m.template}\n` +
              `To: ${m.to_address}\nSubject: ${m.subject}\n\n${m.text_body}\n\n`,
          );
        }
        return 0;
      }
      case 'operator:token:create': {
        const { createOperatorToken } = await import('../platform/identity/operators.ts');
        const t = await createOperatorToken(db, need('name'));
        process.stdout.write(`${JSON.stringify(t, null, 2)}\nStore this token now: it is not shown again.\n`);
        return 0;
      }
      case 'operator:token:revoke': {
        const { revokeOperatorToken } = await import('../platform/identity/operators.ts');
        const ok = await revokeOperatorToken(db, need('id'));
        process.stdout.write(ok ? 'Revoked.\n' : 'No such active token.\n');
        return ok ? 0 : 1;
      }
      default:
        throw new UsageError(command ? `Unknown command "${command}"` : 'No command given');
    }
  } finally {
    await db.close();
  }
}

class UsageError extends Error {}

/** The commands listed in USAGE (a command is usable only once documented there). */
const COMMANDS = new Set([...USAGE.matchAll(/^ {2}([a-z][a-z:]*)/gm)].map((m) => m[1]!));

/**
 * A `Database` for building the application without one (routes and schemas only): any query fails,
 * naming the command, so that build-time database access shows up at once.
 */
function noDatabase(command: string): Database {
  const refuse = (what: string): never => {
    throw new Error(`${command} builds the application without a database, yet ${what} was used`);
  };
  return {
    driver: 'pglite',
    orm: new Proxy({} as Database['orm'], { get: (_target, key) => refuse(`db.orm.${String(key)}`) }),
    session: () => refuse('db.session()'),
    transaction: () => refuse('db.transaction()'),
    readInTransaction: () => refuse('db.readInTransaction()'),
    // Nothing to listen to: the read cache stays off.
    listen: async () => async () => {},
    signals: new EventEmitter(),
    close: async () => {},
  };
}

/** Options without which a command cannot run. */
const REQUIRED: Record<string, ('name' | 'slug' | 'owner-email' | 'owner-name' | 'id')[]> = {
  'tenant:create': ['name', 'slug', 'owner-email', 'owner-name'],
  'operator:token:create': ['name'],
  'operator:token:revoke': ['id'],
};

/** Hides the password of a URL, in the user part or in the query string (libpq style); other text as is. */
function mask(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  if (!u.password && ![...u.searchParams.keys()].some((k) => /pass/i.test(k))) return url;
  if (u.password) u.password = '****';
  for (const key of [...u.searchParams.keys()]) {
    if (/pass/i.test(key)) u.searchParams.set(key, '****');
  }
  return u.toString();
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG, as `npm start`
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
      process.exit(2);
    }
    if ((err as { type?: string }).type) {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(1);
    }
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
