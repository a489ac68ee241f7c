/**
 * Times each SQL statement of one search as the bench buyer (development aid):
 *   BENCH_DB_URL=postgres://…/comptoir_bench_… BENCH_INFO=/tmp/comptoir_bench_….json npx tsx bench/profile-search.ts 'q=perceuse&locale=fr'
 * With EXPLAIN=1, prints EXPLAIN (ANALYZE, BUFFERS) of the slowest statements.
 */
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import {
  ALL_VISIBLE,
  searchCatalog,
  setCatalogVisibility,
  setSearchPricing,
} from '../modules/catalog/search.ts';
import { getProduct } from '../modules/catalog/service.ts';
import { searchPricing } from '../modules/pricing/service.ts';
import { visibilityCondition } from '../modules/storefronts/service.ts';
import { runAsTenant } from '../platform/context.ts';
import { openDatabase, rows } from '../platform/db/database.ts';

setCatalogVisibility((ctx) => visibilityCondition(ctx, ALL_VISIBLE));
// Hits priced (and the price facet computed) as for a buyer who may see prices: pass currency=EUR.
setSearchPricing(searchPricing);
const info = JSON.parse(readFileSync(process.env.BENCH_INFO!, 'utf8'));
const db = await openDatabase({ url: process.env.BENCH_DB_URL!, poolMax: 2 });
const [u] = await runAsTenant(db, { tenantId: info.tenantId }, async (ctx) =>
  rows<{ id: string }>(await ctx.tx.execute(sql`select id from users where kind = 'buyer'`)),
);
const params = new URLSearchParams(process.argv[2] ?? '');
const query = Object.fromEntries(
  [...params.entries()].filter(([k]) => k !== 'locale' && k !== 'attr' && k !== 'product'),
);
const attr = params.getAll('attr');
const product = params.get('product');
for (let round = 0; round < 3; round++) {
  const log: { ms: number; text: string; params: unknown[] }[] = [];
  const t0 = performance.now();
  await runAsTenant(
    db,
    {
      tenantId: info.tenantId,
      actor: {
        type: 'user',
        id: u!.id,
        userId: u!.id,
        displayName: 'b',
        permissions: new Set(['pricing.price.read']),
      },
    },
    async (ctx) => {
      const exec = ctx.tx.execute.bind(ctx.tx);
      // biome-ignore lint/suspicious/noExplicitAny: development aid
      (ctx.tx as any).execute = async (q: any) => {
        const s = performance.now();
        const r = await exec(q);
        const built = q.toQuery ? q : null;
        // biome-ignore lint/suspicious/noExplicitAny: development aid
        const { sql: text, params: ps } = built
          ? (db as any).orm.dialect.sqlToQuery(q)
          : { sql: String(q), params: [] };
        log.push({ ms: performance.now() - s, text, params: ps });
        return r;
      };
      if (product) return getProduct(ctx, product, [params.get('locale') ?? 'fr']);
      return searchCatalog(
        ctx,
        { ...query, ...(attr.length ? { attr } : {}), limit: Number(query.limit ?? 20) } as never,
        [params.get('locale') ?? 'fr'],
      );
    },
  );
  const total = performance.now() - t0;
  if (round < 2) continue;
  const inSql = log.reduce((a, l) => a + l.ms, 0);
  console.log(
    `total ${total.toFixed(1)} ms, ${log.length} statements (${inSql.toFixed(1)} ms waiting for them)`,
  );
  for (const l of log)
    console.log(`${l.ms.toFixed(1).padStart(7)} ms  ${l.text.replace(/\s+/g, ' ').slice(0, 150)}`);
  if (process.env.EXPLAIN) {
    for (const l of [...log].sort((a, b) => b.ms - a.ms).slice(0, Number(process.env.EXPLAIN))) {
      const plan = await runAsTenant(
        db,
        {
          tenantId: info.tenantId,
          actor: { type: 'user', id: u!.id, userId: u!.id, displayName: 'b', permissions: new Set() },
        },
        async (ctx) => {
          await ctx.tx.execute(
            sql`select set_config('pg_trgm.word_similarity_threshold', '0.5', true), set_config('jit', 'off', true)`,
          );
          // biome-ignore lint/suspicious/noExplicitAny: development aid
          const c = (ctx.tx as any).session?.client ?? null;
          void c;
          return rows<{ 'QUERY PLAN': string }>(
            await ctx.tx.execute(sql.raw(`explain (analyze, buffers) ${inline(l.text, l.params)}`)),
          );
        },
      );
      console.log(`\n--- ${l.ms.toFixed(1)} ms\n${plan.map((p) => p['QUERY PLAN']).join('\n')}`);
    }
  }
}
await db.close();

function inline(text: string, ps: unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, n) => {
    const v = ps[Number(n) - 1];
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'number') return String(v);
    return `'${String(v).replace(/'/g, "''")}'`;
  });
}
