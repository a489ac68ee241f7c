import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPassword, commonPasswords, PASSWORD_MAX_LENGTH } from './password-policy.ts';

const ctx = {
  minLength: 12,
  email: 'claire.martin@acme-industrie.example',
  tenantName: 'Acme Industrie',
  tenantSlug: 'acme',
};

describe('password policy', () => {
  it('ships a list of about 10 000 common passwords', () => {
    expect(commonPasswords().size).toBeGreaterThan(9_000);
    expect(commonPasswords().has('123456')).toBe(true);
  });

  it('accepts a long passphrase with no composition rules', () => {
    expect(checkPassword('correct horse battery staple', ctx)).toBeNull();
    expect(checkPassword('toutes les lettres minuscules', ctx)).toBeNull();
  });

  it("enforces the tenant's minimum and the maximum, counting characters not bytes", () => {
    expect(checkPassword('short phrase', { ...ctx, minLength: 13 })).toBe(
      'must be at least 13 characters long',
    );
    // 12 accented letters: 24 bytes in UTF-8, 12 characters.
    expect(checkPassword('éàüöçèêîôûëï', ctx)).toBeNull();
    expect(checkPassword('éàüöçèêîôûëï', { ...ctx, minLength: 13 })).toMatch(/at least 13/);
    expect(checkPassword('x'.repeat(PASSWORD_MAX_LENGTH + 1), ctx)).toMatch(/at most 256/);
  });

  it('refuses common passwords, case-insensitively, and with digits or symbols appended', () => {
    expect(checkPassword('qazwsxedcrfv', ctx)).toMatch(/too common/);
    expect(checkPassword('QAZWSXEDCRFV', ctx)).toMatch(/too common/);
    expect(checkPassword('password1234!', ctx)).toMatch(/too common/);
    expect(checkPassword('aaaaaaaaaaaaaa', ctx)).not.toBeNull();
  });

  it("refuses the e-mail's local part and the tenant's name", () => {
    expect(checkPassword('claire.martin-2026!', ctx)).toBe('must not contain your e-mail address');
    expect(checkPassword('i work at Acme Industrie', ctx)).toBe("must not contain the company's name");
    expect(checkPassword('acmeacme-secure-phrase', ctx)).toBe("must not contain the company's name");
  });

  it('property: any password shorter than the minimum is refused, whatever it contains', () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 128 }), fc.string({ maxLength: 127 }), (min, pw) => {
        fc.pre([...pw].length < min);
        expect(checkPassword(pw, { ...ctx, minLength: min })).toMatch(/at least/);
      }),
    );
  });

  it('property: a password containing the e-mail local part is never accepted', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (before, after) => {
        expect(checkPassword(`${before}claire.martin${after}`, { ...ctx, minLength: 8 })).not.toBeNull();
      }),
    );
  });

  it('property: the verdict is a pure function (same input, same answer) and never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (pw) => {
        expect(checkPassword(pw, ctx)).toBe(checkPassword(pw, ctx));
      }),
    );
  });
});
