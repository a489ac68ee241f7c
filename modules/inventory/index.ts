import type { ModuleDefinition } from '../../platform/module.ts';
import { inventoryRoutes } from './routes.ts';

/**
 * Inventory: warehouses, stock levels per warehouse and variant (on hand, reserved, expected
 * deliveries), the tenant's availability settings, and what buyers are told (docs/inventory.md).
 */
export const inventoryModule: ModuleDefinition = {
  name: 'inventory',
  permissions: [
    {
      name: 'inventory.stock.read',
      description: 'See warehouses, stock levels per warehouse and the availability settings',
    },
    {
      name: 'inventory.stock.write',
      description: "Set variants' stock levels and expected deliveries, one by one or by bulk import (ERP)",
    },
    {
      name: 'inventory.warehouse.write',
      description: 'Create, change and delete warehouses; set what buyers are told about availability',
    },
  ],
  routes: (deps) => inventoryRoutes(deps),
};
