import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { notFound } from '../../platform/http/problems.ts';
import { inTenant } from '../../platform/http/tenant-handler.ts';
import { IdSchema } from '../../platform/ids.ts';
import type { ModuleDeps } from '../../platform/module.ts';
import { resolveTenantByHost } from '../../platform/tenancy/service.ts';
import {
  deleteStorefrontLogo,
  LOGO_MAX_BYTES,
  LOGO_TYPES,
  type LogoContent,
  readLogoOfHost,
  readStorefrontLogo,
  removeLogoObject,
  uploadStorefrontLogo,
} from './logo.ts';

const Binary = (description: string) =>
  Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description });

/** `?v=`: the logo's version (the start of its SHA-256), so that a new logo is a new URL for caches. */
const Version = Type.Object(
  {
    v: Type.Optional(
      Type.String({
        pattern: '^[0-9a-f]{1,64}$',
        description: 'The logo’s version (the start of its SHA-256, as in `logo_url`); only for caches',
      }),
    ),
  },
  { additionalProperties: false },
);

/** An SVG shown on its own may not run script nor load anything; inline styles are all it needs. */
export const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'";

/** The logo's bytes with its type, `nosniff`, an ETag (its SHA-256) honoured by `If-None-Match`. */
function sendLogo(req: FastifyRequest, reply: FastifyReply, logo: LogoContent, cacheControl: string) {
  const etag = `"${logo.checksum}"`;
  reply
    .header('etag', etag)
    .header('cache-control', cacheControl)
    .header('x-content-type-options', 'nosniff')
    .header('content-disposition', 'inline');
  if (logo.contentType === 'image/svg+xml') reply.header('content-security-policy', SVG_CSP);
  const match = req.headers['if-none-match'];
  if (match?.split(',').some((m) => m.trim() === etag || m.trim() === '*')) return reply.code(304).send();
  return reply.type(logo.contentType).send(logo.bytes);
}

/**
 * Upload, removal and download of storefront logos. Registered in a context of its own: the binary
 * body parser (the four logo types, up to LOGO_MAX_BYTES) exists for these routes only.
 */
export function storefrontLogoRoutes({ db, objects }: ModuleDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addContentTypeParser(
      [...LOGO_TYPES],
      { parseAs: 'buffer', bodyLimit: LOGO_MAX_BYTES },
      (_req, body, done) => done(null, body),
    );
    const tags = ['Storefronts'];
    const params = Type.Object({ storefront_id: IdSchema('sf') });

    app.put(
      '/api/v1/storefronts/:storefront_id/logo',
      {
        // The bytes are not JSON: the body schema documents them, their type is checked by the service;
        // the path parameter's validation still applies (re-thrown in the handler).
        attachValidation: true,
        schema: {
          operationId: 'uploadStorefrontLogo',
          summary: 'Upload the logo of a storefront',
          description: `The raw bytes as the body, with their type as \`Content-Type\`: ${LOGO_TYPES.join(', ')} — checked against the content (a mismatch or another type is a 415). At most ${LOGO_MAX_BYTES} bytes (413). An SVG with script, event handlers, \`javascript:\` links, \`foreignObject\` or entities is refused (422). Replaces any previous logo; sets the theme's \`logo_object_key\`. The shop then shows it (\`logo_url\` of \`GET /api/v1/public/storefront\`).`,
          tags,
          consumes: [...LOGO_TYPES],
          'x-permission': 'storefronts.storefront.write',
          'x-action': 'storefronts.storefront_logo.upload',
          params,
          body: Binary('The picture’s bytes'),
          response: { 200: Type.Ref('Storefront') },
        },
      },
      async (req, reply) => {
        const invalid = req.validationError as (Error & { validationContext?: string }) | undefined;
        if (invalid && invalid.validationContext !== 'body') throw invalid;
        const declared = String(req.headers['content-type'] ?? '')
          .split(';')[0]!
          .trim()
          .toLowerCase();
        return inTenant(db, req, reply, (ctx) =>
          uploadStorefrontLogo(ctx, objects, req.params.storefront_id, declared, req.body as unknown),
        );
      },
    );

    app.delete(
      '/api/v1/storefronts/:storefront_id/logo',
      {
        schema: {
          operationId: 'deleteStorefrontLogo',
          summary: 'Remove the logo of a storefront',
          description: 'The shop shows its name instead. No logo: 404.',
          tags,
          'x-permission': 'storefronts.storefront.write',
          'x-action': 'storefronts.storefront_logo.delete',
          params,
          response: { 200: Type.Ref('Storefront') },
        },
      },
      async (req, reply) => {
        let tenantId = '';
        const updated = await inTenant(db, req, reply, async (ctx) => {
          tenantId = ctx.tenantId;
          return deleteStorefrontLogo(ctx, req.params.storefront_id);
        });
        // After the commit: a removal that rolled back keeps its picture.
        await removeLogoObject(objects, tenantId, req.params.storefront_id);
        return updated;
      },
    );

    app.get(
      '/api/v1/storefronts/:storefront_id/logo',
      {
        schema: {
          operationId: 'getStorefrontLogo',
          summary: 'Download the logo of a storefront',
          description:
            'The bytes with their `Content-Type`, `X-Content-Type-Options: nosniff` and an `ETag` (the SHA-256) honoured by `If-None-Match`; an SVG comes with a `Content-Security-Policy` that forbids script. No logo: 404.',
          tags,
          produces: [...LOGO_TYPES],
          'x-permission': 'storefronts.storefront.read',
          params,
          querystring: Version,
          response: { 200: Binary('The logo’s bytes') },
        },
      },
      async (req, reply) => {
        const logo = await inTenant(db, req, reply, (ctx) =>
          readStorefrontLogo(ctx, objects, req.params.storefront_id),
        );
        return sendLogo(req, reply as unknown as FastifyReply, logo, 'private, no-cache');
      },
    );

    app.get(
      '/api/v1/public/storefront/logo',
      {
        schema: {
          operationId: 'getPublicStorefrontLogo',
          summary: 'The logo of the storefront of this host (for the web app)',
          description:
            "No authentication: the storefront is the one the `Host` header is registered to, as for `GET /api/v1/public/storefront` (whose `theme.logo_url` links here, with a version `v` that changes with the logo). The bytes with their `Content-Type`, `X-Content-Type-Options: nosniff`, an `ETag` honoured by `If-None-Match`; an SVG with `Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'`. Unknown host, inactive storefront or no logo: 404.",
          tags,
          security: [],
          'x-permission': 'public',
          querystring: Version,
          produces: [...LOGO_TYPES],
          response: { 200: Binary('The logo’s bytes') },
        },
      },
      async (req, reply) => {
        const host = req.headers.host ?? '';
        const tenantId = await resolveTenantByHost(db, host);
        if (!tenantId) throw notFound('The storefront');
        const logo = await inTenant(
          db,
          req,
          reply,
          (ctx) => readLogoOfHost(ctx, objects, host.replace(/:\d+$/, '')),
          tenantId,
        );
        // Revalidated after a minute; `logo_url` changes with the logo, so a new one shows at once.
        return sendLogo(req, reply as unknown as FastifyReply, logo, 'public, max-age=60');
      },
    );
  };
}
