import { createHash } from 'node:crypto';
import type { Ctx } from '../../platform/context.ts';
import { listVariants } from '../catalog/service.ts';
import {
  type BulkStockLine,
  bulkUpsertStockLevels,
  createWarehouse,
  updateInventorySettings,
} from './service.ts';

/** The kind of stock a demo SKU gets, from its hash: most in stock, some low, some out. */
export function demoStockKind(sku: string): 'in_stock' | 'low_stock' | 'on_order' | 'out_dated' | 'out' {
  const h = createHash('sha256').update(sku).digest().readUInt32BE(0);
  const bucket = h % 10;
  if (bucket <= 5) return 'in_stock';
  if (bucket <= 7) return 'low_stock';
  if (bucket === 8) return (h >>> 4) % 2 ? 'on_order' : 'out_dated';
  return 'out';
}

/**
 * The demo tenant's stock, through the services (valid and audited rows, as an ERP import would
 * write them): two warehouses, buyers shown quantities (threshold 10, 12 days' lead time when no
 * delivery is announced), and every demo SKU stocked deterministically from its hash — most in
 * stock, some low, some out of stock with an expected delivery (with or without its quantity), some
 * out with none. Delivery dates are counted from the day of the seed.
 */
export async function seedDemoInventory(ctx: Ctx, today = new Date()): Promise<Record<string, number>> {
  await createWarehouse(ctx, { code: 'LYON', name: 'Entrepôt de Lyon — Corbas' });
  await createWarehouse(ctx, { code: 'IDF', name: 'Plateforme Île-de-France — Gennevilliers' });
  await updateInventorySettings(ctx, {
    quantity_display: 'exact',
    low_stock_threshold: '10',
    default_lead_time_days: 12,
  });
  const skus: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await listVariants(ctx, { limit: 200, ...(cursor ? { cursor } : {}) });
    skus.push(...page.data.map((v) => v.sku));
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  const inDays = (n: number) => new Date(today.getTime() + n * 86_400_000).toISOString().slice(0, 10);
  const lines: BulkStockLine[] = [];
  const counts: Record<string, number> = {};
  for (const sku of skus) {
    const h = createHash('sha256').update(`${sku}#stock`).digest().readUInt32BE(0);
    const kind = demoStockKind(sku);
    counts[kind] = (counts[kind] ?? 0) + 1;
    if (kind === 'in_stock') {
      lines.push({ sku, warehouse_code: 'LYON', on_hand: String(20 + (h % 400)) });
      lines.push({ sku, warehouse_code: 'IDF', on_hand: String(h % 3 === 0 ? 0 : 10 + ((h >>> 8) % 150)) });
    } else if (kind === 'low_stock') {
      lines.push({ sku, warehouse_code: 'LYON', on_hand: String(1 + (h % 8)) });
      lines.push({ sku, warehouse_code: 'IDF', on_hand: '0' });
    } else if (kind === 'on_order' || kind === 'out_dated') {
      lines.push({
        sku,
        warehouse_code: 'LYON',
        on_hand: '0',
        restock_date: inDays(5 + (h % 20)),
        restock_quantity: kind === 'on_order' ? String(50 * (1 + (h % 6))) : null,
      });
    } else {
      lines.push({ sku, warehouse_code: 'LYON', on_hand: '0' });
    }
  }
  for (let i = 0; i < lines.length; i += 5000) await bulkUpsertStockLevels(ctx, lines.slice(i, i + 5000));
  return counts;
}
