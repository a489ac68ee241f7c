import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { inTenant } from '../../platform/http/tenant-handler.ts';
import { IdSchema } from '../../platform/ids.ts';
import type { ModuleDeps } from '../../platform/module.ts';
import { readMediaContent, UPLOAD_TYPES, uploadMediaContent } from './media.ts';

const Binary = (description: string) =>
  Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description });

/**
 * Upload and download of media content. Registered in a context of its own: the binary body parser
 * (the four upload types, up to MEDIA_MAX_BYTES) exists for these routes only; the rest of the API
 * stays JSON-only.
 */
export function mediaContentRoutes({ db, objects, config }: ModuleDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.addContentTypeParser(
      [...UPLOAD_TYPES],
      { parseAs: 'buffer', bodyLimit: config.mediaMaxBytes },
      (_req, body, done) => done(null, body),
    );
    const tags = ['Catalogue'];
    const params = Type.Object({ media_id: IdSchema('med') });

    app.put(
      '/api/v1/catalog/media/:media_id/content',
      {
        // The bytes are not JSON: the body schema documents them, their type is checked below;
        // the path parameter's validation still applies (re-thrown in the handler).
        attachValidation: true,
        schema: {
          operationId: 'uploadProductMediaContent',
          summary: 'Upload the content of a medium or document',
          description: `The raw bytes as the body, with their type as \`Content-Type\`: ${UPLOAD_TYPES.join(', ')} — checked against the content's first bytes (a mismatch is a 415). Images for \`image\` media, PDF for datasheets and safety sheets (else 422). At most ${config.mediaMaxBytes} bytes (413). Replaces any previous content; the medium's type, size and SHA-256 are set from what was received.`,
          tags,
          consumes: [...UPLOAD_TYPES],
          'x-permission': 'catalog.product.write',
          'x-action': 'catalog.media.upload',
          params,
          body: Binary('The file’s bytes'),
          response: { 200: Type.Ref('CatalogMedia') },
        },
      },
      async (req, reply) => {
        const invalid = req.validationError as (Error & { validationContext?: string }) | undefined;
        if (invalid && invalid.validationContext !== 'body') throw invalid;
        // Not the bytes (a JSON body, none): 415 once the medium is known to exist (else 404).
        const body = req.body as unknown;
        const declared = String(req.headers['content-type'] ?? '')
          .split(';')[0]!
          .trim()
          .toLowerCase();
        return inTenant(db, req, reply, (ctx) =>
          uploadMediaContent(ctx, objects, req.params.media_id, declared, body),
        );
      },
    );

    app.get(
      '/api/v1/catalog/media/:media_id/content',
      {
        schema: {
          operationId: 'downloadProductMediaContent',
          summary: 'Download the content of a medium or document',
          description:
            'The bytes with their `Content-Type`, an `ETag` (the SHA-256) honoured by `If-None-Match`, and `Content-Disposition` (inline for images, attachment for documents). A buyer gets 404 for the media of a product hidden from them, like for a missing one.',
          tags,
          produces: [...UPLOAD_TYPES],
          'x-permission': 'catalog.product.read',
          params,
          response: { 200: Binary('The file’s bytes') },
        },
      },
      async (req, reply) => {
        const content = await inTenant(db, req, reply, (ctx) =>
          readMediaContent(ctx, objects, req.params.media_id),
        );
        const etag = `"${content.checksum}"`;
        reply
          .header('etag', etag)
          .header('cache-control', 'private, max-age=300')
          .header('content-disposition', `${content.disposition}; filename="${content.filename}"`)
          .header('x-content-type-options', 'nosniff');
        const match = req.headers['if-none-match'];
        if (match?.split(',').some((m) => m.trim() === etag || m.trim() === '*'))
          return (reply as unknown as FastifyReply).code(304).send();
        return reply.type(content.contentType).send(content.bytes);
      },
    );
  };
}
