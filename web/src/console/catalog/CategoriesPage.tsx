import {
  Badge,
  Button,
  Checkbox,
  Grid,
  Group,
  Modal,
  NumberInput,
  Select,
  Stack,
  Table,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import { EditDeleteActions } from '../../ui/ConfirmButton.tsx';
import { EmptyState } from '../../ui/EmptyState.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { TableHeader } from '../../ui/TableHeader.tsx';
import { toast } from '../../ui/toast.ts';
import {
  type CategoryNode,
  cleanTranslations,
  EDIT_LANGUAGES,
  flattenTree,
  type Translations,
  useCategoryTree,
  useLocalized,
} from './shared.ts';

/** The category tree (GET /api/v1/catalog/categories/tree, inactive ones included), edited in place. */
export function CategoriesPage() {
  const { t } = useTranslation();
  const pick = useLocalized();
  const queryClient = useQueryClient();
  const tree = useCategoryTree();
  const rows = flattenTree(tree.data?.data ?? [], pick);
  const [editing, setEditing] = useState<CategoryNode | 'new' | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['catalog-category-tree'] });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t('catalog.categories.title')}</Title>
        <Button onClick={() => setEditing('new')}>{t('catalog.categories.create')}</Button>
      </Group>
      {rows.length ? (
        <Table.ScrollContainer minWidth={560}>
          <Table striped highlightOnHover>
            <TableHeader
              caption={t('catalog.categories.title')}
              columns={[
                t('catalog.categories.name'),
                t('catalog.categories.code'),
                t('catalog.categories.state'),
                t('common.actions'),
              ]}
              visibleCaption
            />
            <Table.Tbody>
              {rows.map(({ node, depth }) => (
                <Table.Tr key={node.id}>
                  <Table.Td style={{ paddingInlineStart: `${0.75 + depth * 1.5}rem` }}>
                    {depth ? '└ ' : ''}
                    {node.label ?? pick(node.name as Translations) ?? node.code}
                  </Table.Td>
                  <Table.Td>{node.code}</Table.Td>
                  <Table.Td>
                    <Badge variant="dot" miw="max-content" color={node.active ? 'green' : 'gray'}>
                      {node.active ? t('catalog.categories.active') : t('catalog.categories.inactive')}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <EditDeleteActions
                      onEdit={() => setEditing(node)}
                      editLabel={t('catalog.categories.edit_code', { code: node.code })}
                      deleteTitle={t('catalog.categories.delete_title', { code: node.code })}
                      deleteMessage={t('catalog.categories.delete_message')}
                      deleteLabel={t('catalog.categories.delete_code', { code: node.code })}
                      onDelete={async () => {
                        await call(
                          client.DELETE('/api/v1/catalog/categories/{category_id}', {
                            params: { path: { category_id: node.id } },
                          }),
                        );
                        await refresh();
                        toast.success(t('catalog.categories.deleted'));
                      }}
                    />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : tree.isPending ? null : (
        <EmptyState title={t('catalog.categories.empty')} />
      )}
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing && editing !== 'new' ? editing.code : t('catalog.categories.create')}
        size="lg"
      >
        {editing ? (
          <CategoryForm
            category={editing === 'new' ? null : editing}
            parents={rows
              .filter((r) => editing === 'new' || r.node.id !== editing.id)
              .map(({ value, label }) => ({ value, label }))}
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

function CategoryForm(props: {
  category: CategoryNode | null;
  parents: { value: string; label: string }[];
  onDone: () => Promise<void>;
}) {
  const { t } = useTranslation();
  const c = props.category;
  const texts = (src: Record<string, unknown> | undefined) =>
    Object.fromEntries(EDIT_LANGUAGES.map((l) => [l, String(src?.[l] ?? '')])) as Translations;
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      code: c?.code ?? '',
      parent_id: c?.parent_id ?? '',
      position: c?.position ?? 0,
      active: c?.active ?? true,
      name: texts(c?.name as Record<string, unknown> | undefined),
      description: texts(c?.description as Record<string, unknown> | undefined),
    },
  });
  const save = async (v: typeof form.values) => {
    const body = {
      code: v.code,
      parent_id: v.parent_id || null,
      position: Number(v.position),
      active: v.active,
      name: cleanTranslations(v.name),
      description: cleanTranslations(v.description),
    };
    if (c)
      await call(
        client.PATCH('/api/v1/catalog/categories/{category_id}', {
          params: { path: { category_id: c.id } },
          body,
        }),
      );
    else await call(client.POST('/api/v1/catalog/categories', { body }));
    toast.success(t('catalog.categories.saved'));
    await props.onDone();
  };
  return (
    <ApiForm form={form} onSubmit={save} submitLabel={t('common.save')}>
      <Grid>
        <Grid.Col span={6}>
          <TextInput label={t('catalog.categories.code')} required {...form.getInputProps('code')} />
        </Grid.Col>
        <Grid.Col span={6}>
          <NumberInput label={t('catalog.categories.position')} min={0} {...form.getInputProps('position')} />
        </Grid.Col>
        <Grid.Col span={12}>
          <Select
            label={t('catalog.categories.parent')}
            placeholder={t('catalog.categories.root')}
            clearable
            searchable
            data={props.parents}
            value={form.values.parent_id || null}
            onChange={(v) => form.setFieldValue('parent_id', v ?? '')}
            error={form.errors.parent_id}
          />
        </Grid.Col>
        {EDIT_LANGUAGES.map((lang) => (
          <Grid.Col key={lang} span={{ base: 12, sm: 6 }}>
            <Stack gap="xs" lang={lang}>
              <TextInput
                label={t('catalog.product.name_in', { lang: t(`catalog.lang.${lang}`) })}
                {...form.getInputProps(`name.${lang}`)}
              />
              <TextInput
                label={t('catalog.product.description_in', { lang: t(`catalog.lang.${lang}`) })}
                {...form.getInputProps(`description.${lang}`)}
              />
            </Stack>
          </Grid.Col>
        ))}
      </Grid>
      <Checkbox
        label={t('catalog.categories.active')}
        {...form.getInputProps('active', { type: 'checkbox' })}
      />
    </ApiForm>
  );
}
