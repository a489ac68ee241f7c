import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { S3ObjectStore } from '../platform/storage/object-store.ts';

/**
 * A real S3-compatible server on 127.0.0.1 (s3rver: S3's REST API over the filesystem), for tests of
 * code that talks S3. It can be stopped and started again on the same port with the same contents, to
 * test what happens while the customer's bucket is unreachable.
 *
 * s3rver knows one access key, `S3RVER`; it checks that the key exists but does not verify SigV4
 * signatures, so a wrong *secret* is not refused by it (a wrong access key ID is).
 */
export const S3RVER_ACCESS_KEY_ID = 'S3RVER';

export interface TestS3Server {
  endpoint: string;
  port: number;
  bucket: string;
  /** A client of the bucket (the customer's view of it). */
  store: S3ObjectStore;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its files. */
  close(): Promise<void>;
}

export async function startS3Server(bucket = 'siem'): Promise<TestS3Server> {
  const directory = mkdtempSync(path.join(tmpdir(), 'comptoir-s3-'));
  let port = 0;
  let server: S3rver | null = null;
  const start = async () => {
    if (server) return;
    const s = new S3rver({
      address: '127.0.0.1',
      port,
      silent: true,
      directory,
      configureBuckets: [{ name: bucket }],
    });
    port = (await s.run()).port;
    server = s;
  };
  const stop = async () => {
    const s = server;
    server = null;
    if (!s) return;
    s.httpServer?.closeAllConnections();
    await s.close();
  };
  await start();
  const endpoint = `http://127.0.0.1:${port}`;
  const store = new S3ObjectStore({
    endpoint,
    region: 'us-east-1',
    bucket,
    forcePathStyle: true,
    credentials: { accessKeyId: S3RVER_ACCESS_KEY_ID, secretAccessKey: 'S3RVER' },
    timeoutMs: 5000,
  });
  return {
    endpoint,
    port,
    bucket,
    store,
    start,
    stop,
    async close() {
      store.close();
      await stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
