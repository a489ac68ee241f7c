/**
 * Identification rules for French and EU companies — pure functions, tested directly.
 */

/** Luhn check used by SIREN (9 digits) and SIRET (14 digits). */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** La Poste's establishments share SIREN 356000000 and do not follow Luhn (INSEE rule: digit sum % 5). */
const LA_POSTE_SIREN = '356000000';

export function isValidSiren(siren: string): boolean {
  return /^\d{9}$/.test(siren) && luhnValid(siren);
}

export function isValidSiret(siret: string): boolean {
  if (!/^\d{14}$/.test(siret)) return false;
  if (siret.startsWith(LA_POSTE_SIREN)) {
    const sum = [...siret].reduce((s, c) => s + Number(c), 0);
    return sum % 5 === 0;
  }
  return luhnValid(siret);
}

/** The two-digit key of a French VAT number: (12 + 3 × (SIREN mod 97)) mod 97. */
export function frenchVatKey(siren: string): string {
  const key = (12 + 3 * (Number(siren) % 97)) % 97;
  return key.toString().padStart(2, '0');
}

export function frenchVatNumber(siren: string): string {
  return `FR${frenchVatKey(siren)}${siren}`;
}

/** Normalises a VAT number as printed (spaces, dots, dashes, lower case) to its compact form. */
export function normalizeVatNumber(raw: string): string {
  return raw.replace(/[\s.-]/g, '').toUpperCase();
}

export type VatCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks the form of an EU VAT number (country prefix and, for France, the key against the SIREN).
 * Whether the number is registered is a VIES look-up, done by the tax module, not here.
 */
export function checkVatNumber(vat: string): VatCheck {
  if (!/^[A-Z]{2}[0-9A-Z+*]{2,13}$/.test(vat))
    return { ok: false, reason: 'must be a country code followed by 2–13 characters' };
  if (vat.startsWith('FR')) {
    const m = /^FR([0-9A-Z]{2})(\d{9})$/.exec(vat);
    if (!m)
      return { ok: false, reason: 'a French VAT number is FR, a 2-character key and the 9-digit SIREN' };
    if (/^\d{2}$/.test(m[1]!) && m[1] !== frenchVatKey(m[2]!)) {
      return { ok: false, reason: 'the key does not match the SIREN' };
    }
  }
  return { ok: true };
}
