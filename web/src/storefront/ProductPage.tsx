import {
  Anchor,
  Badge,
  Breadcrumbs,
  Card,
  Grid,
  Group,
  Image,
  NumberInput,
  Radio,
  SimpleGrid,
  Skeleton,
  Stack,
  Table,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/problem.ts';
import { useFormat } from '../i18n/format.ts';
import { AnchorLink } from '../ui/AnchorLink.tsx';
import { EmptyState } from '../ui/EmptyState.tsx';
import { AvailabilityBadge, useVariantStatuses, VariantAvailabilityLine } from './Availability.tsx';
import {
  brandQuery,
  categoryTreeQuery,
  type Family,
  familyQuery,
  indexTree,
  type Media,
  mediaUrl,
  type Product,
  pick,
  productMediaQuery,
  productQuery,
  quantityCheckQuery,
  type Variant,
} from './catalog.ts';
import { BuyerPrice, QuantityBreaks } from './Price.tsx';
import { useShopCurrency } from './storefront.ts';

type AttrValue = string | number | boolean;

/** An attribute's label and a value's label from the product's family, in the reader's language. */
function useAttributeText(family: Family | undefined) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  return {
    label: (code: string) => {
      const def = family?.attributes.find((a) => a.code === code);
      return def ? pick(def.label, lang) || code : code;
    },
    value: (code: string, value: AttrValue) => {
      const def = family?.attributes.find((a) => a.code === code);
      if (typeof value === 'boolean') return value ? t('storefront.product.yes') : t('storefront.product.no');
      const option = def?.values.find((v) => v.code === String(value));
      const text = option ? pick(option.label, lang) || String(value) : String(value);
      return def?.unit ? `${text} ${def.unit}` : text;
    },
  };
}

/** The product page: texts, media, variants, the buyer's own price, packaging, attributes, documents. */
export function ProductPage(props: { productId: string }) {
  const { t, i18n } = useTranslation();
  const product = useQuery(productQuery(props.productId, i18n.language));
  if (product.isPending) return <Skeleton height={320} aria-label={t('common.loading')} />;
  if (product.error)
    return (
      <EmptyState
        title={
          product.error instanceof ApiError && product.error.status === 404
            ? t('storefront.product.not_found')
            : t('common.unexpected_error')
        }
        action={
          <Anchor component={Link} to="/catalog">
            {t('storefront.catalog.back')}
          </Anchor>
        }
      />
    );
  return <ProductView product={product.data} />;
}

function ProductView({ product }: { product: Product }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language;
  const currency = useShopCurrency();
  const family = useQuery(familyQuery(product.family_id)).data;
  const brand = useQuery({ ...brandQuery(product.brand_id ?? ''), enabled: Boolean(product.brand_id) }).data;
  const media = useQuery(productMediaQuery(product.id)).data?.data ?? [];
  const tree = useQuery(categoryTreeQuery(lang)).data?.data;
  const variants = [...product.variants].sort((a, b) => a.position - b.position);
  const [variantId, setVariantId] = useState(variants[0]?.id ?? '');
  const variant = variants.find((v) => v.id === variantId) ?? variants[0];
  const attrs = useAttributeText(family);
  const name = product.localized.name ?? pick(product.name, lang) ?? product.code;

  const category = tree && product.category_ids[0] ? indexTree(tree).get(product.category_ids[0]) : undefined;
  const crumbs = category ? [...category.path, category.node] : [];

  return (
    <Stack gap="lg" data-testid="product-page">
      <Breadcrumbs aria-label={t('storefront.product.breadcrumbs')}>
        <Anchor component={Link} to="/catalog">
          {t('storefront.nav.catalog')}
        </Anchor>
        {crumbs.map((c) => (
          <AnchorLink key={c.id} to="/catalog" search={{ category: c.id }}>
            {c.label ?? pick(c.name, lang)}
          </AnchorLink>
        ))}
      </Breadcrumbs>
      <div>
        <Title order={2} data-testid="product-name">
          {name}
        </Title>
        <Group gap="xs" mt={4}>
          {brand ? <Text c="dimmed">{brand.name}</Text> : null}
          <Text c="dimmed" size="sm">
            {t('storefront.product.reference', { code: product.code })}
          </Text>
          {product.status === 'discontinued' ? (
            <Badge color="orange" variant="light">
              {t('storefront.product.discontinued')}
            </Badge>
          ) : null}
        </Group>
      </div>
      <Grid gap="xl">
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Gallery media={media} name={name} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Stack gap="md">
            {variants.length > 1 ? (
              <Radio.Group
                label={t('storefront.product.variant')}
                value={variant?.id ?? ''}
                onChange={setVariantId}
              >
                <Stack gap={6} mt="xs">
                  {variants.map((v) => (
                    <Radio
                      key={v.id}
                      value={v.id}
                      label={`${pick(v.name, lang) || v.sku} — ${v.sku}`}
                      data-testid={`variant-${v.sku}`}
                    />
                  ))}
                </Stack>
              </Radio.Group>
            ) : null}
            {variant ? (
              <PriceCard key={variant.id} productId={product.id} variant={variant} currency={currency} />
            ) : null}
            {variant ? <Packaging variant={variant} /> : null}
          </Stack>
        </Grid.Col>
      </Grid>
      {product.localized.description ? (
        <section aria-labelledby="product-description">
          <Title order={3} size="h4" id="product-description" mb="xs">
            {t('storefront.product.description')}
          </Title>
          <Text>{product.localized.description}</Text>
        </section>
      ) : null}
      {variant ? (
        <Attributes
          values={{ ...product.attributes, ...variant.attributes }}
          label={attrs.label}
          value={attrs.value}
        />
      ) : null}
      {variants.length > 1 ? <VariantsTable productId={product.id} variants={variants} /> : null}
      <Documents media={media} />
    </Stack>
  );
}

/** The images whose bytes were uploaded, from the media content endpoint. */
function Gallery({ media, name }: { media: Media[]; name: string }) {
  const { t, i18n } = useTranslation();
  const images = media
    .filter((m) => m.kind === 'image' && m.uploaded_at)
    .sort((a, b) => a.position - b.position);
  const [current, setCurrent] = useState(0);
  if (!images.length)
    return (
      <Card withBorder h={240} data-testid="product-no-image">
        <Stack justify="center" align="center" h="100%">
          <Text c="dimmed">{t('storefront.product.no_image')}</Text>
        </Stack>
      </Card>
    );
  const main = images[Math.min(current, images.length - 1)]!;
  return (
    <Stack gap="xs">
      <Image
        src={mediaUrl(main.id)}
        alt={pick(main.title, i18n.language) || name}
        radius="sm"
        fit="contain"
        h={320}
        data-testid="product-image"
      />
      {images.length > 1 ? (
        <Group gap="xs">
          {images.map((m, i) => (
            <Anchor
              key={m.id}
              component="button"
              type="button"
              onClick={() => setCurrent(i)}
              aria-label={t('storefront.product.show_image', { n: i + 1 })}
              aria-pressed={i === current}
            >
              <Image src={mediaUrl(m.id)} alt="" w={64} h={64} fit="cover" radius="sm" />
            </Anchor>
          ))}
        </Group>
      ) : null}
    </Stack>
  );
}

/** The buyer's price for the chosen quantity, and the quantity breaks they reach. */
function PriceCard({
  productId,
  variant,
  currency,
}: {
  productId: string;
  variant: Variant;
  currency: string;
}) {
  const { t } = useTranslation();
  const [quantity, setQuantity] = useState<number>(Math.max(1, variant.min_order_qty));
  const [debounced] = useDebouncedValue(quantity, 300);
  const qty = String(debounced > 0 ? debounced : Math.max(1, variant.min_order_qty));
  const check = useQuery(quantityCheckQuery(variant.id, qty)).data;
  return (
    <Card withBorder data-testid="price-card">
      <Stack gap="sm">
        <Title order={3} size="h4">
          {t('storefront.price.title')}
        </Title>
        <NumberInput
          label={t('storefront.price.quantity')}
          description={t('storefront.price.quantity_hint', {
            min: variant.min_order_qty,
            multiple: variant.order_multiple,
          })}
          min={1}
          step={Math.max(1, variant.order_multiple)}
          allowDecimal={false}
          value={quantity}
          onChange={(v) => setQuantity(typeof v === 'number' ? v : Number(v) || 0)}
          w={200}
          error={
            check && !check.valid
              ? check.lower
                ? t('storefront.price.quantity_invalid_both', { lower: check.lower, higher: check.higher })
                : t('storefront.price.quantity_invalid', { higher: check.higher })
              : undefined
          }
        />
        <BuyerPrice sku={variant.sku} quantity={qty} currency={currency} />
        <VariantAvailabilityLine productId={productId} variantId={variant.id} quantity={qty} />
        <Title order={4} size="h5" mt="xs">
          {t('storefront.price.breaks_title')}
        </Title>
        <QuantityBreaks variant={variant} currency={currency} />
      </Stack>
    </Card>
  );
}

/** Unit of sale, box of N, minimum order quantity, order multiple, identifiers, weight, size. */
function Packaging({ variant }: { variant: Variant }) {
  const { t } = useTranslation();
  const f = useFormat();
  const unit = t(`storefront.unit.${variant.unit}`, { defaultValue: variant.unit });
  const rows: [string, string][] = [
    [t('storefront.product.sku'), variant.sku],
    [t('storefront.product.unit'), unit],
    [
      t('storefront.product.pack_size'),
      t('storefront.product.pack_of', { n: f.number(variant.pack_size), unit }),
    ],
    [t('storefront.product.min_order_qty'), f.number(variant.min_order_qty)],
    [t('storefront.product.order_multiple'), f.number(variant.order_multiple)],
  ];
  if (variant.gtin) rows.push([t('storefront.product.gtin'), variant.gtin]);
  if (variant.mpn) rows.push([t('storefront.product.mpn'), variant.mpn]);
  if (variant.weight !== null)
    rows.push([t('storefront.product.weight'), `${f.number(variant.weight)} ${variant.weight_unit}`]);
  if (variant.length !== null && variant.width !== null && variant.height !== null)
    rows.push([
      t('storefront.product.dimensions'),
      `${[variant.length, variant.width, variant.height].map((n) => f.number(n)).join(' × ')} ${variant.dimension_unit}`,
    ]);
  return (
    <Table withTableBorder data-testid="packaging">
      <Table.Caption>
        <VisuallyHidden>{t('storefront.product.packaging')}</VisuallyHidden>
      </Table.Caption>
      <Table.Tbody>
        {rows.map(([k, v]) => (
          <Table.Tr key={k}>
            <Table.Th scope="row" w="45%">
              {k}
            </Table.Th>
            <Table.Td>{v}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function Attributes(props: {
  values: Record<string, AttrValue>;
  label: (code: string) => string;
  value: (code: string, v: AttrValue) => string;
}) {
  const { t } = useTranslation();
  const entries = Object.entries(props.values);
  if (!entries.length) return null;
  return (
    <section aria-labelledby="product-attributes">
      <Title order={3} size="h4" id="product-attributes" mb="xs">
        {t('storefront.product.attributes')}
      </Title>
      <Table withTableBorder maw={640}>
        <Table.Tbody>
          {entries.map(([code, v]) => (
            <Table.Tr key={code}>
              <Table.Th scope="row" w="45%">
                {props.label(code)}
              </Table.Th>
              <Table.Td>{props.value(code, v)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </section>
  );
}

function VariantsTable({ productId, variants }: { productId: string; variants: Variant[] }) {
  const { t, i18n } = useTranslation();
  const f = useFormat();
  const availability = useVariantStatuses(productId);
  return (
    <section aria-labelledby="product-variants">
      <Title order={3} size="h4" id="product-variants" mb="xs">
        {t('storefront.product.variants')}
      </Title>
      <Table.ScrollContainer minWidth={560}>
        <Table withTableBorder striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">{t('storefront.product.sku')}</Table.Th>
              <Table.Th scope="col">{t('storefront.product.variant')}</Table.Th>
              <Table.Th scope="col">{t('storefront.product.pack_size')}</Table.Th>
              <Table.Th scope="col">{t('storefront.product.min_order_qty')}</Table.Th>
              <Table.Th scope="col">{t('storefront.product.order_multiple')}</Table.Th>
              <Table.Th scope="col">{t('storefront.availability.title')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {variants.map((v) => (
              <Table.Tr key={v.id}>
                <Table.Td>{v.sku}</Table.Td>
                <Table.Td>{pick(v.name, i18n.language)}</Table.Td>
                <Table.Td>{f.number(v.pack_size)}</Table.Td>
                <Table.Td>{f.number(v.min_order_qty)}</Table.Td>
                <Table.Td>{f.number(v.order_multiple)}</Table.Td>
                <Table.Td>
                  {availability.get(v.id) ? (
                    <AvailabilityBadge status={availability.get(v.id)!.status} />
                  ) : null}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </section>
  );
}

/** Datasheets and safety sheets whose file was uploaded: download links. */
function Documents({ media }: { media: Media[] }) {
  const { t, i18n } = useTranslation();
  const docs = media.filter((m) => m.kind !== 'image' && m.uploaded_at);
  return (
    <section aria-labelledby="product-documents">
      <Title order={3} size="h4" id="product-documents" mb="xs">
        {t('storefront.product.documents')}
      </Title>
      {docs.length ? (
        <SimpleGrid cols={{ base: 1, sm: 2 }} data-testid="product-documents">
          {docs.map((d) => (
            <Anchor key={d.id} href={mediaUrl(d.id)} download>
              {pick(d.title, i18n.language) || t(`storefront.product.doc_kind.${d.kind}`)} (
              {t(`storefront.product.doc_kind.${d.kind}`)})
            </Anchor>
          ))}
        </SimpleGrid>
      ) : (
        <Text c="dimmed">{t('storefront.product.no_documents')}</Text>
      )}
    </section>
  );
}
