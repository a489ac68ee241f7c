import { describe, expect, it } from 'vitest';
import { formatDateTime, formatMoney, formatNumber } from './format.ts';

describe('formatting by language', () => {
  it('money is formatted from the exact decimal string, in the currency the API gives', () => {
    expect(formatMoney('fr-FR', '1234.5', 'EUR').replace(/\s/g, ' ')).toBe('1 234,50 €');
    expect(formatMoney('en-GB', '1234.5', 'EUR')).toBe('€1,234.50');
    // Beyond a double's precision: no rounding through floating point.
    expect(formatMoney('en-GB', '90071992547409.93', 'USD')).toBe('US$90,071,992,547,409.93');
  });

  it('numbers and dates follow the language', () => {
    expect(formatNumber('fr-FR', 12345.6).replace(/\s/g, ' ')).toBe('12 345,6');
    expect(formatNumber('en-GB', 12345.6)).toBe('12,345.6');
    expect(formatDateTime('en-GB', '2026-11-23T09:30:00.000Z')).toMatch(/23 Nov 2026/);
    expect(formatDateTime('fr-FR', '2026-11-23T09:30:00.000Z')).toMatch(/23 nov\. 2026/);
  });
});
