import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addMoney,
  compareMoney,
  Dec,
  formatAmount,
  formatUnitPrice,
  lineTotal,
  MoneyError,
  minorUnits,
  money,
  parseQuantity,
  parseUnitPrice,
  type RoundingMode,
  roundToMinorUnits,
  subtractMoney,
  sumMoney,
} from './money.ts';

/** n ten-thousandths as a 4-decimal string, built with integer arithmetic only. */
function fromTenThousandths(n: bigint): string {
  const sign = n < 0n ? '-' : '';
  const abs = n < 0n ? -n : n;
  return `${sign}${abs / 10_000n}.${(abs % 10_000n).toString().padStart(4, '0')}`;
}

/** Integer oracle: rounds `n / 10^shift` to an integer with the given mode. */
function roundBig(n: bigint, shift: number, mode: RoundingMode): bigint {
  const div = 10n ** BigInt(shift);
  const q = n / div;
  const r = n % div;
  const twice = 2n * (r < 0n ? -r : r);
  const away = n < 0n ? q - 1n : q + 1n;
  if (twice > div) return away;
  if (twice < div) return q;
  if (mode === 'half-up') return away;
  return q % 2n === 0n ? q : away;
}

function minorString(n: bigint, units: number): string {
  if (units === 0) return n.toString();
  const sign = n < 0n ? '-' : '';
  const abs = n < 0n ? -n : n;
  const div = 10n ** BigInt(units);
  return `${sign}${abs / div}.${(abs % div).toString().padStart(units, '0')}`;
}

describe('money', () => {
  it('adds 0,10 € and 0,20 € to exactly 0,30 € (no floating point)', () => {
    expect(addMoney(money('0.10', 'EUR'), money('0.20', 'EUR'))).toEqual({ amount: '0.30', currency: 'EUR' });
    expect(new Dec('0.1').plus('0.2').eq('0.3')).toBe(true);
    expect(
      sumMoney(
        Array.from({ length: 10 }, () => money('0.1', 'EUR')),
        'EUR',
      ).amount,
    ).toBe('1.00');
    expect(subtractMoney(money('1.00', 'EUR'), money('0.9', 'EUR')).amount).toBe('0.10');
  });

  it('knows the minor units of currencies: 2 for the euro, 0 for the yen, 3 for the Kuwaiti dinar', () => {
    expect(minorUnits('EUR')).toBe(2);
    expect(minorUnits('JPY')).toBe(0);
    expect(minorUnits('KWD')).toBe(3);
    expect(() => minorUnits('XYZ')).toThrow(MoneyError);
    expect(formatAmount(new Dec(70), 'EUR')).toBe('70.00');
    expect(formatAmount(new Dec('1199.5'), 'JPY')).toBe('1200');
    expect(formatAmount(new Dec('1.5'), 'KWD')).toBe('1.500');
  });

  it('shows a unit price with the currency’s decimals and up to 4: 70.00, 8.50, 6.6933', () => {
    expect(formatUnitPrice(new Dec(70), 'EUR')).toBe('70.00');
    expect(formatUnitPrice(new Dec('8.5'), 'EUR')).toBe('8.50');
    expect(formatUnitPrice(new Dec('6.693333'), 'EUR')).toBe('6.6933');
    expect(formatUnitPrice(new Dec('6.69335'), 'EUR')).toBe('6.6934');
    expect(formatUnitPrice(new Dec('1200'), 'JPY')).toBe('1200');
    expect(formatUnitPrice(new Dec('0.125'), 'JPY')).toBe('0.125');
    expect(formatUnitPrice(new Dec(0), 'EUR')).toBe('0.00');
  });

  it('rounds half-up by default and half-even on request', () => {
    expect(roundToMinorUnits(new Dec('0.125'), 'EUR').toFixed(2)).toBe('0.13');
    expect(roundToMinorUnits(new Dec('0.125'), 'EUR', 'half-even').toFixed(2)).toBe('0.12');
    expect(roundToMinorUnits(new Dec('0.135'), 'EUR', 'half-even').toFixed(2)).toBe('0.14');
    expect(roundToMinorUnits(new Dec('-0.125'), 'EUR').toFixed(2)).toBe('-0.13');
  });

  it('computes a line total once, from the exact product: 3 × 8,4915 € = 25,47 €', () => {
    expect(lineTotal(money('8.4915', 'EUR'), 3)).toEqual({ amount: '25.47', currency: 'EUR' });
    expect(lineTotal(money('0.125', 'EUR'), 1)).toEqual({ amount: '0.13', currency: 'EUR' });
    expect(lineTotal(money('0.125', 'EUR'), 1, 'half-even')).toEqual({ amount: '0.12', currency: 'EUR' });
    expect(lineTotal(money('98.5', 'JPY'), 1, 'half-even').amount).toBe('98');
    expect(lineTotal(money('12.3456', 'EUR'), '2.5').amount).toBe('30.86');
  });

  it('refuses what is not a plain decimal, too many decimals, and amounts in two currencies', () => {
    for (const bad of ['1e3', '1,50', ' 1', 'NaN', 'Infinity', '', '.5', '5.']) {
      expect(() => parseUnitPrice(bad)).toThrow(MoneyError);
    }
    expect(() => parseUnitPrice('12.34567')).toThrow(/at most 4/);
    expect(() => parseUnitPrice('-1')).toThrow(/negative/);
    expect(() => parseQuantity(0)).toThrow(/greater than zero/);
    expect(() => parseQuantity(1.5)).toThrow(/whole number/);
    expect(parseQuantity('1.5').toString()).toBe('1.5');
    expect(() => addMoney(money('1', 'EUR'), money('1', 'USD'))).toThrow(/EUR and USD/);
    expect(() => compareMoney(money('1', 'EUR'), money('1', 'USD'))).toThrow(MoneyError);
    expect(compareMoney(money('1.10', 'EUR'), money('1.1', 'EUR'))).toBe(0);
  });

  it('property: a line total is round(unit × quantity) to minor units, in both modes, for EUR, JPY and KWD', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 12n }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom('EUR', 'JPY', 'KWD'),
        fc.constantFrom<RoundingMode>('half-up', 'half-even'),
        (unit, qty, currency, mode) => {
          const units = minorUnits(currency);
          const expected = roundBig(unit * BigInt(qty), 4 - units, mode);
          const total = lineTotal(money(fromTenThousandths(unit), currency), qty, mode);
          expect(total).toEqual({ amount: minorString(expected, units), currency });
        },
      ),
    );
  });

  it('property: sums are exact — the sum of many cent amounts equals the integer sum of the cents', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), { maxLength: 50 }),
        (cents) => {
          const total = sumMoney(
            cents.map((c) => money(minorString(c, 2), 'EUR')),
            'EUR',
          );
          expect(total.amount).toBe(
            minorString(
              cents.reduce((s, c) => s + c, 0n),
              2,
            ),
          );
        },
      ),
    );
  });

  it('property: a unit price rounds to 4 decimals half-up, like the integer oracle', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 14n }), (n) => {
        // n hundred-millionths: 8 decimals rounded to 4
        const s = `${n / 10n ** 8n}.${(n % 10n ** 8n).toString().padStart(8, '0')}`;
        expect(
          new Dec(formatUnitPrice(new Dec(s), 'EUR')).eq(fromTenThousandths(roundBig(n, 4, 'half-up'))),
        ).toBe(true);
      }),
    );
  });
});
