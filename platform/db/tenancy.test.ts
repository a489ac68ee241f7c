import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../../test/harness.ts';
import { runAsTenant } from '../context.ts';
import { createTenant } from '../tenancy/service.ts';
import { openDatabase, rows } from './database.ts';
import { inTenantTransaction } from './scope.ts';

/** Tables that are not owned by one tenant, and why. Everything else must carry tenant_id first. */
const PLATFORM_TABLES: Record<string, string> = {
  tenants: 'the tenant directory itself (a tenant sees only its own row)',
  tenant_domains: 'host → tenant routing; a host is globally unique',
  operator_tokens: "the platform operators' credentials",
  oauth_signing_keys:
    'keys that sign OAuth access tokens: the deployment is the issuer (private parts encrypted)',
  schema_migrations: 'migration bookkeeping',
};

/** The database's own message for a failed statement (Drizzle wraps it as the error's cause). */
async function dbError(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (err) {
    const e = err as Error & { cause?: Error };
    return e.cause?.message ?? e.message;
  }
  return 'no error';
}

async function twoTenants(db: TestDatabase['db']) {
  const a = await createTenant(db, {
    name: 'Alpha',
    slug: `alpha`,
    owner: { email: 'o@alpha.example', displayName: 'A' },
  });
  const b = await createTenant(db, {
    name: 'Beta',
    slug: `beta`,
    owner: { email: 'o@beta.example', displayName: 'B' },
  });
  for (const [t, names] of [
    [a, ['Alpha One', 'Alpha Two']],
    [b, ['Beta One']],
  ] as const) {
    await runAsTenant(db, { tenantId: t.tenant.id }, async (ctx) => {
      for (const name of names) {
        await ctx.tx.execute(
          sql`insert into accounts (tenant_id, id, name) values (${ctx.tenantId}, ${`acct_${name}`}, ${name})`,
        );
      }
    });
  }
  return { a: a.tenant.id, b: b.tenant.id };
}

describe.each(DRIVERS)('tenant isolation enforced by the database, on %s', (driver) => {
  let t: TestDatabase;
  let ids: { a: string; b: string };

  beforeAll(async () => {
    t = await openTestDatabase(driver);
    ids = await twoTenants(t.db);
  });
  afterAll(() => t.drop());

  it('a query without any tenant filter returns only the current tenant’s rows', async () => {
    const seen = await inTenantTransaction(t.db, ids.a, async (tx) => ({
      accounts: rows<{ name: string; tenant_id: string }>(
        await tx.execute(sql`select name, tenant_id from accounts order by name`),
      ),
      users: rows<{ tenant_id: string }>(await tx.execute(sql`select tenant_id from users`)),
      tokens: rows<{ tenant_id: string }>(await tx.execute(sql`select tenant_id from api_tokens`)),
      tenants: rows<{ id: string }>(await tx.execute(sql`select id from tenants`)),
    }));
    expect(seen.accounts.map((r) => r.name)).toEqual(['Alpha One', 'Alpha Two']);
    expect(new Set(seen.users.map((r) => r.tenant_id))).toEqual(new Set([ids.a]));
    expect(new Set(seen.tokens.map((r) => r.tenant_id))).toEqual(new Set([ids.a]));
    expect(seen.tenants.map((r) => r.id)).toEqual([ids.a]);
  });

  it('a transaction with no tenant set sees nothing', async () => {
    const seen = await inTenantTransaction(t.db, ids.a, async (tx) => {
      await tx.execute(sql`select set_config('app.tenant_id', '', true)`);
      return rows(await tx.execute(sql`select * from accounts`));
    });
    expect(seen).toEqual([]);
  });

  it('writing a row for another tenant is refused by the database', async () => {
    expect(
      await dbError(
        inTenantTransaction(t.db, ids.a, (tx) =>
          tx.execute(
            sql`insert into accounts (tenant_id, id, name) values (${ids.b}, 'acct_intruder', 'Intruder')`,
          ),
        ),
      ),
    ).toMatch(/row-level security/);
    // Moving one's own row to another tenant is refused too.
    expect(
      await dbError(
        inTenantTransaction(t.db, ids.a, (tx) =>
          tx.execute(sql`update accounts set tenant_id = ${ids.b} where name = 'Alpha One'`),
        ),
      ),
    ).toMatch(/row-level security/);
    // Another tenant's rows cannot be changed or deleted: they are invisible, so nothing matches.
    const changed = await inTenantTransaction(t.db, ids.a, async (tx) =>
      rows(
        await tx.execute(sql`update accounts set name = 'Hacked' where tenant_id = ${ids.b} returning id`),
      ),
    );
    expect(changed).toEqual([]);
    const beta = await inTenantTransaction(t.db, ids.b, async (tx) =>
      rows<{ name: string }>(await tx.execute(sql`select name from accounts`)),
    );
    expect(beta.map((r) => r.name)).toEqual(['Beta One']);
  });

  it.each([
    ['disable row-level security', 'alter table accounts disable row level security', /owner/],
    ['stop forcing it on the owner', 'alter table accounts no force row level security', /owner/],
    ['drop the policy', 'drop policy accounts_app on accounts', /owner/],
    [
      'grant itself BYPASSRLS',
      'alter role comptoir_app bypassrls',
      /permission denied|must be superuser|privilege/i,
    ],
  ])('the application role cannot %s', async (_what, statement, error) => {
    expect(await dbError(inTenantTransaction(t.db, ids.a, (tx) => tx.execute(sql.raw(statement))))).toMatch(
      error,
    );
  });

  it('the application role cannot turn row security off for its queries', async () => {
    // With row_security off, PostgreSQL raises an error rather than silently applying or skipping policies.
    expect(
      await dbError(
        inTenantTransaction(t.db, ids.a, async (tx) => {
          await tx.execute(sql`set local row_security = off`);
          return tx.execute(sql`select * from accounts`);
        }),
      ),
    ).toMatch(/row-level security|row security/);
  });

  it('every tenant-owned table has tenant_id leading its keys and a forced RLS policy', async () => {
    const tables = await t.db.session((s) =>
      s.query<{ table_name: string; has_tenant: boolean; rls: boolean; forced: boolean; policies: number }>(`
        select c.relname as table_name,
               exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped) as has_tenant,
               c.relrowsecurity as rls, c.relforcerowsecurity as forced,
               (select count(*)::int from pg_policy p where p.polrelid = c.oid
                  and 'comptoir_app'::regrole = any (p.polroles)) as policies
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind = 'r'
         order by 1`),
    );
    expect(tables.length).toBeGreaterThan(5);
    for (const table of tables) {
      if (table.table_name in PLATFORM_TABLES) continue;
      expect.soft(table.has_tenant, `${table.table_name} has no tenant_id`).toBe(true);
      expect.soft(table.rls && table.forced, `${table.table_name}: RLS not enabled and forced`).toBe(true);
      expect.soft(table.policies, `${table.table_name}: no policy for comptoir_app`).toBeGreaterThan(0);
    }
    // Keys: primary, unique and foreign keys of tenant-owned tables start with tenant_id.
    const keys = await t.db.session((s) =>
      s.query<{
        table_name: string;
        name: string;
        kind: string;
        first_col: string;
        ref_table: string | null;
      }>(`
        select cl.relname as table_name, co.conname as name, co.contype as kind,
               (select attname from pg_attribute where attrelid = co.conrelid and attnum = co.conkey[1]) as first_col,
               rc.relname as ref_table
          from pg_constraint co
          join pg_class cl on cl.oid = co.conrelid
          join pg_namespace n on n.oid = cl.relnamespace
          left join pg_class rc on rc.oid = co.confrelid
         where n.nspname = 'public' and co.contype in ('p', 'u', 'f')`),
    );
    for (const k of keys) {
      if (k.table_name in PLATFORM_TABLES) continue;
      expect.soft(k.first_col, `${k.table_name}.${k.name} does not lead with tenant_id`).toBe('tenant_id');
    }
    // Platform tables also have RLS forced, so no role reads them by accident.
    for (const table of tables.filter(
      (x) => x.table_name in PLATFORM_TABLES && x.table_name !== 'schema_migrations',
    )) {
      expect.soft(table.rls && table.forced, `${table.table_name}: RLS not enabled and forced`).toBe(true);
    }
  });
});

/**
 * Production connects as a login role that owns nothing and is only a member of the two
 * application roles (docs/operations.md). Then even a statement that tries to leave the
 * application role gets nowhere. (The embedded PGlite has a single superuser session: there,
 * row-level security guards against forgotten filters, which is what it is for.)
 */
if (DRIVERS.includes('postgres')) {
  describe('with the production connection role, on postgres', () => {
    let t: TestDatabase;
    let runtime: TestDatabase['db'];
    let ids: { a: string; b: string };

    beforeAll(async () => {
      t = await openTestDatabase('postgres');
      ids = await twoTenants(t.db);
      const admin = new pg.Client({ connectionString: t.url! });
      await admin.connect();
      await admin.query(`do $$ begin create role comptoir_runtime_test login noinherit;
                         exception when duplicate_object or unique_violation then null; end $$`);
      await admin.query('grant comptoir_app, comptoir_system to comptoir_runtime_test');
      await admin.end();
      const url = new URL(t.url!);
      url.username = 'comptoir_runtime_test';
      url.password = '';
      runtime = await openDatabase({ url: url.toString(), poolMax: 2 });
    });
    afterAll(async () => {
      await runtime.close();
      await t.drop();
    });

    it('works as the application role and sees only its tenant', async () => {
      const names = await inTenantTransaction(runtime, ids.b, async (tx) =>
        rows<{ name: string }>(await tx.execute(sql`select name from accounts`)),
      );
      expect(names.map((r) => r.name)).toEqual(['Beta One']);
    });

    it('cannot switch to a superuser, and without the application role it can read nothing', async () => {
      expect(
        await dbError(inTenantTransaction(runtime, ids.a, (tx) => tx.execute(sql`set role postgres`))),
      ).toMatch(/permission denied/);
      expect(
        await dbError(
          inTenantTransaction(runtime, ids.a, async (tx) => {
            await tx.execute(sql`reset role`);
            return tx.execute(sql`select * from accounts`);
          }),
        ),
      ).toMatch(/permission denied/);
    });
  });
}
