import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkVatNumber,
  frenchVatKey,
  frenchVatNumber,
  isValidSiren,
  isValidSiret,
  luhnValid,
  normalizeVatNumber,
} from './rules.ts';

describe('company identifiers', () => {
  it('accepts real SIREN and SIRET numbers', () => {
    expect(isValidSiren('732829320')).toBe(true);
    expect(isValidSiret('73282932000074')).toBe(true);
  });

  it('refuses a SIRET with a wrong digit, the wrong length or letters', () => {
    expect(isValidSiret('73282932000075')).toBe(false);
    expect(isValidSiret('7328293200007')).toBe(false);
    expect(isValidSiret('7328293200007A')).toBe(false);
  });

  it("accepts La Poste's establishments, which follow INSEE's digit-sum rule instead of Luhn", () => {
    expect(isValidSiret('35600000049837')).toBe(true);
    expect(isValidSiret('35600000049838')).toBe(false);
  });

  it('computes the French VAT key from the SIREN', () => {
    expect(frenchVatKey('732829320')).toBe('44');
    expect(frenchVatNumber('732829320')).toBe('FR44732829320');
    expect(checkVatNumber('FR44732829320')).toEqual({ ok: true });
    expect(checkVatNumber('FR45732829320')).toMatchObject({
      ok: false,
      reason: 'the key does not match the SIREN',
    });
  });

  it('normalises VAT numbers as people type them', () => {
    expect(normalizeVatNumber('fr 44 732.829.320')).toBe('FR44732829320');
  });

  it('checks the form of other EU VAT numbers', () => {
    expect(checkVatNumber('DE129273398')).toEqual({ ok: true });
    expect(checkVatNumber('129273398').ok).toBe(false);
  });

  it('property: changing any single digit of a valid Luhn number makes it invalid', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{8}$/),
        fc.nat(8),
        fc.integer({ min: 1, max: 9 }),
        (base, pos, delta) => {
          const check = [...'0123456789'].find((d) => luhnValid(base + d))!;
          const valid = base + check;
          const digits = [...valid];
          digits[pos] = String((Number(digits[pos]) + delta) % 10);
          return luhnValid(valid) && !luhnValid(digits.join(''));
        },
      ),
    );
  });

  it('property: every SIREN yields a French VAT number that passes the key check', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{9}$/),
        (siren) => checkVatNumber(frenchVatNumber(siren)).ok === true,
      ),
    );
  });
});
