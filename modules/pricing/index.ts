import type { ModuleDefinition } from '../../platform/module.ts';
import { setSearchPricing } from '../catalog/search.ts';
import { pricingRoutes } from './routes.ts';
import { searchPricing } from './service.ts';

/**
 * Prices: price lists (per currency, validity, targets) with quantity breaks, group discount levels,
 * promotions, and the resolution endpoint over the pure `resolvePrice` (rules.ts, docs/pricing.md).
 */
export const pricingModule: ModuleDefinition = {
  name: 'pricing',
  permissions: [
    {
      name: 'pricing.price_list.read',
      description: 'See price lists, their entries, discount levels and promotions',
    },
    {
      name: 'pricing.price_list.write',
      description: 'Create, change and delete price lists and their prices',
    },
    {
      name: 'pricing.price_list.approve',
      description:
        'Approve or reject price changes above the threshold prepared by someone else (four-eyes), and set that threshold',
    },
    { name: 'pricing.discount.write', description: 'Create and delete customer-group discount levels' },
    { name: 'pricing.promotion.write', description: 'Create and delete promotions' },
    { name: 'pricing.price.read', description: 'Resolve the price a buyer pays, with its breakdown' },
  ],
  routes: (deps) => {
    // Search hits carry the caller's price: installed here so that the catalogue never imports pricing.
    setSearchPricing(searchPricing);
    return pricingRoutes(deps);
  },
};
