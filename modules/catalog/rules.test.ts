import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AttributeDefinition,
  checkAttributeDefinitions,
  checkAttributeValues,
  checkGtin,
  checkQuantity,
  completeness,
  formatPriceUnits,
  gtinCheckDigit,
  type PriceRange,
  parseAcceptLanguage,
  priceRanges,
  priceUnits,
  resolveText,
  roundBoundary,
} from './rules.ts';

describe('GTIN check digits', () => {
  it('accepts real GTIN-8, GTIN-12 (UPC-A), GTIN-13 (EAN) and GTIN-14 codes', () => {
    for (const code of ['96385074', '036000291452', '4006381333931', '3017620422003', '10012345678902'])
      expect(checkGtin(code), code).toEqual({ ok: true });
  });

  it('refuses a wrong check digit, saying which digit was expected, and wrong lengths or letters', () => {
    expect(checkGtin('4006381333932')).toEqual({ ok: false, reason: 'the check digit should be 1, not 2' });
    expect(checkGtin('400638133393').ok).toBe(false);
    expect(checkGtin('40063813339A1').ok).toBe(false);
  });

  it('property: the computed check digit makes a valid code of every length, and any other digit does not', () => {
    const bodies = fc
      .constantFrom(7, 11, 12, 13)
      .chain((len) => fc.stringMatching(new RegExp(`^\\d{${len}}$`)));
    fc.assert(
      fc.property(bodies, fc.integer({ min: 1, max: 9 }), (body, delta) => {
        const check = gtinCheckDigit(body);
        return checkGtin(`${body}${check}`).ok && !checkGtin(`${body}${(check + delta) % 10}`).ok;
      }),
    );
  });

  it('property: changing any single digit of a valid GTIN-13 is detected', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^\d{12}$/),
        fc.nat(12),
        fc.integer({ min: 1, max: 9 }),
        (body, pos, d) => {
          const digits = [...`${body}${gtinCheckDigit(body)}`];
          digits[pos] = String((Number(digits[pos]) + d) % 10);
          return !checkGtin(digits.join('')).ok;
        },
      ),
    );
  });
});

describe('packaging', () => {
  it('a box of 12 with a minimum of 24: 24 and 36 are valid; 30 suggests 24 and 36; 5 suggests 24', () => {
    const p = { minOrderQty: 24, orderMultiple: 12 };
    expect(checkQuantity(24, p).valid).toBe(true);
    expect(checkQuantity(36, p).valid).toBe(true);
    expect(checkQuantity(30, p)).toEqual({
      valid: false,
      reasons: ['must be a multiple of 12'],
      lower: 24,
      higher: 36,
    });
    expect(checkQuantity(5, p)).toMatchObject({ valid: false, lower: null, higher: 24 });
  });

  it('property: valid iff ≥ MOQ and a multiple; the suggestions are valid and the nearest', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 5000 }),
        (moq, mult, q) => {
          const p = { minOrderQty: moq, orderMultiple: mult };
          const c = checkQuantity(q, p);
          const isValid = (n: number) => n >= moq && n % mult === 0;
          if (c.valid !== isValid(q)) return false;
          if (!isValid(c.higher) || c.higher < q) return false;
          for (let n = q; n < c.higher; n++) if (isValid(n)) return false;
          if (c.lower !== null) {
            if (!isValid(c.lower) || c.lower > q) return false;
            for (let n = c.lower + 1; n <= q; n++) if (isValid(n)) return false;
          } else {
            for (let n = 1; n <= q; n++) if (isValid(n)) return false;
          }
          return true;
        },
      ),
    );
  });
});

const defs: AttributeDefinition[] = [
  { code: 'voltage', type: 'number', unit: 'V', label: { fr: 'Tension' }, filterable: true, required: true },
  {
    code: 'chuck',
    type: 'enum',
    label: { fr: 'Mandrin' },
    values: [{ code: 'keyless', label: { fr: 'Auto-serrant' } }],
    filterable: true,
    required: false,
  },
  { code: 'brushless', type: 'boolean', label: { fr: 'Sans charbons' }, filterable: false, required: false },
  { code: 'material', type: 'text', label: { fr: 'Matière' }, filterable: false, required: false },
];

describe('attributes', () => {
  it('checks each value against its type, and refuses unknown attributes', () => {
    expect(
      checkAttributeValues(defs, { voltage: 18, chuck: 'keyless', brushless: true, material: 'acier' }),
    ).toEqual([]);
    expect(
      checkAttributeValues(defs, { voltage: '18', chuck: 'sds', brushless: 'yes', colour: 'red' }),
    ).toEqual([
      { pointer: '/voltage', detail: 'must be a number (in V)' },
      { pointer: '/chuck', detail: 'must be one of "keyless"' },
      { pointer: '/brushless', detail: 'must be true or false' },
      { pointer: '/colour', detail: 'is not an attribute of this product family' },
    ]);
  });

  it('refuses incoherent definitions', () => {
    expect(
      checkAttributeDefinitions([
        { code: 'a', type: 'enum', label: {}, filterable: false, required: false },
        { code: 'a', type: 'text', unit: 'mm', label: {}, filterable: false, required: false },
      ]).map((p) => p.pointer),
    ).toEqual(['/0/values', '/1/code', '/1/unit']);
  });
});

describe('translations', () => {
  it('reads Accept-Language by quality, primary subtags only', () => {
    expect(parseAcceptLanguage('de-CH, en;q=0.8, fr;q=0.9, *;q=0.1')).toEqual(['de', 'fr', 'en']);
    expect(parseAcceptLanguage('en;q=0')).toEqual([]);
    expect(parseAcceptLanguage(undefined)).toEqual([]);
  });

  it('falls back per field: asked language, then the fallback, then any language the text has', () => {
    expect(resolveText({ fr: 'Perceuse', en: 'Drill' }, 'en', 'fr')).toEqual({ text: 'Drill', locale: 'en' });
    expect(resolveText({ fr: 'Perceuse' }, 'en', 'fr')).toEqual({ text: 'Perceuse', locale: 'fr' });
    expect(resolveText({ de: 'Bohrer' }, 'en', 'fr')).toEqual({ text: 'Bohrer', locale: 'de' });
    expect(resolveText({}, 'en', 'fr')).toBeNull();
  });
});

describe('completeness', () => {
  const base = {
    languages: ['fr', 'en'],
    name: { fr: 'Perceuse', en: 'Drill' },
    description: { fr: 'Desc', en: 'Desc' },
    attributes: defs,
    productAttributes: {},
    variants: [{ sku: 'A', attributes: { voltage: 18 } }],
    mediaKinds: ['image'],
    categoriesActive: [true],
  };

  it('a complete product scores 100 with nothing missing', () => {
    expect(completeness(base)).toEqual({ score: 100, missing: [] });
  });

  it('names what is missing: required attribute per SKU, translations, image, active category', () => {
    const c = completeness({
      ...base,
      name: { fr: 'Perceuse' },
      variants: [
        { sku: 'A', attributes: {} },
        { sku: 'B', attributes: { voltage: 12 } },
      ],
      mediaKinds: ['datasheet'],
      categoriesActive: [false],
    });
    expect(c.missing).toEqual([
      { check: 'attribute', attribute: 'voltage', skus: ['A'] },
      { check: 'name', locale: 'en' },
      { check: 'image' },
      { check: 'category' },
    ]);
    expect(c.score).toBe(Math.floor((100 * 4) / 8));
  });

  it('a product-level value fills the attribute for all variants', () => {
    expect(
      completeness({ ...base, productAttributes: { voltage: 18 }, variants: [{ sku: 'A', attributes: {} }] })
        .score,
    ).toBe(100);
  });

  it('property: the score is 100 iff nothing is missing, and never increases when a check fails', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), (img, cat, en, attr) => {
        const c = completeness({
          ...base,
          name: en ? base.name : { fr: 'Perceuse' },
          mediaKinds: img ? ['image'] : [],
          categoriesActive: cat ? [true] : [],
          variants: [{ sku: 'A', attributes: attr ? { voltage: 1 } : {} }],
        });
        return (c.score === 100) === (c.missing.length === 0) && c.score >= 0 && c.score <= 100;
      }),
    );
  });
});

describe('price ranges of the search', () => {
  /** A price as the pricing module gives it: ≥ 0, at most 4 decimals. */
  const price = fc
    .tuple(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 9999 }), fc.boolean())
    .map(([units, tenThousandths, round]) =>
      round ? String(units) : new Decimal(units).plus(new Decimal(tenThousandths).div(10_000)).toFixed(),
    );
  const inRange = (p: string, r: PriceRange) =>
    (r.from === null || new Decimal(p).gte(r.from)) && (r.to === null || new Decimal(p).lt(r.to));
  /** A round figure is its own rounding. */
  const isRound = (b: string) => roundBoundary(priceUnits(b)) === priceUnits(b);

  it('puts every price in exactly one of at most six non-empty, ascending ranges with round boundaries', () => {
    fc.assert(
      fc.property(fc.array(price, { minLength: 1, maxLength: 300 }), (prices) => {
        const ranges = priceRanges(prices);
        expect(ranges.length).toBeGreaterThanOrEqual(1);
        expect(ranges.length).toBeLessThanOrEqual(6);
        expect(ranges[0]!.from).toBeNull();
        expect(ranges.at(-1)!.to).toBeNull();
        for (const [i, r] of ranges.entries()) {
          expect(r.count).toBeGreaterThan(0);
          if (i > 0) expect(r.from).toBe(ranges[i - 1]!.to);
          if (r.from !== null && r.to !== null) expect(new Decimal(r.from).lt(r.to)).toBe(true);
          if (r.to !== null) expect(isRound(r.to)).toBe(true);
        }
        for (const p of prices) expect(ranges.filter((r) => inRange(p, r))).toHaveLength(1);
        for (const r of ranges) expect(prices.filter((p) => inRange(p, r))).toHaveLength(r.count);
        // Prices that differ are in two ranges at least whenever a round figure separates them.
        const units = prices.map(priceUnits);
        const [lo, hi] = [units.reduce((a, b) => (b < a ? b : a)), units.reduce((a, b) => (b > a ? b : a))];
        if (hi > lo && roundBoundary(hi) > lo) expect(ranges.length).toBeGreaterThan(1);
      }),
      { numRuns: 300 },
    );
  });

  it('cuts at round figures a buyer reads at a glance, near the quantiles', () => {
    const prices = ['3.5', '7', '12', '15', '18', '25', '40', '55', '80', '120', '300', '812'];
    expect(priceRanges(prices)).toEqual([
      { from: null, to: '10', count: 2 },
      { from: '10', to: '25', count: 3 },
      { from: '25', to: '50', count: 2 },
      { from: '50', to: '250', count: 3 },
      { from: '250', to: null, count: 2 },
    ]);
    for (const r of priceRanges(prices)) if (r.to !== null) expect(isRound(r.to)).toBe(true);
    expect(priceRanges(['5', '5.00', '5'])).toEqual([{ from: null, to: null, count: 3 }]);
    expect(priceRanges([])).toEqual([]);
    // One outlier still gets its own range; between 1.10 and 1.90 no round figure fits: one range.
    expect(priceRanges([...Array(9).fill('1'), '1000'])).toEqual([
      { from: null, to: '1000', count: 9 },
      { from: '1000', to: null, count: 1 },
    ]);
    expect(priceRanges(['1.10', '1.90'])).toEqual([{ from: null, to: null, count: 2 }]);
  });

  it('rounds a boundary down to 1, 2, 2.5 or 5 times a power of ten', () => {
    const cases: [string, string][] = [
      ['0.0003', '0.0002'],
      ['0.0004', '0.0002'],
      ['0.0001', '0.0001'],
      ['0.999', '0.5'],
      ['1', '1'],
      ['9.99', '5'],
      ['24.99', '20'],
      ['25', '25'],
      ['99.9999', '50'],
      ['100', '100'],
      ['312.5', '250'],
      ['999999999999.9999', '500000000000'],
    ];
    for (const [v, want] of cases) expect(formatPriceUnits(roundBoundary(priceUnits(v)))).toBe(want);
    fc.assert(
      fc.property(
        price.filter((p) => new Decimal(p).gt(0)),
        (p) => {
          const b = roundBoundary(priceUnits(p));
          expect(b <= priceUnits(p)).toBe(true);
          // Never less than 40 % of the price (2 → 5 ten-thousandths is the widest step).
          expect(b * 5n > priceUnits(p) * 2n).toBe(true);
          expect(isRound(formatPriceUnits(b))).toBe(true);
          // A valid price bound of the search: at most 4 decimals.
          expect(formatPriceUnits(b)).toMatch(/^\d+(\.\d{1,4})?$/);
        },
      ),
    );
  });
});
