import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../../test/harness.ts';
import { runAsTenant } from '../context.ts';
import { publish } from '../events/outbox.ts';
import { createTenant } from '../tenancy/service.ts';
import { rows } from './database.ts';
import { purgeExpired } from './housekeeping.ts';
import { inSystemTransaction } from './scope.ts';

declare module '../events/outbox.ts' {
  interface DomainEventMap {
    'test.housekeeping': { ref: string };
  }
}

describe.each(DRIVERS)('housekeeping, on %s', (driver) => {
  let t: TestDatabase;
  let tenantId: string;

  beforeAll(async () => {
    t = await openTestDatabase(driver);
    tenantId = (
      await createTenant(t.db, { name: 'H', slug: 'h', owner: { email: 'o@h.example', displayName: 'O' } })
    ).tenant.id;
  });
  afterAll(() => t.drop());

  it('forgets Idempotency-Key responses after 24 hours and delivered events after 7 days, keeping the rest', async () => {
    await runAsTenant(t.db, { tenantId }, async (ctx) => {
      for (const [key, age] of [
        ['old', '25 hours'],
        ['recent', '23 hours'],
      ]) {
        await ctx.tx.execute(sql`insert into idempotency_keys (tenant_id, key, principal_id, method, route, request_hash, response_status, created_at)
                                  values (${tenantId}, ${key}, 'tok_x', 'POST', '/x', 'h', 201, now() - ${age}::interval)`);
      }
      await publish(ctx, 'test.housekeeping', { ref: 'acct_old' });
      await publish(ctx, 'test.housekeeping', { ref: 'acct_new' });
      await publish(ctx, 'test.housekeeping', { ref: 'acct_dead' });
    });
    await inSystemTransaction(t.db, async (tx) => {
      await tx.execute(
        sql`update outbox_events set status = 'delivered', delivered_at = now() - interval '8 days' where payload->>'ref' = 'acct_old'`,
      );
      await tx.execute(
        sql`update outbox_events set status = 'delivered', delivered_at = now() - interval '6 days' where payload->>'ref' = 'acct_new'`,
      );
      await tx.execute(sql`update outbox_events set status = 'dead' where payload->>'ref' = 'acct_dead'`);
    });
    expect(await purgeExpired(t.db)).toEqual({ idempotencyKeys: 1, deliveredEvents: 1 });
    const left = await inSystemTransaction(t.db, async (tx) => ({
      keys: rows<{ key: string }>(await tx.execute(sql`select key from idempotency_keys`)).map((r) => r.key),
      events: rows<{ a: string }>(
        await tx.execute(sql`select payload->>'ref' as a from outbox_events order by 1`),
      ).map((r) => r.a),
    }));
    expect(left).toEqual({ keys: ['recent'], events: ['acct_dead', 'acct_new'] });
  });
});
