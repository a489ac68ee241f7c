import type { TestApp, TestTenant } from '../../test/harness.ts';

/** Inventory objects the audit coverage walk (test/audit-coverage.test.ts) acts on. */
export interface InventoryFixtures {
  warehouseId: string;
  warehouseCode: string;
  doomedWarehouseId: string;
  productId: string;
  variantId: string;
  sku: string;
}

interface Call {
  params?: Record<string, string>;
  body?: unknown;
}

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** A product with one variant, and two warehouses (one to delete), through the public API. */
export async function prepareInventoryFixtures(t: TestApp, tenant: TestTenant): Promise<InventoryFixtures> {
  const post = async (path: string, body: unknown) => {
    const res = await t.api('POST', path, { token: tenant.token, body });
    if (res.status >= 300) throw new Error(`${path}: ${JSON.stringify(res.body)}`);
    return res.body as { id: string; code: string; variants: { id: string; sku: string }[] };
  };
  const u = unique().toUpperCase();
  const family = await post('/api/v1/catalog/families', {
    code: `inv-${u.toLowerCase()}`,
    name: { fr: 'Câbles' },
  });
  const product = await post('/api/v1/catalog/products', {
    code: `CAB-${u}`,
    family_id: family.id,
    status: 'active',
    name: { fr: 'Câble R2V 3G2,5' },
    variants: [{ sku: `CAB-${u}-100M`, unit: 'm' }],
  });
  const warehouse = await post('/api/v1/inventory/warehouses', {
    code: `LYON-${u}`,
    name: 'Entrepôt de Lyon',
  });
  const doomed = await post('/api/v1/inventory/warehouses', { code: `OLD-${u}`, name: 'Ancien dépôt' });
  return {
    warehouseId: warehouse.id,
    warehouseCode: warehouse.code,
    doomedWarehouseId: doomed.id,
    productId: product.id,
    variantId: product.variants[0]!.id,
    sku: product.variants[0]!.sku,
  };
}

/** A valid request for each audited inventory operation, for FIXTURES in test/audit-coverage.test.ts. */
export function inventoryAuditFixtures<S>(of: (s: S) => InventoryFixtures): Record<string, (s: S) => Call> {
  const f = (make: (c: InventoryFixtures) => Call) => (s: S) => make(of(s));
  return {
    createWarehouse: f(() => ({ body: { code: `MRS-${unique()}`, name: 'Entrepôt de Marseille' } })),
    updateWarehouse: f((c) => ({ params: { warehouse_id: c.warehouseId }, body: { name: 'Lyon — Corbas' } })),
    deleteWarehouse: f((c) => ({ params: { warehouse_id: c.doomedWarehouseId } })),
    updateInventorySettings: f(() => ({ body: { low_stock_threshold: '20', default_lead_time_days: 10 } })),
    putVariantStock: f((c) => ({
      params: { variant_id: c.variantId },
      body: { levels: [{ warehouse_id: c.warehouseId, on_hand: '350.5', restock_date: '2030-01-15' }] },
    })),
    bulkUpsertStockLevels: f((c) => ({
      body: { items: [{ sku: c.sku, warehouse_code: c.warehouseCode, on_hand: '420' }] },
    })),
  };
}
