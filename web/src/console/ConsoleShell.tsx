import { Badge, Group, Title } from '@mantine/core';
import { Outlet } from '@tanstack/react-router';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useSetTheme } from '../app/brand.tsx';
import { Shell } from '../app/Shell.tsx';
import { consoleTheme } from '../app/theme.ts';
import { usePermissions } from '../auth/permissions.ts';

/** The merchant staff's console, under /console. */
export function ConsoleShell() {
  const { t } = useTranslation();
  const setTheme = useSetTheme();
  const can = usePermissions();
  useEffect(() => setTheme(consoleTheme), [setTheme]);
  // An area the user cannot read is not offered (every entry while their permissions are unknown).
  const nav: { to: string; label: string; permission?: string }[] = [
    { to: '/console', label: t('console.nav.home') },
    { to: '/console/accounts', label: t('console.nav.accounts'), permission: 'accounts.account.read' },
    { to: '/console/products', label: t('console.nav.products'), permission: 'catalog.product.read' },
    { to: '/console/categories', label: t('console.nav.categories'), permission: 'catalog.product.read' },
    { to: '/console/brands', label: t('console.nav.brands'), permission: 'catalog.product.read' },
    { to: '/console/families', label: t('console.nav.families'), permission: 'catalog.product.read' },
    { to: '/console/warehouses', label: t('console.nav.warehouses'), permission: 'inventory.stock.read' },
    {
      to: '/console/price-lists',
      label: t('console.nav.price_lists'),
      permission: 'pricing.price_list.read',
    },
    {
      to: '/console/price-changes',
      label: t('console.nav.price_changes'),
      permission: 'pricing.price_list.read',
    },
    {
      to: '/console/group-discounts',
      label: t('console.nav.group_discounts'),
      permission: 'pricing.price_list.read',
    },
    { to: '/console/promotions', label: t('console.nav.promotions'), permission: 'pricing.price_list.read' },
    {
      to: '/console/storefronts',
      label: t('console.nav.storefronts'),
      permission: 'storefronts.storefront.read',
    },
    {
      to: '/console/customer-groups',
      label: t('console.nav.customer_groups'),
      permission: 'storefronts.customer_group.read',
    },
    {
      to: '/console/visibility-rules',
      label: t('console.nav.visibility_rules'),
      permission: 'storefronts.visibility.read',
    },
    { to: '/console/users', label: t('console.nav.users'), permission: 'identity.user.read' },
    { to: '/console/roles', label: t('console.nav.roles'), permission: 'iam.role.read' },
    { to: '/console/sod', label: t('console.nav.sod'), permission: 'iam.role.read' },
    {
      to: '/console/access-review',
      label: t('console.nav.access_review'),
      permission: 'iam.access_review.run',
    },
    {
      to: '/console/support-access',
      label: t('console.nav.support_access'),
      permission: 'iam.support_access.read',
    },
    {
      to: '/console/security-settings',
      label: t('console.nav.security_settings'),
      permission: 'identity.settings.read',
    },
    { to: '/console/audit', label: t('console.nav.audit'), permission: 'audit.event.read' },
    { to: '/console/security', label: t('console.nav.security') },
  ];
  return (
    <Shell
      brand={
        <Group gap="xs" wrap="nowrap">
          <Title order={1} size="h4">
            Comptoir
          </Title>
          <Badge variant="light">{t('console.badge')}</Badge>
        </Group>
      }
      nav={nav
        .filter((n) => !n.permission || !can || can.has(n.permission))
        .map(({ to, label }) => ({ to, label }))}
      loginPath="/console/login"
      securityPath="/console/security"
    >
      <Outlet />
    </Shell>
  );
}
