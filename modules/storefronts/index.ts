import type { ModuleDefinition } from '../../platform/module.ts';
import { ALL_VISIBLE, setCatalogVisibility, setProductVisibility } from '../catalog/search.ts';
import { storefrontRoutes } from './routes.ts';
import { planAllows } from './rules.ts';
import { keyedVisibilityCondition, visibilityCondition, visibilityPlan } from './service.ts';

/**
 * Storefronts (shops with domains and theme), customer groups, and visibility rules. Registering the
 * module installs the rules into the catalogue (search, facets, counts and product reads).
 */
export const storefrontsModule: ModuleDefinition = {
  name: 'storefronts',
  permissions: [
    { name: 'storefronts.storefront.read', description: 'See storefronts, their domains and theme' },
    {
      name: 'storefronts.storefront.write',
      description: 'Create, change and delete storefronts, their domains and logos',
    },
    { name: 'storefronts.customer_group.read', description: 'See customer groups and their member accounts' },
    {
      name: 'storefronts.customer_group.write',
      description: 'Create, change and delete customer groups; put accounts in and out of them',
    },
    {
      name: 'storefronts.visibility.read',
      description: 'See which storefronts, groups and accounts see what',
    },
    {
      name: 'storefronts.visibility.write',
      description: 'Show or hide categories and products to storefronts, groups and accounts',
    },
  ],
  routes: (deps) => {
    setCatalogVisibility(
      (ctx) => visibilityCondition(ctx, ALL_VISIBLE),
      (ctx) => keyedVisibilityCondition(ctx, ALL_VISIBLE),
    );
    setProductVisibility(async (ctx) => {
      const plan = await visibilityPlan(ctx);
      return plan ? (p) => planAllows(plan, p) : null;
    });
    return storefrontRoutes(deps);
  },
};
