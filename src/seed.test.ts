import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ephemeralAuditKeys } from '../platform/audit/keys.ts';
import type { Database } from '../platform/db/database.ts';
import { DRIVERS, openTestDatabase, type TestDatabase, testConfig } from '../test/harness.ts';
import { buildApp, type Comptoir } from './app.ts';
import { type DemoCredentials, seedDemo } from './seed.ts';

describe.each(DRIVERS)(
  'the demo logins printed by npm start work through the login endpoint, on %s',
  (driver) => {
    let tdb: TestDatabase;
    let db: Database;
    let app: Comptoir;
    let creds: DemoCredentials;
    const dir = mkdtempSync(path.join(tmpdir(), 'comptoir-seed-'));

    beforeAll(async () => {
      tdb = await openTestDatabase(driver);
      db = tdb.db;
      creds = await seedDemo(db, dir);
      app = await buildApp({ config: testConfig(), db, auditKeys: ephemeralAuditKeys() });
    });
    afterAll(async () => {
      await app.app.close();
      await tdb.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('has a staff owner and a buyer of a customer account among the demo logins', () => {
      expect(creds.logins.map((l) => l.role)).toEqual(
        expect.arrayContaining(['owner', 'buyer (Boulangerie Martin)']),
      );
    });

    it('signs every demo login in on its tenant host (localhost for Acme, bricoles.localhost for Bricoles)', async () => {
      for (const l of creds.logins) {
        const host = l.tenant === 'acme' ? 'localhost:3000' : 'bricoles.localhost:3000';
        const res = await app.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          headers: { host },
          payload: { email: l.email, password: l.password },
        });
        expect(res.statusCode, `${l.tenant} ${l.role}`).toBe(200);
        const body = res.json();
        expect(body.user.kind).toBe(l.role.startsWith('buyer') ? 'buyer' : 'staff');
        if (body.user.kind === 'buyer') expect(body.user.account_id).toMatch(/^acct_/);
      }
    });
  },
);
