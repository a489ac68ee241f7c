import {
  type CSSVariablesResolver,
  createTheme,
  type MantineColorsTuple,
  type MantineThemeOverride,
  NavLink,
} from '@mantine/core';
import type { components } from '../api/schema';

export type PublicStorefront = components['schemas']['PublicStorefront'];

/** The console (merchant staff): Comptoir's own look. */
export const consoleTheme: MantineThemeOverride = createTheme({
  primaryColor: 'indigo',
  // Shade 8: white text on it passes WCAG AA (4.5:1); Mantine's default shade 6 does not.
  primaryShade: { light: 8, dark: 8 },
  defaultRadius: 'sm',
  autoContrast: true,
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  components: {
    // The current page's link keeps its light background under the pointer: the darker "light-hover"
    // shade behind the primary text fell below WCAG AA contrast (4.1:1 for indigo), right after a click.
    NavLink: NavLink.extend({
      vars: () => ({ root: { '--nl-hover': 'var(--mantine-primary-color-light)' }, children: {} }),
    }),
  },
});

/**
 * A storefront's theme from GET /api/v1/public/storefront: its named colours become Mantine
 * colours, `primary` the primary colour. `autoContrast` picks black or white text on it, so a
 * distributor's light brand colour stays readable.
 */
export function storefrontTheme(storefront: Pick<PublicStorefront, 'theme'> | null): MantineThemeOverride {
  const colors = storefront?.theme.colors ?? {};
  const primary = colors.primary;
  return createTheme({
    ...consoleTheme,
    ...(primary ? { colors: { brand: shadesOf(primary) }, primaryColor: 'brand', primaryShade: 6 } : {}),
    ...(colors.text ? { black: colors.text } : {}),
    ...(colors.background ? { white: colors.background } : {}),
  });
}

/**
 * Mantine's "dimmed" text (gray 6) is below WCAG AA contrast on white: gray 7 instead, for every
 * theme. Same for its error colour (red 6, 3.3:1 — a field's error message and its value): red 9.
 */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-error': 'var(--mantine-color-red-9)',
  },
  dark: {},
});

/**
 * Mantine's ten shades of one brand colour: the colour itself at index 6 (the primary shade),
 * lighter ones mixed with white before it, darker ones mixed with black after it — so that light
 * variants (a pale background with the colour as text) stay readable.
 */
export function shadesOf(hex: string): MantineColorsTuple {
  const rgb = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  const mix = (target: number, amount: number) =>
    `#${rgb
      .map((c) =>
        Math.round(c + (target - c) * amount)
          .toString(16)
          .padStart(2, '0'),
      )
      .join('')}`;
  const shades = [0.92, 0.8, 0.65, 0.5, 0.35, 0.18].map((a) => mix(255, a));
  return [
    ...shades,
    hex.toLowerCase(),
    mix(0, 0.12),
    mix(0, 0.24),
    mix(0, 0.36),
  ] as unknown as MantineColorsTuple;
}
