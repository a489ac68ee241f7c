/** Events of the pricing module, published from service.ts inside the change's transaction. */
export interface PriceListChanged {
  price_list_id: string;
  change: 'created' | 'updated' | 'deleted' | 'entries';
  /** For `entries`: the SKUs whose prices changed (at most 1,000; caches refresh the list otherwise). */
  skus: string[];
}

/** A change of price-list entries above the tenant's threshold, held for approval (four-eyes). */
export interface PriceChangeRequestCreated {
  price_change_request_id: string;
  price_list_id: string;
  initiated_by: string;
  skus: number;
}

/** Approved (and applied in the same transaction) or rejected, by someone other than the initiator. */
export interface PriceChangeRequestDecided {
  price_change_request_id: string;
  price_list_id: string;
  status: 'applied' | 'rejected';
  initiated_by: string;
  decided_by: string;
}

declare module '../../platform/events/outbox.ts' {
  interface DomainEventMap {
    'price_list.changed': PriceListChanged;
    'price_change_request.created': PriceChangeRequestCreated;
    'price_change_request.decided': PriceChangeRequestDecided;
  }
}
