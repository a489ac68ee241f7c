import type { ModuleDefinition } from '../platform/module.ts';
import { accountsModule } from './accounts/index.ts';
import { catalogModule } from './catalog/index.ts';
import { inventoryModule } from './inventory/index.ts';
import { pricingModule } from './pricing/index.ts';
import { storefrontsModule } from './storefronts/index.ts';

/** Every business module, in registration order. */
export const modules: ModuleDefinition[] = [
  accountsModule,
  catalogModule,
  storefrontsModule,
  pricingModule,
  inventoryModule,
];
