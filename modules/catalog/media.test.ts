import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsTenant } from '../../platform/context.ts';
import { addUser, auditOf } from '../../platform/identity/testing.ts';
import { createApiToken } from '../../platform/identity/users.ts';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { startS3Server, type TestS3Server } from '../../test/s3-server.ts';
import { sniffContentType } from './media.ts';

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('IHDR fake but signed png body \u0000\u00ff', 'latin1'),
]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n', 'latin1');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('sniffContentType (pure)', () => {
  it('recognises PNG, JPEG, WebP and PDF by their first bytes, and nothing else', () => {
    expect(sniffContentType(PNG)).toBe('image/png');
    expect(sniffContentType(JPEG)).toBe('image/jpeg');
    expect(sniffContentType(Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 ', 'latin1'))).toBe(
      'image/webp',
    );
    expect(sniffContentType(PDF)).toBe('application/pdf');
    expect(sniffContentType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(sniffContentType(Buffer.alloc(0))).toBeNull();
  });
});

interface Setup {
  t: TestApp;
  acme: TestTenant;
  rival: TestTenant;
  productId: string;
  imageId: string;
  sheetId: string;
}

async function setUp(t: TestApp): Promise<Setup> {
  const acme = await t.newTenant('Visserie Acme');
  const rival = await t.newTenant('Rival');
  const post = async (p: string, body: unknown) => {
    const res = await t.api('POST', `/api/v1/catalog${p}`, { token: acme.token, body });
    if (res.status >= 300) throw new Error(`${p}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const family = await post('/families', { code: 'fixings', name: { fr: 'Fixations' } });
  const product = await post('/products', {
    code: 'VIS-6X40',
    family_id: family.id,
    status: 'active',
    name: { fr: 'Vis 6 × 40' },
    variants: [{ sku: 'VIS-6X40' }],
  });
  const medium = (kind: string, key: string, type: string) =>
    post(`/products/${product.id}/media`, {
      kind,
      object_key: `external/${key}`,
      content_type: type,
      size_bytes: 0,
      checksum_sha256: sha(Buffer.alloc(0)),
    });
  return {
    t,
    acme,
    rival,
    productId: product.id,
    imageId: (await medium('image', 'front.png', 'image/png')).id,
    sheetId: (await medium('safety_sheet', 'fds.pdf', 'application/pdf')).id,
  };
}

const put = (s: Setup, id: string, body: Buffer, type: string, token = s.acme.token) =>
  fetch(`${s.t.url}/api/v1/catalog/media/${id}/content`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': type },
    body,
  });
const get = (s: Setup, id: string, token = s.acme.token, headers: Record<string, string> = {}) =>
  fetch(`${s.t.url}/api/v1/catalog/media/${id}/content`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
  });

describe.each(DRIVERS)('media content through the object store (filesystem), on %s', (driver) => {
  let s: Setup;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'comptoir-media-'));
    s = await setUp(await startTestApp(driver, { config: { MEDIA_DIR: dir, MEDIA_MAX_BYTES: '4096' } }));
  });
  afterAll(async () => {
    await s.t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads an image: type, size and SHA-256 recorded, audited; downloaded back with its type, ETag and disposition', async () => {
    const res = await put(s, s.imageId, PNG, 'image/png');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      id: s.imageId,
      content_type: 'image/png',
      size_bytes: PNG.length,
      checksum_sha256: sha(PNG),
      object_key: `tenants/${s.acme.tenantId}/media/${s.imageId}`,
    });
    expect(body.uploaded_at).not.toBeNull();
    expect((await auditOf(s.t, s.acme.tenantId, 'catalog.media.upload')).at(-1)).toMatchObject({
      outcome: 'success',
      resource_id: s.imageId,
    });
    const down = await get(s, s.imageId);
    expect(down.status).toBe(200);
    expect(down.headers.get('content-type')).toBe('image/png');
    expect(down.headers.get('etag')).toBe(`"${sha(PNG)}"`);
    expect(down.headers.get('content-disposition')).toBe(`inline; filename="${s.imageId}.png"`);
    expect(Buffer.from(await down.arrayBuffer()).equals(PNG)).toBe(true);
    const again = await get(s, s.imageId, s.acme.token, { 'if-none-match': `"${sha(PNG)}"` });
    expect(again.status).toBe(304);
  });

  it('a safety sheet takes a PDF and is served as an attachment; a picture for it is refused (422)', async () => {
    expect((await put(s, s.sheetId, JPEG, 'image/jpeg')).status).toBe(422);
    expect((await put(s, s.sheetId, PDF, 'application/pdf')).status).toBe(200);
    const down = await get(s, s.sheetId);
    expect(down.headers.get('content-disposition')).toBe(`attachment; filename="${s.sheetId}.pdf"`);
    expect(down.headers.get('content-type')).toBe('application/pdf');
  });

  it('the declared type must be what the bytes are (415), an unsupported type is a 415, too large a 413 — nothing changes', async () => {
    const mismatch = await put(s, s.imageId, JPEG, 'image/png');
    expect(mismatch.status).toBe(415);
    expect(mismatch.headers.get('content-type')).toMatch(/problem\+json/);
    expect(((await mismatch.json()) as { detail: string }).detail).toContain('image/jpeg');
    expect((await put(s, s.imageId, Buffer.from('GIF89a....'), 'image/gif')).status).toBe(415);
    expect((await put(s, s.imageId, Buffer.from('<svg/>'), 'image/png')).status).toBe(415);
    const big = Buffer.concat([PNG, Buffer.alloc(5000)]);
    const tooBig = await put(s, s.imageId, big, 'image/png');
    expect(tooBig.status).toBe(413);
    const still = await get(s, s.imageId);
    expect(Buffer.from(await still.arrayBuffer()).equals(PNG)).toBe(true);
    // JSON to a binary route is not the file.
    const json = await s.t.api('PUT', `/api/v1/catalog/media/${s.imageId}/content`, {
      token: s.acme.token,
      body: { not: 'a file' },
    });
    expect(json.status).toBe(415);
  });

  it('metadata-only media have no content to download (404); another tenant gets 404 for the ID, read or write', async () => {
    const fresh = await s.t.api('POST', `/api/v1/catalog/products/${s.productId}/media`, {
      token: s.acme.token,
      body: {
        kind: 'image',
        object_key: `tenants/${s.rival.tenantId}/media/whatever`,
        content_type: 'image/png',
        size_bytes: 1,
        checksum_sha256: sha(PNG),
      },
    });
    expect((await get(s, fresh.body.id)).status).toBe(404);
    expect((await get(s, s.imageId, s.rival.token)).status).toBe(404);
    expect((await put(s, s.imageId, PNG, 'image/png', s.rival.token)).status).toBe(404);
  });

  it('a buyer downloads the media of a product they see, and gets 404 for one hidden from them', async () => {
    const account = await s.t.api('POST', '/api/v1/accounts', {
      token: s.acme.token,
      body: { name: 'Client' },
    });
    const buyer = await addUser(s.t, s.acme.tenantId, {
      email: 'buyer@client.example',
      kind: 'buyer',
      accountId: account.body.id,
      roles: ['buyer'],
    });
    const token = (
      await runAsTenant(s.t.db, { tenantId: s.acme.tenantId }, (ctx) =>
        createApiToken(ctx, { userId: buyer, name: 'buyer', scopes: ['*'] }),
      )
    ).token;
    expect((await get(s, s.imageId, token)).status).toBe(200);
    const rule = await s.t.api('POST', '/api/v1/visibility-rules', {
      token: s.acme.token,
      body: {
        subject_type: 'account',
        subject_id: account.body.id,
        target_type: 'product',
        target_id: s.productId,
        effect: 'deny',
      },
    });
    expect(rule.status).toBe(201);
    expect((await get(s, s.imageId, token)).status).toBe(404);
    expect((await put(s, s.imageId, PNG, 'image/png', token)).status).toBe(403);
  });
});

describe('media content on an S3 bucket (s3rver)', () => {
  let s3: TestS3Server;
  let s: Setup;
  beforeAll(async () => {
    s3 = await startS3Server('media');
    s = await setUp(
      await startTestApp('pglite', {
        config: {
          MEDIA_S3_BUCKET: 'media',
          MEDIA_S3_ENDPOINT: s3.endpoint,
          MEDIA_S3_ACCESS_KEY_ID: 'S3RVER',
          MEDIA_S3_SECRET_ACCESS_KEY: 'S3RVER',
        },
      }),
    );
  });
  afterAll(async () => {
    await s.t.close();
    await s3.close();
  });

  it('stores the bytes in the bucket under the tenant’s prefix and serves them back', async () => {
    expect((await put(s, s.imageId, PNG, 'image/png')).status).toBe(200);
    expect(await s3.store.list(`tenants/${s.acme.tenantId}/`)).toEqual([
      `tenants/${s.acme.tenantId}/media/${s.imageId}`,
    ]);
    const down = await get(s, s.imageId);
    expect(down.status).toBe(200);
    expect(Buffer.from(await down.arrayBuffer()).equals(PNG)).toBe(true);
  });
});
