import { lookup } from 'node:dns/promises';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type TestS3Server } from '../../test/s3-server.ts';
import { assertEndpointAllowed, endpointProblem, isNonPublicAddress } from './endpoint-policy.ts';
import { checkObjectKey, FileObjectStore, InvalidObjectKeyError, type ObjectStore } from './object-store.ts';

const BAD_KEYS = [
  '../escape',
  'a/../../escape',
  'a/..',
  './a',
  '/etc/passwd',
  'C:/Windows/win.ini',
  'a\\..\\b',
  'a//b',
  '',
  'a/',
  'nul\u0000byte',
  'x'.repeat(1025),
];

/** The same behaviour from both implementations. */
function contract(name: string, make: () => ObjectStore | Promise<ObjectStore>) {
  describe(name, () => {
    let store: ObjectStore;
    beforeAll(async () => {
      store = await make();
    });

    it('puts, gets, lists by prefix and deletes', async () => {
      await store.put('p/ten_a/audit-1.jsonl.gz', Buffer.from('one'), 'application/gzip');
      await store.put('p/ten_a/audit-2.jsonl.gz', Buffer.from('two'), 'application/gzip');
      await store.put('p/ten_b/audit-1.jsonl.gz', Buffer.from('other'), 'application/gzip');
      expect((await store.get('p/ten_a/audit-2.jsonl.gz'))?.toString()).toBe('two');
      expect(await store.get('p/ten_a/absent')).toBeNull();
      expect(await store.list('p/ten_a/')).toEqual(['p/ten_a/audit-1.jsonl.gz', 'p/ten_a/audit-2.jsonl.gz']);
      expect(await store.list('p/ten_a/audit-2')).toEqual(['p/ten_a/audit-2.jsonl.gz']);
      expect(await store.list('p/')).toHaveLength(3);
      expect(await store.list('nothing/')).toEqual([]);
      await store.put('p/ten_a/audit-2.jsonl.gz', Buffer.from('replaced'), 'application/gzip');
      expect((await store.get('p/ten_a/audit-2.jsonl.gz'))?.toString()).toBe('replaced');
      await store.delete('p/ten_a/audit-1.jsonl.gz');
      await store.delete('p/ten_a/audit-1.jsonl.gz'); // absent: not an error
      expect(await store.list('p/ten_a/')).toEqual(['p/ten_a/audit-2.jsonl.gz']);
    });

    it('refuses keys with "..", absolute paths and other escapes', async () => {
      for (const key of BAD_KEYS) {
        await expect(
          store.put(key, Buffer.from('x'), 'text/plain'),
          JSON.stringify(key),
        ).rejects.toBeInstanceOf(InvalidObjectKeyError);
        await expect(store.get(key), JSON.stringify(key)).rejects.toBeInstanceOf(InvalidObjectKeyError);
      }
      await expect(store.list('../')).rejects.toBeInstanceOf(InvalidObjectKeyError);
    });
  });
}

describe('object stores', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'comptoir-store-'));
  let s3: TestS3Server;
  beforeAll(async () => {
    s3 = await startS3Server('store-test');
  });
  afterAll(async () => {
    await s3.close();
    rmSync(root, { recursive: true, force: true });
  });

  contract('filesystem', () => new FileObjectStore(path.join(root, 'files')));
  contract('S3 (s3rver on 127.0.0.1)', () => s3.store);

  it('the filesystem store keeps files under its root only, and leaves no temporary file', async () => {
    const store = new FileObjectStore(path.join(root, 'fs2'));
    writeFileSync(path.join(root, 'outside.txt'), 'secret');
    expect(await store.get('../outside.txt').catch((e) => e)).toBeInstanceOf(InvalidObjectKeyError);
    await store.put('a/b.txt', Buffer.from('x'), 'text/plain');
    expect(readdirSync(path.join(root, 'fs2', 'a'))).toEqual(['b.txt']);
    expect(() => checkObjectKey('', { prefix: true })).not.toThrow();
    expect(() => checkObjectKey('a/b/', { prefix: true })).not.toThrow();
  });
});

describe('outbound endpoint policy (SSRF)', () => {
  it('classifies addresses', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
    ])
      expect(isNonPublicAddress(a), a).toBe(true);
    for (const a of ['52.95.110.1', '2a05:d018::1', '8.8.8.8']) expect(isNonPublicAddress(a), a).toBe(false);
  });

  it('refuses local endpoints and plain http unless allowed, and URLs with credentials', async () => {
    expect(endpointProblem('https://s3.eu-west-3.amazonaws.com', false)).toBeNull();
    expect(endpointProblem('http://s3.example.com', false)).toMatch(/https/);
    expect(endpointProblem('https://127.0.0.1:9000', false)).toMatch(/public/);
    expect(endpointProblem('https://[::1]:9000', false)).toMatch(/public/);
    expect(endpointProblem('https://169.254.169.254', false)).toMatch(/public/);
    expect(endpointProblem('https://localhost', false)).toMatch(/public/);
    expect(endpointProblem('https://key:secret@s3.example.com', false)).toMatch(/credentials/);
    expect(endpointProblem('https://s3.example.com/?x=1', false)).toMatch(/query/);
    expect(endpointProblem('ftp://s3.example.com', true)).toMatch(/https/);
    expect(endpointProblem('not a url', true)).toMatch(/URL/);
    expect(endpointProblem('http://127.0.0.1:9000', true)).toBeNull();
    await expect(assertEndpointAllowed('https://127.0.0.1', false)).rejects.toThrow(/public/);
    await expect(assertEndpointAllowed('https://LOCALHOST.', false)).rejects.toThrow(/public/);
    // A name that resolves to a non-public address is refused too (this machine's name, if it does).
    const name = hostname();
    const addresses = await lookup(name, { all: true }).catch(() => []);
    if (addresses.some((a) => isNonPublicAddress(a.address)))
      await expect(assertEndpointAllowed(`https://${name}`, false)).rejects.toThrow(/non-public/);
    await expect(assertEndpointAllowed('http://127.0.0.1:9000', true)).resolves.toBeUndefined();
  });
});
