import { MantineProvider, type MantineThemeOverride, Modal, mergeThemeOverrides } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { setNonce } from 'get-nonce';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/problem.ts';
import { BrandContext } from './brand.tsx';
import { makeRouter } from './router.tsx';
import { consoleTheme, cssVariablesResolver } from './theme.ts';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A refusal (4xx) will not change by asking again.
      retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});
const router = makeRouter(queryClient);

/**
 * The per-response CSP nonce the server puts in `<meta name="csp-nonce">`: Mantine's few `<style>`
 * elements (theme variables) carry it, so the policy needs no 'unsafe-inline' (docs/web.md).
 */
const styleNonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? '';
// The scroll lock of modals and drawers (react-remove-scroll) writes its own <style> element: same nonce.
setNonce(styleNonce);

export function App() {
  const { t } = useTranslation();
  const [theme, setTheme] = useState<MantineThemeOverride>(consoleTheme);
  // Every dialog's close button (an icon) is named in the current language: axe's `button-name`.
  const themed = useMemo(
    () =>
      mergeThemeOverrides(theme, {
        components: {
          Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': t('common.close') } } }),
        },
      }),
    [theme, t],
  );
  return (
    <BrandContext.Provider value={setTheme}>
      <MantineProvider
        theme={themed}
        forceColorScheme="light"
        getStyleNonce={() => styleNonce}
        cssVariablesResolver={cssVariablesResolver}
      >
        <Notifications position="top-right" />
        <QueryClientProvider client={queryClient}>
          <RouterProvider router={router} />
        </QueryClientProvider>
      </MantineProvider>
    </BrandContext.Provider>
  );
}
