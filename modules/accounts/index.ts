import type { ModuleDefinition } from '../../platform/module.ts';
import { accountRoutes } from './routes.ts';

/** Customer accounts (the companies that buy). Template for new modules: see CONTRIBUTING.md. */
export const accountsModule: ModuleDefinition = {
  name: 'accounts',
  permissions: [
    { name: 'accounts.account.read', description: 'See customer accounts' },
    { name: 'accounts.account.write', description: 'Create and change customer accounts' },
  ],
  routes: accountRoutes,
};
