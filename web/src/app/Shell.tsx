import {
  AppShell,
  Burger,
  Group,
  Menu,
  NavLink,
  SegmentedControl,
  Text,
  UnstyledButton,
} from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useRouterState } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { logout, useSession } from '../auth/session.ts';
import { ActivityBar } from '../ui/Progress.tsx';
import { toast } from '../ui/toast.ts';
import { hasEntriesUnder, isCurrent } from './nav.ts';

export interface NavItem {
  to: string;
  label: string;
}

/** French / English, everywhere in the app. */
export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <SegmentedControl
      size="xs"
      aria-label={t('shell.language')}
      value={i18n.language}
      onChange={(lng) => void i18n.changeLanguage(lng)}
      data={[
        { value: 'fr', label: 'FR' },
        { value: 'en', label: 'EN' },
      ]}
    />
  );
}

/**
 * The frame of every page: header (brand, language, user menu), navigation (a drawer on narrow
 * screens), the activity bar, and the page.
 */
export function Shell(props: {
  brand: ReactNode;
  nav: NavItem[];
  loginPath: string;
  securityPath: string;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  const session = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [opened, { toggle, close }] = useDisclosure(false);
  const pathname = useRouterState({ select: (s) => s.location.pathname });
  const showNav = Boolean(session && props.nav.length);

  const signOut = async () => {
    try {
      await logout(queryClient);
    } catch (err) {
      toast.error(err);
    }
    await navigate({ to: props.loginPath });
  };

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={showNav ? { width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } } : undefined}
      padding="md"
    >
      <AppShell.Header>
        <ActivityBar />
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            {showNav ? (
              <Burger
                opened={opened}
                onClick={toggle}
                hiddenFrom="sm"
                size="sm"
                aria-label={t('shell.menu')}
              />
            ) : null}
            {props.brand}
          </Group>
          <Group wrap="nowrap" gap="sm">
            <LanguageSwitch />
            {session ? (
              <Menu position="bottom-end">
                <Menu.Target>
                  <UnstyledButton aria-label={t('shell.user_menu')} data-testid="user-menu">
                    <Text size="sm" fw={500}>
                      {session.user.display_name}
                    </Text>
                  </UnstyledButton>
                </Menu.Target>
                <Menu.Dropdown>
                  <Menu.Item component={Link} to={props.securityPath}>
                    {t('shell.security')}
                  </Menu.Item>
                  <Menu.Item onClick={signOut} color="red">
                    {t('shell.logout')}
                  </Menu.Item>
                </Menu.Dropdown>
              </Menu>
            ) : null}
          </Group>
        </Group>
      </AppShell.Header>
      {showNav ? (
        // Taller than the window once the console has many areas: the navigation scrolls on its own.
        <AppShell.Navbar p="xs" aria-label={t('shell.navigation')} style={{ overflowY: 'auto' }}>
          {props.nav.map((item) => {
            // An entry with others under it (the area's home: '/', '/console') is current only on
            // itself; another one also on the pages under it, whatever the search (/catalog?q=…).
            const home = hasEntriesUnder(props.nav, item.to);
            return (
              <NavLink
                key={item.to}
                component={Link}
                to={item.to}
                activeOptions={{ exact: home, includeSearch: false }}
                label={item.label}
                active={isCurrent(pathname, item.to, home)}
                onClick={close}
              />
            );
          })}
        </AppShell.Navbar>
      ) : null}
      <AppShell.Main>{props.children}</AppShell.Main>
    </AppShell>
  );
}
