import { Type } from 'typebox';
import { TypeID, typeid } from 'typeid-js';

/**
 * Prefixed, time-sortable identifiers (TypeID: a prefix and a UUIDv7 in Crockford base32),
 * e.g. `acct_01jd5q6m3xf0k8y2v7r9t4w1zc`. Sorting by ID sorts by creation time, which cursor
 * pagination relies on. Never sequential integers in URLs.
 */
export function newId(prefix: string): string {
  return typeid(prefix).toString();
}

const SUFFIX = '[0-7][0-9a-hjkmnp-tv-z]{25}';

export function idPattern(prefix: string): string {
  return `^${prefix}_${SUFFIX}$`;
}

export function isId(prefix: string, value: string): boolean {
  if (!new RegExp(idPattern(prefix)).test(value)) return false;
  try {
    TypeID.fromString(value, prefix);
    return true;
  } catch {
    return false;
  }
}

/** TypeBox schema for an ID of one resource type; an ID of the wrong type fails validation. */
export function IdSchema(prefix: string, description?: string) {
  return Type.String({
    pattern: idPattern(prefix),
    description: description ?? `Identifier (\`${prefix}_…\`)`,
    examples: [`${prefix}_01jd5q6m3xf0k8y2v7r9t4w1zc`],
  });
}
