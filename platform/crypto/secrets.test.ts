import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/config.ts';
import {
  LocalSecretBox,
  loadSecretBox,
  newSecretKeyText,
  SECRET_KEY_BYTES,
  SecretError,
  secretKeyOf,
} from './secrets.ts';

const key = () => secretKeyOf(randomBytes(SECRET_KEY_BYTES));
const TENANT = 'ten_01jd5q6m3xf0k8y2v7r9t4w1zc';
const OTHER = 'ten_01jd5q6m3xf0k8y2v7r9t4w1zd';
const PURPOSE = 'audit.s3.secret_access_key';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

/** Changes one base64url character of part `i` (0: version, 1: key id, 2: nonce, 3: ciphertext+tag). */
function flip(sealed: string, i: number, at = 3): string {
  const parts = sealed.split('.');
  const p = parts[i]!;
  const c = p[at]!;
  const alphabet =
    i === 1 ? '0123456789abcdef' : 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  parts[i] = p.slice(0, at) + alphabet[(alphabet.indexOf(c) + 1) % alphabet.length] + p.slice(at + 1);
  return parts.join('.');
}

describe('secret box (AES-256-GCM, bound to tenant and purpose)', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'comptoir-secrets-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('seals into the versioned format and opens back; the plaintext is not in the sealed value', async () => {
    const k = key();
    const box = new LocalSecretBox([k]);
    const sealed = await box.seal(TENANT, PURPOSE, SECRET);
    expect(sealed).toMatch(/^v1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed.split('.')[1]).toBe(k.id);
    expect(sealed).not.toContain(SECRET);
    expect(Buffer.from(sealed.split('.')[3]!, 'base64url').toString('latin1')).not.toContain('EXAMPLEKEY');
    expect(await box.open(TENANT, PURPOSE, sealed)).toBe(SECRET);
    // A fresh random nonce each time: sealing twice gives two different values.
    const again = await box.seal(TENANT, PURPOSE, SECRET);
    expect(again).not.toBe(sealed);
    expect(again.split('.')[2]).not.toBe(sealed.split('.')[2]);
    expect(await box.open(TENANT, PURPOSE, await box.seal(TENANT, PURPOSE, ''))).toBe('');
    expect(await box.open(TENANT, PURPOSE, await box.seal(TENANT, PURPOSE, 'é€😀'))).toBe('é€😀');
  });

  it('refuses a tampered value: ciphertext, tag, nonce, key ID, version or truncation', async () => {
    const box = new LocalSecretBox([key()]);
    const sealed = await box.seal(TENANT, PURPOSE, SECRET);
    const tampered = [
      flip(sealed, 3, 0), // ciphertext
      flip(sealed, 3, sealed.split('.')[3]!.length - 2), // tag
      flip(sealed, 2), // nonce
      flip(sealed, 1), // key id
      `v2${sealed.slice(2)}`,
      sealed.slice(0, -4),
      sealed.split('.').slice(0, 3).join('.'),
      `${sealed}AAAA`,
      '',
    ];
    for (const t of tampered) {
      expect(t).not.toBe(sealed);
      await expect(box.open(TENANT, PURPOSE, t), t).rejects.toBeInstanceOf(SecretError);
    }
  });

  it('refuses another tenant or another purpose (the AAD binds them), and another key', async () => {
    const box = new LocalSecretBox([key()]);
    const sealed = await box.seal(TENANT, PURPOSE, SECRET);
    await expect(box.open(OTHER, PURPOSE, sealed)).rejects.toThrow(SecretError);
    await expect(box.open(TENANT, 'mail.smtp.password', sealed)).rejects.toThrow(SecretError);
    await expect(new LocalSecretBox([key()]).open(TENANT, PURPOSE, sealed)).rejects.toThrow(/unknown key/);
    // A key with the right ID but other bytes (an ID collision or a forged ID) does not open it either.
    const impostor = { id: sealed.split('.')[1]!, key: randomBytes(SECRET_KEY_BYTES) };
    await expect(new LocalSecretBox([impostor]).open(TENANT, PURPOSE, sealed)).rejects.toThrow(SecretError);
    await expect(box.seal('', PURPOSE, SECRET)).rejects.toThrow(SecretError);
    await expect(box.seal(TENANT, 'Not A Purpose!', SECRET)).rejects.toThrow(SecretError);
  });

  it('rotates: values sealed with the previous key still open; new ones use the current key', async () => {
    const old = key();
    const current = key();
    const sealedOld = await new LocalSecretBox([old]).seal(TENANT, PURPOSE, 'before rotation');
    const rotated = new LocalSecretBox([current, old]);
    expect(await rotated.open(TENANT, PURPOSE, sealedOld)).toBe('before rotation');
    expect((await rotated.seal(TENANT, PURPOSE, 'x')).split('.')[1]).toBe(current.id);
  });

  it('reads SECRETS_KEY_FILE, and refuses a file that is not 32 bytes of base64, naming the variable', async () => {
    const dir = tmp();
    const file = path.join(dir, 'secrets.key');
    writeFileSync(file, newSecretKeyText());
    const a = loadSecretBox({ secretsKeyFile: file, dataDir: dir, nodeEnv: 'production' });
    const b = loadSecretBox({ secretsKeyFile: file, dataDir: dir, nodeEnv: 'production' });
    expect(await b.open(TENANT, PURPOSE, await a.seal(TENANT, PURPOSE, SECRET))).toBe(SECRET);
    for (const bad of ['not base64 !', randomBytes(16).toString('base64'), '']) {
      writeFileSync(file, bad);
      expect(() => loadSecretBox({ secretsKeyFile: file, dataDir: dir, nodeEnv: 'production' })).toThrow(
        /^Invalid configuration: SECRETS_KEY_FILE /,
      );
    }
    expect(() =>
      loadSecretBox({ secretsKeyFile: path.join(dir, 'missing'), dataDir: dir, nodeEnv: 'production' }),
    ).toThrow(ConfigError);
  });

  it('is required in production', () => {
    const env = { NODE_ENV: 'production', AUDIT_SIGNING_KEY_FILE: '/etc/comptoir/audit.pem' };
    expect(() => loadConfig(env)).toThrow(/SECRETS_KEY_FILE is required in production/);
    expect(loadConfig({ ...env, SECRETS_KEY_FILE: 'keys/s.key' }, '/srv').secretsKeyFile).toBe(
      '/srv/keys/s.key',
    );
  });

  it('outside production, generates DATA_DIR/keys/secrets.key (0600) on first use and keeps using it', async () => {
    const dir = tmp();
    const file = path.join(dir, 'keys', 'secrets.key');
    const box = loadSecretBox({ secretsKeyFile: null, dataDir: dir, nodeEnv: 'development' });
    expect(existsSync(file)).toBe(false);
    const sealed = await box.seal(TENANT, PURPOSE, SECRET);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toHaveLength(32);
    // The next start reads the same key.
    const next = loadSecretBox({ secretsKeyFile: null, dataDir: dir, nodeEnv: 'development' });
    expect(await next.open(TENANT, PURPOSE, sealed)).toBe(SECRET);
  });

  it('under NODE_ENV=test, keeps a random key in memory and writes nothing', async () => {
    const dir = tmp();
    const box = loadSecretBox({ secretsKeyFile: null, dataDir: dir, nodeEnv: 'test' });
    expect(await box.open(TENANT, PURPOSE, await box.seal(TENANT, PURPOSE, SECRET))).toBe(SECRET);
    expect(existsSync(path.join(dir, 'keys'))).toBe(false);
  });
});
