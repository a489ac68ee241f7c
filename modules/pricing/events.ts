/** Events of the pricing module, published from service.ts inside the change's transaction. */
export interface PriceListChanged {
  price_list_id: string;
  change: 'created' | 'updated' | 'deleted' | 'entries';
  /** For `entries`: the SKUs whose prices changed (at most 1,000; caches refresh the list otherwise). */
  skus: string[];
}

declare module '../../platform/events/outbox.ts' {
  interface DomainEventMap {
    'price_list.changed': PriceListChanged;
  }
}
