import type { MantineThemeOverride } from '@mantine/core';
import { createContext, useContext } from 'react';

/** Lets a shell replace the Mantine theme: the storefront applies its brand, the console its own. */
export const BrandContext = createContext<(theme: MantineThemeOverride) => void>(() => {});

export function useSetTheme() {
  return useContext(BrandContext);
}
