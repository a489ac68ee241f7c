import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { ConfigError } from '../config/config.ts';
import { type Database, rows } from '../db/database.ts';
import { inSystemTransaction } from '../db/scope.ts';
import { identityClock } from './clock.ts';

/**
 * Keys that sign OAuth access tokens (EdDSA / Ed25519). The deployment is the issuer, so the keys are
 * the platform's, shared by every replica through the `oauth_signing_keys` table. The private part is
 * stored encrypted (AES-256-GCM) under a key-encryption key (KEK) that never enters the database:
 * OAUTH_KEY_ENCRYPTION_KEY_FILE, or DATA_DIR/keys/oauth-kek.key, generated on first use (every
 * replica must then share that file).
 *
 * Rotation: the newest key signs until it is `rotationDays` old; the next issuance then creates a new
 * one (under an advisory lock, so replicas create one, not several) and retires the old. A retired key
 * stays in the JWKS and keeps verifying until every token it signed has expired.
 */
export interface SigningSettings {
  kek: Buffer;
  rotationDays: number;
  /** Lifetime of access tokens: how long a retired key must still verify. */
  accessTokenTtlS: number;
}

const ALG = 'EdDSA';
/** pg_advisory_xact_lock key serialising key creation across replicas. */
const ROTATION_LOCK = 7_305_031_337;
/** Allowed clock difference between replicas when verifying. */
export const CLOCK_TOLERANCE_S = 5;

const keks = new Map<string, Buffer>();

/** The key-encryption key: 32 bytes, base64 in a file kept outside the database. */
export function loadKek(config: { oauthKeyEncryptionKeyFile: string | null; dataDir: string }): Buffer {
  const file = config.oauthKeyEncryptionKeyFile ?? path.join(config.dataDir, 'keys', 'oauth-kek.key');
  const cached = keks.get(file);
  if (cached) return cached;
  if (!config.oauthKeyEncryptionKeyFile && !existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    // Written beside, then linked into place: two processes starting together agree on one key.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    try {
      linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
  }
  let kek: Buffer;
  try {
    kek = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  } catch (err) {
    throw new ConfigError('OAUTH_KEY_ENCRYPTION_KEY_FILE', `cannot be read (${(err as Error).message})`);
  }
  if (kek.length !== 32)
    throw new ConfigError('OAUTH_KEY_ENCRYPTION_KEY_FILE', 'must hold 32 random bytes in base64');
  keks.set(file, kek);
  return kek;
}

function encrypt(kek: Buffer, plain: Buffer, kid: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(Buffer.from(kid));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

function decrypt(kek: Buffer, stored: string, kid: string): Buffer {
  const raw = Buffer.from(stored, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', kek, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(kid));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]);
}

interface KeyRow {
  id: string;
  public_jwk: JWK | string;
  private_key_enc: string;
  created_at: Date | string;
  retired_at: Date | string | null;
}

const jwkOf = (r: KeyRow): JWK =>
  typeof r.public_jwk === 'string' ? JSON.parse(r.public_jwk) : r.public_jwk;

async function createKey(
  tx: Parameters<Parameters<typeof inSystemTransaction>[1]>[0],
  kek: Buffer,
  now: Date,
) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const publicJwk = { ...jwk, kid, alg: ALG, use: 'sig' };
  const enc = encrypt(kek, privateKey.export({ type: 'pkcs8', format: 'der' }), kid);
  await tx.execute(
    sql`update oauth_signing_keys set retired_at = ${now.toISOString()} where retired_at is null`,
  );
  await tx.execute(sql`insert into oauth_signing_keys (id, alg, public_jwk, private_key_enc, created_at)
                       values (${kid}, ${ALG}, ${JSON.stringify(publicJwk)}::jsonb, ${enc}, ${now.toISOString()})`);
  return { kid, privateKey };
}

/** The key that signs now, created (or rotated) when there is none young enough. */
export async function currentSigningKey(
  db: Database,
  s: SigningSettings,
): Promise<{ kid: string; privateKey: KeyObject }> {
  const now = identityClock.now();
  const cutoff = new Date(now.getTime() - s.rotationDays * 86_400_000).toISOString();
  const pick = async (tx: Parameters<Parameters<typeof inSystemTransaction>[1]>[0]) =>
    rows<KeyRow>(
      await tx.execute(sql`select id, public_jwk, private_key_enc, created_at, retired_at from oauth_signing_keys
                            where retired_at is null and created_at > ${cutoff} order by created_at desc limit 1`),
    )[0];
  return inSystemTransaction(db, async (tx) => {
    let row = await pick(tx);
    if (!row) {
      await tx.execute(sql`select pg_advisory_xact_lock(${ROTATION_LOCK}::bigint)`);
      row = await pick(tx); // another replica may have rotated while this one waited
      if (!row) return createKey(tx, s.kek, now);
    }
    const privateKey = createPrivateKey({
      key: decrypt(s.kek, row.private_key_enc, row.id),
      format: 'der',
      type: 'pkcs8',
    });
    return { kid: row.id, privateKey };
  });
}

/** Forces a rotation now (operators' CLI, tests): a new key signs; the previous ones keep verifying. */
export async function rotateSigningKey(db: Database, s: SigningSettings): Promise<string> {
  return inSystemTransaction(db, async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${ROTATION_LOCK}::bigint)`);
    return (await createKey(tx, s.kek, identityClock.now())).kid;
  });
}

/** Keys that may have signed a token still valid: the signing one and those retired less than a token lifetime ago. */
export async function publishedKeys(
  db: Database,
  s: Pick<SigningSettings, 'accessTokenTtlS'>,
): Promise<JWK[]> {
  const since = new Date(identityClock.now().getTime() - (s.accessTokenTtlS + CLOCK_TOLERANCE_S) * 1000);
  const found = await inSystemTransaction(db, async (tx) =>
    rows<KeyRow>(
      await tx.execute(sql`select id, public_jwk, private_key_enc, created_at, retired_at from oauth_signing_keys
                            where retired_at is null or retired_at > ${since.toISOString()}
                            order by created_at desc`),
    ),
  );
  return found.map(jwkOf);
}

/** Public keys by kid (immutable once created, so cached per database). */
const publicKeyCache = new WeakMap<
  Database,
  Map<string, { key: KeyObject; retiredAt: number | null; checkedAt: number }>
>();
/** How long "not retired" is believed before the database is asked again. */
const RECHECK_MS = 30_000;

/**
 * The public key `kid` names, if it may still verify a token: unknown kids and keys retired longer
 * than a token lifetime ago find nothing.
 */
export async function verificationKey(
  db: Database,
  kid: string,
  s: Pick<SigningSettings, 'accessTokenTtlS'>,
): Promise<KeyObject | null> {
  let cache = publicKeyCache.get(db);
  if (!cache) {
    cache = new Map();
    publicKeyCache.set(db, cache);
  }
  let entry = cache.get(kid);
  // A cached key without retirement may have been retired since: look again now and then.
  if (!entry || (entry.retiredAt === null && Date.now() - entry.checkedAt > RECHECK_MS)) {
    const [row] = await inSystemTransaction(db, async (tx) =>
      rows<KeyRow>(
        await tx.execute(sql`select id, public_jwk, private_key_enc, created_at, retired_at from oauth_signing_keys
                              where id = ${kid}`),
      ),
    );
    if (!row) return null;
    const jwk = jwkOf(row);
    entry = {
      key: createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }),
      retiredAt: row.retired_at ? new Date(row.retired_at).getTime() : null,
      checkedAt: Date.now(),
    };
    cache.set(kid, entry);
  }
  if (
    entry.retiredAt !== null &&
    entry.retiredAt < identityClock.now().getTime() - (s.accessTokenTtlS + CLOCK_TOLERANCE_S) * 1000
  ) {
    return null;
  }
  return entry.key;
}
