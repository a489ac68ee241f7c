import { describe, expect, it } from 'vitest';
import { defaultFirst, indexedErrors } from './StorefrontFields.tsx';

describe('the storefront editor’s lists', () => {
  it('shows the API’s errors on a list and its items under the list, each item named by the value sent', () => {
    const errors = {
      domains: 'lists shop.example.com twice',
      'domains.1': 'is not a host name such as shop.example.com',
      name: 'is required',
    };
    expect(indexedErrors(errors, 'domains', ['shop.example.com', 'localhost'])).toBe(
      'lists shop.example.com twice; localhost: is not a host name such as shop.example.com',
    );
    expect(indexedErrors(errors, 'currencies', ['EUR'])).toBeUndefined();
    // `domainsX` is another field, not an item of `domains`.
    expect(indexedErrors({ 'domains.x': 'odd', domainsX: 'other' }, 'domains', [])).toBeUndefined();
  });

  it('puts the chosen default first, as the API reads it', () => {
    expect(defaultFirst(['fr', 'en', 'de'], 'en')).toEqual(['en', 'fr', 'de']);
    expect(defaultFirst(['fr', 'en'], 'fr')).toEqual(['fr', 'en']);
    expect(defaultFirst(['fr'], null)).toEqual(['fr']);
    expect(defaultFirst([], 'EUR')).toEqual(['EUR']);
  });
});
