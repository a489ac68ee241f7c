import { describe, expect, it } from 'vitest';
import { formatUnitPrice } from '../i18n/format.ts';
import { breakRows, indexTree, pick } from './catalog.ts';

describe('storefront helpers', () => {
  it('shows the break in force at the minimum order quantity from that minimum, then the higher ones', () => {
    const b = (min_quantity: string) => ({ min_quantity });
    expect(breakRows([b('1'), b('10'), b('50')], 12).map((r) => [r.min_quantity, r.from])).toEqual([
      ['10', 12],
      ['50', 50],
    ]);
    expect(breakRows([b('1'), b('10')], 1).map((r) => r.from)).toEqual([1, 10]);
    expect(breakRows([b('1'), b('12')], 12).map((r) => r.from)).toEqual([12]);
    expect(breakRows([], 5)).toEqual([]);
  });

  it('reads a translated text in the reader’s language, else another', () => {
    expect(pick({ fr: 'Gants', en: 'Gloves' }, 'en')).toBe('Gloves');
    expect(pick({ fr: 'Gants' }, 'en')).toBe('Gants');
    expect(pick(null, 'fr')).toBe('');
  });

  it('formats a unit price with up to 4 decimals, from the exact string', () => {
    expect(formatUnitPrice('fr-FR', '8.4915', 'EUR').replace(/\s/g, ' ')).toBe('8,4915 €');
    expect(formatUnitPrice('en-GB', '12.5', 'EUR')).toBe('€12.50');
    expect(formatUnitPrice('en-GB', '1500', 'JPY')).toBe('JP¥1,500');
  });

  it('indexes the category tree with each node’s ancestors', () => {
    const node = (id: string, children: never[] = []) =>
      ({ id, children }) as unknown as Parameters<typeof indexTree>[0][number];
    const tree = [{ ...node('a'), children: [node('b')] }] as Parameters<typeof indexTree>[0];
    expect(
      indexTree(tree)
        .get('b')
        ?.path.map((n) => n.id),
    ).toEqual(['a']);
  });
});
