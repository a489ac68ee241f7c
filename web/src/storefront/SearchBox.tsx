import { Combobox, Group, Loader, Text, TextInput, useCombobox } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { searchQuery } from './catalog.ts';

const SUGGESTIONS = 8;

/**
 * The shop's search field, results as you type: after a short pause the API's search (full text,
 * SKU / MPN prefixes, GTIN, typo tolerance) suggests products; ↑/↓ and Enter open one, Enter on the
 * text shows all the results in the catalogue.
 */
export function SearchBox() {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const [text, setText] = useState('');
  const [debounced] = useDebouncedValue(text.trim(), 250);
  const combobox = useCombobox({ onDropdownClose: () => combobox.resetSelectedOption() });
  const enabled = debounced.length >= 2;
  const query = useQuery({
    ...searchQuery({ q: debounced }, i18n.language, undefined, SUGGESTIONS, false),
    enabled,
  });
  const hits = enabled ? (query.data?.data ?? []) : [];

  const showAll = () => {
    combobox.closeDropdown();
    if (text.trim()) void navigate({ to: '/catalog', search: { q: text.trim() } });
  };

  return (
    <Combobox
      store={combobox}
      onOptionSubmit={(id) => {
        combobox.closeDropdown();
        if (id === '__all') return showAll();
        setText('');
        void navigate({ to: '/products/$productId', params: { productId: id } });
      }}
    >
      <Combobox.Target>
        <TextInput
          type="search"
          aria-label={t('storefront.search.label')}
          placeholder={t('storefront.search.placeholder')}
          value={text}
          w={{ base: 160, sm: 320 }}
          data-testid="search-box"
          rightSection={query.isFetching && enabled ? <Loader size="xs" aria-hidden /> : null}
          onChange={(e) => {
            setText(e.currentTarget.value);
            combobox.openDropdown();
            combobox.updateSelectedOptionIndex();
          }}
          onFocus={() => combobox.openDropdown()}
          onBlur={() => combobox.closeDropdown()}
          onKeyDown={(e) => {
            // Enter with no suggestion highlighted: every result, in the catalogue.
            if (e.key === 'Enter' && combobox.getSelectedOptionIndex() < 0) {
              e.preventDefault();
              showAll();
            }
          }}
        />
      </Combobox.Target>
      <Combobox.Dropdown hidden={!enabled} aria-label={t('storefront.search.suggestions')}>
        <Combobox.Options data-testid="search-suggestions">
          {hits.map((hit) => (
            <Combobox.Option value={hit.id} key={hit.id}>
              <Text size="sm" fw={500} lineClamp={1}>
                {hit.name ?? hit.code}
              </Text>
              <Group gap={6} wrap="nowrap">
                <Text size="xs" c="dimmed" lineClamp={1}>
                  {[hit.brand?.name, hit.skus.slice(0, 2).join(', ')].filter(Boolean).join(' · ')}
                </Text>
              </Group>
            </Combobox.Option>
          ))}
          {enabled && query.data && !hits.length ? (
            <Combobox.Empty>{t('storefront.search.none', { q: debounced })}</Combobox.Empty>
          ) : null}
          {hits.length ? (
            <Combobox.Option value="__all">
              <Text size="sm" c="dimmed">
                {t('storefront.search.all', { count: query.data?.total ?? hits.length })}
              </Text>
            </Combobox.Option>
          ) : null}
        </Combobox.Options>
      </Combobox.Dropdown>
    </Combobox>
  );
}
