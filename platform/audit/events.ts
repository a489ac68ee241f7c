/** Domain events of the audit trail, published through the outbox (platform/events/outbox.ts). */

/**
 * A tenant's audit files have failed to reach their destination several times in a row (5): the
 * tenant's SIEM stops receiving events and retention waits. Carries no credentials.
 */
export interface AuditDeliveryFailing {
  delivery_id: string;
  target: 's3' | 'archive';
  destination: string | null;
  from_seq: number;
  to_seq: number;
  attempts: number;
  last_error: string;
}

declare module '../events/outbox.ts' {
  interface DomainEventMap {
    'audit.delivery.failing': AuditDeliveryFailing;
  }
}
