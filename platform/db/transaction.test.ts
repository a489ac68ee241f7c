import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../../test/harness.ts';
import { inlineParameters, rows } from './database.ts';
import { readAsSystem } from './scope.ts';

describe('inlineParameters (one-round-trip reads)', () => {
  it('inlines parameters as escaped literals and leaves the statement’s own literals alone', () => {
    expect(inlineParameters(`select $1, '$2', $2 where x = 'it''s $1'`, [`a'b`, 'c\\d'])).toBe(
      `select 'a''b', '$2',  E'c\\\\d' where x = 'it''s $1'`,
    );
    expect(inlineParameters('select $1, $10', [null, 2, 3, 4, 5, 6, 7, 8, 9, 60])).toBe(`select NULL, '60'`);
  });

  it('refuses what it cannot inline exactly', () => {
    expect(() => inlineParameters('select $1', [new Date()])).toThrow(/unsupported/);
    expect(() => inlineParameters('select $2', ['a'])).toThrow(/no parameter/);
    expect(() => inlineParameters('select $$x$$', [])).toThrow(/dollar/);
  });
});

describe.each(DRIVERS)('scoped transactions on %s', (driver) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(driver);
  });
  afterAll(async () => t.drop());

  it('sets the role and the tenant before the first statement, transaction-locally', async () => {
    const [r] = await readAsSystem<{ role: string; tenant: string }>(
      t.db,
      sql`select current_user as role, current_setting('app.tenant_id') as tenant where ${'x'} = 'x'`,
    );
    expect(r).toEqual({ role: 'comptoir_system', tenant: '' });
    const seen = await t.db.transaction(
      [
        ['app.tenant_id', 'ten_x'],
        ['role', 'comptoir_app'],
      ],
      async (tx) =>
        rows<{ role: string; tenant: string }>(
          await tx.execute(sql`
        select current_user as role, current_setting('app.tenant_id') as tenant`),
        )[0],
    );
    expect(seen).toEqual({ role: 'comptoir_app', tenant: 'ten_x' });
    // Nothing leaks to the next user of the connection.
    const [after] = rows<{ role: string }>(await t.db.orm.execute(sql`select current_user as role`));
    expect(after?.role).not.toBe('comptoir_app');
  });

  it('a failed statement or setting is rolled back and the connection stays usable', async () => {
    await expect(readAsSystem(t.db, sql`select 1/0`)).rejects.toThrow();
    // The settings travel with the first statement: a bad one fails there (and a transaction that
    // runs no statement never begins).
    await expect(
      t.db.transaction([['role', 'no_such_role']], async (tx) => tx.execute(sql`select 1`)),
    ).rejects.toThrow();
    await expect(
      t.db.transaction([['app.tenant_id', 'ten_x']], async (tx) => {
        await tx.execute(sql`select 1`);
        await tx.execute(sql`select 1/0`);
      }),
    ).rejects.toThrow();
    for (let i = 0; i < 12; i++) {
      const [r] = await readAsSystem<{ one: number }>(t.db, sql`select 1 as one`);
      expect(Number(r?.one)).toBe(1);
    }
  });

  it('the first statement of a transaction sees its parameters exactly as sent separately', async () => {
    const probe = (tx: Parameters<Parameters<typeof t.db.transaction>[1]>[0]) =>
      tx.execute(sql`select ${`it's \\ $1`}::text as s, ${12.5}::numeric as n, ${true}::boolean as b,
        ${JSON.stringify({ a: [1, 'é'] })}::jsonb as j, ${'{x,"y z"}'}::text[] as arr,
        ${Buffer.from([0, 1, 255])}::bytea as bin, ${null}::text as nothing,
        current_setting('app.tenant_id') as tenant`);
    const scope: [string, string][] = [['app.tenant_id', 'ten_first']];
    // Inlined with `begin` (no binary parameter) and sent on its own (bytea): same rows.
    const withBinary = rows(await t.db.transaction(scope, probe));
    const textual = rows(
      await t.db.transaction(scope, async (tx) =>
        tx.execute(sql`select ${`it's \\ $1`}::text as s, ${12.5}::numeric as n, ${true}::boolean as b,
        ${JSON.stringify({ a: [1, 'é'] })}::jsonb as j, ${'{x,"y z"}'}::text[] as arr,
        '\\x0001ff'::bytea as bin, ${null}::text as nothing,
        current_setting('app.tenant_id') as tenant`),
      ),
    );
    expect(textual).toEqual(withBinary);
    expect(withBinary[0]).toMatchObject({ s: `it's \\ $1`, b: true, tenant: 'ten_first', nothing: null });
    // Writes: the first statement's rows and row count come back as without the merge.
    const inserted = await t.db.transaction(scope, async (tx) => {
      await tx.execute(sql`create temporary table first_stmt (v text) on commit drop`);
      const r = await tx.execute(sql`insert into first_stmt values (${'a'}), (${'b'}) returning v`);
      return rows<{ v: string }>(r).map((x) => x.v);
    });
    expect(inserted).toEqual(['a', 'b']);
  });
});
