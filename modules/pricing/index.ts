import type { ModuleDefinition } from '../../platform/module.ts';
import { pricingRoutes } from './routes.ts';

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
    { name: 'pricing.discount.write', description: 'Create and delete customer-group discount levels' },
    { name: 'pricing.promotion.write', description: 'Create and delete promotions' },
    { name: 'pricing.price.read', description: 'Resolve the price a buyer pays, with its breakdown' },
  ],
  routes: pricingRoutes,
};
