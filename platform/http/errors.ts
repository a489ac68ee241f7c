import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  AppError,
  type FieldError,
  PROBLEM_TYPES,
  type Problem,
  type ProblemType,
  problemTypeUri,
} from './problems.ts';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

const PART: Record<string, FieldError['in']> = {
  body: 'body',
  querystring: 'query',
  params: 'params',
  headers: 'headers',
};

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Turns Ajv's errors into field errors that name the field and say what is wrong with it. */
export function fieldErrorsFromValidation(errors: AjvError[], context: string | undefined): FieldError[] {
  const where = PART[context ?? 'body'] ?? 'body';
  const out: FieldError[] = [];
  for (const e of errors) {
    let pointer = e.instancePath || '';
    let detail = e.message ?? 'is invalid';
    if (e.keyword === 'required') {
      pointer += `/${escapePointer(String(e.params.missingProperty))}`;
      detail = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      pointer += `/${escapePointer(String(e.params.additionalProperty))}`;
      detail = 'is not a known field';
    } else if (e.keyword === 'pattern' && /\/?id$|_id$/.test(pointer)) {
      detail = 'is not a valid identifier of the expected type';
    } else if (e.keyword === 'enum' && Array.isArray(e.params.allowedValues)) {
      detail = `must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`;
    }
    // anyOf/oneOf wrappers repeat what their branches said.
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') continue;
    if (!out.some((f) => f.pointer === (pointer || '/') && f.detail === detail)) {
      out.push({ in: where, pointer: pointer || '/', detail });
    }
  }
  return out;
}

function problem(req: FastifyRequest, type: ProblemType, detail?: string, errors?: FieldError[]): Problem {
  const def = PROBLEM_TYPES[type];
  return {
    type: problemTypeUri(type),
    title: def.title,
    status: def.status,
    ...(detail ? { detail } : {}),
    instance: req.url.split('?')[0],
    request_id: req.id,
    ...(errors?.length ? { errors } : {}),
  };
}

/** Maps Fastify's own client errors (parsing, limits) to our problem types. */
const FASTIFY_CODES: Record<string, ProblemType> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation-error',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported-media-type',
  FST_ERR_BAD_URL: 'validation-error', // a path that is not valid percent-encoding
  FST_ERR_MAX_PARAM_LENGTH: 'validation-error', // a path parameter longer than any identifier
};

/** PostgreSQL errors that can only come from a client's request reaching a constraint. */
const PG_CODES: Record<string, ProblemType> = {
  '23505': 'conflict', // unique_violation
  '23503': 'conflict', // foreign_key_violation
  '40001': 'conflict', // serialization_failure: the client may retry
};

/** Data a client sent that PostgreSQL cannot take as text (the edge should have refused it first). */
const PG_CLIENT_DATA: Record<string, string> = {
  '22021': 'contains a character the database cannot store (U+0000)', // character_not_in_repertoire
  '22P05': 'contains a character the database cannot store', // untranslatable_character
};

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type('application/problem+json').send(body);
}

/** The database error behind a Drizzle "Failed query" wrapper, if any. */
function dbCode(error: unknown): string | undefined {
  let e = error as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 3; depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** Turns any error into the problem document the client gets. */
export function toProblem(error: FastifyError & { validation?: AjvError[] }, req: FastifyRequest): Problem {
  if (error instanceof AppError) {
    if (error.status >= 500) req.log.error({ err: error }, error.message);
    return problem(req, error.type, error.message, error.errors);
  }
  if (error.validation) {
    const errors = fieldErrorsFromValidation(error.validation, error.validationContext);
    const first = errors[0];
    return problem(
      req,
      'validation-error',
      first ? `${first.in}${first.pointer === '/' ? '' : first.pointer} ${first.detail}` : undefined,
      errors,
    );
  }
  const fastifyType = error.code ? FASTIFY_CODES[error.code] : undefined;
  if (fastifyType) return problem(req, fastifyType, error.message);
  const pgType = PG_CODES[dbCode(error) ?? ''];
  if (pgType) return problem(req, pgType, 'The change conflicts with existing data.');
  const pgData = PG_CLIENT_DATA[dbCode(error) ?? ''];
  if (pgData) return problem(req, 'validation-error', `The request ${pgData}.`);
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const type = (Object.entries(PROBLEM_TYPES).find(([, d]) => d.status === status)?.[0] ??
      'validation-error') as ProblemType;
    return problem(req, type, error.message);
  }
  if (status === 503) return problem(req, 'service-unavailable');
  req.log.error({ err: error }, 'unhandled error');
  return problem(req, 'internal-error', 'The error was logged with this request ID.');
}

/** Called with every problem before it is sent (the audit trail records refusals and failures). */
export type ProblemObserver = (req: FastifyRequest, problem: Problem) => Promise<void>;

/** The one error handler: every error leaves as an RFC 9457 problem document. */
export function makeErrorHandler(observe?: ProblemObserver) {
  return async (
    error: FastifyError & { validation?: AjvError[] },
    req: FastifyRequest,
    reply: FastifyReply,
  ) => {
    const p = toProblem(error, req);
    if (observe) {
      try {
        await observe(req, p);
      } catch (err) {
        req.log.error({ err }, 'recording the refusal failed');
      }
    }
    return sendProblem(reply, p);
  };
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply) {
  return sendProblem(reply, problem(req, 'not-found', `No route ${req.method} ${req.url.split('?')[0]}.`));
}

export { problem as buildProblem };
