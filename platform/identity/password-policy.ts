import { readFileSync } from 'node:fs';

/**
 * Password rules (NIST SP 800-63B): a minimum length set by the tenant, a generous maximum, no
 * composition rules, and refusal of passwords that are common or built from the user's own e-mail or
 * the tenant's name. Pure: the caller passes the tenant's minimum and the words to avoid.
 */
export const PASSWORD_MAX_LENGTH = 256;
export const DEFAULT_MIN_LENGTH = 12;

let common: Set<string> | null = null;

/** The shipped list of ~10 000 common passwords (data/common-passwords.txt), lower-cased. */
export function commonPasswords(): ReadonlySet<string> {
  if (!common) {
    const text = readFileSync(new URL('./data/common-passwords.txt', import.meta.url), 'utf8');
    common = new Set(
      text
        .split('\n')
        .filter((l) => l && !l.startsWith('# '))
        .map((l) => l.trim().toLowerCase()),
    );
  }
  return common;
}

export interface PasswordContext {
  minLength: number;
  email?: string | null;
  tenantName?: string | null;
  tenantSlug?: string | null;
}

/** Why a password is refused, in words for the user (no composition rules, ever). */
export type PasswordProblem = string;

/** Length in code points, so that one emoji or accented letter counts as one character. */
function length(s: string): number {
  return [...s].length;
}

const fold = (s: string) => s.normalize('NFKC').toLowerCase();

/** Returns null when the password is acceptable, else the reason it is not. */
export function checkPassword(password: string, ctx: PasswordContext): PasswordProblem | null {
  const n = length(password);
  if (n < ctx.minLength) return `must be at least ${ctx.minLength} characters long`;
  if (n > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters long`;
  const folded = fold(password);
  // A common password with digits or symbols added at the end ("password1234!") is still common.
  const stem = folded.replace(/[\d\W_]+$/u, '');
  if (
    commonPasswords().has(folded) ||
    commonPasswords().has(folded.trim()) ||
    (stem.length >= 4 && commonPasswords().has(stem))
  )
    return 'is too common (it appears in lists of leaked passwords)';
  // A long run of one character ("aaaaaaaaaaaa") is as weak as a common password.
  if (new Set(folded).size < 3) return 'is too repetitive';
  const local = ctx.email ? fold(ctx.email.split('@')[0] ?? '') : '';
  if (local.length >= 3 && folded.includes(local)) return 'must not contain your e-mail address';
  for (const word of [ctx.tenantName, ctx.tenantSlug]) {
    const w = word ? fold(word).replace(/\s+/g, '') : '';
    if (w.length >= 3 && folded.replace(/\s+/g, '').includes(w)) return "must not contain the company's name";
  }
  return null;
}
