import { type TSchema, Type } from 'typebox';
import { AppError } from './problems.ts';

/**
 * Cursor pagination. A cursor is opaque to clients: base64url of the sort key of the last row
 * returned. Rows are ordered by their time-sortable ID unless a module documents another key.
 */
export const MAX_LIMIT = 200;
export const DEFAULT_LIMIT = 50;

export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_LIMIT,
      default: DEFAULT_LIMIT,
      description: 'Page size (1–200)',
    }),
  ),
  cursor: Type.Optional(
    Type.String({
      maxLength: 512,
      description: 'The `next_cursor` of the previous page',
      pattern: '^[A-Za-z0-9_-]+$',
    }),
  ),
};

export function Page<T extends TSchema>(item: T, name: string) {
  return Type.Object(
    {
      data: Type.Array(item),
      next_cursor: Type.Union([Type.String(), Type.Null()], {
        description: 'Pass as `cursor` to get the next page; null on the last page',
      }),
    },
    { title: `${name} page` },
  );
}

export interface Cursor {
  /** Sort key values of the last row, in sort order (the ID last, as tie-breaker). */
  k: (string | number)[];
}

export function encodeCursor(keys: (string | number)[]): string {
  return Buffer.from(JSON.stringify({ k: keys } satisfies Cursor)).toString('base64url');
}

const invalidCursor = () =>
  new AppError('invalid-cursor', 'The cursor is not one this API returned.', [
    { in: 'query', pointer: '/cursor', detail: 'not a cursor returned by this endpoint' },
  ]);

/** Decodes a cursor holding `arity` keys; anything else is a 400 naming the `cursor` parameter. */
export function decodeCursor(cursor: string | undefined, arity = 1): (string | number)[] | null {
  if (cursor === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  const k = (parsed as Cursor | null)?.k;
  if (
    !Array.isArray(k) ||
    k.length !== arity ||
    !k.every((v) => (typeof v === 'string' && v.length <= 256) || typeof v === 'number')
  ) {
    throw invalidCursor();
  }
  return k;
}

/**
 * Builds a page from `limit + 1` fetched rows: the extra row only tells whether a next page exists.
 */
export function toPage<Row, Out>(
  fetched: Row[],
  limit: number,
  keyOf: (row: Row) => (string | number)[],
  map: (row: Row) => Out,
): { data: Out[]; next_cursor: string | null } {
  const rowsOfPage = fetched.slice(0, limit);
  const last = rowsOfPage[rowsOfPage.length - 1];
  return {
    data: rowsOfPage.map(map),
    next_cursor: fetched.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}
