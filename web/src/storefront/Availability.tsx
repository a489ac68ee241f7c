import { Badge, Group, Skeleton, Text } from '@mantine/core';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { call, client } from '../api/client.ts';
import type { components } from '../api/schema';
import { useFormat } from '../i18n/format.ts';

/**
 * A product's availability as the buyer may see it (GET /api/v1/catalog/products/{id}/availability):
 * a status badge per variant, and for the quantity the buyer types, what can be had now and when the
 * rest comes. Quantities appear only when the merchant shows them (the API leaves them out otherwise).
 */

export type ProductAvailability = components['schemas']['ProductAvailability'];
export type VariantAvailability = ProductAvailability['variants'][number];
export type AvailabilityStatus = VariantAvailability['status'];

export function availabilityQuery(productId: string, quantity?: string) {
  return queryOptions({
    queryKey: ['catalog', 'availability', productId, quantity ?? null],
    queryFn: () =>
      call(
        client.GET('/api/v1/catalog/products/{product_id}/availability', {
          params: { path: { product_id: productId }, query: quantity ? { quantity } : {} },
        }),
      ),
    staleTime: 60_000,
  });
}

/** Dot badges (dark text, a coloured dot): WCAG AA contrast whatever the storefront's theme. */
export const STATUS_COLOR: Record<AvailabilityStatus, string> = {
  in_stock: 'green',
  low_stock: 'orange',
  out_of_stock: 'red',
  on_order: 'blue',
  on_request: 'gray',
};

export function AvailabilityBadge({ status }: { status: AvailabilityStatus }) {
  const { t } = useTranslation();
  return (
    <Badge
      color={STATUS_COLOR[status]}
      variant="dot"
      miw="max-content"
      data-testid="availability-badge"
      data-status={status}
    >
      {t(`storefront.availability.status.${status}`)}
    </Badge>
  );
}

/** The sentence under the badge: quantity, next delivery, lead time. */
export function useAvailabilityText() {
  const { t } = useTranslation();
  const f = useFormat();
  const qty = (s: string) => f.number(Number(s), { maximumFractionDigits: 4 });
  const when = (date: string | null, days: number | null) =>
    date
      ? t('storefront.availability.when.date', { date: f.date(`${date}T12:00:00Z`) })
      : days !== null
        ? t('storefront.availability.when.days', { count: days })
        : t('storefront.availability.when.unknown');
  return {
    when,
    summary(a: VariantAvailability): string | null {
      if (a.status === 'on_request') return t('storefront.availability.on_request');
      if (a.status === 'in_stock' || a.status === 'low_stock')
        return a.available_quantity !== null
          ? t('storefront.availability.available_n', { n: qty(a.available_quantity) })
          : null;
      if (a.restock_date)
        return a.restock_quantity !== null
          ? t('storefront.availability.restock_n', {
              n: qty(a.restock_quantity),
              when: when(a.restock_date, null),
            })
          : t('storefront.availability.restock', { when: when(a.restock_date, null) });
      return a.lead_time_days !== null
        ? t('storefront.availability.restock', { when: when(null, a.lead_time_days) })
        : null;
    },
    request(r: NonNullable<VariantAvailability['request']>): string {
      const rest = when(r.rest_date, r.rest_lead_time_days);
      if (r.fulfilment === 'full') return t('storefront.availability.request.full');
      if (r.fulfilment === 'none') return t('storefront.availability.request.none', { when: rest });
      return r.available_now !== null && r.backordered !== null
        ? t('storefront.availability.request.partial_n', {
            now: qty(r.available_now),
            rest: qty(r.backordered),
            when: rest,
          })
        : t('storefront.availability.request.partial', { when: rest });
    },
  };
}

/** The chosen variant's availability for the quantity in the price card. */
export function VariantAvailabilityLine(props: { productId: string; variantId: string; quantity: string }) {
  const { t } = useTranslation();
  const text = useAvailabilityText();
  const q = useQuery(availabilityQuery(props.productId, props.quantity));
  if (q.isPending) return <Skeleton height={24} width={200} aria-label={t('common.loading')} />;
  const a = q.data?.variants.find((v) => v.variant_id === props.variantId);
  if (!a) return null;
  const summary = text.summary(a);
  return (
    <div data-testid="availability">
      <Group gap="xs" wrap="wrap">
        <Text fw={500} size="sm">
          {t('storefront.availability.title')}
        </Text>
        <AvailabilityBadge status={a.status} />
        {summary ? (
          <Text size="sm" data-testid="availability-summary">
            {summary}
          </Text>
        ) : null}
      </Group>
      {a.request && a.status !== 'on_request' ? (
        <Text size="sm" mt={4} data-testid="availability-request">
          {text.request(a.request)}
        </Text>
      ) : null}
    </div>
  );
}

/** Each variant's badge, for the variants table. */
export function useVariantStatuses(productId: string): Map<string, VariantAvailability> {
  const q = useQuery(availabilityQuery(productId));
  return new Map((q.data?.variants ?? []).map((v) => [v.variant_id, v]));
}
