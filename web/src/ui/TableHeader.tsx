import { Table, VisuallyHidden } from '@mantine/core';
import { useTranslation } from 'react-i18next';

/** A column header: its text, or `{ header, hidden }` for one only screen readers need to hear. */
export type HeaderColumn = string | ColumnHeader;
interface ColumnHeader {
  key?: string;
  header: string;
  hidden?: boolean;
}

/**
 * The caption and column headers of a console table, inside Mantine's `<Table>`: the caption names
 * the table for screen readers (hidden unless `visibleCaption`), every header is a `scope="col"`
 * cell, and `actions` adds a last column for the row's buttons whose header ("Actions") only
 * screen readers hear. DataTable uses it; so do the screens that build their own `<Table>`.
 */
export function TableHeader(props: {
  caption: string;
  columns: readonly HeaderColumn[];
  actions?: boolean;
  visibleCaption?: boolean;
}) {
  const { t } = useTranslation();
  const columns: ColumnHeader[] = props.columns.map((c) => (typeof c === 'string' ? { header: c } : c));
  if (props.actions) columns.push({ key: 'actions', header: t('common.actions'), hidden: true });
  return (
    <>
      <Table.Caption>
        {props.visibleCaption ? props.caption : <VisuallyHidden>{props.caption}</VisuallyHidden>}
      </Table.Caption>
      <Table.Thead>
        <Table.Tr>
          {columns.map((c) => (
            <Table.Th key={c.key ?? c.header} scope="col">
              {c.hidden ? <VisuallyHidden>{c.header}</VisuallyHidden> : c.header}
            </Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
    </>
  );
}
