import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../../test/harness.ts';
import { runAsTenant } from '../context.ts';
import { rows } from '../db/database.ts';
import { inSystemTransaction } from '../db/scope.ts';
import { createTenant } from '../tenancy/service.ts';
import { OutboxDispatcher, retryDelaySeconds } from './dispatcher.ts';
import { type DeliveredEvent, publish } from './outbox.ts';

// Test-only event types, added to the typed event map like a module would.
declare module './outbox.ts' {
  interface DomainEventMap {
    'test.happened': { n: number };
    'test.other': { s: string };
  }
}

async function makeDueNow(db: TestDatabase['db']) {
  await inSystemTransaction(db, (tx) =>
    tx.execute(sql`update outbox_events set available_at = now() where status = 'pending'`),
  );
}

async function outbox(db: TestDatabase['db']) {
  return inSystemTransaction(db, async (tx) =>
    rows<{ id: string; type: string; status: string; attempts: number; last_error: string | null }>(
      await tx.execute(sql`select id, type, status, attempts, last_error from outbox_events order by id`),
    ),
  );
}

describe.each(DRIVERS)('domain events through the outbox, on %s', (driver) => {
  let t: TestDatabase;
  let tenantId: string;

  beforeAll(async () => {
    t = await openTestDatabase(driver);
    tenantId = (
      await createTenant(t.db, {
        name: 'Events',
        slug: 'events',
        owner: { email: 'o@e.example', displayName: 'O' },
      })
    ).tenant.id;
  });
  afterAll(() => t.drop());

  it('an event published in a committed transaction is delivered once, after commit, to its subscribers', async () => {
    const seen: DeliveredEvent[] = [];
    const all: string[] = [];
    const d = new OutboxDispatcher(t.db, { pollMs: 60_000 });
    d.subscribe('test.happened', 'recorder', async (e) => {
      seen.push(e);
    });
    d.subscribe('*', 'firehose', async (e) => {
      all.push(e.type);
    });
    let deliveredBeforeCommit = -1;
    await runAsTenant(t.db, { tenantId, requestId: 'req_1' }, async (ctx) => {
      await publish(ctx, 'test.happened', { n: 1 });
      await publish(ctx, 'test.other', { s: 'x' });
      deliveredBeforeCommit = seen.length;
    });
    expect(deliveredBeforeCommit).toBe(0);
    expect(await d.drain()).toBe(2);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      tenantId,
      type: 'test.happened',
      payload: { n: 1 },
      requestId: 'req_1',
      attempt: 1,
    });
    expect(all.sort()).toEqual(['test.happened', 'test.other']);
    expect(await d.drain()).toBe(0);
    expect((await outbox(t.db)).every((r) => r.status === 'delivered')).toBe(true);
  });

  it('a rolled-back transaction publishes nothing', async () => {
    const before = (await outbox(t.db)).length;
    await expect(
      runAsTenant(t.db, { tenantId }, async (ctx) => {
        await publish(ctx, 'test.happened', { n: 2 });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect((await outbox(t.db)).length).toBe(before);
    const seen: unknown[] = [];
    const d = new OutboxDispatcher(t.db, { pollMs: 60_000 });
    d.subscribe('test.happened', 'recorder', async (e) => {
      seen.push(e);
    });
    expect(await d.drain()).toBe(0);
    expect(seen).toEqual([]);
  });

  it('a failing subscriber gets the event again later (at least once), then it is marked delivered', async () => {
    let calls = 0;
    const d = new OutboxDispatcher(t.db, { pollMs: 60_000 });
    d.subscribe('test.other', 'flaky', async () => {
      calls += 1;
      if (calls === 1) throw new Error('SMTP timeout');
    });
    await runAsTenant(t.db, { tenantId }, (ctx) => publish(ctx, 'test.other', { s: 'retry me' }));
    await d.drain();
    let row = (await outbox(t.db)).at(-1)!;
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row.last_error).toContain('flaky: SMTP timeout');
    // Not due yet: backoff.
    expect(await d.drain()).toBe(0);
    await makeDueNow(t.db);
    await d.drain();
    row = (await outbox(t.db)).at(-1)!;
    expect(row).toMatchObject({ status: 'delivered', attempts: 2, last_error: null });
    expect(calls).toBe(2);
  });

  it('an event that keeps failing is parked as dead after the maximum attempts', async () => {
    const d = new OutboxDispatcher(t.db, { pollMs: 60_000, maxAttempts: 3 });
    d.subscribe('test.happened', 'broken', async () => {
      throw new Error('always');
    });
    await runAsTenant(t.db, { tenantId }, (ctx) => publish(ctx, 'test.happened', { n: 3 }));
    for (let i = 0; i < 3; i++) {
      await makeDueNow(t.db);
      await d.drain();
    }
    expect((await outbox(t.db)).at(-1)).toMatchObject({ status: 'dead', attempts: 3 });
  });

  it('a running dispatcher delivers soon after commit without waiting for its poll interval', async () => {
    const d = new OutboxDispatcher(t.db, { pollMs: 60_000 });
    const got = new Promise<DeliveredEvent>((resolve) =>
      d.subscribe('test.happened', 'waiter', async (e) => resolve(e)),
    );
    d.start();
    try {
      await runAsTenant(t.db, { tenantId }, (ctx) => publish(ctx, 'test.happened', { n: 42 }));
      const e = await Promise.race([got, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
      expect(e?.payload).toEqual({ n: 42 });
    } finally {
      await d.stop();
    }
  });

  it('a tenant transaction sees only its own outbox rows', async () => {
    const other = await createTenant(t.db, {
      name: 'Other',
      slug: 'other',
      owner: { email: 'o@o.example', displayName: 'O' },
    });
    await runAsTenant(t.db, { tenantId: other.tenant.id }, (ctx) =>
      publish(ctx, 'test.other', { s: 'mine' }),
    );
    const visible = await runAsTenant(t.db, { tenantId: other.tenant.id }, async (ctx) =>
      rows<{ tenant_id: string }>(await ctx.tx.execute(sql`select tenant_id from outbox_events`)),
    );
    expect(visible.map((r) => r.tenant_id)).toEqual([other.tenant.id]);
  });
});

describe('retry backoff', () => {
  it('doubles per attempt and is capped at one hour', () => {
    expect([1, 2, 3, 10].map(retryDelaySeconds)).toEqual([2, 4, 8, 1024]);
    expect(retryDelaySeconds(30)).toBe(3600);
  });
});
