import type { QueryClient } from '@tanstack/react-query';
import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  lazyRouteComponent,
  Outlet,
  redirect,
} from '@tanstack/react-router';
import { LoginPage } from '../auth/LoginPage.tsx';
import { sessionQuery } from '../auth/session.ts';
import { catalogSearch } from '../storefront/catalog.ts';
import { StorefrontHome } from '../storefront/StorefrontHome.tsx';
import { StorefrontShell } from '../storefront/StorefrontShell.tsx';
import { NotFound } from './NotFound.tsx';
import { parseSearch, stringifySearch } from './search-params.ts';

/**
 * Code splitting: the first page (storefront home, either login page) is in the entry chunk; every
 * other screen is a chunk of its own, loaded when its route is entered or on intent (a hovered link),
 * so a buyer never downloads the console and the console's heavy editors load when opened.
 * `lazyRouteComponent` lets the router load the chunk before it renders the route.
 */
const page = lazyRouteComponent;
// Storefront (buyers)
const SecurityPage = page(() => import('../auth/SecurityPage.tsx'), 'SecurityPage');
const CatalogPage = page(() => import('../storefront/CatalogPage.tsx'), 'CatalogPage');
const ProductPage = page(() => import('../storefront/ProductPage.tsx'), 'ProductPage');
const AcceptInvitationPage = page(() => import('../auth/AcceptInvitationPage.tsx'), 'AcceptInvitationPage');
const ResetPasswordPage = page(() => import('../auth/ResetPasswordPage.tsx'), 'ResetPasswordPage');
// Console (merchant staff)
const ConsoleShell = page(() => import('../console/ConsoleShell.tsx'), 'ConsoleShell');
const ConsoleHome = page(() => import('../console/ConsoleHome.tsx'), 'ConsoleHome');
const AccountsPage = page(() => import('../console/AccountsPage.tsx'), 'AccountsPage');
const AuditPage = page(() => import('../console/AuditPage.tsx'), 'AuditPage');
const ProductsPage = page(() => import('../console/catalog/ProductsPage.tsx'), 'ProductsPage');
const ProductEditorPage = page(() => import('../console/catalog/ProductEditorPage.tsx'), 'ProductEditorPage');
const CategoriesPage = page(() => import('../console/catalog/CategoriesPage.tsx'), 'CategoriesPage');
const BrandsPage = page(() => import('../console/catalog/BrandsPage.tsx'), 'BrandsPage');
const FamiliesPage = page(() => import('../console/catalog/FamiliesPage.tsx'), 'FamiliesPage');
const WarehousesPage = page(() => import('../console/inventory/WarehousesPage.tsx'), 'WarehousesPage');
const PriceListsPage = page(() => import('../console/pricing/PriceListsPage.tsx'), 'PriceListsPage');
const PriceListPage = page(() => import('../console/pricing/PriceListPage.tsx'), 'PriceListPage');
const PriceChangesPage = page(() => import('../console/pricing/PriceChangesPage.tsx'), 'PriceChangesPage');
const GroupDiscountsPage = page(() => import('../console/pricing/DiscountsPage.tsx'), 'GroupDiscountsPage');
const PromotionsPage = page(() => import('../console/pricing/DiscountsPage.tsx'), 'PromotionsPage');
const UsersPage = page(() => import('../console/access/UsersPage.tsx'), 'UsersPage');
const UserAccessPage = page(() => import('../console/access/UserAccessPage.tsx'), 'UserAccessPage');
const RolesPage = page(() => import('../console/access/RolesPage.tsx'), 'RolesPage');
const SodPage = page(() => import('../console/access/SodPage.tsx'), 'SodPage');
const AccessReviewPage = page(() => import('../console/access/AccessReviewPage.tsx'), 'AccessReviewPage');
const CampaignPage = page(() => import('../console/access/AccessReviewPage.tsx'), 'CampaignPage');
const SupportAccessPage = page(() => import('../console/access/SupportAccessPage.tsx'), 'SupportAccessPage');
const GroupsPage = page(() => import('../console/storefronts/GroupsPage.tsx'), 'GroupsPage');
const GroupEditorPage = page(() => import('../console/storefronts/GroupEditorPage.tsx'), 'GroupEditorPage');
const VisibilityRulesPage = page(
  () => import('../console/storefronts/VisibilityRulesPage.tsx'),
  'VisibilityRulesPage',
);
const StorefrontsPage = page(() => import('../console/storefronts/StorefrontsPage.tsx'), 'StorefrontsPage');
const StorefrontEditorPage = page(
  () => import('../console/storefronts/StorefrontEditorPage.tsx'),
  'StorefrontEditorPage',
);
const SecuritySettingsPage = page(
  () => import('../console/access/SecuritySettingsPage.tsx'),
  'SecuritySettingsPage',
);

/**
 * A route component that renders a lazy page with props from the route (its parameters): it
 * carries the page's `preload`, which the router awaits before rendering, as for a lazy component.
 */
function withPage<C extends () => unknown>(
  lazy: { preload?: () => Promise<void> | undefined },
  component: C,
) {
  return Object.assign(component, { preload: lazy.preload });
}

/**
 * Every screen's URL. Two areas: the storefront (buyers) at `/`, the console (merchant staff) at
 * `/console`. A screen that needs a signed-in user sits under an `authed` route, whose guard sends
 * to the area's login page and back.
 */
interface RouterContext {
  queryClient: QueryClient;
}

const loginSearch = (search: Record<string, unknown>) => ({
  redirect: typeof search.redirect === 'string' ? search.redirect : undefined,
});

const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: Outlet,
  notFoundComponent: NotFound,
});

// Storefront (buyers)
const storefront = createRoute({
  getParentRoute: () => rootRoute,
  id: 'storefront',
  component: StorefrontShell,
});
const storefrontHome = createRoute({
  getParentRoute: () => storefront,
  path: '/',
  component: StorefrontHome,
});
const storefrontLogin = createRoute({
  getParentRoute: () => storefront,
  path: 'login',
  validateSearch: loginSearch,
  component: function StorefrontLogin() {
    return <LoginPage area="storefront" redirect={storefrontLogin.useSearch().redirect} />;
  },
});
// The page an invitation mail links to (platform/identity/recovery.ts): no session needed.
const acceptInvitation = createRoute({
  getParentRoute: () => storefront,
  path: 'invitations/accept',
  validateSearch: (search: Record<string, unknown>) => ({
    token: typeof search.token === 'string' ? search.token : undefined,
    tenant: typeof search.tenant === 'string' ? search.tenant : undefined,
  }),
  component: withPage(AcceptInvitationPage, function AcceptInvitation() {
    const { token, tenant } = acceptInvitation.useSearch();
    return <AcceptInvitationPage token={token} tenant={tenant} />;
  }),
});
// "Forgot your password?", and the page the reset mail links to (platform/identity/recovery.ts).
const resetPassword = createRoute({
  getParentRoute: () => storefront,
  path: 'password-reset',
  validateSearch: (search: Record<string, unknown>) => ({
    token: typeof search.token === 'string' ? search.token : undefined,
    tenant: typeof search.tenant === 'string' ? search.tenant : undefined,
  }),
  component: withPage(ResetPasswordPage, function ResetPassword() {
    const { token, tenant } = resetPassword.useSearch();
    return <ResetPasswordPage token={token} tenant={tenant} />;
  }),
});
const storefrontAuthed = createRoute({
  getParentRoute: () => storefront,
  id: 'authed',
  beforeLoad: async ({ context, location }) => {
    const session = await context.queryClient.ensureQueryData(sessionQuery);
    if (!session) throw redirect({ to: '/login', search: { redirect: location.href } });
  },
});
const storefrontSecurity = createRoute({
  getParentRoute: () => storefrontAuthed,
  path: 'account/security',
  component: SecurityPage,
});

// The catalogue (?q= for search results) and the product page: signed-in only, as the catalogue
// API needs a session.
const storefrontCatalog = createRoute({
  getParentRoute: () => storefrontAuthed,
  path: 'catalog',
  validateSearch: catalogSearch,
  component: withPage(CatalogPage, function StorefrontCatalog() {
    return <CatalogPage filters={storefrontCatalog.useSearch()} />;
  }),
});
const storefrontProduct = createRoute({
  getParentRoute: () => storefrontAuthed,
  path: 'products/$productId',
  component: withPage(ProductPage, function StorefrontProduct() {
    const { productId } = storefrontProduct.useParams();
    return <ProductPage key={productId} productId={productId} />;
  }),
});

// Console (merchant staff)
const consoleRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: 'console',
  component: ConsoleShell,
});
const consoleLogin = createRoute({
  getParentRoute: () => consoleRoute,
  path: 'login',
  validateSearch: loginSearch,
  component: function ConsoleLogin() {
    return <LoginPage area="console" redirect={consoleLogin.useSearch().redirect} />;
  },
});
const consoleAuthed = createRoute({
  getParentRoute: () => consoleRoute,
  id: 'authed',
  beforeLoad: async ({ context, location }) => {
    const session = await context.queryClient.ensureQueryData(sessionQuery);
    if (!session) throw redirect({ to: '/console/login', search: { redirect: location.href } });
    if (session.user.kind !== 'staff') throw redirect({ to: '/' });
  },
});
const consoleHome = createRoute({ getParentRoute: () => consoleAuthed, path: '/', component: ConsoleHome });
const consoleAccounts = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'accounts',
  component: AccountsPage,
});
const consoleAudit = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'audit',
  component: AuditPage,
});
const consoleSecurity = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'security',
  component: SecurityPage,
});

// Console: catalogue and pricing (console/catalog, console/pricing)
const consoleProducts = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'products',
  component: ProductsPage,
});
const consoleProduct = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'products/$productId',
  component: withPage(ProductEditorPage, function ConsoleProduct() {
    return <ProductEditorPage productId={consoleProduct.useParams().productId} />;
  }),
});
const consolePriceLists = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'price-lists',
  component: PriceListsPage,
});
const consolePriceList = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'price-lists/$priceListId',
  component: withPage(PriceListPage, function ConsolePriceList() {
    return <PriceListPage priceListId={consolePriceList.useParams().priceListId} />;
  }),
});
const consolePriceChanges = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'price-changes',
  component: PriceChangesPage,
});
const consoleCategories = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'categories',
  component: CategoriesPage,
});
const consoleBrands = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'brands',
  component: BrandsPage,
});
const consoleWarehouses = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'warehouses',
  component: WarehousesPage,
});
const consoleFamilies = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'families',
  component: FamiliesPage,
});
const consoleGroupDiscounts = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'group-discounts',
  component: GroupDiscountsPage,
});
const consolePromotions = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'promotions',
  component: PromotionsPage,
});

// Console: identity, access and security (console/access)
const consoleUsers = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'users',
  component: UsersPage,
});
const consoleUser = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'users/$userId',
  component: withPage(UserAccessPage, function ConsoleUser() {
    const { userId } = consoleUser.useParams();
    return <UserAccessPage key={userId} userId={userId} />;
  }),
});
const consoleCampaign = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'access-review/$campaignId',
  component: withPage(CampaignPage, function ConsoleCampaign() {
    const { campaignId } = consoleCampaign.useParams();
    return <CampaignPage key={campaignId} campaignId={campaignId} />;
  }),
});
// Console: customer groups and visibility rules (console/storefronts)
const consoleGroup = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'customer-groups/$groupId',
  component: withPage(GroupEditorPage, function ConsoleGroup() {
    const { groupId } = consoleGroup.useParams();
    return <GroupEditorPage key={groupId} groupId={groupId} />;
  }),
});
const consoleGroupRoutes = [
  createRoute({ getParentRoute: () => consoleAuthed, path: 'customer-groups', component: GroupsPage }),
  consoleGroup,
  createRoute({
    getParentRoute: () => consoleAuthed,
    path: 'visibility-rules',
    component: VisibilityRulesPage,
  }),
] as const;

// Console: storefronts, their colours and logos (console/storefronts)
const consoleStorefront = createRoute({
  getParentRoute: () => consoleAuthed,
  path: 'storefronts/$storefrontId',
  component: withPage(StorefrontEditorPage, function ConsoleStorefront() {
    const { storefrontId } = consoleStorefront.useParams();
    return <StorefrontEditorPage key={storefrontId} storefrontId={storefrontId} />;
  }),
});
const consoleStorefrontRoutes = [
  createRoute({ getParentRoute: () => consoleAuthed, path: 'storefronts', component: StorefrontsPage }),
  consoleStorefront,
] as const;

const consoleAccessRoutes = [
  consoleUsers,
  consoleUser,
  createRoute({ getParentRoute: () => consoleAuthed, path: 'roles', component: RolesPage }),
  createRoute({ getParentRoute: () => consoleAuthed, path: 'sod', component: SodPage }),
  createRoute({ getParentRoute: () => consoleAuthed, path: 'access-review', component: AccessReviewPage }),
  consoleCampaign,
  createRoute({ getParentRoute: () => consoleAuthed, path: 'support-access', component: SupportAccessPage }),
  createRoute({
    getParentRoute: () => consoleAuthed,
    path: 'security-settings',
    component: SecuritySettingsPage,
  }),
] as const;

const routeTree = rootRoute.addChildren([
  storefront.addChildren([
    storefrontHome,
    storefrontLogin,
    acceptInvitation,
    resetPassword,
    storefrontAuthed.addChildren([storefrontSecurity, storefrontCatalog, storefrontProduct]),
  ]),
  consoleRoute.addChildren([
    consoleLogin,
    consoleAuthed.addChildren([
      consoleHome,
      consoleAccounts,
      consoleAudit,
      consoleSecurity,
      consoleProducts,
      consoleProduct,
      consolePriceLists,
      consolePriceList,
      consolePriceChanges,
      consoleCategories,
      consoleBrands,
      consoleFamilies,
      consoleWarehouses,
      consoleGroupDiscounts,
      consolePromotions,
      ...consoleAccessRoutes,
      ...consoleGroupRoutes,
      ...consoleStorefrontRoutes,
    ]),
  ]),
]);

export function makeRouter(queryClient: QueryClient) {
  return createRouter({
    routeTree,
    context: { queryClient },
    defaultPreload: 'intent',
    parseSearch,
    stringifySearch,
  });
}

declare module '@tanstack/react-router' {
  interface Register {
    router: ReturnType<typeof makeRouter>;
  }
}
