import { Alert, Button, Group, Select, Table, Text } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type ReactNode, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/problem.ts';
import { EmptyState } from './EmptyState.tsx';
import { TableHeader } from './TableHeader.tsx';

/** One page of an API list (docs/api.md "Lists"). */
export interface Page<Row> {
  data: Row[];
  next_cursor: string | null;
}

export interface Column<Row> {
  key: string;
  header: string;
  render: (row: Row) => ReactNode;
}

export interface PageRequest<Filters, Sort extends string> {
  cursor: string | undefined;
  limit: number;
  filters: Filters;
  sort: Sort | undefined;
}

const PAGE_SIZES = ['20', '50', '100', '200'];

/**
 * A table over a cursor-paginated API list: the server filters, sorts and pages; the table keeps
 * the cursors of the pages already seen, so "previous" goes back without an offset. Changing a
 * filter, the sort or the page size starts again from the first page. The filters are controlled
 * by the screen (usually a form above the table); `sortOptions` only for endpoints that sort.
 */
export function DataTable<Row, Filters, Sort extends string = never>(props: {
  /** Identifies the list in the query cache, e.g. ['audit-events']. */
  queryKey: readonly unknown[];
  fetchPage: (req: PageRequest<Filters, Sort>) => Promise<Page<Row>>;
  filters: Filters;
  columns: Column<Row>[];
  rowKey: (row: Row) => string;
  caption: string;
  emptyTitle: string;
  emptyDescription?: string;
  sortOptions?: { value: Sort; label: string }[];
  defaultLimit?: number;
}) {
  const { t } = useTranslation();
  const [limit, setLimit] = useState(props.defaultLimit ?? 50);
  const [sort, setSort] = useState<Sort | undefined>(props.sortOptions?.[0]?.value);
  // cursors[i] is the cursor of page i (undefined for the first page).
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const filtersKey = JSON.stringify(props.filters);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new filter, sort or size restarts from page 1
  useEffect(() => setCursors([undefined]), [filtersKey, sort, limit]);
  const page = cursors.length - 1;
  const cursor = cursors[page];

  const query = useQuery({
    queryKey: [...props.queryKey, filtersKey, sort, limit, cursor],
    queryFn: () => props.fetchPage({ cursor, limit, filters: props.filters, sort }),
    placeholderData: keepPreviousData,
  });
  const rows = query.data?.data ?? [];
  const next = query.data?.next_cursor ?? null;

  return (
    <div>
      {props.sortOptions?.length ? (
        <Group justify="flex-end" mb="xs">
          <Select
            label={t('table.sort')}
            data={props.sortOptions}
            value={sort ?? null}
            onChange={(v) => setSort((v ?? undefined) as Sort | undefined)}
            allowDeselect={false}
            w={220}
          />
        </Group>
      ) : null}
      {query.error ? (
        <Alert color="red" role="alert" mb="sm">
          {query.error instanceof ApiError ? query.error.message : t('common.unexpected_error')}
        </Alert>
      ) : null}
      <Table.ScrollContainer minWidth={640}>
        <Table striped highlightOnHover aria-busy={query.isFetching} data-testid="data-table">
          <TableHeader caption={props.caption} columns={props.columns} />
          <Table.Tbody>
            {rows.map((row) => (
              <Table.Tr key={props.rowKey(row)}>
                {props.columns.map((c) => (
                  <Table.Td key={c.key}>{c.render(row)}</Table.Td>
                ))}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {!query.isPending && !rows.length && !query.error ? (
        <EmptyState
          title={props.emptyTitle}
          {...(props.emptyDescription ? { description: props.emptyDescription } : {})}
        />
      ) : null}
      <Group justify="space-between" mt="sm">
        <Text size="sm" c="dimmed" aria-live="polite">
          {t('table.page', { page: page + 1 })}
        </Text>
        <Group gap="xs">
          <Select
            aria-label={t('table.page_size')}
            data={PAGE_SIZES}
            value={String(limit)}
            onChange={(v) => setLimit(Number(v ?? 50))}
            allowDeselect={false}
            w={90}
          />
          <Button variant="default" disabled={page === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
            {t('table.previous')}
          </Button>
          <Button
            variant="default"
            disabled={!next || query.isFetching}
            onClick={() => next && setCursors((c) => [...c, next])}
          >
            {t('table.next')}
          </Button>
        </Group>
      </Group>
    </div>
  );
}
