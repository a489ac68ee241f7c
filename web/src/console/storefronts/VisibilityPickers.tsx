import { Badge, Group, Select } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import type { components } from '../../api/schema';
import {
  type Translations,
  useCategoryOptions,
  useCustomerGroups,
  useLocalized,
  useStorefrontsList,
} from '../catalog/shared.ts';
import { AccountPicker } from './GroupAccountPicker.tsx';

/** Visibility rules (docs/storefronts.md): who (subject) may or may not see what (target). */
export type VisibilityRule = components['schemas']['VisibilityRule'];
export type SubjectType = VisibilityRule['subject_type'];
export type TargetType = VisibilityRule['target_type'];
export type Effect = VisibilityRule['effect'];
export const SUBJECT_TYPES: SubjectType[] = ['storefront', 'group', 'account'];
export const TARGET_TYPES: TargetType[] = ['all', 'category', 'product'];

/** The "any kind" choice of a filter (a Select needs a non-empty value). */
const ANY = 'any';

/** Everything cached about visibility rules. */
export const RULES_KEY = ['visibility-rules'] as const;

interface PickerProps<K extends string> {
  type: K | '';
  id: string;
  onChange: (type: K | '', id: string) => void;
  /** A filter: the kind may be left empty ("any"), and the one chosen may be cleared. */
  optional?: boolean;
  typeError?: string | undefined;
  idError?: string | undefined;
}

/** The kind of a subject or target (`visibility.<side>.<kind>`), "any" first when optional. */
function KindSelect<K extends string>(props: PickerProps<K> & { side: 'subject' | 'target'; kinds: K[] }) {
  const { t } = useTranslation();
  const kinds = props.kinds.map((k) => ({ value: k, label: t(`visibility.${props.side}.${k}`) }));
  return (
    <Select
      label={t(`visibility.${props.side}.kind`)}
      data={props.optional ? [{ value: ANY, label: t('visibility.any') }, ...kinds] : kinds}
      value={props.type || ANY}
      allowDeselect={false}
      required={!props.optional}
      onChange={(v) => props.onChange((v && v !== ANY ? v : '') as K | '', '')}
      error={props.typeError}
    />
  );
}

/** Which one of a kind, from a list known in advance (storefronts, groups, categories). */
function WhichSelect<K extends string>(
  props: PickerProps<K> & { kind: K; label: string; data: { value: string; label: string }[] },
) {
  return (
    <Select
      label={props.label}
      searchable
      clearable={props.optional ?? false}
      required={!props.optional}
      data={props.data}
      value={props.id || null}
      onChange={(v) => props.onChange(props.kind, v ?? '')}
      error={props.idError}
    />
  );
}

/** The storefront, group or account a rule is for: its kind, then which one. */
export function SubjectPicker(props: PickerProps<SubjectType>) {
  const { t } = useTranslation();
  const storefronts = useStorefrontsList();
  const groups = useCustomerGroups();
  return (
    <Group grow align="flex-start">
      <KindSelect {...props} side="subject" kinds={SUBJECT_TYPES} />
      {props.type === 'storefront' ? (
        <WhichSelect
          {...props}
          kind="storefront"
          label={t('visibility.subject.which_storefront')}
          data={(storefronts.data?.data ?? []).map((s) => ({ value: s.id, label: s.name }))}
        />
      ) : props.type === 'group' ? (
        <WhichSelect
          {...props}
          kind="group"
          label={t('visibility.subject.which_group')}
          data={(groups.data?.data ?? []).map((g) => ({ value: g.id, label: g.name }))}
        />
      ) : props.type === 'account' ? (
        <AccountPicker
          label={t('visibility.subject.which_account')}
          required={!props.optional}
          value={props.id || null}
          onChange={(id) => props.onChange('account', id ?? '')}
          error={props.idError}
        />
      ) : null}
    </Group>
  );
}

/** The whole catalogue, a category (and all under it) or one product. */
export function TargetPicker(props: PickerProps<TargetType>) {
  const { t } = useTranslation();
  const categories = useCategoryOptions();
  return (
    <Group grow align="flex-start">
      <KindSelect {...props} side="target" kinds={TARGET_TYPES} />
      {props.type === 'category' ? (
        <WhichSelect
          {...props}
          kind="category"
          label={t('visibility.target.which_category')}
          data={categories}
        />
      ) : props.type === 'product' ? (
        <ProductPicker
          label={t('visibility.target.which_product')}
          required={!props.optional}
          value={props.id || null}
          onChange={(id) => props.onChange('product', id ?? '')}
          error={props.idError}
        />
      ) : null}
    </Group>
  );
}

/** A product found by name or SKU through the catalogue search (the server searches). */
function ProductPicker(props: {
  label: string;
  value: string | null;
  onChange: (id: string | null) => void;
  required: boolean;
  error?: string | undefined;
}) {
  const { t, i18n } = useTranslation();
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search.trim(), 250);
  const [picked, setPicked] = useState<{ value: string; label: string } | null>(null);
  const hits = useQuery({
    queryKey: ['catalog-search', 'picker', debounced, i18n.language],
    queryFn: () =>
      call(
        client.GET('/api/v1/catalog/search', {
          params: { query: { q: debounced, limit: 20, locale: i18n.language } },
        }),
      ),
    enabled: debounced.length > 0,
    placeholderData: keepPreviousData,
  });
  const options = debounced
    ? (hits.data?.data ?? []).map((h) => ({ value: h.id, label: `${h.name ?? h.code} (${h.code})` }))
    : [];
  const data =
    picked && props.value === picked.value && !options.some((o) => o.value === picked.value)
      ? [picked, ...options]
      : options;
  return (
    <Select
      label={props.label}
      placeholder={t('visibility.product_placeholder')}
      searchable
      clearable
      required={props.required}
      data={data}
      filter={({ options: all }) => all}
      searchValue={search}
      onSearchChange={setSearch}
      nothingFoundMessage={
        !debounced
          ? t('visibility.type_to_search')
          : hits.isFetching
            ? t('common.loading')
            : t('visibility.no_product')
      }
      value={props.value}
      onChange={(id, option) => {
        setPicked(id && option ? { value: id, label: option.label } : null);
        props.onChange(id);
      }}
      error={props.error}
    />
  );
}

/**
 * The name of a rule's subject: a storefront's, a group's or an account's. Badges in shade 9,
 * outlined: their text passes WCAG AA contrast (the light variants of teal and orange do not).
 */
export function SubjectLabel({ type, id }: { type: SubjectType; id: string }) {
  const { t } = useTranslation();
  const storefronts = useStorefrontsList();
  const groups = useCustomerGroups();
  const account = useQuery({
    queryKey: ['accounts', 'one', id],
    queryFn: () =>
      call(client.GET('/api/v1/accounts/{account_id}', { params: { path: { account_id: id } } })),
    enabled: type === 'account',
    staleTime: 60_000,
  });
  const name =
    type === 'storefront'
      ? storefronts.data?.data.find((s) => s.id === id)?.name
      : type === 'group'
        ? groups.data?.data.find((g) => g.id === id)?.name
        : account.data?.name;
  return (
    <Group gap={6}>
      <Badge
        miw="max-content"
        tt="none"
        variant="outline"
        color={type === 'account' ? 'grape.9' : type === 'group' ? 'teal.9' : 'blue.9'}
      >
        {t(`visibility.subject.${type}`)}
      </Badge>
      <span>{name ?? id}</span>
    </Group>
  );
}

/** What a rule covers: the whole catalogue, a category (with its path) or a product. */
export function TargetLabel({ type, id }: { type: TargetType; id: string | null }) {
  const { t, i18n } = useTranslation();
  const pick = useLocalized();
  const categories = useCategoryOptions();
  const product = useQuery({
    queryKey: ['catalog-product', 'name', id, i18n.language],
    queryFn: () =>
      call(
        client.GET('/api/v1/catalog/products/{product_id}', {
          params: { path: { product_id: id! }, query: { locale: i18n.language } },
        }),
      ),
    enabled: type === 'product' && !!id,
    staleTime: 60_000,
  });
  const name =
    type === 'all'
      ? null
      : type === 'category'
        ? categories.find((c) => c.value === id)?.label
        : product.data
          ? `${pick(product.data.name as Translations) || product.data.code} (${product.data.code})`
          : undefined;
  return (
    <Group gap={6}>
      <Badge
        miw="max-content"
        tt="none"
        variant="outline"
        color={type === 'product' ? 'violet.9' : type === 'category' ? 'cyan.9' : 'gray.9'}
      >
        {t(`visibility.target.${type}`)}
      </Badge>
      {type !== 'all' ? <span>{name ?? id}</span> : null}
    </Group>
  );
}
