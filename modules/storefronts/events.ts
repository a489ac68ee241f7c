/** Events of the storefronts module, published from service.ts inside the change's transaction. */
export interface StorefrontChanged {
  storefront_id: string;
  change: 'created' | 'updated' | 'deleted';
}

export interface CustomerGroupChanged {
  group_id: string;
  change: 'created' | 'updated' | 'deleted';
}

export interface CustomerGroupMembersChanged {
  group_id: string;
  account_id: string;
  change: 'added' | 'removed';
}

/** A visibility rule changed: caches of buyers' assortments (search engines, CDNs) must be refreshed. */
export interface VisibilityChanged {
  rule_id: string;
  change: 'created' | 'updated' | 'deleted';
}

declare module '../../platform/events/outbox.ts' {
  interface DomainEventMap {
    'storefront.changed': StorefrontChanged;
    'customer_group.changed': CustomerGroupChanged;
    'customer_group.members_changed': CustomerGroupMembersChanged;
    'visibility.changed': VisibilityChanged;
  }
}
