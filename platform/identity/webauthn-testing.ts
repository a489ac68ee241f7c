import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

/**
 * A software WebAuthn authenticator for tests (not a test file itself): an ES256 key pair, `none`
 * attestation in CBOR, assertions signed over authenticatorData || SHA-256(clientDataJSON) — what a
 * security key does, so the server's real verification (@simplewebauthn/server) runs unmocked.
 */

// ─── A tiny CBOR encoder (RFC 8949): the types an attestation object needs ──────────────────────

type Cbor = number | string | Uint8Array | Cbor[] | Map<Cbor, Cbor> | { [k: string]: Cbor };

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

export function cbor(v: Cbor): Buffer {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    return Buffer.concat([head(3, s.length), s]);
  }
  if (v instanceof Uint8Array) return Buffer.concat([head(2, v.length), Buffer.from(v)]);
  if (Array.isArray(v)) return Buffer.concat([head(4, v.length), ...v.map(cbor)]);
  const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
  return Buffer.concat([head(5, entries.length), ...entries.flatMap(([k, x]) => [cbor(k), cbor(x)])]);
}

// ─── The authenticator ───────────────────────────────────────────────────────────────────────────

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest();

export interface Ceremony {
  origin: string;
  rpId: string;
}

export class SoftAuthenticator {
  readonly credentialId = randomBytes(32);
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  counter = 0;
  userHandle: string | null = null;

  constructor(keys?: { privateKey: KeyObject; publicKey: KeyObject }, credentialId?: Buffer) {
    const k = keys ?? generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = k.privateKey;
    this.publicKey = k.publicKey;
    if (credentialId) credentialId.copy(this.credentialId);
  }

  /** The same key and credential ID with the same counter: a cloned authenticator. */
  clone(): SoftAuthenticator {
    const c = new SoftAuthenticator(
      { privateKey: this.privateKey, publicKey: this.publicKey },
      this.credentialId,
    );
    c.counter = this.counter;
    c.userHandle = this.userHandle;
    return c;
  }

  get id(): string {
    return b64u(this.credentialId);
  }

  private coseKey(): Buffer {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return cbor(
      new Map<Cbor, Cbor>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x as string, 'base64url')],
        [-3, Buffer.from(jwk.y as string, 'base64url')],
      ]),
    );
  }

  private authData(rpId: string, flags: number, attested: boolean): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(this.counter);
    const parts: Buffer[] = [sha256(rpId), Buffer.from([flags]), count];
    if (attested) {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(this.credentialId.length);
      parts.push(Buffer.alloc(16), len, this.credentialId, this.coseKey()); // AAGUID zero: no attestation
    }
    return Buffer.concat(parts);
  }

  /** navigator.credentials.create() for the server's options: a `none` attestation. */
  register(options: { challenge: string; user?: { id: string } }, c: Ceremony) {
    this.userHandle = options.user?.id ?? null;
    const clientDataJSON = Buffer.from(
      JSON.stringify({
        type: 'webauthn.create',
        challenge: options.challenge,
        origin: c.origin,
        crossOrigin: false,
      }),
    );
    // Flags: UP (0x01), UV (0x04), AT (0x40: attested credential data follows).
    const attestationObject = cbor({ fmt: 'none', attStmt: {}, authData: this.authData(c.rpId, 0x45, true) });
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64u(clientDataJSON),
        attestationObject: b64u(attestationObject),
        transports: ['usb'],
      },
      clientExtensionResults: {},
    };
  }

  /** navigator.credentials.get(): an assertion; the counter moves forward first (`counter` to force one). */
  assert(options: { challenge: string }, c: Ceremony, o: { counter?: number; userVerified?: boolean } = {}) {
    this.counter = o.counter ?? this.counter + 1;
    const clientDataJSON = Buffer.from(
      JSON.stringify({
        type: 'webauthn.get',
        challenge: options.challenge,
        origin: c.origin,
        crossOrigin: false,
      }),
    );
    const authenticatorData = this.authData(c.rpId, (o.userVerified ?? true) ? 0x05 : 0x01, false);
    const signature = sign(
      'sha256',
      Buffer.concat([authenticatorData, sha256(clientDataJSON)]),
      this.privateKey,
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authenticatorData),
        signature: b64u(signature),
        ...(this.userHandle ? { userHandle: this.userHandle } : {}),
      },
      clientExtensionResults: {},
    };
  }
}
