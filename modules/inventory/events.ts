/** Events of the inventory module, published from service.ts inside the change's transaction. */
export interface WarehouseChanged {
  warehouse_id: string;
  change: 'created' | 'updated' | 'deleted';
}

/**
 * Stock levels of these variants changed (one variant's levels, or a bulk import): caches of the
 * availability (search engines, CDNs, a storefront's "back in stock" alerts later) must be refreshed.
 */
export interface StockChanged {
  variant_ids: string[];
  source: 'variant' | 'bulk';
}

/** The tenant's availability settings changed: every buyer-facing availability may read differently. */
export interface AvailabilitySettingsChanged {
  changed: string[];
}

declare module '../../platform/events/outbox.ts' {
  interface DomainEventMap {
    'inventory.warehouse.changed': WarehouseChanged;
    'inventory.stock.changed': StockChanged;
    'inventory.settings.changed': AvailabilitySettingsChanged;
  }
}
