import { stringifySearchWith } from '@tanstack/react-router';

/**
 * How the web app writes and reads URL search values. The router's default turns a value that looks
 * like a number or JSON into one, so a decimal string such as a price bound was written quoted
 * (`?price_min=%2210%22`) to come back as a string, and a typed `?price_min=10` came back as a
 * number. Here only arrays, objects and quoted strings are JSON; anything else — decimals, IDs,
 * tokens, words — is the text as written, both ways.
 */
const JSON_VALUE = /^["[{]/;

/** A search value's JSON meaning; throws for plain text (which is then kept as it is). */
export function parseSearchValue(value: string): unknown {
  if (!JSON_VALUE.test(value)) throw new SyntaxError('plain text');
  return JSON.parse(value);
}

/** The URL's search string as the routes' `validateSearch` receive it (a repeated key: an array). */
export function parseSearch(search: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, text] of new URLSearchParams(search.startsWith('?') ? search.slice(1) : search)) {
    let value: unknown = text;
    try {
      value = parseSearchValue(text);
    } catch {}
    const previous = out[key];
    out[key] = previous === undefined ? value : ([] as unknown[]).concat(previous, value);
  }
  return out;
}

export const stringifySearch = stringifySearchWith(JSON.stringify, parseSearchValue);
