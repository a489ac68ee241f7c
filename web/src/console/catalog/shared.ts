import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import type { components } from '../../api/schema';

/** Helpers shared by the console's catalogue and pricing screens. */

export type Translations = Record<string, string>;
export type CategoryNode = components['schemas']['CatalogCategoryNode'];

/** The catalogue's languages, in the order the editors show them side by side. */
export const EDIT_LANGUAGES = ['fr', 'en'] as const;

/** A translated text in the reader's language, else French, else any. */
export function useLocalized() {
  const { i18n } = useTranslation();
  return (texts: Translations | null | undefined): string => {
    if (!texts) return '';
    return texts[i18n.language] ?? texts.fr ?? Object.values(texts)[0] ?? '';
  };
}

/** Drops empty translations: the API treats a missing language as "use the fallback". */
export function cleanTranslations(texts: Translations): Translations {
  return Object.fromEntries(Object.entries(texts).filter(([, v]) => v.trim() !== ''));
}

export function useBrands() {
  return useQuery({
    queryKey: ['catalog-brands', 'all'],
    queryFn: () => call(client.GET('/api/v1/catalog/brands', { params: { query: { limit: 200 } } })),
    staleTime: 60_000,
  });
}

export function useFamilies() {
  return useQuery({
    queryKey: ['catalog-families', 'all'],
    queryFn: () => call(client.GET('/api/v1/catalog/families', { params: { query: { limit: 200 } } })),
    staleTime: 60_000,
  });
}

export function useCategoryTree() {
  const { i18n } = useTranslation();
  return useQuery({
    queryKey: ['catalog-category-tree', i18n.language],
    queryFn: () =>
      call(
        client.GET('/api/v1/catalog/categories/tree', {
          params: { query: { locale: i18n.language, include_inactive: true } },
        }),
      ),
    staleTime: 60_000,
  });
}

/** The category tree flattened for a select: "Outillage › Électroportatif". */
export function flattenTree(
  nodes: CategoryNode[],
  pick: (t: Translations) => string,
  prefix = '',
  depth = 0,
): { value: string; label: string; node: CategoryNode; depth: number }[] {
  return nodes.flatMap((n) => {
    const label = `${prefix}${n.label ?? pick(n.name as Translations) ?? n.code}`;
    return [
      { value: n.id, label, node: n, depth },
      ...flattenTree(n.children, pick, `${label} › `, depth + 1),
    ];
  });
}

export function useCategoryOptions() {
  const tree = useCategoryTree();
  const pick = useLocalized();
  return flattenTree(tree.data?.data ?? [], pick).map(({ value, label }) => ({ value, label }));
}

export function useCustomerGroups() {
  return useQuery({
    queryKey: ['customer-groups', 'all'],
    queryFn: () => call(client.GET('/api/v1/customer-groups', { params: { query: { limit: 200 } } })),
    staleTime: 60_000,
  });
}

export function useAccountsList() {
  return useQuery({
    queryKey: ['accounts', 'all-for-select'],
    queryFn: () => call(client.GET('/api/v1/accounts', { params: { query: { limit: 200 } } })),
    staleTime: 60_000,
  });
}

export function useStorefrontsList() {
  return useQuery({
    queryKey: ['storefronts', 'all'],
    queryFn: () => call(client.GET('/api/v1/storefronts', { params: { query: { limit: 200 } } })),
    staleTime: 60_000,
  });
}

/** `2026-05-01` from an ISO date-time (date inputs), and back to midnight UTC. */
export const isoToDay = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : '');
export const dayToIso = (day: string) => (day ? `${day}T00:00:00Z` : null);
