import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ephemeralAuditKeys } from '../platform/audit/keys.ts';
import { readMigrations } from '../platform/db/migrate.ts';
import { buildApp } from '../src/app.ts';
import { openConfiguredDatabase } from '../src/bootstrap.ts';
import { cleanEnv, killAll, removeTempDirs, request, run, TSX, tempDir } from './child-process.ts';
import { testConfig } from './harness.ts';

/**
 * `npm run cli -- …` (`tsx src/cli.ts …`) as an operator uses it: a real process on a temporary
 * DATA_DIR, judged by its output and exit code, and by what it leaves in the database.
 */

const CLI = [TSX, 'src/cli.ts'];

// Real processes (tsx, PGlite, migrations): generous limits for a busy machine.
vi.setConfig({ testTimeout: 180_000 });

afterAll(async () => {
  await killAll();
  removeTempDirs();
});

/** Starts the application in this process on `dataDir` (no CLI process may hold it meanwhile). */
async function withApp<T>(
  dataDir: string,
  fn: (get: (p: string, token?: string, host?: string) => ReturnType<typeof request>) => Promise<T>,
  inDb?: (query: <R>(sql: string, params?: unknown[]) => Promise<R[]>) => Promise<void>,
): Promise<T> {
  const config = testConfig({ DATA_DIR: dataDir });
  const db = await openConfiguredDatabase(config);
  try {
    if (inDb) await inDb((sql, params) => db.session((s) => s.query(sql, params)));
    const comptoir = await buildApp({ config, db, auditKeys: ephemeralAuditKeys() });
    try {
      await comptoir.app.listen({ port: 0, host: '127.0.0.1' });
      const address = comptoir.app.server.address();
      const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      return await fn((p, token, host) =>
        request(base + p, {
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(host ? { host } : {}) },
        }),
      );
    } finally {
      await comptoir.app.close();
    }
  } finally {
    await db.close();
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('npm run cli on the embedded database', () => {
  const dataDir = tempDir();
  const env = cleanEnv({ DATA_DIR: dataDir });
  let tenantToken: string;
  let operator: { id: string; token: string };

  it('migrate applies every migration, then reports the database up to date', async () => {
    const names = readMigrations().map((m) => m.name);
    const first = await run([...CLI, 'migrate'], env);
    expect(first).toMatchObject({ code: 0, stdout: `Applied: ${names.join(', ')}\n` });
    const second = await run([...CLI, 'migrate'], env);
    expect(second).toMatchObject({ code: 0, stdout: 'Database is up to date.\n' });
  });

  it('tenant:create creates the tenant, its owner and domain, and prints the owner token once', async () => {
    const out = await run(
      [
        ...CLI,
        'tenant:create',
        '--name',
        'Dupont SA',
        '--slug',
        'dupont',
        '--owner-email',
        'anne@dupont.example',
        '--owner-name',
        'Anne Dupont',
        '--domain',
        'shop.dupont.example',
      ],
      env,
    );
    expect(out.code, out.stderr).toBe(0);
    const created = JSON.parse(out.stdout);
    expect(created.tenant).toMatchObject({ name: 'Dupont SA', slug: 'dupont' });
    expect(created.owner_id).toMatch(/^usr_/);
    expect(created.owner_api_token.token).toMatch(/^cpt_[A-Za-z0-9_-]{43}$/);
    tenantToken = created.owner_api_token.token;
    expect(out.stdout.split(tenantToken)).toHaveLength(2);
  });

  it('operator:token:create prints a cpo_ token, shown once', async () => {
    const out = await run([...CLI, 'operator:token:create', '--name', 'Alice (support)'], env);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('Store this token now: it is not shown again.');
    operator = JSON.parse(out.stdout.slice(0, out.stdout.lastIndexOf('}') + 1));
    expect(operator.id).toMatch(/^opt_/);
    expect(operator.token).toMatch(/^cpo_[A-Za-z0-9_-]{43}$/);
  });

  it('the printed tokens authenticate against the application; only their hashes are stored', async () => {
    expect(
      tenantToken && operator,
      'tenant:create and operator:token:create must have succeeded',
    ).toBeTruthy();
    await withApp(
      dataDir,
      async (get) => {
        const tenant = await get('/api/v1/tenant', tenantToken);
        expect(tenant.status).toBe(200);
        expect(JSON.parse(tenant.body)).toMatchObject({ slug: 'dupont', name: 'Dupont SA' });
        // The domain given to --domain routes the public storefront to the tenant.
        const shop = await get('/api/v1/public/tenant', undefined, 'shop.dupont.example');
        expect(shop.status).toBe(200);
        expect(JSON.parse(shop.body)).toMatchObject({ slug: 'dupont' });
        const tenants = await get('/api/v1/platform/tenants', operator.token);
        expect(tenants.status).toBe(200);
        expect(JSON.parse(tenants.body).data.map((t: { slug: string }) => t.slug)).toContain('dupont');
        // Operators never reach tenant routes, tenants never the platform's; a wrong token is a 401.
        expect((await get('/api/v1/platform/tenants', tenantToken)).status).toBe(403);
        // (Another last character: a 32-byte secret's last base64url character is 'A' one time in 16.)
        const wrong = `${tenantToken.slice(0, -1)}${tenantToken.endsWith('A') ? 'B' : 'A'}`;
        expect((await get('/api/v1/tenant', wrong)).status).toBe(401);
      },
      async (query) => {
        for (const [table, token] of [
          ['api_tokens', tenantToken],
          ['operator_tokens', operator.token],
        ] as const) {
          const secret = token.slice(4);
          const plain = await query(`select 1 from ${table} t where position($1 in t::text) > 0`, [secret]);
          expect(plain, `${table} must not hold the secret`).toHaveLength(0);
          const hashed = await query(`select 1 from ${table} where token_hash = $1`, [sha256(token)]);
          expect(hashed).toHaveLength(1);
        }
      },
    );
  });

  it('operator:token:revoke revokes: the token no longer authenticates', async () => {
    expect(operator, 'operator:token:create must have succeeded').toBeTruthy();
    const out = await run([...CLI, 'operator:token:revoke', '--id', operator.id], env);
    expect(out).toMatchObject({ code: 0, stdout: 'Revoked.\n' });
    await withApp(dataDir, async (get) => {
      expect((await get('/api/v1/platform/tenants', operator.token)).status).toBe(401);
    });
  });
});

describe.concurrent('bad arguments: the usage and exit code 2, and the database is not touched', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown command', ['tenant:delete', '--slug', 'dupont'], /^Unknown command "tenant:delete"$/m],
    ['a missing required option', ['tenant:create', '--name', 'Dupont SA'], /^--slug is required$/m],
    ['an unknown option', ['migrate', '--bogus'], /Unknown option '--bogus'/],
  ];
  it.for(cases)('%s', async ([, args, message], { expect }) => {
    const dataDir = path.join(tempDir(), 'data');
    const out = await run([...CLI, ...args], cleanEnv({ DATA_DIR: dataDir }));
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).toContain('Usage: npm run cli -- <command> [options]');
    expect(out.stderr).toMatch(/^ {2}tenant:create --name N --slug S/m);
    expect(out.stdout).toBe('');
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe.concurrent('configuration and OpenAPI commands', () => {
  it('config:check prints the effective configuration with the database passwords masked', async ({
    expect,
  }) => {
    const out = await run(
      [...CLI, 'config:check'],
      cleanEnv({
        DATABASE_URL: 'postgres://comptoir_runtime:runtime-s3cret@db.example:5432/comptoir',
        DATABASE_MIGRATION_URL: 'postgres://comptoir_owner@db.example:5432/comptoir?password=owner-s3cret',
        PORT: '8080',
        HOST: '0.0.0.0',
      }),
    );
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).not.toContain('s3cret');
    const shown = JSON.parse(out.stdout);
    expect(shown).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      publicUrl: 'http://localhost:8080',
      seedDemo: false,
      databaseUrl: 'postgres://comptoir_runtime:****@db.example:5432/comptoir',
    });
    expect(new URL(shown.databaseMigrationUrl).searchParams.get('password')).toBe('****');
  });

  it('config:check refuses a bad value with exit code 78, naming the variable, without the secret', async ({
    expect,
  }) => {
    const out = await run(
      [...CLI, 'config:check'],
      cleanEnv({ DATABASE_URL: 'mysql://root:hunter2@db.example/shop', LOG_LEVEL: 'info' }),
    );
    expect(out.code).toBe(78);
    expect(out.stderr).toMatch(/^Invalid configuration: DATABASE_URL must use the postgres:\/\/ scheme/m);
    expect(out.stderr).not.toContain('hunter2');
    expect(out.stdout).toBe('');
  });

  it('openapi:write --out writes the OpenAPI 3.1 document of the code, without any database', async ({
    expect,
  }) => {
    const dir = tempDir();
    const file = path.join(dir, 'openapi.json');
    const dataDir = path.join(dir, 'data');
    const out = await run([...CLI, 'openapi:write', '--out', file], cleanEnv({ DATA_DIR: dataDir }));
    expect(out).toMatchObject({ code: 0, stdout: `Wrote ${file}\n` });
    expect(existsSync(dataDir)).toBe(false);

    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'Comptoir API', version: expect.any(String) });
    expect(doc.servers).toEqual([{ url: 'http://localhost:3000' }]);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/accounts', '/api/v1/tenant']));
    // Hidden routes stay out of the contract.
    expect(Object.keys(doc.paths)).not.toContain('/readyz');

    // Each operation: a unique operationId, its permission, responses; every $ref resolves.
    const ids = new Set<string>();
    type Operation = { operationId?: string; 'x-permission'?: string; responses?: object };
    for (const [p, item] of Object.entries<Record<string, Operation>>(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const id = op.operationId ?? '';
        expect(id, `${method} ${p}`).toBeTruthy();
        expect(ids.has(id), `duplicate ${id}`).toBe(false);
        ids.add(id);
        expect(op['x-permission'], `${method} ${p}`).toBeTruthy();
        expect(Object.keys(op.responses ?? {}).length, `${method} ${p}`).toBeGreaterThan(0);
      }
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    const unresolved = refs.filter((ref) => {
      if (!ref.startsWith('#/')) return true;
      let node: unknown = doc;
      for (const part of ref.slice(2).split('/')) {
        node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      }
      return node === undefined;
    });
    expect(unresolved).toEqual([]);
  });
});

const adminUrl = process.env.TEST_DATABASE_URL;

describe.skipIf(!adminUrl)('npm run cli with the production database roles (docs/operations.md)', () => {
  const name = `comptoir_cli_${process.pid}_${Date.now().toString(36)}`;
  const runtimeRole = `${name}_runtime`;
  const urlOf = (user: string | null) => {
    const u = new URL(adminUrl!);
    u.pathname = `/${name}`;
    if (user) u.username = user;
    return u.toString();
  };
  const admin = async (statements: string[]) => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      for (const s of statements) await c.query(s);
    } finally {
      await c.end();
    }
  };

  afterAll(() =>
    admin([`drop database if exists ${name} with (force)`, `drop role if exists ${runtimeRole}`]),
  );

  it('seed runs as the runtime role, migrations through DATABASE_MIGRATION_URL', async () => {
    await admin([`create database ${name}`]);
    const owner = cleanEnv({ DATA_DIR: tempDir(), DATABASE_URL: urlOf(null) });
    expect((await run([...CLI, 'migrate'], owner)).code).toBe(0);
    await admin([
      `create role ${runtimeRole} login noinherit`,
      `grant comptoir_app, comptoir_system to ${runtimeRole}`,
    ]);
    const dataDir = tempDir();
    const runtime = cleanEnv({
      DATA_DIR: dataDir,
      DATABASE_URL: urlOf(runtimeRole),
      DATABASE_MIGRATION_URL: urlOf(null),
    });
    const seeded = await run([...CLI, 'seed'], runtime);
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stdout).toMatch(/^Seeded \d+ demo logins; see /);
    expect(existsSync(path.join(dataDir, 'demo-credentials.json'))).toBe(true);
    const again = await run([...CLI, 'seed'], runtime);
    expect(again).toMatchObject({
      code: 0,
      stdout: 'The database already has tenants; nothing seeded (use --force to add the demo tenants).\n',
    });
  });
});
