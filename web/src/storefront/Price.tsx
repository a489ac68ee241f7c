import { Alert, Badge, Group, List, Skeleton, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/problem.ts';
import { useFormat } from '../i18n/format.ts';
import { breakRows, priceQuery, type ResolvedPrice, type Variant } from './catalog.ts';

/** The price levels of docs/pricing.md, most specific first. */
const LEVELS = ['account', 'group', 'storefront', 'tenant'] as const;
type Level = (typeof LEVELS)[number];

function levelOf(price: ResolvedPrice): Level | null {
  const level = price.rule?.level;
  return typeof level === 'string' && (LEVELS as readonly string[]).includes(level) ? (level as Level) : null;
}

/** "Contract price", "Customer group price"… — which rule produced the price. */
export function RuleBadge({ price }: { price: ResolvedPrice }) {
  const { t } = useTranslation();
  const level = levelOf(price);
  if (!level) return null;
  return (
    <Badge
      // Filled, dark shades: white text keeps WCAG AA contrast (teal 9: 5:1; green 9 is only 4.2:1).
      variant="filled"
      color={level === 'account' ? 'teal.9' : 'gray.7'}
      data-testid="price-rule"
      data-level={level}
    >
      {t(`storefront.price.level.${level}`)}
    </Badge>
  );
}

/** Each step of the resolution, as the API explains it: base list and break, discount level, promotions. */
function Breakdown({ price }: { price: ResolvedPrice }) {
  const { t } = useTranslation();
  const f = useFormat();
  const money = (a: unknown) => (typeof a === 'string' ? f.unitPrice(a, price.currency) : '');
  return (
    <List size="sm" spacing={2} data-testid="price-breakdown">
      {price.breakdown.map((step, i) => {
        const s = step as Record<string, unknown>;
        const key = `${String(s.step)}-${i}`;
        if (s.step === 'base')
          return (
            <List.Item key={key}>
              {t('storefront.price.step.base', {
                level: t(`storefront.price.level.${String(s.level)}`),
                quantity: f.number(Number(s.min_quantity)),
                price: money(s.unit_price),
              })}
            </List.Item>
          );
        if (s.step === 'group-discount')
          return (
            <List.Item key={key}>
              {t('storefront.price.step.group_discount', {
                percent: f.number(Number(s.percent)),
                price: money(s.unit_price),
              })}
            </List.Item>
          );
        return (
          <List.Item key={key}>
            {t('storefront.price.step.promotion', {
              reduction: money(s.reduction),
              price: money(s.unit_price),
            })}
          </List.Item>
        );
      })}
    </List>
  );
}

/** Why there is no price, in the buyer's words. */
function NoPrice({ price }: { price: ResolvedPrice }) {
  const { t } = useTranslation();
  return (
    <Text c="dimmed" data-testid="price-none">
      {t(`storefront.price.none.${price.reason ?? 'no-price-list'}`)}
    </Text>
  );
}

function PriceError({ error }: { error: unknown }) {
  const { t } = useTranslation();
  const forbidden = error instanceof ApiError && error.status === 403;
  return (
    <Alert color={forbidden ? 'yellow' : 'red'} role="alert" data-testid="price-error">
      {forbidden ? t('storefront.price.forbidden') : t('common.unexpected_error')}
    </Alert>
  );
}

/**
 * The buyer's own price for `quantity` of a variant: unit price excluding tax, the rule that
 * produced it, the line total and the full breakdown.
 */
export function BuyerPrice(props: { sku: string; quantity: string; currency: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const query = useQuery(priceQuery(props.sku, props.quantity, props.currency));
  if (query.isPending) return <Skeleton height={64} aria-label={t('common.loading')} />;
  if (query.error) return <PriceError error={query.error} />;
  const price = query.data;
  if (!price.priced || !price.unit_price) return <NoPrice price={price} />;
  return (
    <Stack gap={6} aria-live="polite">
      <Group gap="sm" align="baseline">
        <Text size="xl" fw={700} data-testid="price-unit" data-amount={price.unit_price.amount}>
          {f.unitPrice(price.unit_price.amount, price.unit_price.currency)}
        </Text>
        <Text size="sm" c="dimmed">
          {t('storefront.price.per_unit_ht')}
        </Text>
        <RuleBadge price={price} />
      </Group>
      {price.line_total ? (
        <Text size="sm" data-testid="price-line-total">
          {t('storefront.price.line_total', {
            quantity: f.number(Number(price.quantity)),
            total: f.money(price.line_total.amount, price.line_total.currency),
          })}
        </Text>
      ) : null}
      <Breakdown price={price} />
    </Stack>
  );
}

/** "Contract price"… for a break row: the level of the list that gives the price from there. */
function LevelBadge({ level }: { level: string }) {
  const { t } = useTranslation();
  if (!(LEVELS as readonly string[]).includes(level)) return null;
  return (
    <Badge
      variant="filled"
      color={level === 'account' ? 'teal.9' : 'gray.7'}
      data-testid="price-rule"
      data-level={level}
    >
      {t(`storefront.price.level.${level}`)}
    </Badge>
  );
}

/**
 * The buyer's quantity breaks for a variant, as the API resolves them (`breaks` of the resolved
 * price: each break of the lists that apply to this buyer, priced at that quantity). Rows below the
 * minimum order quantity are folded into it: the first row starts at the minimum.
 */
export function QuantityBreaks(props: { variant: Variant; currency: string }) {
  const { t } = useTranslation();
  const f = useFormat();
  const min = Math.max(1, props.variant.min_order_qty);
  // The same query as the price card's first quantity: one request for both.
  const query = useQuery(priceQuery(props.variant.sku, String(min), props.currency));
  if (query.isPending) return <Skeleton height={96} aria-label={t('common.loading')} />;
  if (query.error) return <PriceError error={query.error} />;
  const rows = breakRows(query.data.breaks ?? [], min);
  if (!rows.length) return <Text c="dimmed">{t('storefront.price.breaks_none')}</Text>;
  return (
    <Table withTableBorder data-testid="price-breaks">
      <Table.Caption>
        <VisuallyHidden>{t('storefront.price.breaks_caption', { sku: props.variant.sku })}</VisuallyHidden>
      </Table.Caption>
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col">{t('storefront.price.breaks_from')}</Table.Th>
          <Table.Th scope="col">{t('storefront.price.breaks_unit')}</Table.Th>
          <Table.Th scope="col">{t('storefront.price.breaks_rule')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((b) => (
          <Table.Tr key={b.min_quantity}>
            <Table.Td>{f.number(b.from)}</Table.Td>
            <Table.Td>{f.unitPrice(b.unit_price.amount, b.unit_price.currency)}</Table.Td>
            <Table.Td>
              <LevelBadge level={b.level} />
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
