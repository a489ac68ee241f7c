import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { audit, changesOf } from '../../platform/audit/record.ts';
import type { Ctx } from '../../platform/context.ts';
import { publish } from '../../platform/events/outbox.ts';
import { AppError, notFound } from '../../platform/http/problems.ts';
import type { ObjectStore } from '../../platform/storage/object-store.ts';
import { sniffContentType } from '../catalog/media.ts';
import { assertStorefrontWritable, getStorefront, type Storefront, storefrontByHost } from './service.ts';

/**
 * A storefront's logo: uploaded as raw bytes through the API, kept in the media object store under the
 * tenant's own prefix, described on the storefront row (type, size, SHA-256), and served to anyone on
 * the storefront's host (the white-label shop shows its own logo).
 */

/** The types a logo may have; each is recognised by its content (PNG, JPEG, WebP by their first bytes). */
export const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/svg+xml'] as const;
export type LogoType = (typeof LOGO_TYPES)[number];

/** A logo is a small picture: 512 kB at most (a 413 beyond). */
export const LOGO_MAX_BYTES = 512 * 1024;

/** Where a storefront's logo lives: keyed by tenant and storefront, so it never crosses tenants. */
export const logoObjectKey = (tenantId: string, storefrontId: string) =>
  `tenants/${tenantId}/storefronts/${storefrontId}/logo`;

/**
 * What the bytes are: a PNG, JPEG or WebP by its signature; SVG when the text's first element (after
 * an XML declaration, comments, a doctype) is `<svg`. Null for anything else. Pure.
 */
export function sniffLogoType(bytes: Buffer): LogoType | null {
  const raster = sniffContentType(bytes);
  if (raster === 'image/png' || raster === 'image/jpeg' || raster === 'image/webp') return raster;
  if (raster !== null) return null;
  const head = bytes
    .subarray(0, 4096)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  const prolog =
    /^\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*|<!DOCTYPE[^>[]*(\[[\s\S]*?\])?\s*>\s*)*<svg[\s>]/i;
  return prolog.test(head) ? 'image/svg+xml' : null;
}

/**
 * An SVG is a document that could run script if opened on its own. The public response forbids it
 * (Content-Security-Policy), and an `<img>` never runs it; a logo with script, event handlers,
 * `javascript:` links, embedded HTML or external entities is refused all the same. Pure.
 */
export function svgActiveContent(svg: string): string | null {
  if (/<script[\s>/]/i.test(svg)) return 'a <script> element';
  if (/\son[a-z]+\s*=/i.test(svg)) return 'an event handler attribute (on…)';
  if (/javascript:/i.test(svg)) return 'a javascript: link';
  if (/<foreignObject[\s>/]/i.test(svg)) return 'a <foreignObject> element';
  if (/<!ENTITY/i.test(svg)) return 'an entity declaration';
  return null;
}

const logoOf = (s: Storefront) =>
  s.logo ? { logo: s.logo, logo_object_key: s.theme.logo_object_key } : null;

/**
 * Stores a storefront's logo (replacing any previous one): the declared type must be what the bytes
 * are (415). Writes the object, then the storefront's logo fields and its theme's `logo_object_key`
 * in the caller's transaction, audited.
 */
export async function uploadStorefrontLogo(
  ctx: Ctx,
  store: ObjectStore,
  storefrontId: string,
  declared: string,
  body: unknown,
): Promise<Storefront> {
  const before = await getStorefront(ctx, storefrontId);
  assertStorefrontWritable(ctx, 'storefronts.storefront.write', storefrontId);
  if (!Buffer.isBuffer(body) || body.length === 0)
    throw new AppError(
      'unsupported-media-type',
      `Send the picture's bytes with Content-Type ${LOGO_TYPES.join(', ')}.`,
    );
  const sniffed = sniffLogoType(body);
  if (sniffed === null || sniffed !== declared)
    throw new AppError(
      'unsupported-media-type',
      sniffed === null
        ? `The logo is not one of ${LOGO_TYPES.join(', ')} (checked by its content).`
        : `The logo is ${sniffed}, not ${declared}: send it with Content-Type: ${sniffed}.`,
      [
        {
          in: 'headers',
          pointer: '/content-type',
          detail: `must be the logo's type (${sniffed ?? `one of ${LOGO_TYPES.join(', ')}`})`,
        },
      ],
    );
  if (sniffed === 'image/svg+xml') {
    const active = svgActiveContent(body.toString('utf8'));
    if (active)
      throw new AppError('business-rule-violation', `The SVG logo contains ${active}: remove it.`, [
        { in: 'body', pointer: '', detail: `an SVG logo may not contain ${active}` },
      ]);
  }
  const key = logoObjectKey(ctx.tenantId, storefrontId);
  const checksum = createHash('sha256').update(body).digest('hex');
  // The object first: if the transaction then fails, the next upload overwrites it; the reverse order
  // could leave the storefront pointing at nothing.
  await store.put(key, body, sniffed);
  await ctx.tx.execute(sql`update storefronts set
      theme = jsonb_set(theme, '{logo_object_key}', to_jsonb(${key}::text)),
      logo_content_type = ${sniffed}, logo_sha256 = ${checksum}, logo_size_bytes = ${body.length},
      logo_uploaded_at = now(), updated_at = now()
    where tenant_id = ${ctx.tenantId} and id = ${storefrontId}`);
  const after = await getStorefront(ctx, storefrontId);
  await audit(ctx, {
    action: 'storefronts.storefront_logo.upload',
    resource: { type: 'storefront', id: storefrontId },
    changes: changesOf(logoOf(before), logoOf(after)),
    metadata: { store: store.destination },
  });
  await publish(ctx, 'storefront.changed', { storefront_id: storefrontId, change: 'updated' });
  return after;
}

/**
 * Removes a storefront's logo (the shop shows its name again). The object is deleted by the caller
 * after the commit (`removeLogoObject`), so a rolled-back removal keeps the picture. No logo: 404.
 */
export async function deleteStorefrontLogo(ctx: Ctx, storefrontId: string): Promise<Storefront> {
  const before = await getStorefront(ctx, storefrontId);
  assertStorefrontWritable(ctx, 'storefronts.storefront.write', storefrontId);
  if (!before.logo) throw notFound(`The logo of storefront ${storefrontId}`);
  await ctx.tx.execute(sql`update storefronts set
      theme = jsonb_set(theme, '{logo_object_key}', 'null'::jsonb),
      logo_content_type = null, logo_sha256 = null, logo_size_bytes = null, logo_uploaded_at = null,
      updated_at = now()
    where tenant_id = ${ctx.tenantId} and id = ${storefrontId}`);
  const after = await getStorefront(ctx, storefrontId);
  await audit(ctx, {
    action: 'storefronts.storefront_logo.delete',
    resource: { type: 'storefront', id: storefrontId },
    changes: changesOf(logoOf(before), logoOf(after)),
  });
  await publish(ctx, 'storefront.changed', { storefront_id: storefrontId, change: 'updated' });
  return after;
}

/** Deletes a storefront's logo object; an absent one is not an error. */
export async function removeLogoObject(store: ObjectStore, tenantId: string, storefrontId: string) {
  await store.delete(logoObjectKey(tenantId, storefrontId));
}

export interface LogoContent {
  bytes: Buffer;
  contentType: LogoType;
  checksum: string;
}

/**
 * The logo of a storefront, read from this tenant's prefix only: a storefront whose theme names
 * any other key (or no logo) has none (404).
 */
async function contentOf(ctx: Ctx, store: ObjectStore, s: Storefront): Promise<LogoContent> {
  const key = logoObjectKey(ctx.tenantId, s.id);
  if (!s.logo || s.theme.logo_object_key !== key) throw notFound(`The logo of storefront ${s.id}`);
  const bytes = await store.get(key);
  if (!bytes) throw notFound(`The logo of storefront ${s.id}`);
  return { bytes, contentType: s.logo.content_type as LogoType, checksum: s.logo.checksum_sha256 };
}

/** A storefront's logo, for staff who may read the storefront (the console's preview). */
export async function readStorefrontLogo(
  ctx: Ctx,
  store: ObjectStore,
  storefrontId: string,
): Promise<LogoContent> {
  return contentOf(ctx, store, await getStorefront(ctx, storefrontId));
}

/** The logo of the active storefront of `host`, in the current tenant (the public shop). */
export async function readLogoOfHost(ctx: Ctx, store: ObjectStore, host: string): Promise<LogoContent> {
  return contentOf(ctx, store, await storefrontByHost(ctx, host));
}

/** The URL the web app shows the logo from (the version changes with the content); null: no logo. */
export const publicLogoUrl = (s: Pick<Storefront, 'logo'>) =>
  s.logo ? `/api/v1/public/storefront/logo?v=${s.logo.checksum_sha256.slice(0, 16)}` : null;
