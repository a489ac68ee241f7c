/** Events of the accounts module, published from service.ts inside the change's transaction. */
export interface AccountCreated {
  account_id: string;
  name: string;
  external_ref: string | null;
}

export interface AccountUpdated {
  account_id: string;
  /** Names of the fields that changed (values are read from the API: events carry no personal data). */
  changed: string[];
}

declare module '../../platform/events/outbox.ts' {
  interface DomainEventMap {
    'account.created': AccountCreated;
    'account.updated': AccountUpdated;
  }
}
