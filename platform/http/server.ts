import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import cors from '@fastify/cors';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import addFormatsImport, { type FormatsPlugin } from 'ajv-formats';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../config/config.ts';
import { type Database, ping } from '../db/database.ts';
import { settingsFrom, verifyAccessToken } from '../identity/oauth.ts';
import { createLogger } from '../logging/logger.ts';
import { registerAuthHooks } from './auth-hooks.ts';
import { makeErrorHandler, notFoundHandler, type ProblemObserver } from './errors.ts';
import { AppError, type FieldError, PROBLEM_TYPES, ProblemSchema, type ProblemType } from './problems.ts';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsImport as unknown as { default?: FormatsPlugin }).default ??
  addFormatsImport) as unknown as FormatsPlugin;

export type App = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface ServerState {
  /** False once shutdown has begun: readiness answers 503 so load balancers stop routing here. */
  ready: boolean;
}

export interface ServerOptions {
  config: Config;
  db: Database;
  /** Where logs go (tests capture them); stdout by default. */
  logStream?: Writable;
  version?: string;
  /** Sees every problem before it is sent (audit of refusals and failures). */
  onProblem?: ProblemObserver;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

function newAjv(coerceTypes: false | 'array'): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    removeAdditional: false,
    useDefaults: true,
    coerceTypes,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

/**
 * Validation: bodies are JSON and validated as they are (a string is not a number, an unknown field
 * is an error); query strings and path parameters are text, so they are coerced to the schema's types.
 */
/** Fastify asks for a validator compiler per plugin context (≈ 180 times); two Ajv instances per set of shared schemas are enough. */
const validatorCache = new Map<string, { schemas: object[]; body: Ajv; text: Ajv }>();

function buildValidator(externalSchemas: unknown) {
  const entries = Object.entries((externalSchemas ?? {}) as Record<string, object>);
  const key = entries.map(([id]) => id).join('\n');
  let cached = validatorCache.get(key);
  if (!cached || cached.schemas.some((s, i) => s !== entries[i]![1])) {
    const body = newAjv(false);
    const text = newAjv('array');
    for (const [, schema] of entries) {
      body.addSchema(schema);
      text.addSchema(schema);
    }
    cached = { schemas: entries.map(([, s]) => s), body, text };
    validatorCache.set(key, cached);
  }
  const { body, text } = cached;
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    lazyValidator(httpPart === 'body' ? body : text, schema);
}

/**
 * Compiles a route's validator on its first request rather than at start-up: compiling every
 * route's schemas up front took most of the start time (≈ 2.7 s of 3.5 s for 160 routes) and is
 * paid again by every test that builds an app. The compiled function is cached; Fastify reads the
 * errors of the last call from the returned function, so they are copied onto it.
 */
function lazyValidator(ajv: Ajv, schema: object) {
  let compiled: (((data: unknown) => boolean) & { errors?: unknown }) | undefined;
  const validate = ((data: unknown) => {
    compiled ??= ajv.compile(schema);
    const ok = compiled(data);
    validate.errors = compiled.errors;
    return ok;
  }) as ((data: unknown) => boolean) & { errors?: unknown };
  return validate;
}

/** Response serialisers (fast-json-stringify), likewise built on a route's first response. */
function buildSerializer(externalSchemas: unknown, serializerOpts: unknown) {
  const compile = SerializerSelector()(externalSchemas as never, serializerOpts as never);
  return (routeSchema: Parameters<typeof compile>[0]) => {
    let serialize: ((data: unknown) => string) | undefined;
    return (data: unknown) => {
      serialize ??= compile(routeSchema) as (data: unknown) => string;
      return serialize(data);
    };
  };
}

/** The fields of a request part whose text (value or key) holds U+0000; iterative, so deep JSON cannot overflow the stack. */
function nulFields(part: FieldError['in'], value: unknown): FieldError[] {
  const out: FieldError[] = [];
  const stack: [string, unknown][] = [['', value]];
  while (stack.length) {
    const [pointer, v] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000'))
        out.push({
          in: part,
          pointer: pointer || '/',
          detail: 'must not contain the NUL character (U+0000)',
        });
    } else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        const p = `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (k.includes('\u0000'))
          out.push({ in: part, pointer: p, detail: 'must not contain the NUL character (U+0000)' });
        stack.push([p, child]);
      }
    }
  }
  return out.reverse();
}

/** The error responses every operation may return, documented once. */
const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Type.Ref('Problem') } },
});

/**
 * Builds the HTTP server with the platform's conventions: request IDs, redacted logs, security
 * headers, CORS by configuration, strict validation (unknown fields and wrong types are errors;
 * only query strings and path parameters are coerced from text), problem details for every
 * error, authentication and permission hooks, OpenAPI 3.1 and its interactive reference at /docs,
 * health and readiness.
 */
export async function createServer(opts: ServerOptions): Promise<{ app: App; state: ServerState }> {
  const { config, db } = opts;
  const state: ServerState = { ready: true };
  const errorHandler = makeErrorHandler(opts.onProblem);
  const app = Fastify({
    loggerInstance: createLogger(config.logLevel, opts.logStream) as unknown as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    schemaController: {
      compilersFactory: {
        buildValidator: buildValidator as never,
        buildSerializer: buildSerializer as never,
      },
    },
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : `req_${randomUUID()}`;
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Errors raised before routing (bad percent-encoding, over-long parameter) are problems too;
    // the onRequest hook has not run, so the request ID header is set here.
    frameworkErrors: (error, req, reply) => {
      reply.header('x-request-id', req.id);
      return errorHandler(error as never, req, reply);
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Only JSON bodies: Fastify's default text/plain parser would turn a 415 into a confusing 400.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  // PostgreSQL text cannot hold U+0000: refuse it here, naming the field, rather than fail in the database.
  app.addHook('preValidation', async (req) => {
    const errors = [
      // A binary body (media upload) is bytes, not text fields.
      ...(Buffer.isBuffer(req.body) ? [] : nulFields('body', req.body)),
      ...nulFields('query', req.query),
      ...nulFields('params', req.params),
    ];
    if (errors.length) {
      throw new AppError(
        'validation-error',
        `${errors[0]!.in}${errors[0]!.pointer} ${errors[0]!.detail}`,
        errors,
      );
    }
  });

  app.addSchema(ProblemSchema);
  app.addHook('onRoute', (route) => {
    const schema = route.schema as Record<string, unknown> | undefined;
    if (!schema?.response || schema.hide) return;
    const response = schema.response as Record<string, unknown>;
    response['4xx'] ??= problemResponse('Client error (see `type`)');
    response['5xx'] ??= problemResponse('Server error');
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
      },
    },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  });
  await app.register(cors, {
    origin: config.corsOrigins.length ? config.corsOrigins : false,
    credentials: true,
    exposedHeaders: ['x-request-id', 'idempotent-replayed'],
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Comptoir API',
        version: opts.version ?? '0.1.0',
        description:
          'The public REST API of Comptoir, the multi-tenant B2B commerce platform. Everything the web app does goes through it. ' +
          'Conventions: JSON in snake_case, prefixed time-sortable IDs, cursor pagination (`limit`, `cursor`, `next_cursor`), ' +
          '`Idempotency-Key` on POST, RFC 9457 problem details for errors. Each operation states the permission it requires in `x-permission`.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: config.publicUrl }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'API token (`cpt_…`), or operator token (`cpo_…`) for /platform',
          },
        },
      },
      security: [{ bearer: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string) ?? `def-${i}`,
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  const oauth = settingsFrom(config);
  registerAuthHooks(app, db, { verifyJwt: (token) => verifyAccessToken(db, token, oauth) });

  const plain = { hide: true } as const;
  app.get('/healthz', { schema: { ...plain, 'x-permission': 'public' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { ...plain, 'x-permission': 'public' } }, async (_req, reply) => {
    if (!state.ready) return reply.code(503).send({ status: 'draining' });
    try {
      await ping(db);
      return { status: 'ready', database: db.driver };
    } catch {
      return reply.code(503).send({ status: 'database-unavailable' });
    }
  });
  app.get('/openapi.json', { schema: { ...plain, 'x-permission': 'public' } }, async () => app.swagger());
  app.get(
    '/.well-known/security.txt',
    { schema: { ...plain, 'x-permission': 'public' } },
    async (_req, reply) => {
      const expires = new Date(Date.now() + 180 * 86_400_000).toISOString();
      reply.type('text/plain; charset=utf-8');
      return [
        `Contact: ${config.securityContact}`,
        `Expires: ${expires}`,
        `Preferred-Languages: fr, en`,
        `Policy: ${config.publicUrl}/security-policy`,
        `Canonical: ${config.publicUrl}/.well-known/security.txt`,
        '',
      ].join('\n');
    },
  );
  app.get<{ Params: { type: string } }>(
    '/problems/:type',
    { schema: { ...plain, 'x-permission': 'public' } },
    async (req, reply) => {
      const def = PROBLEM_TYPES[req.params.type as ProblemType];
      if (!def) return notFoundHandler(req, reply);
      return { type: `/problems/${req.params.type}`, title: def.title, status: def.status };
    },
  );

  return { app, state };
}
