import { Alert, Card, SimpleGrid, Skeleton, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { call, client } from '../api/client.ts';
import { ApiError } from '../api/problem.ts';
import { useFormat } from '../i18n/format.ts';

function Figure(props: { label: string; value: string; testId: string }) {
  return (
    <Card withBorder padding="md">
      <Text size="sm" c="dimmed">
        {props.label}
      </Text>
      <Text size="xl" fw={700} data-testid={props.testId}>
        {props.value}
      </Text>
    </Card>
  );
}

/** The console's home: catalogue health (GET /api/v1/catalog/health). */
export function ConsoleHome() {
  const { t } = useTranslation();
  const f = useFormat();
  const health = useQuery({
    queryKey: ['catalog-health'],
    queryFn: () => call(client.GET('/api/v1/catalog/health')),
  });
  const h = health.data;
  return (
    <Stack>
      <Title order={2}>{t('console.home.title')}</Title>
      <Title order={3} size="h4">
        {t('console.home.catalog_health')}
      </Title>
      {health.error ? (
        <Alert color="red" role="alert">
          {health.error instanceof ApiError ? health.error.message : t('common.unexpected_error')}
        </Alert>
      ) : null}
      {!h ? (
        health.isPending ? (
          <Skeleton h={90} />
        ) : null
      ) : (
        <>
          <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} data-testid="catalog-health">
            <Figure
              testId="health-products"
              label={t('console.home.products')}
              value={f.number(h.products)}
            />
            <Figure
              testId="health-incomplete"
              label={t('console.home.incomplete')}
              value={f.number(h.incomplete_products)}
            />
            <Figure
              testId="health-completeness"
              label={t('console.home.completeness')}
              value={f.percent(h.average_completeness / 100)}
            />
            <Figure
              testId="health-no-image"
              label={t('console.home.without_image')}
              value={f.number(h.products_without_image)}
            />
            <Figure
              testId="health-no-category"
              label={t('console.home.without_category')}
              value={f.number(h.products_without_active_category)}
            />
            <Figure
              testId="health-missing-attributes"
              label={t('console.home.missing_attributes')}
              value={f.number(h.products_missing_required_attributes)}
            />
            <Figure
              testId="health-categories"
              label={t('console.home.categories')}
              value={`${f.number(h.categories.total)} (${t('console.home.inactive', { n: f.number(h.categories.inactive) })})`}
            />
            <Figure
              testId="health-status"
              label={t('console.home.by_status')}
              value={`${f.number(h.by_status.active)} / ${f.number(h.by_status.draft)} / ${f.number(h.by_status.discontinued)}`}
            />
          </SimpleGrid>
          <Card withBorder>
            <Title order={4} size="h5" mb="xs">
              {t('console.home.missing_translations')}
            </Title>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">{t('console.home.language')}</Table.Th>
                  <Table.Th scope="col">{t('console.home.products')}</Table.Th>
                  <Table.Th scope="col">{t('console.home.names')}</Table.Th>
                  <Table.Th scope="col">{t('console.home.descriptions')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {h.missing_translations.map((m) => (
                  <Table.Tr key={m.locale}>
                    <Table.Td>{m.locale}</Table.Td>
                    <Table.Td>{f.number(m.products)}</Table.Td>
                    <Table.Td>{f.number(m.names)}</Table.Td>
                    <Table.Td>{f.number(m.descriptions)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Card>
        </>
      )}
    </Stack>
  );
}
