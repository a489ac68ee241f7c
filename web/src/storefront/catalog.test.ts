import { describe, expect, it } from 'vitest';
import { formatUnitPrice } from '../i18n/format.ts';
import { breakRows, catalogSearch, compareDecimal, indexTree, pick, priceBound } from './catalog.ts';

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

  it('compares decimal strings exactly, whatever their zeros', () => {
    expect(compareDecimal('10', '10.00')).toBe(0);
    expect(compareDecimal('9.99', '10')).toBeLessThan(0);
    expect(compareDecimal('100', '99.9999')).toBeGreaterThan(0);
    expect(compareDecimal('0.1', '0.0999')).toBeGreaterThan(0);
    expect(compareDecimal('007.5', '7.50')).toBe(0);
    expect(compareDecimal('123456789012.0001', '123456789012')).toBeGreaterThan(0);
  });

  it('keeps a price range of the URL only when the API would take it', () => {
    expect(priceBound('10')).toBe('10');
    expect(priceBound('2.5')).toBe('2.5');
    expect(priceBound(10)).toBe('10'); // typed by hand: the router JSON-parses it
    expect(priceBound(0.25)).toBe('0.25');
    for (const bad of ['-1', '1.23456', 'abc', '', 1e21, -3, Number.NaN, null, ['10']])
      expect(priceBound(bad), String(bad)).toBeUndefined();
    expect(catalogSearch({ price_min: '10', price_max: '50', sort: 'price' })).toMatchObject({
      price_min: '10',
      price_max: '50',
      sort: 'price',
    });
    expect(catalogSearch({ sort: '-price' }).sort).toBe('-price');
    // An empty range is not sent (the API refuses min >= max): the lower bound stays.
    expect(catalogSearch({ price_min: '50', price_max: '50.00' })).toMatchObject({
      price_min: '50',
      price_max: undefined,
    });
    expect(catalogSearch({ price_max: '10' })).toMatchObject({ price_min: undefined, price_max: '10' });
  });
});
