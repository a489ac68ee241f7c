import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/config.ts';
import { ConfigError } from '../config/config.ts';
import { keyIdOf } from './chain.ts';

export interface AuditKeys {
  /** Signs new checkpoints. */
  privateKey: KeyObject;
  keyId: string;
  /** Every key that may have signed a checkpoint of this deployment: the current one and previous ones. */
  publicKeys: Map<string, KeyObject>;
}

/**
 * Loads the checkpoint signing key from AUDIT_SIGNING_KEY_FILE, or — outside production — from
 * DATA_DIR/keys/audit-signing-key.pem, generating it on first use.
 */
export function loadAuditKeys(
  config: Pick<Config, 'auditSigningKeyFile' | 'auditPreviousPublicKeyFiles' | 'dataDir'>,
): AuditKeys {
  let file = config.auditSigningKeyFile;
  if (!file) {
    file = path.join(config.dataDir, 'keys', 'audit-signing-key.pem');
    if (!existsSync(file)) {
      mkdirSync(path.dirname(file), { recursive: true });
      const { privateKey } = generateKeyPairSync('ed25519');
      writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      chmodSync(file, 0o600);
    }
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(file));
  } catch (err) {
    throw new ConfigError(
      'AUDIT_SIGNING_KEY_FILE',
      `cannot be read as a private key (${(err as Error).message})`,
    );
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError(
      'AUDIT_SIGNING_KEY_FILE',
      `must hold an Ed25519 key (got ${privateKey.asymmetricKeyType})`,
    );
  }
  const current = createPublicKey(privateKey);
  const publicKeys = new Map<string, KeyObject>([[keyIdOf(current), current]]);
  for (const f of config.auditPreviousPublicKeyFiles) {
    const k = createPublicKey(readFileSync(f));
    publicKeys.set(keyIdOf(k), k);
  }
  return { privateKey, keyId: keyIdOf(current), publicKeys };
}

/** Keys for an in-memory deployment (tests, openapi:write). */
export function ephemeralAuditKeys(): AuditKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, keyId: keyIdOf(publicKey), publicKeys: new Map([[keyIdOf(publicKey), publicKey]]) };
}
