import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsTenant, systemActor } from '../../platform/context.ts';
import { createTenant } from '../../platform/tenancy/service.ts';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../../test/harness.ts';
import { seedDemoCatalog } from '../catalog/demo.ts';
import { listProducts } from '../catalog/service.ts';
import { seedDemoInventory } from './demo.ts';
import { productAvailability } from './service.ts';

/** The demo catalogue has believable stock: most in stock, some low, some out with a delivery date. */
describe.each(DRIVERS)('the demo stock, on %s', (driver) => {
  let tdb: TestDatabase;
  let tenantId: string;
  let counts: Record<string, number>;

  beforeAll(async () => {
    tdb = await openTestDatabase(driver);
    const created = await createTenant(tdb.db, {
      name: 'Démo stock',
      slug: `demo-stock-${Math.random().toString(36).slice(2, 8)}`,
      owner: { email: 'owner@demo-stock.example', displayName: 'Owner' },
    });
    tenantId = created.tenant.id;
    counts = await runAsTenant(tdb.db, { tenantId, actor: systemActor('seed') }, async (ctx) => {
      await seedDemoCatalog(ctx);
      return seedDemoInventory(ctx, new Date('2026-12-07T08:00:00Z'));
    });
  }, 180_000);
  afterAll(() => tdb.drop());

  it('stocks every SKU, in every kind of availability a buyer may meet', async () => {
    expect(Object.keys(counts).sort()).toEqual(['in_stock', 'low_stock', 'on_order', 'out', 'out_dated']);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(counts.in_stock! / total).toBeGreaterThan(0.4);
    const statuses = await runAsTenant(tdb.db, { tenantId }, async (ctx) => {
      const seen = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await listProducts(ctx, { limit: 200, ...(cursor ? { cursor } : {}) });
        for (const p of page.data)
          for (const v of (await productAvailability(ctx, p.id)).variants) seen.add(v.status);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      return seen;
    });
    // Relative to the real today the demo's delivery dates may be past: on_order then reads out_of_stock.
    expect(statuses.has('in_stock')).toBe(true);
    expect(statuses.has('low_stock')).toBe(true);
    expect(statuses.has('out_of_stock')).toBe(true);
  });
});
