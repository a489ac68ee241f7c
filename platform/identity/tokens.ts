import { createHash, randomBytes } from 'node:crypto';

/**
 * Bearer secrets. A recognisable prefix lets secret scanners (GitHub, GitGuardian, secretlint)
 * spot a leaked token: `cpt_` for tenant API tokens, `cpo_` for platform-operator tokens.
 * 32 random bytes make the secret unguessable, so a plain SHA-256 is enough to store it
 * (a slow password hash protects low-entropy secrets; this one is not).
 */
export const API_TOKEN_PREFIX = 'cpt_';
export const OPERATOR_TOKEN_PREFIX = 'cpo_';

export function generateSecret(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A bearer value that could be one of ours: prefix and 43 base64url characters. */
export function looksLikeSecret(prefix: string, value: string): boolean {
  return value.startsWith(prefix) && /^[A-Za-z0-9_-]{43}$/.test(value.slice(prefix.length));
}
