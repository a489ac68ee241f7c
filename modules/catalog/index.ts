import type { ModuleDefinition } from '../../platform/module.ts';
import { catalogRoutes } from './routes.ts';

/** The catalogue: families, categories, brands, products, variants, media, search, health. */
export const catalogModule: ModuleDefinition = {
  name: 'catalog',
  permissions: [
    {
      name: 'catalog.product.read',
      description: 'See the catalogue: products, variants, categories, search, health',
    },
    {
      name: 'catalog.product.write',
      description: 'Create and change products, variants, media and related products',
    },
    { name: 'catalog.category.write', description: 'Create, move, deactivate and delete categories' },
    { name: 'catalog.brand.write', description: 'Create and change brands' },
    {
      name: 'catalog.family.write',
      description: 'Create and change product families and their attribute definitions',
    },
    { name: 'catalog.settings.write', description: 'Choose the catalogue languages' },
  ],
  routes: catalogRoutes,
};
