import { describe, expect, it } from 'vitest';
import { shadesOf, storefrontTheme } from './theme.ts';

describe('a storefront theme', () => {
  it('is built from the storefront primary colour, at the primary shade', () => {
    const theme = storefrontTheme({
      theme: { logo_object_key: null, logo_url: null, colors: { primary: '#8A1C1C' } },
    });
    expect(theme.primaryColor).toBe('brand');
    expect(theme.colors?.brand?.[6]).toBe('#8a1c1c');
  });

  it('has ten shades, lightest first', () => {
    const shades = shadesOf('#0b5fff');
    expect(shades).toHaveLength(10);
    expect(shades[0]).toBe('#ebf2ff');
    expect(shades[9]).toBe('#073da3');
  });

  it('keeps the console look when the storefront has no colours', () => {
    expect(storefrontTheme(null).primaryColor).toBe('indigo');
  });
});
