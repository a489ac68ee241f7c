import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.ts';
import { ConfigError } from '../config/config.ts';

/**
 * Encryption of the secrets tenants hand us (a SIEM bucket's secret key, later SMTP passwords, webhook
 * signing secrets): stored in the database only sealed, opened in memory when needed.
 *
 * The interface is what services use; the local implementation below keeps one master key on disk
 * (SECRETS_KEY_FILE). A later implementation can keep per-tenant keys under the customer's KMS without
 * changing any caller: `seal` and `open` are asynchronous for that reason.
 */
export interface SecretBox {
  /** Encrypts `plaintext` for one tenant and one purpose; the result is safe to store. */
  seal(tenantId: string, purpose: string, plaintext: string): Promise<string>;
  /**
   * Decrypts what `seal` returned for the same tenant and purpose. Anything else — another tenant's
   * or another purpose's secret, a modified or truncated value, an unknown key — throws SecretError.
   */
  open(tenantId: string, purpose: string, sealed: string): Promise<string>;
}

export class SecretError extends Error {
  override name = 'SecretError';
}

export const SECRET_KEY_BYTES = 32;
const NONCE_BYTES = 12; // 96 bits, the size GCM is specified for
const TAG_BYTES = 16;
const VERSION = 'v1';
const PURPOSE = /^[a-z0-9_.:-]{1,100}$/;
const SEALED = /^v1\.([0-9a-f]{16})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/;

/** A master key and its ID (16 hex characters derived from the key, never the key itself). */
export interface SecretKey {
  id: string;
  key: Buffer;
}

export function secretKeyOf(key: Buffer): SecretKey {
  if (key.length !== SECRET_KEY_BYTES) throw new SecretError(`a secrets key has ${SECRET_KEY_BYTES} bytes`);
  const id = createHash('sha256').update('comptoir secrets key id\0').update(key).digest('hex').slice(0, 16);
  return { id, key };
}

/**
 * The additional authenticated data: the format version, the key ID, the tenant and the purpose. A
 * sealed value copied to another tenant's row, or used for another purpose, fails authentication.
 */
function aad(keyId: string, tenantId: string, purpose: string): Buffer {
  return Buffer.from(JSON.stringify(['comptoir-secret', VERSION, keyId, tenantId, purpose]));
}

function checkArgs(tenantId: string, purpose: string): void {
  if (!tenantId) throw new SecretError('a tenant ID is required');
  if (!PURPOSE.test(purpose)) throw new SecretError(`invalid purpose "${purpose}"`);
}

/**
 * AES-256-GCM with a random 96-bit nonce per value. Format:
 * `v1.<key id>.<nonce>.<ciphertext + 16-byte tag>`, base64url parts. New values are sealed with the
 * first key; every key given can open (rotation: put the new key first, keep the old ones).
 */
export class LocalSecretBox implements SecretBox {
  private readonly keys: () => SecretKey[];

  /** `keys`: the keys, current first — or a function giving them on first use (a lazily created file). */
  constructor(keys: SecretKey[] | (() => SecretKey[])) {
    if (typeof keys === 'function') {
      let loaded: SecretKey[] | null = null;
      this.keys = () => {
        loaded ??= keys();
        return loaded;
      };
    } else {
      if (!keys.length) throw new SecretError('at least one key is required');
      this.keys = () => keys;
    }
  }

  async seal(tenantId: string, purpose: string, plaintext: string): Promise<string> {
    checkArgs(tenantId, purpose);
    const current = this.keys()[0];
    if (!current) throw new SecretError('no secrets key');
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', current.key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(current.id, tenantId, purpose));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, current.id, nonce.toString('base64url'), body.toString('base64url')].join('.');
  }

  async open(tenantId: string, purpose: string, sealed: string): Promise<string> {
    checkArgs(tenantId, purpose);
    const m = SEALED.exec(sealed);
    if (!m) throw new SecretError('not a sealed secret (v1)');
    const [, keyId, nonceText, bodyText] = m as unknown as [string, string, string, string];
    const key = this.keys().find((k) => k.id === keyId);
    if (!key) throw new SecretError(`sealed with an unknown key (${keyId})`);
    const nonce = Buffer.from(nonceText, 'base64url');
    const body = Buffer.from(bodyText, 'base64url');
    if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES)
      throw new SecretError('truncated sealed secret');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(keyId, tenantId, purpose));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(body.subarray(0, body.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      // One message whatever went wrong: modified, another tenant's, another purpose's.
      throw new SecretError('the sealed secret does not open for this tenant and purpose');
    }
  }
}

/** Parses a key file: 32 random bytes, base64 (standard or url-safe), surrounding whitespace ignored. */
export function parseSecretKey(text: string): Buffer {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw new SecretError('the key is not base64');
  const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== SECRET_KEY_BYTES)
    throw new SecretError(`the key has ${key.length} bytes, ${SECRET_KEY_BYTES} are required`);
  return key;
}

/** A new key file's content: 32 random bytes, base64 (what `openssl rand -base64 32` prints). */
export function newSecretKeyText(): string {
  return `${randomBytes(SECRET_KEY_BYTES).toString('base64')}\n`;
}

function readKeyFile(file: string, variable: string): SecretKey {
  try {
    return secretKeyOf(parseSecretKey(readFileSync(file, 'utf8')));
  } catch (err) {
    throw new ConfigError(variable, `cannot be used as the secrets key (${(err as Error).message})`);
  }
}

/**
 * The deployment's SecretBox: the key in SECRETS_KEY_FILE (required in production, read now so that a
 * bad file stops the start); else, under NODE_ENV=test, a random in-memory key; else
 * DATA_DIR/keys/secrets.key, created (mode 0600) on first use.
 */
export function loadSecretBox(config: Pick<Config, 'secretsKeyFile' | 'dataDir' | 'nodeEnv'>): SecretBox {
  if (config.secretsKeyFile)
    return new LocalSecretBox([readKeyFile(config.secretsKeyFile, 'SECRETS_KEY_FILE')]);
  if (config.nodeEnv === 'test') return ephemeralSecretBox();
  const file = path.join(config.dataDir, 'keys', 'secrets.key');
  return new LocalSecretBox(() => {
    if (!existsSync(file)) {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      try {
        // `wx`: if another process created it meanwhile, keep theirs.
        writeFileSync(file, newSecretKeyText(), { mode: 0o600, flag: 'wx' });
        chmodSync(file, 0o600);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    return [readKeyFile(file, 'SECRETS_KEY_FILE (generated under DATA_DIR/keys)')];
  });
}

/** A SecretBox with a random key that lives as long as the process (tests). */
export function ephemeralSecretBox(): SecretBox {
  return new LocalSecretBox([secretKeyOf(randomBytes(SECRET_KEY_BYTES))]);
}
