import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  FileInput,
  Grid,
  Group,
  List,
  Modal,
  MultiSelect,
  NumberInput,
  Select,
  Skeleton,
  Stack,
  Table,
  Tabs,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { call, client } from '../../api/client.ts';
import { ApiError } from '../../api/problem.ts';
import type { components } from '../../api/schema';
import { useCan } from '../../auth/permissions.ts';
import { useFormat } from '../../i18n/format.ts';
import { AnchorLink } from '../../ui/AnchorLink.tsx';
import { ConfirmButton, EditDeleteActions } from '../../ui/ConfirmButton.tsx';
import { EmptyState } from '../../ui/EmptyState.tsx';
import { ApiForm } from '../../ui/Form.tsx';
import { toast } from '../../ui/toast.ts';
import { PRODUCT_STATUSES, STATUS_COLOR } from './ProductsPage.tsx';
import { StockSection } from './StockSection.tsx';
import {
  cleanTranslations,
  EDIT_LANGUAGES,
  type Translations,
  useBrands,
  useCategoryOptions,
  useFamilies,
  useLocalized,
} from './shared.ts';

type Product = components['schemas']['CatalogProduct'];
type Variant = components['schemas']['CatalogVariant'];
type Status = Product['status'];

/** A product: its fields and translations, variants, media and related products. */
export function ProductEditorPage(props: { productId: string }) {
  const { t } = useTranslation();
  const canReadStock = useCan('inventory.stock.read');
  const product = useQuery({
    queryKey: ['catalog-product', props.productId],
    queryFn: () =>
      call(
        client.GET('/api/v1/catalog/products/{product_id}', {
          params: { path: { product_id: props.productId } },
        }),
      ),
  });
  const p = product.data;
  return (
    <Stack>
      <AnchorLink to="/console/products" size="sm">
        {t('catalog.product.back')}
      </AnchorLink>
      {product.error ? (
        <Alert color="red" role="alert">
          {product.error instanceof ApiError ? product.error.message : t('common.unexpected_error')}
        </Alert>
      ) : null}
      {!p ? (
        <Skeleton h={300} />
      ) : (
        <>
          <Group justify="space-between">
            <Title order={2}>{t('catalog.product.title', { code: p.code })}</Title>
            <Group gap="xs">
              <Badge color={STATUS_COLOR[p.status]} variant="dot" miw="max-content">
                {t(`catalog.status.${p.status}`)}
              </Badge>
              <Badge variant="default" data-testid="product-completeness">
                {t('catalog.product.completeness', { score: p.completeness.score })}
              </Badge>
            </Group>
          </Group>
          {p.completeness.missing.length ? (
            <Alert color="yellow" title={t('catalog.product.missing_title')}>
              <List size="sm">
                {p.completeness.missing.map((m) => (
                  <List.Item key={`${m.check}-${m.locale ?? ''}-${m.attribute ?? ''}`}>
                    {t(`catalog.check.${m.check}`, { defaultValue: m.check })}
                    {m.locale ? ` (${m.locale})` : ''}
                    {m.attribute ? ` — ${m.attribute}` : ''}
                  </List.Item>
                ))}
              </List>
            </Alert>
          ) : null}
          <Tabs defaultValue="general" keepMounted={false}>
            <Tabs.List>
              <Tabs.Tab value="general">{t('catalog.product.tab.general')}</Tabs.Tab>
              <Tabs.Tab value="variants">
                {t('catalog.product.tab.variants', { n: p.variants.length })}
              </Tabs.Tab>
              {canReadStock ? <Tabs.Tab value="stock">{t('inventory.stock.tab')}</Tabs.Tab> : null}
              <Tabs.Tab value="media">{t('catalog.product.tab.media')}</Tabs.Tab>
              <Tabs.Tab value="related">{t('catalog.product.tab.related')}</Tabs.Tab>
            </Tabs.List>
            <Tabs.Panel value="general" pt="md">
              <GeneralForm key={p.updated_at} product={p} />
            </Tabs.Panel>
            <Tabs.Panel value="variants" pt="md">
              <VariantsPanel product={p} />
            </Tabs.Panel>
            {canReadStock ? (
              <Tabs.Panel value="stock" pt="md">
                <StockSection variants={p.variants} />
              </Tabs.Panel>
            ) : null}
            <Tabs.Panel value="media" pt="md">
              <MediaPanel product={p} />
            </Tabs.Panel>
            <Tabs.Panel value="related" pt="md">
              <RelatedPanel product={p} />
            </Tabs.Panel>
          </Tabs>
        </>
      )}
    </Stack>
  );
}

function GeneralForm({ product }: { product: Product }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const brands = useBrands();
  const families = useFamilies();
  const categories = useCategoryOptions();
  const pick = useLocalized();
  const texts = (src: Record<string, unknown>) =>
    Object.fromEntries(EDIT_LANGUAGES.map((l) => [l, String(src[l] ?? '')])) as Translations;
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      code: product.code,
      status: product.status as string,
      brand_id: product.brand_id ?? '',
      family_id: product.family_id,
      tax_category: product.tax_category,
      category_ids: product.category_ids,
      name: texts(product.name),
      description: texts(product.description),
    },
  });
  const save = async (v: typeof form.values) => {
    await call(
      client.PATCH('/api/v1/catalog/products/{product_id}', {
        params: { path: { product_id: product.id } },
        body: {
          code: v.code,
          status: v.status as Status,
          brand_id: v.brand_id || null,
          family_id: v.family_id,
          tax_category: v.tax_category,
          category_ids: v.category_ids,
          name: cleanTranslations(v.name),
          description: cleanTranslations(v.description),
        },
      }),
    );
    await queryClient.invalidateQueries({ queryKey: ['catalog-product', product.id] });
    await queryClient.invalidateQueries({ queryKey: ['catalog-products'] });
    toast.success(t('catalog.product.saved'));
  };
  return (
    <ApiForm
      form={form}
      onSubmit={save}
      submitLabel={t('common.save')}
      aria-label={t('catalog.product.form')}
    >
      <Grid>
        <Grid.Col span={{ base: 12, sm: 6 }}>
          <TextInput label={t('catalog.product.code')} required {...form.getInputProps('code')} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6 }}>
          <Select
            label={t('catalog.product.status')}
            allowDeselect={false}
            data={PRODUCT_STATUSES.map((s) => ({ value: s, label: t(`catalog.status.${s}`) }))}
            {...form.getInputProps('status')}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6 }}>
          <Select
            label={t('catalog.product.family')}
            allowDeselect={false}
            searchable
            data={(families.data?.data ?? []).map((f) => ({
              value: f.id,
              label: pick(f.name as Translations) || f.code,
            }))}
            {...form.getInputProps('family_id')}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6 }}>
          <Select
            label={t('catalog.product.brand')}
            clearable
            searchable
            data={(brands.data?.data ?? []).map((b) => ({ value: b.id, label: b.name }))}
            {...form.getInputProps('brand_id')}
            value={form.values.brand_id || null}
            onChange={(v) => form.setFieldValue('brand_id', v ?? '')}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6 }}>
          <TextInput label={t('catalog.product.tax_category')} {...form.getInputProps('tax_category')} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6 }}>
          <MultiSelect
            label={t('catalog.product.categories')}
            searchable
            data={categories}
            {...form.getInputProps('category_ids')}
          />
        </Grid.Col>
      </Grid>
      <Title order={3} size="h5" mt="sm">
        {t('catalog.product.translations')}
      </Title>
      <Grid>
        {EDIT_LANGUAGES.map((lang) => (
          <Grid.Col key={lang} span={{ base: 12, md: 6 }}>
            <Card withBorder>
              <Stack gap="xs" lang={lang}>
                <Text fw={600}>{t(`catalog.lang.${lang}`)}</Text>
                <TextInput
                  label={t('catalog.product.name_in', { lang: t(`catalog.lang.${lang}`) })}
                  {...form.getInputProps(`name.${lang}`)}
                />
                <Textarea
                  label={t('catalog.product.description_in', { lang: t(`catalog.lang.${lang}`) })}
                  autosize
                  minRows={4}
                  {...form.getInputProps(`description.${lang}`)}
                />
              </Stack>
            </Card>
          </Grid.Col>
        ))}
      </Grid>
    </ApiForm>
  );
}

function VariantsPanel({ product }: { product: Product }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<Variant | 'new' | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['catalog-product', product.id] });
  return (
    <Stack>
      <Group justify="flex-end">
        <Button onClick={() => setEditing('new')}>{t('catalog.variant.add')}</Button>
      </Group>
      {product.variants.length ? (
        <Table.ScrollContainer minWidth={640}>
          <Table striped>
            <Table.Caption>{t('catalog.product.tab.variants', { n: product.variants.length })}</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">{t('catalog.variant.sku')}</Table.Th>
                <Table.Th scope="col">{t('catalog.variant.gtin')}</Table.Th>
                <Table.Th scope="col">{t('catalog.variant.unit')}</Table.Th>
                <Table.Th scope="col">{t('catalog.variant.pack_size')}</Table.Th>
                <Table.Th scope="col">{t('catalog.variant.min_order_qty')}</Table.Th>
                <Table.Th scope="col">{t('catalog.variant.order_multiple')}</Table.Th>
                <Table.Th scope="col">{t('common.actions')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {product.variants.map((v) => (
                <Table.Tr key={v.id}>
                  <Table.Td>{v.sku}</Table.Td>
                  <Table.Td>{v.gtin ?? '—'}</Table.Td>
                  <Table.Td>{v.unit}</Table.Td>
                  <Table.Td>{v.pack_size}</Table.Td>
                  <Table.Td>{v.min_order_qty}</Table.Td>
                  <Table.Td>{v.order_multiple}</Table.Td>
                  <Table.Td>
                    <EditDeleteActions
                      onEdit={() => setEditing(v)}
                      editLabel={t('catalog.variant.edit_sku', { sku: v.sku })}
                      deleteTitle={t('catalog.variant.delete_title', { sku: v.sku })}
                      deleteMessage={t('catalog.variant.delete_message')}
                      deleteLabel={t('catalog.variant.delete_sku', { sku: v.sku })}
                      onDelete={async () => {
                        await call(
                          client.DELETE('/api/v1/catalog/variants/{variant_id}', {
                            params: { path: { variant_id: v.id } },
                          }),
                        );
                        await refresh();
                        toast.success(t('catalog.variant.deleted'));
                      }}
                    />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : (
        <EmptyState title={t('catalog.variant.empty')} />
      )}
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing === 'new' || !editing ? t('catalog.variant.add') : editing.sku}
        size="lg"
      >
        {editing ? (
          <VariantForm
            productId={product.id}
            variant={editing === 'new' ? null : editing}
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

function VariantForm(props: { productId: string; variant: Variant | null; onDone: () => Promise<void> }) {
  const { t } = useTranslation();
  const v = props.variant;
  const form = useForm({
    mode: 'controlled',
    initialValues: {
      sku: v?.sku ?? '',
      gtin: v?.gtin ?? '',
      mpn: v?.mpn ?? '',
      unit: v?.unit ?? 'piece',
      pack_size: v?.pack_size ?? 1,
      min_order_qty: v?.min_order_qty ?? 1,
      order_multiple: v?.order_multiple ?? 1,
      name: Object.fromEntries(EDIT_LANGUAGES.map((l) => [l, String(v?.name?.[l] ?? '')])) as Translations,
    },
  });
  const save = async (x: typeof form.values) => {
    const body = {
      sku: x.sku,
      gtin: x.gtin || null,
      mpn: x.mpn || null,
      unit: x.unit,
      pack_size: Number(x.pack_size),
      min_order_qty: Number(x.min_order_qty),
      order_multiple: Number(x.order_multiple),
      name: cleanTranslations(x.name),
    };
    if (v)
      await call(
        client.PATCH('/api/v1/catalog/variants/{variant_id}', {
          params: { path: { variant_id: v.id } },
          body,
        }),
      );
    else
      await call(
        client.POST('/api/v1/catalog/products/{product_id}/variants', {
          params: { path: { product_id: props.productId } },
          body,
        }),
      );
    toast.success(t('catalog.variant.saved'));
    await props.onDone();
  };
  return (
    <ApiForm
      form={form}
      onSubmit={save}
      submitLabel={t('common.save')}
      aria-label={t('catalog.variant.form')}
    >
      <Grid>
        <Grid.Col span={6}>
          <TextInput label={t('catalog.variant.sku')} required {...form.getInputProps('sku')} />
        </Grid.Col>
        <Grid.Col span={6}>
          <TextInput label={t('catalog.variant.unit')} {...form.getInputProps('unit')} />
        </Grid.Col>
        <Grid.Col span={6}>
          <TextInput label={t('catalog.variant.gtin')} {...form.getInputProps('gtin')} />
        </Grid.Col>
        <Grid.Col span={6}>
          <TextInput label={t('catalog.variant.mpn')} {...form.getInputProps('mpn')} />
        </Grid.Col>
        <Grid.Col span={4}>
          <NumberInput
            label={t('catalog.variant.pack_size')}
            min={1}
            allowDecimal={false}
            {...form.getInputProps('pack_size')}
          />
        </Grid.Col>
        <Grid.Col span={4}>
          <NumberInput
            label={t('catalog.variant.order_multiple')}
            min={1}
            allowDecimal={false}
            {...form.getInputProps('order_multiple')}
          />
        </Grid.Col>
        <Grid.Col span={4}>
          <NumberInput
            label={t('catalog.variant.min_order_qty')}
            min={1}
            allowDecimal={false}
            {...form.getInputProps('min_order_qty')}
          />
        </Grid.Col>
        {EDIT_LANGUAGES.map((lang) => (
          <Grid.Col key={lang} span={6}>
            <TextInput
              lang={lang}
              label={t('catalog.variant.name_in', { lang: t(`catalog.lang.${lang}`) })}
              {...form.getInputProps(`name.${lang}`)}
            />
          </Grid.Col>
        ))}
      </Grid>
      <Text size="xs" c="dimmed">
        {t('catalog.variant.packaging_hint')}
      </Text>
    </ApiForm>
  );
}

const MEDIA_TYPES: Record<string, 'image' | 'datasheet'> = {
  'image/png': 'image',
  'image/jpeg': 'image',
  'image/webp': 'image',
  'application/pdf': 'datasheet',
};

async function sha256Hex(file: File): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function MediaPanel({ product }: { product: Product }) {
  const { t } = useTranslation();
  const f = useFormat();
  const pick = useLocalized();
  const queryClient = useQueryClient();
  const media = useQuery({
    queryKey: ['catalog-media', product.id],
    queryFn: () =>
      call(
        client.GET('/api/v1/catalog/products/{product_id}/media', {
          params: { path: { product_id: product.id } },
        }),
      ),
  });
  const [file, setFile] = useState<File | null>(null);
  const [kind, setKind] = useState<'image' | 'datasheet' | 'safety_sheet'>('image');
  const [busy, setBusy] = useState(false);
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ['catalog-media', product.id] });
    await queryClient.invalidateQueries({ queryKey: ['catalog-product', product.id] });
  };
  const upload = async () => {
    if (!file) return;
    setBusy(true);
    try {
      const created = await call(
        client.POST('/api/v1/catalog/products/{product_id}/media', {
          params: { path: { product_id: product.id } },
          body: {
            kind,
            object_key: `upload/${file.name}`,
            content_type: file.type || 'application/octet-stream',
            size_bytes: file.size,
            checksum_sha256: await sha256Hex(file),
            title: { fr: file.name, en: file.name },
          },
        }),
      );
      await call(
        client.PUT('/api/v1/catalog/media/{media_id}/content', {
          params: { path: { media_id: created.id } },
          body: file as never,
          bodySerializer: (b: unknown) => b as BodyInit,
          headers: { 'content-type': file.type },
        }),
      );
      setFile(null);
      await refresh();
      toast.success(t('catalog.media.uploaded'));
    } catch (err) {
      toast.error(err);
    } finally {
      setBusy(false);
    }
  };
  const rows = (media.data as { data?: components['schemas']['CatalogMedia'][] } | undefined)?.data ?? [];
  return (
    <Stack>
      <Card withBorder>
        <Group align="flex-end">
          <FileInput
            label={t('catalog.media.file')}
            accept={Object.keys(MEDIA_TYPES).join(',')}
            value={file}
            onChange={(x) => {
              setFile(x);
              if (x) setKind(MEDIA_TYPES[x.type] ?? 'image');
            }}
            clearable
            w={320}
          />
          <Select
            label={t('catalog.media.kind')}
            allowDeselect={false}
            data={(['image', 'datasheet', 'safety_sheet'] as const).map((k) => ({
              value: k,
              label: t(`catalog.media.kinds.${k}`),
            }))}
            value={kind}
            onChange={(v) => v && setKind(v as typeof kind)}
          />
          <Button onClick={upload} loading={busy} disabled={!file}>
            {t('catalog.media.upload')}
          </Button>
        </Group>
      </Card>
      {rows.length ? (
        <Table striped>
          <Table.Caption>{t('catalog.product.tab.media')}</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('catalog.media.title')}</Table.Th>
              <Table.Th scope="col">{t('catalog.media.kind')}</Table.Th>
              <Table.Th scope="col">{t('catalog.media.type')}</Table.Th>
              <Table.Th scope="col">{t('catalog.media.size')}</Table.Th>
              <Table.Th scope="col">{t('catalog.media.uploaded_at')}</Table.Th>
              <Table.Th scope="col">{t('common.actions')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((m) => (
              <Table.Tr key={m.id}>
                <Table.Td>
                  {m.uploaded_at ? (
                    <Anchor href={`/api/v1/catalog/media/${m.id}/content`} target="_blank">
                      {pick(m.title as Translations) || m.object_key}
                    </Anchor>
                  ) : (
                    pick(m.title as Translations) || m.object_key
                  )}
                </Table.Td>
                <Table.Td>{t(`catalog.media.kinds.${m.kind}`)}</Table.Td>
                <Table.Td>{m.content_type}</Table.Td>
                <Table.Td>{f.number(m.size_bytes / 1024, { maximumFractionDigits: 0 })} KiB</Table.Td>
                <Table.Td>
                  {m.uploaded_at ? f.dateTime(m.uploaded_at) : t('catalog.media.no_content')}
                </Table.Td>
                <Table.Td>
                  <ConfirmButton
                    size="xs"
                    title={t('catalog.media.delete_title')}
                    message={t('catalog.media.delete_message')}
                    confirmLabel={t('common.delete')}
                    onConfirm={async () => {
                      await call(
                        client.DELETE('/api/v1/catalog/media/{media_id}', {
                          params: { path: { media_id: m.id } },
                        }),
                      );
                      await refresh();
                      toast.success(t('catalog.media.deleted'));
                    }}
                  >
                    {t('common.delete')}
                  </ConfirmButton>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : (
        <EmptyState title={t('catalog.media.empty')} />
      )}
    </Stack>
  );
}

function RelatedPanel({ product }: { product: Product }) {
  const { t, i18n } = useTranslation();
  const queryClient = useQueryClient();
  const related = useQuery({
    queryKey: ['catalog-related', product.id],
    queryFn: () =>
      call(
        client.GET('/api/v1/catalog/products/{product_id}/related', {
          params: { path: { product_id: product.id }, query: { locale: i18n.language } as never },
        }),
      ),
  });
  const [kind, setKind] = useState<'accessory' | 'substitute'>('accessory');
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search, 300);
  const [target, setTarget] = useState<string | null>(null);
  const [opened, { open, close }] = useDisclosure(false);
  const hits = useQuery({
    queryKey: ['catalog-search-related', debounced, i18n.language],
    enabled: debounced.trim().length >= 2,
    queryFn: () =>
      call(
        client.GET('/api/v1/catalog/search', {
          params: { query: { q: debounced.trim(), limit: 20, locale: i18n.language } },
        }),
      ),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['catalog-related', product.id] });
  const rows =
    (related.data as { data?: components['schemas']['CatalogRelation'][] } | undefined)?.data ?? [];
  const add = async () => {
    if (!target) return;
    try {
      await call(
        client.POST('/api/v1/catalog/products/{product_id}/related', {
          params: { path: { product_id: product.id } },
          body: { kind, related_product_id: target },
        }),
      );
      setTarget(null);
      setSearch('');
      close();
      await refresh();
      toast.success(t('catalog.related.added'));
    } catch (err) {
      toast.error(err);
    }
  };
  return (
    <Stack>
      <Group justify="flex-end">
        <Button onClick={open}>{t('catalog.related.add')}</Button>
      </Group>
      {rows.length ? (
        <Table striped>
          <Table.Caption>{t('catalog.product.tab.related')}</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('catalog.related.kind')}</Table.Th>
              <Table.Th scope="col">{t('catalog.products.col.code')}</Table.Th>
              <Table.Th scope="col">{t('catalog.products.col.name')}</Table.Th>
              <Table.Th scope="col">{t('catalog.products.col.status')}</Table.Th>
              <Table.Th scope="col">{t('common.actions')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r) => (
              <Table.Tr key={`${r.kind}-${r.related_product_id}`}>
                <Table.Td>{t(`catalog.related.kinds.${r.kind}`)}</Table.Td>
                <Table.Td>
                  <AnchorLink to="/console/products/$productId" params={{ productId: r.related_product_id }}>
                    {r.related_code}
                  </AnchorLink>
                </Table.Td>
                <Table.Td>{r.related_name ?? '—'}</Table.Td>
                <Table.Td>{t(`catalog.status.${r.related_status}`)}</Table.Td>
                <Table.Td>
                  <ConfirmButton
                    size="xs"
                    title={t('catalog.related.remove_title', { code: r.related_code })}
                    message={t('catalog.related.remove_message')}
                    confirmLabel={t('catalog.related.remove')}
                    onConfirm={async () => {
                      await call(
                        client.DELETE(
                          '/api/v1/catalog/products/{product_id}/related/{kind}/{related_product_id}',
                          {
                            params: {
                              path: {
                                product_id: product.id,
                                kind: r.kind,
                                related_product_id: r.related_product_id,
                              },
                            },
                          },
                        ),
                      );
                      await refresh();
                      toast.success(t('catalog.related.removed'));
                    }}
                  >
                    {t('catalog.related.remove')}
                  </ConfirmButton>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : (
        <EmptyState title={t('catalog.related.empty')} />
      )}
      <Modal opened={opened} onClose={close} title={t('catalog.related.add')}>
        <Stack>
          <Select
            label={t('catalog.related.kind')}
            allowDeselect={false}
            data={(['accessory', 'substitute'] as const).map((k) => ({
              value: k,
              label: t(`catalog.related.kinds.${k}`),
            }))}
            value={kind}
            onChange={(v) => v && setKind(v as typeof kind)}
          />
          <Select
            label={t('catalog.related.product')}
            searchable
            searchValue={search}
            onSearchChange={setSearch}
            filter={({ options }) => options}
            nothingFoundMessage={debounced.length >= 2 ? t('catalog.related.nothing') : undefined}
            data={(hits.data?.data ?? [])
              .filter((h) => h.id !== product.id)
              .map((h) => ({ value: h.id, label: `${h.code} — ${h.name ?? ''}` }))}
            value={target}
            onChange={setTarget}
          />
          <Group justify="flex-end">
            <Button onClick={add} disabled={!target}>
              {t('catalog.related.add')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
