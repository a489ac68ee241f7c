import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

/**
 * Where files leave the database: SIEM push, audit archives, later exports and attachments. Keys are
 * `/`-separated relative paths (`prefix/ten_…/audit-….jsonl.gz`), the same on every implementation.
 */
export interface ObjectStore {
  /** Where the objects go, for records and logs (`s3://bucket`, `file:archive`) — never credentials. */
  readonly destination: string;
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  /** The object's bytes, or null when there is none under `key`. */
  get(key: string): Promise<Buffer | null>;
  /** Keys starting with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Removes the object; removing an absent one is not an error. */
  delete(key: string): Promise<void>;
  /** Releases connections (S3); the store is not used afterwards. */
  close?(): void;
}

export class InvalidObjectKeyError extends Error {
  override name = 'InvalidObjectKeyError';
}

const MAX_KEY_LENGTH = 1024;

/**
 * A key is a relative path of non-empty segments: no absolute path, no drive letter, no backslash, no
 * `.` or `..` segment, no control character. Checked on every implementation, so a key that works on
 * S3 also works on the filesystem and never escapes its root.
 */
export function checkObjectKey(key: string, { prefix = false } = {}): void {
  const bad = (why: string) => new InvalidObjectKeyError(`invalid object key ${JSON.stringify(key)}: ${why}`);
  if (typeof key !== 'string') throw bad('not a string');
  if (!prefix && key.length === 0) throw bad('empty');
  if (key.length > MAX_KEY_LENGTH) throw bad(`longer than ${MAX_KEY_LENGTH} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(key)) throw bad('control character');
  if (key.includes('\\')) throw bad('backslash');
  if (key.startsWith('/') || /^[A-Za-z]:/.test(key)) throw bad('absolute path');
  const segments = key.split('/');
  // A prefix may end with `/` (a "folder"): its last segment is then empty.
  const checked = prefix && segments.at(-1) === '' ? segments.slice(0, -1) : segments;
  for (const s of checked) {
    if (s === '..' || s === '.') throw bad('relative segment');
    if (s === '' && !(prefix && key === '')) throw bad('empty segment');
  }
}

/** Objects as files under a root directory (the default archive, development). */
export class FileObjectStore implements ObjectStore {
  readonly root: string;
  readonly destination: string;

  constructor(root: string, destination = `file:${root}`) {
    this.root = path.resolve(root);
    this.destination = destination;
  }

  private pathOf(key: string, opts?: { prefix?: boolean }): string {
    checkObjectKey(key, opts);
    const full = path.resolve(this.root, ...key.split('/').filter(Boolean));
    // Defence in depth: whatever the checks above missed, the path stays under the root.
    if (full !== this.root && !full.startsWith(this.root + path.sep))
      throw new InvalidObjectKeyError(`invalid object key ${JSON.stringify(key)}: outside the store`);
    return full;
  }

  async put(key: string, body: Buffer, _contentType: string): Promise<void> {
    const file = this.pathOf(key);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o750 });
    // Written aside then renamed: a reader never sees half a file, a crash leaves no partial object.
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, body, { mode: 0o640 });
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.pathOf(key));
    } catch (err) {
      if (
        (err as NodeJS.ErrnoException).code === 'ENOENT' ||
        (err as NodeJS.ErrnoException).code === 'EISDIR'
      )
        return null;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    this.pathOf(prefix, { prefix: true });
    // Walk from the deepest directory the prefix names, then filter by the whole prefix.
    const dirKey = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const out: string[] = [];
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (
          (err as NodeJS.ErrnoException).code === 'ENOENT' ||
          (err as NodeJS.ErrnoException).code === 'ENOTDIR'
        )
          return;
        throw err;
      }
      for (const e of entries) {
        const key = keyPrefix ? `${keyPrefix}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(path.join(dir, e.name), key);
        else if (e.isFile() && !e.name.endsWith('.tmp') && key.startsWith(prefix)) out.push(key);
      }
    };
    await walk(dirKey ? path.join(this.root, ...dirKey.split('/')) : this.root, dirKey);
    return out.sort();
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

export interface S3StoreOptions {
  /** `https://…` of an S3-compatible service; null or absent: AWS S3 of `region`. */
  endpoint?: string | null;
  region: string;
  bucket: string;
  /** `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key` (MinIO, most on-premises stores). */
  forcePathStyle?: boolean;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Per request; a silent network must not hold a worker. */
  timeoutMs?: number;
}

/** Objects in an S3 bucket (AWS or an S3-compatible service), through the AWS SDK. */
export class S3ObjectStore implements ObjectStore {
  readonly destination: string;
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(opts: S3StoreOptions) {
    this.bucket = opts.bucket;
    this.destination = `s3://${opts.bucket}`;
    const timeout = opts.timeoutMs ?? 30_000;
    this.client = new S3Client({
      region: opts.region,
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      forcePathStyle: opts.forcePathStyle ?? false,
      credentials: opts.credentials,
      // The caller retries with its own backoff; one quick retry here absorbs a dropped connection.
      maxAttempts: 2,
      // Checksums only where the API requires them: S3-compatible servers do not all know the newer
      // CRC headers, and every request is signed (SigV4) anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: Math.min(timeout, 10_000), requestTimeout: timeout },
    });
  }

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    checkObjectKey(key);
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async get(key: string): Promise<Buffer | null> {
    checkObjectKey(key);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!res.Body) return Buffer.alloc(0);
      return Buffer.from(await res.Body.transformToByteArray());
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return null;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    checkObjectKey(prefix, { prefix: true });
    const out: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const o of res.Contents ?? []) if (o.Key) out.push(o.Key);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }

  async delete(key: string): Promise<void> {
    checkObjectKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  close(): void {
    this.client.destroy();
  }
}
