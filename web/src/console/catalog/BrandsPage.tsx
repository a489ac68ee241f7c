import { Button, Group, Modal, Stack, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import type { components } from '../../api/schema';
import { EditDeleteActions } from '../../ui/ConfirmButton.tsx';
import { type Column, DataTable } from '../../ui/DataTable.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { toast } from '../../ui/toast.ts';
import { cleanTranslations, EDIT_LANGUAGES, type Translations, useLocalized } from './shared.ts';

type Brand = components['schemas']['CatalogBrand'];

/** Brands (GET /api/v1/catalog/brands): name, code, translated description. */
export function BrandsPage() {
  const { t } = useTranslation();
  const pick = useLocalized();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<Brand | 'new' | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['catalog-brands'] });
  const columns: Column<Brand>[] = [
    { key: 'name', header: t('catalog.brands.name'), render: (b) => b.name },
    { key: 'code', header: t('catalog.brands.code'), render: (b) => b.code },
    {
      key: 'description',
      header: t('catalog.brands.description'),
      render: (b) => pick(b.description as Translations) || '—',
    },
    {
      key: 'actions',
      header: t('common.actions'),
      render: (b) => (
        <EditDeleteActions
          onEdit={() => setEditing(b)}
          editLabel={t('catalog.brands.edit_name', { name: b.name })}
          deleteTitle={t('catalog.brands.delete_title', { name: b.name })}
          deleteMessage={t('catalog.brands.delete_message')}
          deleteLabel={t('catalog.brands.delete_name', { name: b.name })}
          onDelete={async () => {
            await call(
              client.DELETE('/api/v1/catalog/brands/{brand_id}', { params: { path: { brand_id: b.id } } }),
            );
            await refresh();
            toast.success(t('catalog.brands.deleted'));
          }}
        />
      ),
    },
  ];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('catalog.brands.title')}</Title>
        <Button onClick={() => setEditing('new')}>{t('catalog.brands.create')}</Button>
      </Group>
      <DataTable<Brand, Record<string, never>>
        queryKey={['catalog-brands', 'page']}
        filters={{}}
        caption={t('catalog.brands.title')}
        columns={columns}
        rowKey={(b) => b.id}
        emptyTitle={t('catalog.brands.empty')}
        fetchPage={({ cursor, limit }) =>
          call(
            client.GET('/api/v1/catalog/brands', {
              params: { query: { limit, ...(cursor ? { cursor } : {}) } },
            }),
          )
        }
      />
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing && editing !== 'new' ? editing.name : t('catalog.brands.create')}
      >
        {editing ? (
          <BrandForm
            brand={editing === 'new' ? null : editing}
            onDone={async () => {
              setEditing(null);
              await refresh();
            }}
          />
        ) : null}
      </Modal>
    </Stack>
  );
}

function BrandForm(props: { brand: Brand | null; onDone: () => Promise<void> }) {
  const { t } = useTranslation();
  const b = props.brand;
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      code: b?.code ?? '',
      name: b?.name ?? '',
      description: Object.fromEntries(
        EDIT_LANGUAGES.map((l) => [
          l,
          String((b?.description as Record<string, unknown> | undefined)?.[l] ?? ''),
        ]),
      ) as Translations,
    },
  });
  const save = async (v: typeof form.values) => {
    const body = { code: v.code, name: v.name, description: cleanTranslations(v.description) };
    if (b)
      await call(
        client.PATCH('/api/v1/catalog/brands/{brand_id}', { params: { path: { brand_id: b.id } }, body }),
      );
    else await call(client.POST('/api/v1/catalog/brands', { body }));
    toast.success(t('catalog.brands.saved'));
    await props.onDone();
  };
  return (
    <ApiForm form={form} onSubmit={save} submitLabel={t('common.save')}>
      <TextInput label={t('catalog.brands.code')} required {...form.getInputProps('code')} />
      <TextInput label={t('catalog.brands.name')} required {...form.getInputProps('name')} />
      {EDIT_LANGUAGES.map((lang) => (
        <TextInput
          key={lang}
          lang={lang}
          label={t('catalog.product.description_in', { lang: t(`catalog.lang.${lang}`) })}
          {...form.getInputProps(`description.${lang}`)}
        />
      ))}
    </ApiForm>
  );
}
