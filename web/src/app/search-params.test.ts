import { describe, expect, it } from 'vitest';
import { parseSearch, stringifySearch } from './search-params.ts';

describe('URL search values', () => {
  it('writes a price bound as typed and reads it back as the same exact decimal string', () => {
    const url = stringifySearch({ price_min: '10', price_max: '49.9900', sort: 'price' });
    expect(url).toBe('?price_min=10&price_max=49.9900&sort=price');
    expect(parseSearch(url)).toEqual({ price_min: '10', price_max: '49.9900', sort: 'price' });
  });

  it('reads a bound typed by hand as text, and keeps digit-only IDs and tokens as text', () => {
    expect(parseSearch('?price_min=10&token=0123456789&q=2024')).toEqual({
      price_min: '10',
      token: '0123456789',
      q: '2024',
    });
  });

  it('round-trips arrays (attribute filters) and strings that would read as JSON', () => {
    const search = { attr: ['finish:inox', 'voltage:18'], q: 'true', other: '["x"]' };
    const url = stringifySearch(search);
    expect(parseSearch(url)).toEqual(search);
    expect(url).toContain('q=true');
  });
});
