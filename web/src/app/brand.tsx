import { Avatar, Group, type MantineThemeOverride, Title, useMantineTheme } from '@mantine/core';
import { createContext, useContext } from 'react';

/** Lets a shell replace the Mantine theme: the storefront applies its brand, the console its own. */
export const BrandContext = createContext<(theme: MantineThemeOverride) => void>(() => {});

export function useSetTheme() {
  return useContext(BrandContext);
}

/**
 * A shop's mark in the header: its logo (`logo_url` of GET /api/v1/public/storefront) with the shop's
 * name as its text alternative, or — without a logo — a badge in the brand colour and the name.
 */
export function BrandMark(props: { name: string; logoUrl: string | null }) {
  const theme = useMantineTheme();
  if (props.logoUrl)
    return (
      <Title order={1} size="h4" lh={0} data-testid="shop-name">
        <img
          src={props.logoUrl}
          alt={props.name}
          height={40}
          style={{ display: 'block', height: 40, width: 'auto', maxWidth: 240 }}
          data-testid="shop-logo-image"
        />
      </Title>
    );
  return (
    <Group gap="xs" wrap="nowrap">
      <Avatar color={theme.primaryColor} variant="filled" radius="sm" aria-hidden data-testid="shop-logo">
        {props.name.slice(0, 1)}
      </Avatar>
      <Title order={1} size="h4" data-testid="shop-name">
        {props.name}
      </Title>
    </Group>
  );
}
