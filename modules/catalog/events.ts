/** Events of the catalogue module, published from service.ts inside the change's transaction. */
export interface CatalogProductCreated {
  product_id: string;
  code: string;
  status: 'draft' | 'active' | 'discontinued';
}

export interface CatalogProductUpdated {
  product_id: string;
  /** Names of what changed: product fields, or `variants`, `media`, `related`, `completeness`. */
  changed: string[];
}

export interface CatalogProductDeleted {
  product_id: string;
  code: string;
}

export interface CatalogCategoryChanged {
  category_id: string;
  change: 'created' | 'updated' | 'deleted';
}

export interface CatalogBulkUpserted {
  created: string[];
  updated: string[];
}

declare module '../../platform/events/outbox.ts' {
  interface DomainEventMap {
    'catalog.product.created': CatalogProductCreated;
    'catalog.product.updated': CatalogProductUpdated;
    'catalog.product.deleted': CatalogProductDeleted;
    'catalog.category.changed': CatalogCategoryChanged;
    'catalog.products.bulk_upserted': CatalogBulkUpserted;
  }
}
