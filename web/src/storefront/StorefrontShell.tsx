import { Anchor, Group } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, Outlet } from '@tanstack/react-router';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { BrandMark, useSetTheme } from '../app/brand.tsx';
import { Shell } from '../app/Shell.tsx';
import { storefrontTheme } from '../app/theme.ts';
import { useSession } from '../auth/session.ts';
import { SearchBox } from './SearchBox.tsx';
import { shopQuery } from './storefront.ts';

/** The buyers' shop, themed by the storefront of the host (name or logo, and colours). */
export function StorefrontShell() {
  const { t } = useTranslation();
  const setTheme = useSetTheme();
  const shop = useQuery(shopQuery).data;
  const session = useSession();
  useEffect(() => {
    if (shop) setTheme(storefrontTheme(shop.storefront));
    if (shop) document.title = shop.name;
  }, [shop, setTheme]);
  return (
    <Shell
      brand={
        <Group gap="lg" wrap="nowrap">
          <Anchor component={Link} to="/" underline="never" c="inherit">
            <BrandMark name={shop?.name ?? ''} logoUrl={shop?.storefront?.theme.logo_url ?? null} />
          </Anchor>
          {session ? <SearchBox /> : null}
        </Group>
      }
      nav={[
        { to: '/', label: t('storefront.nav.home') },
        { to: '/catalog', label: t('storefront.nav.catalog') },
        { to: '/account/security', label: t('storefront.nav.security') },
      ]}
      loginPath="/login"
      securityPath="/account/security"
    >
      <Outlet />
    </Shell>
  );
}
