import { Select } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';

/**
 * A customer account chosen by typing the start of its name: the server searches
 * (GET /api/v1/accounts?name=…, a case-insensitive prefix), so it works with any number of accounts.
 */
export function AccountPicker(props: {
  label: string;
  value: string | null;
  onChange: (id: string | null, name: string | null) => void;
  error?: string | undefined;
  required?: boolean;
  /** The name of the chosen account, when the caller knows it (shown before any search). */
  selectedName?: string | null | undefined;
  placeholder?: string;
}) {
  const { t } = useTranslation();
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search.trim(), 250);
  const [picked, setPicked] = useState<{ value: string; label: string } | null>(null);
  const accounts = useQuery({
    queryKey: ['accounts', 'picker', debounced],
    queryFn: () =>
      call(
        client.GET('/api/v1/accounts', {
          params: { query: { limit: 20, ...(debounced ? { name: debounced } : {}) } },
        }),
      ),
    placeholderData: keepPreviousData,
    staleTime: 30_000,
  });
  const options = (accounts.data?.data ?? []).map((a) => ({ value: a.id, label: a.name }));
  const current =
    props.value && !options.some((o) => o.value === props.value)
      ? picked?.value === props.value
        ? picked
        : { value: props.value, label: props.selectedName ?? props.value }
      : null;
  return (
    <Select
      label={props.label}
      placeholder={props.placeholder ?? t('groups.account_picker.placeholder')}
      searchable
      clearable
      required={props.required ?? false}
      data={current ? [current, ...options] : options}
      // The server already filtered by the typed prefix.
      filter={({ options: all }) => all}
      searchValue={search}
      onSearchChange={setSearch}
      nothingFoundMessage={accounts.isFetching ? t('common.loading') : t('groups.account_picker.none')}
      value={props.value}
      onChange={(id, option) => {
        setPicked(id && option ? { value: id, label: option.label } : null);
        props.onChange(id, option?.label ?? null);
      }}
      error={props.error}
    />
  );
}
