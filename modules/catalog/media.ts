import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { audit, changesOf } from '../../platform/audit/record.ts';
import type { Ctx } from '../../platform/context.ts';
import { publish } from '../../platform/events/outbox.ts';
import { AppError, notFound } from '../../platform/http/problems.ts';
import type { ObjectStore } from '../../platform/storage/object-store.ts';
import { media } from './schema.ts';
import { getProduct, type Media, mediaRow, toMedia } from './service.ts';

/**
 * The bytes of product media (images, datasheets, safety sheets) in the object store: uploaded
 * through the API, checked against their magic bytes, keyed by tenant, served back with their type,
 * checksum and the buyer's visibility of the product.
 */

/** The types an upload may have; each is recognised by its first bytes. */
export const UPLOAD_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'application/pdf'] as const;
export type UploadType = (typeof UPLOAD_TYPES)[number];

const EXTENSION: Record<UploadType, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'application/pdf': 'pdf',
};

/** The type the bytes are, by their signature; null when none of UPLOAD_TYPES. Pure. */
export function sniffContentType(bytes: Buffer): UploadType | null {
  const starts = (sig: number[], at = 0) => sig.every((b, i) => bytes[at + i] === b);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (starts([0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  if (starts([0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf';
  return null;
}

/** Where a tenant's uploaded medium lives: under the tenant's own prefix, so keys never cross tenants. */
export const mediaObjectKey = (tenantId: string, mediaId: string) => `tenants/${tenantId}/media/${mediaId}`;

/**
 * Stores the content of a medium: the declared type must be the sniffed one, and fit the medium's kind
 * (an image for `image`, a PDF for documents). Writes the object, then the metadata (type, size,
 * SHA-256, key, upload time) in the caller's transaction, audited.
 */
export async function uploadMediaContent(
  ctx: Ctx,
  store: ObjectStore,
  mediaId: string,
  declared: string,
  body: unknown,
): Promise<Media> {
  const before = toMedia(await mediaRow(ctx, mediaId));
  if (!Buffer.isBuffer(body))
    throw new AppError(
      'unsupported-media-type',
      `Send the file's bytes with Content-Type ${UPLOAD_TYPES.join(', ')}.`,
    );
  const bytes = body;
  const sniffed = sniffContentType(bytes);
  if (sniffed === null || sniffed !== declared)
    throw new AppError(
      'unsupported-media-type',
      sniffed === null
        ? `The content is not one of ${UPLOAD_TYPES.join(', ')} (checked by its first bytes).`
        : `The content is ${sniffed}, not ${declared}: send it with Content-Type: ${sniffed}.`,
      [
        {
          in: 'headers',
          pointer: '/content-type',
          detail: `must be the content's type (${sniffed ?? 'unknown'})`,
        },
      ],
    );
  const isImage = sniffed.startsWith('image/');
  if (isImage !== (before.kind === 'image'))
    throw new AppError(
      'business-rule-violation',
      before.kind === 'image'
        ? `Medium ${mediaId} is an image: upload a PNG, JPEG or WebP picture.`
        : `Medium ${mediaId} is a ${before.kind.replace('_', ' ')}: upload a PDF.`,
      [{ in: 'headers', pointer: '/content-type', detail: `does not fit a medium of kind ${before.kind}` }],
    );
  const key = mediaObjectKey(ctx.tenantId, mediaId);
  const checksum = createHash('sha256').update(bytes).digest('hex');
  // The object first: if the transaction then fails, the next upload overwrites it; the reverse order
  // could leave metadata pointing at nothing.
  await store.put(key, bytes, sniffed);
  const now = new Date();
  const [row] = await ctx.tx
    .update(media)
    .set({
      objectKey: key,
      contentType: sniffed,
      sizeBytes: bytes.length,
      checksumSha256: checksum,
      uploadedAt: now,
      updatedAt: now,
    })
    .where(and(eq(media.tenantId, ctx.tenantId), eq(media.id, mediaId)))
    .returning();
  const after = toMedia(row!);
  await audit(ctx, {
    action: 'catalog.media.upload',
    resource: { type: 'media', id: mediaId },
    changes: changesOf({ ...before }, { ...after }),
    metadata: { product_id: after.product_id, store: store.destination },
  });
  await publish(ctx, 'catalog.product.updated', { product_id: after.product_id, changed: ['media'] });
  return after;
}

export interface MediaContent {
  bytes: Buffer;
  contentType: string;
  checksum: string;
  filename: string;
  /** Images are shown in the page; documents are downloaded. */
  disposition: 'inline' | 'attachment';
}

/**
 * The content of a medium, for whoever may see its product (a buyer gets 404 for a hidden product,
 * exactly like a missing one). Only objects uploaded under this tenant's prefix are served.
 */
export async function readMediaContent(ctx: Ctx, store: ObjectStore, mediaId: string): Promise<MediaContent> {
  const m = toMedia(await mediaRow(ctx, mediaId));
  await getProduct(ctx, m.product_id);
  const key = mediaObjectKey(ctx.tenantId, mediaId);
  if (m.uploaded_at === null || m.object_key !== key) throw notFound(`The content of medium ${mediaId}`);
  const bytes = await store.get(key);
  if (!bytes) throw notFound(`The content of medium ${mediaId}`);
  const type = (UPLOAD_TYPES as readonly string[]).includes(m.content_type)
    ? (m.content_type as UploadType)
    : 'application/pdf';
  return {
    bytes,
    contentType: m.content_type,
    checksum: m.checksum_sha256,
    filename: `${mediaId}.${EXTENSION[type]}`,
    disposition: m.kind === 'image' ? 'inline' : 'attachment',
  };
}
