import {
  ActionIcon,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  Modal,
  Select,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import type { components } from '../../api/schema';
import { EditDeleteActions } from '../../ui/ConfirmButton.tsx';
import { EmptyState } from '../../ui/EmptyState.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { toast } from '../../ui/toast.ts';
import { cleanTranslations, type Translations, useFamilies, useLocalized } from './shared.ts';

type Family = components['schemas']['CatalogFamily'];
type AttrType = 'text' | 'number' | 'enum' | 'boolean';
const TYPES: AttrType[] = ['text', 'number', 'enum', 'boolean'];

/** Product families and their typed attributes (GET/POST/PATCH /api/v1/catalog/families). */
export function FamiliesPage() {
  const { t } = useTranslation();
  const pick = useLocalized();
  const queryClient = useQueryClient();
  const families = useFamilies();
  const [editing, setEditing] = useState<Family | 'new' | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['catalog-families'] });
  const rows = families.data?.data ?? [];
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('catalog.families.title')}</Title>
        <Button onClick={() => setEditing('new')}>{t('catalog.families.create')}</Button>
      </Group>
      {rows.map((f) => (
        <Card withBorder key={f.id}>
          <Group justify="space-between" mb="xs">
            <div>
              <Title order={3} size="h5">
                {pick(f.name as Translations) || f.code}
              </Title>
              <Text size="sm" c="dimmed">
                {f.code}
              </Text>
            </div>
            <EditDeleteActions
              onEdit={() => setEditing(f)}
              editLabel={t('catalog.families.edit_code', { code: f.code })}
              deleteTitle={t('catalog.families.delete_title', { code: f.code })}
              deleteMessage={t('catalog.families.delete_message')}
              deleteLabel={t('catalog.families.delete_code', { code: f.code })}
              onDelete={async () => {
                await call(
                  client.DELETE('/api/v1/catalog/families/{family_id}', {
                    params: { path: { family_id: f.id } },
                  }),
                );
                await refresh();
                toast.success(t('catalog.families.deleted'));
              }}
            />
          </Group>
          {f.attributes.length ? (
            <Group gap={6}>
              {f.attributes.map((a) => (
                <Badge key={a.code} variant={a.required ? 'dot' : 'default'}>
                  {pick(a.label as Translations) || a.code} · {t(`catalog.families.types.${a.type}`)}
                  {a.unit ? ` (${a.unit})` : ''}
                  {a.required ? ` · ${t('catalog.families.required')}` : ''}
                </Badge>
              ))}
            </Group>
          ) : (
            <Text size="sm" c="dimmed">
              {t('catalog.families.no_attributes')}
            </Text>
          )}
        </Card>
      ))}
      {!rows.length && !families.isPending ? <EmptyState title={t('catalog.families.empty')} /> : null}
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing && editing !== 'new' ? editing.code : t('catalog.families.create')}
        size="xl"
      >
        {editing ? (
          <FamilyForm
            family={editing === 'new' ? null : editing}
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

function FamilyForm(props: { family: Family | null; onDone: () => Promise<void> }) {
  const { t } = useTranslation();
  const f = props.family;
  const tr = (x: unknown, l: string) => String((x as Record<string, unknown> | undefined)?.[l] ?? '');
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      code: f?.code ?? '',
      name: { fr: tr(f?.name, 'fr'), en: tr(f?.name, 'en') },
      attributes: (f?.attributes ?? []).map((a) => ({
        code: a.code,
        type: a.type as AttrType,
        label: { fr: tr(a.label, 'fr'), en: tr(a.label, 'en') },
        unit: a.unit ?? '',
        values: a.values.map((v) => v.code).join(', '),
        required: a.required,
        filterable: a.filterable,
      })),
    },
  });
  const save = async (v: typeof form.values) => {
    const body = {
      code: v.code,
      name: cleanTranslations(v.name),
      attributes: v.attributes.map((a) => ({
        code: a.code,
        type: a.type,
        label: cleanTranslations(a.label),
        unit: a.unit || null,
        required: a.required,
        filterable: a.filterable,
        ...(a.type === 'enum'
          ? {
              values: a.values
                .split(',')
                .map((x) => x.trim())
                .filter(Boolean)
                .map((code) => ({
                  code,
                  label: (f?.attributes.find((x) => x.code === a.code)?.values.find((x) => x.code === code)
                    ?.label as Translations) ?? { fr: code },
                })),
            }
          : {}),
      })),
    };
    if (f)
      await call(
        client.PATCH('/api/v1/catalog/families/{family_id}', { params: { path: { family_id: f.id } }, body }),
      );
    else await call(client.POST('/api/v1/catalog/families', { body }));
    toast.success(t('catalog.families.saved'));
    await props.onDone();
  };
  return (
    <ApiForm form={form} onSubmit={save} submitLabel={t('common.save')}>
      <Group grow align="flex-start">
        <TextInput label={t('catalog.families.code')} required {...form.getInputProps('code')} />
        <TextInput
          lang="fr"
          label={t('catalog.product.name_in', { lang: t('catalog.lang.fr') })}
          {...form.getInputProps('name.fr')}
        />
        <TextInput
          lang="en"
          label={t('catalog.product.name_in', { lang: t('catalog.lang.en') })}
          {...form.getInputProps('name.en')}
        />
      </Group>
      <Title order={3} size="h5">
        {t('catalog.families.attributes')}
      </Title>
      {form.values.attributes.map((a, i) => (
        <Card withBorder key={`attr-${i.toString()}`} p="xs">
          <Group align="flex-end" gap="xs">
            <TextInput
              label={t('catalog.families.attr_code')}
              w={140}
              required
              {...form.getInputProps(`attributes.${i}.code`)}
            />
            <Select
              label={t('catalog.families.attr_type')}
              w={130}
              allowDeselect={false}
              data={TYPES.map((x) => ({ value: x, label: t(`catalog.families.types.${x}`) }))}
              {...form.getInputProps(`attributes.${i}.type`)}
            />
            <TextInput
              lang="fr"
              label={t('catalog.families.label_in', { lang: t('catalog.lang.fr') })}
              {...form.getInputProps(`attributes.${i}.label.fr`)}
            />
            <TextInput
              lang="en"
              label={t('catalog.families.label_in', { lang: t('catalog.lang.en') })}
              {...form.getInputProps(`attributes.${i}.label.en`)}
            />
            <TextInput
              label={t('catalog.families.unit')}
              w={80}
              {...form.getInputProps(`attributes.${i}.unit`)}
            />
            {a.type === 'enum' ? (
              <TextInput
                label={t('catalog.families.values')}
                {...form.getInputProps(`attributes.${i}.values`)}
              />
            ) : null}
            <Checkbox
              label={t('catalog.families.required')}
              {...form.getInputProps(`attributes.${i}.required`, { type: 'checkbox' })}
            />
            <Checkbox
              label={t('catalog.families.filterable')}
              {...form.getInputProps(`attributes.${i}.filterable`, { type: 'checkbox' })}
            />
            <ActionIcon
              variant="subtle"
              color="red"
              aria-label={t('catalog.families.remove_attr', { code: a.code || i + 1 })}
              onClick={() => form.removeListItem('attributes', i)}
            >
              ×
            </ActionIcon>
          </Group>
        </Card>
      ))}
      <Group>
        <Button
          size="xs"
          variant="default"
          onClick={() =>
            form.insertListItem('attributes', {
              code: '',
              type: 'text',
              label: { fr: '', en: '' },
              unit: '',
              values: '',
              required: false,
              filterable: false,
            })
          }
        >
          {t('catalog.families.add_attr')}
        </Button>
      </Group>
    </ApiForm>
  );
}
