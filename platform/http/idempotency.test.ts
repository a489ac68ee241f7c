import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { rows } from '../db/database.ts';
import { inTenantTransaction } from '../db/scope.ts';

async function countAccounts(t: TestApp, tenantId: string, name: string): Promise<number> {
  const [r] = await inTenantTransaction(t.db, tenantId, async (tx) =>
    rows<{ n: number }>(await tx.execute(sql`select count(*)::int as n from accounts where name = ${name}`)),
  );
  return Number(r!.n);
}

describe.each(DRIVERS)('Idempotency-Key on POST, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;

  beforeAll(async () => {
    t = await startTestApp(driver);
    acme = await t.newTenant('Acme');
  });
  afterAll(() => t.close());

  it('a replay returns the first response and creates nothing more', async () => {
    const body = { name: 'Replay SARL', external_ref: 'R-1' };
    const headers = { 'idempotency-key': 'order-sync-0001' };
    const first = await t.api('POST', '/api/v1/accounts', { token: acme.token, body, headers });
    expect(first.status).toBe(201);
    const again = await t.api('POST', '/api/v1/accounts', { token: acme.token, body, headers });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await countAccounts(t, acme.tenantId, 'Replay SARL')).toBe(1);
  });

  it('the same body with its keys in another order is the same request', async () => {
    const headers = { 'idempotency-key': 'key-order' };
    const a = await t.api('POST', '/api/v1/accounts', {
      token: acme.token,
      headers,
      rawBody: '{"name":"Ordre","country":"FR"}',
    });
    const b = await t.api('POST', '/api/v1/accounts', {
      token: acme.token,
      headers,
      rawBody: '{"country":"FR","name":"Ordre"}',
    });
    expect(b.status).toBe(201);
    expect(b.body.id).toBe(a.body.id);
  });

  it('the same key with a different body is refused with 422 and changes nothing', async () => {
    const headers = { 'idempotency-key': 'reused-key' };
    await t.api('POST', '/api/v1/accounts', { token: acme.token, body: { name: 'First Body' }, headers });
    const res = await t.api('POST', '/api/v1/accounts', {
      token: acme.token,
      body: { name: 'Second Body' },
      headers,
    });
    expect(res.status).toBe(422);
    expect(res.body.type).toBe('/problems/idempotency-key-reused');
    expect(await countAccounts(t, acme.tenantId, 'Second Body')).toBe(0);
  });

  it('a failed request stores nothing, so the same key can be retried once the input is fixed', async () => {
    const headers = { 'idempotency-key': 'fix-and-retry' };
    const bad = await t.api('POST', '/api/v1/accounts', {
      token: acme.token,
      body: { name: 'Fixed', siret: '12345678901234' },
      headers,
    });
    expect(bad.status).toBe(400);
    const good = await t.api('POST', '/api/v1/accounts', {
      token: acme.token,
      body: { name: 'Fixed', siret: '73282932000074' },
      headers,
    });
    expect(good.status).toBe(201);
  });

  it('keys are per caller and per tenant: another tenant reusing a key gets its own result', async () => {
    const other = await t.newTenant('Other');
    const headers = { 'idempotency-key': 'shared-key' };
    const a = await t.api('POST', '/api/v1/accounts', {
      token: acme.token,
      body: { name: 'Shared' },
      headers,
    });
    const b = await t.api('POST', '/api/v1/accounts', {
      token: other.token,
      body: { name: 'Shared' },
      headers,
    });
    expect(b.status).toBe(201);
    expect(b.body.id).not.toBe(a.body.id);
    expect(await countAccounts(t, other.tenantId, 'Shared')).toBe(1);
  });

  it('concurrent requests with the same key create one account and answer the same', async () => {
    const headers = { 'idempotency-key': 'concurrent-key' };
    const body = { name: 'Concurrent SAS' };
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.api('POST', '/api/v1/accounts', { token: acme.token, body, headers }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await countAccounts(t, acme.tenantId, 'Concurrent SAS')).toBe(1);
  });

  it('an invalid key is a 400 naming the header', async () => {
    const res = await t.api('POST', '/api/v1/accounts', {
      token: acme.token,
      body: { name: 'X' },
      headers: { 'idempotency-key': 'x'.repeat(300) },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatchObject({ in: 'headers', pointer: '/idempotency-key' });
  });
});
