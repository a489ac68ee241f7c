import { queryOptions, useQuery } from '@tanstack/react-query';
import { call, client } from '../api/client.ts';
import type { PublicStorefront } from '../app/theme.ts';

export interface ShopIdentity {
  name: string;
  storefront: PublicStorefront | null;
}

/**
 * Which shop this host is: its storefront and theme (GET /api/v1/public/storefront), or — on a
 * host of the tenant without a storefront — the tenant's name with the default look.
 */
export const shopQuery = queryOptions({
  queryKey: ['shop'],
  queryFn: async (): Promise<ShopIdentity> => {
    const res = await client.GET('/api/v1/public/storefront');
    if (res.response.ok && res.data) return { name: res.data.name, storefront: res.data };
    const tenant = await call(client.GET('/api/v1/public/tenant'));
    return { name: tenant.name, storefront: null };
  },
  staleTime: 5 * 60_000,
  retry: false,
});

/**
 * The currency the buyer's prices are asked in: the storefront's default one. A host of the tenant
 * without a storefront has no currency in the public API: EUR then (the demo's only currency).
 */
export function useShopCurrency(): string {
  return useQuery(shopQuery).data?.storefront?.default_currency ?? 'EUR';
}
