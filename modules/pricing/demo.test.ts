import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Ctx, runAsTenant } from '../../platform/context.ts';
import { rows } from '../../platform/db/database.ts';
import { inSystemTransaction } from '../../platform/db/scope.ts';
import { seedDemo } from '../../src/seed.ts';
import { DRIVERS, openTestDatabase, type TestDatabase } from '../../test/harness.ts';
import { ALL_VISIBLE, searchCatalog, setCatalogVisibility } from '../catalog/search.ts';
import { listStorefronts, visibilityCondition } from '../storefronts/service.ts';
import { listEntries, listPriceLists, resolveUnitPrice } from './service.ts';

/** The demo tenant has a believable catalogue, two storefronts, groups and contract prices (issue 6). */
describe.each(DRIVERS)('the demo tenant Acme Industrie, on %s', (driver) => {
  let tdb: TestDatabase;
  let tenantId: string;
  let buyerId: string;
  const dir = mkdtempSync(path.join(tmpdir(), 'comptoir-demo-'));

  beforeAll(async () => {
    // What registering the storefronts module does (no app is built here).
    setCatalogVisibility((ctx) => visibilityCondition(ctx, ALL_VISIBLE));
    tdb = await openTestDatabase(driver);
    await seedDemo(tdb.db, dir);
    const [row] = await inSystemTransaction(tdb.db, async (tx) =>
      rows<{ id: string }>(await tx.execute(sql`select id from tenants where slug = 'acme'`)),
    );
    tenantId = row!.id;
    buyerId = await runAsTenant(tdb.db, { tenantId }, async (ctx) => {
      const [u] = rows<{ id: string }>(
        await ctx.tx.execute(
          sql`select id from users where tenant_id = ${tenantId} and kind = 'buyer' limit 1`,
        ),
      );
      return u!.id;
    });
  }, 120_000);
  afterAll(async () => {
    await tdb.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const asBuyer = <T>(host: string, fn: (ctx: Ctx) => Promise<T>) =>
    runAsTenant(
      tdb.db,
      {
        tenantId,
        host,
        actor: {
          type: 'user',
          id: buyerId,
          userId: buyerId,
          displayName: 'Lucie Martin',
          permissions: new Set(),
        },
      },
      fn,
    );

  it('holds a few hundred products in fr and en, and two storefronts (Acme’s shop and Distrib Pro)', async () => {
    const staff = await runAsTenant(tdb.db, { tenantId, locale: 'en' }, async (ctx) => ({
      all: await searchCatalog(ctx, { limit: 5 }, []),
      shops: await listStorefronts(ctx, { limit: 10 }),
    }));
    expect(staff.all.total).toBeGreaterThanOrEqual(200);
    expect(staff.shops.data.map((s) => [s.code, s.domains])).toEqual(
      expect.arrayContaining([
        ['acme-pro', ['acme.localhost']],
        ['distrib-pro', ['distrib.localhost']],
      ]),
    );
    // Each shop shows its own logo (an SVG drawn by the seed), not the other's.
    const logos = staff.shops.data
      .filter((s) => ['acme-pro', 'distrib-pro'].includes(s.code))
      .map((s) => s.logo);
    expect(logos.map((l) => l?.content_type)).toEqual(['image/svg+xml', 'image/svg+xml']);
    expect(logos[0]!.checksum_sha256).not.toBe(logos[1]!.checksum_sha256);
  });

  it('the demo buyer sees the protective equipment on Acme’s shop, not on Distrib Pro (tools and fixings only)', async () => {
    const gloves = (host: string) => asBuyer(host, (ctx) => searchCatalog(ctx, { q: 'gants', limit: 5 }, []));
    expect((await gloves('acme.localhost')).total).toBeGreaterThan(0);
    expect((await gloves('distrib.localhost')).total).toBe(0);
    const screws = await asBuyer('distrib.localhost', (ctx) =>
      searchCatalog(ctx, { q: 'vis', limit: 5 }, []),
    );
    expect(screws.total).toBeGreaterThan(0);
  });

  it('the demo buyer’s company has contract prices, below the public price with its quantity breaks', async () => {
    const { contract, publicList } = await runAsTenant(tdb.db, { tenantId }, async (ctx) => {
      const lists = (await listPriceLists(ctx, { limit: 50 })).data;
      return {
        contract: lists.find((l) => l.code === 'contrat-boulangerie-martin')!,
        publicList: lists.find((l) => l.code.startsWith('tarif-public'))!,
      };
    });
    expect(contract.sku_count).toBeGreaterThan(10);
    const sku = await runAsTenant(
      tdb.db,
      { tenantId },
      async (ctx) => (await listEntries(ctx, contract.id, { limit: 1 })).data[0]!.sku,
    );
    const price = await asBuyer('acme.localhost', (ctx) =>
      resolveUnitPrice(ctx, { sku, quantity: '1', currency: 'EUR' }),
    );
    expect(price).toMatchObject({ priced: true, rule: { level: 'account', price_list_id: contract.id } });
    const publicBreaks = await runAsTenant(
      tdb.db,
      { tenantId },
      async (ctx) => (await listEntries(ctx, publicList.id, { limit: 1, sku })).data[0]!.breaks,
    );
    expect(publicBreaks.map((b) => b.min_quantity)).toEqual(['1', '10', '50']);
    expect(Number(price.unit_price!.amount)).toBeLessThan(Number(publicBreaks[0]!.unit_price.amount));
  });
});
