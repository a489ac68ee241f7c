import type { FormErrors } from '@mantine/form';

/**
 * The errors the API gave a list field and its items (`/domains` and `/domains/1` become the form's
 * `domains` and `domains.1`), as one message under the list's input; an item's error names the value
 * that was sent at that position. Undefined when there is none.
 */
export function indexedErrors(
  errors: FormErrors,
  field: string,
  sent: readonly string[],
): string | undefined {
  const messages: string[] = [];
  for (const [key, value] of Object.entries(errors)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === field) messages.push(String(value));
    const item = key.startsWith(`${field}.`) ? Number(key.slice(field.length + 1)) : Number.NaN;
    if (Number.isInteger(item))
      messages.push(sent[item] !== undefined ? `${sent[item]}: ${value}` : String(value));
  }
  return messages.length ? messages.join('; ') : undefined;
}

/** The list with `first` moved to the front (the API's default is the first of the list). */
export function defaultFirst(items: readonly string[], first: string | null): string[] {
  if (!first) return [...items];
  return [first, ...items.filter((i) => i !== first)];
}
