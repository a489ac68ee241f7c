/**
 * Catalogue search benchmark, run on demand: `npm run bench:catalog` (PostgreSQL from
 * BENCH_DATABASE_URL / TEST_DATABASE_URL; a throw-away database is created and dropped).
 *
 *   BENCH_VARIANTS=100000 (default)   variants generated (2 per product); 1000000 for the 1M run:
 *     BENCH_VARIANTS=1000000 npm run bench:catalog   (loading takes ~10× longer; keep the machine idle)
 *   BENCH_DURATION_S=10  BENCH_CONCURRENCY=8  BENCH_KEEP=1 (keep the database to study query plans)
 *
 * 1. Loads a fixed, deterministic catalogue through the bulk upsert service (1,000 products per call,
 *    the API's limit): fr/en names from a fixed vocabulary, 4 brands per family, 3-level categories.
 * 2. Runs a fixed query mix (French words, English words, SKU prefixes, typos, facet browsing) through
 *    the search service in-process (no HTTP), CONCURRENCY at a time for DURATION_S seconds, and
 *    reports throughput, p50/p95/p99 latency per kind of query and the process RSS.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { type BulkItem, bulkUpsertProducts } from '../modules/catalog/bulk.ts';
import { searchCatalog } from '../modules/catalog/search.ts';
import { createBrand, createCategory, createFamily } from '../modules/catalog/service.ts';
import { runAsTenant } from '../platform/context.ts';
import { openDatabase } from '../platform/db/database.ts';
import { migrate } from '../platform/db/migrate.ts';
import { createTenant } from '../platform/tenancy/service.ts';

const VARIANTS = Number(process.env.BENCH_VARIANTS ?? 100_000);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const adminUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (!adminUrl) throw new Error('Set BENCH_DATABASE_URL or TEST_DATABASE_URL (a PostgreSQL server)');

const NOUNS: [string, string][] = [
  ['perceuse', 'drill'],
  ['visseuse', 'driver'],
  ['meuleuse', 'grinder'],
  ['scie', 'saw'],
  ['ponceuse', 'sander'],
  ['cheville', 'plug'],
  ['vis', 'screw'],
  ['boulon', 'bolt'],
  ['écrou', 'nut'],
  ['rondelle', 'washer'],
  ['gant', 'glove'],
  ['lunettes', 'glasses'],
  ['casque', 'helmet'],
  ['clé', 'wrench'],
  ['tournevis', 'screwdriver'],
  ['marteau', 'hammer'],
  ['pince', 'pliers'],
  ['foret', 'drill bit'],
  ['disque', 'disc'],
  ['câble', 'cable'],
];
const ADJ: [string, string][] = [
  ['électrique', 'electric'],
  ['sans fil', 'cordless'],
  ['inox', 'stainless'],
  ['renforcé', 'reinforced'],
  ['compact', 'compact'],
  ['professionnel', 'professional'],
  ['étanche', 'waterproof'],
  ['isolé', 'insulated'],
  ['léger', 'light'],
  ['haute résistance', 'heavy duty'],
  ['à percussion', 'hammer'],
  ['magnétique', 'magnetic'],
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main() {
  const name = `comptoir_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl!);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), poolMax: CONCURRENCY + 2 });
  try {
    await migrate(db);
    const tenant = await createTenant(db, {
      name: 'Bench Industrie',
      slug: 'bench',
      owner: { email: 'o@bench.example', displayName: 'Bench' },
    });
    const tenantId = tenant.tenant.id;
    const asTenant = <T>(fn: Parameters<typeof runAsTenant<T>>[2]) => runAsTenant(db, { tenantId }, fn);

    await asTenant(async (ctx) => {
      await createFamily(ctx, {
        code: 'generic',
        name: { fr: 'Générique', en: 'Generic' },
        attributes: [
          {
            code: 'size',
            type: 'number',
            unit: 'mm',
            label: { fr: 'Taille', en: 'Size' },
            filterable: true,
            required: true,
          },
          {
            code: 'finish',
            type: 'enum',
            label: { fr: 'Finition', en: 'Finish' },
            values: ['zinc', 'inox', 'noir', 'brut'].map((c) => ({ code: c, label: { fr: c, en: c } })),
            filterable: true,
            required: false,
          },
        ],
      });
      for (let b = 0; b < 20; b++) await createBrand(ctx, { code: `b${b}`, name: `Marque ${b}` });
      for (let r = 0; r < 5; r++) {
        const root = await createCategory(ctx, {
          code: `r${r}`,
          name: { fr: `Rayon ${r}`, en: `Aisle ${r}` },
        });
        for (let s = 0; s < 5; s++) {
          const sub = await createCategory(ctx, {
            code: `r${r}s${s}`,
            name: { fr: `Famille ${r}.${s}` },
            parent_id: root.id,
          });
          for (let l = 0; l < 4; l++)
            await createCategory(ctx, {
              code: `r${r}s${s}l${l}`,
              name: { fr: `Sous-famille ${r}.${s}.${l}` },
              parent_id: sub.id,
            });
        }
      }
    });

    const products = Math.ceil(VARIANTS / 2);
    const t0 = performance.now();
    for (let start = 0; start < products; start += 1000) {
      const items: BulkItem[] = [];
      for (let i = start; i < Math.min(products, start + 1000); i++) {
        const [nfr, nen] = NOUNS[i % NOUNS.length]!;
        const [afr, aen] = ADJ[Math.floor(i / NOUNS.length) % ADJ.length]!;
        const size = 2 + (i % 97);
        items.push({
          code: `P${String(i).padStart(7, '0')}`,
          family_code: 'generic',
          brand_code: `b${i % 20}`,
          status: i % 10 === 9 ? 'draft' : 'active',
          name: { fr: `${nfr} ${afr} ${size} mm`, en: `${aen} ${nen} ${size} mm` },
          description: { fr: `Référence ${i} : ${nfr} ${afr} pour usage intensif.` },
          category_codes: [`r${i % 5}s${Math.floor(i / 5) % 5}l${Math.floor(i / 25) % 4}`],
          attributes: { size },
          variants: [0, 1].map((v) => ({
            sku: `SKU${String(i).padStart(7, '0')}-${v}`,
            mpn: `M${(i * 7919) % 1_000_003}-${v}`,
            attributes: { finish: ['zinc', 'inox', 'noir', 'brut'][(i + v) % 4]! },
            pack_size: v ? 10 : 1,
          })),
        });
      }
      await asTenant((ctx) => bulkUpsertProducts(ctx, items));
      if ((start / 1000) % 10 === 0) process.stdout.write(`  loaded ${start + items.length} products\r`);
    }
    const loadS = (performance.now() - t0) / 1000;
    console.log(
      `\nloaded ${products} products / ${products * 2} variants in ${loadS.toFixed(1)} s (${Math.round((products * 2) / loadS)} variants/s)`,
    );
    await db.session((s) => s.exec('vacuum analyze'));

    const queries: { kind: string; q: { q?: string; attr?: string[] }; locale: string }[] = [
      { kind: 'fr word', q: { q: 'perceuse' }, locale: 'fr' },
      { kind: 'fr words', q: { q: 'cheville inox' }, locale: 'fr' },
      { kind: 'fr no accent', q: { q: 'ecrou etanche' }, locale: 'fr' },
      { kind: 'en words', q: { q: 'cordless drill' }, locale: 'en' },
      { kind: 'sku prefix', q: { q: 'SKU000012' }, locale: 'fr' },
      { kind: 'no match', q: { q: 'SKU00123' }, locale: 'fr' },
      { kind: 'typo', q: { q: 'tournevsi' }, locale: 'fr' },
      { kind: 'browse+attr', q: { attr: ['finish:inox'] }, locale: 'fr' },
    ];
    const lat = new Map<string, number[]>(queries.map((q) => [q.kind, []]));
    const totals = new Map<string, number>();
    for (const q of queries) {
      const r = await asTenant((ctx) => searchCatalog(ctx, { ...q.q, limit: 20 }, [q.locale]));
      totals.set(q.kind, r.total ?? -1);
    }
    const end = performance.now() + DURATION_S * 1000;
    let done = 0;
    let rss = process.memoryUsage().rss;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, w) => {
        let i = w;
        while (performance.now() < end) {
          const q = queries[i++ % queries.length]!;
          const s = performance.now();
          await asTenant((ctx) => searchCatalog(ctx, { ...q.q, limit: 20 }, [q.locale]));
          lat.get(q.kind)!.push(performance.now() - s);
          done += 1;
          rss = Math.max(rss, process.memoryUsage().rss);
        }
      }),
    );
    const all = [...lat.values()].flat().sort((a, b) => a - b);
    console.log(
      `\nsearch with facets (first page, limit 20), ${CONCURRENCY} concurrent, ${DURATION_S} s, PostgreSQL, in-process:`,
    );
    console.log(
      `  throughput ${(done / DURATION_S).toFixed(0)} searches/s; p50 ${percentile(all, 50).toFixed(1)} ms, p95 ${percentile(all, 95).toFixed(1)} ms, p99 ${percentile(all, 99).toFixed(1)} ms`,
    );
    for (const q of queries) {
      const l = lat.get(q.kind)!.sort((a, b) => a - b);
      console.log(
        `  ${q.kind.padEnd(13)} matches ${String(totals.get(q.kind)).padStart(6)}  p50 ${percentile(l, 50).toFixed(1).padStart(7)} ms  p95 ${percentile(l, 95).toFixed(1).padStart(7)} ms  p99 ${percentile(l, 99).toFixed(1).padStart(7)} ms`,
      );
    }
    console.log(`  peak RSS of the benchmark process: ${(rss / 1024 / 1024).toFixed(0)} MiB`);
  } finally {
    await db.close();
    // BENCH_KEEP=1 keeps the database for EXPLAIN sessions (its name is printed); dropped otherwise.
    if (process.env.BENCH_KEEP === '1') console.log(`  kept database ${name}`);
    else await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

await main();
