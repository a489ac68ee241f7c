import { Type } from 'typebox';

/**
 * RFC 9457 problem details. `type` is a stable URI reference per kind of error; integrators
 * branch on it, never on `title` or `detail`. The catalogue is documented in docs/api.md.
 */
export const PROBLEM_TYPES = {
  'validation-error': { status: 400, title: 'The request is not valid' },
  'malformed-json': { status: 400, title: 'The request body is not valid JSON' },
  'invalid-cursor': { status: 400, title: 'The pagination cursor is not valid' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'You do not have the permission for this action' },
  'step-up-required': {
    status: 403,
    title: 'This action needs a recent second factor: verify one with POST /api/v1/auth/step-up',
  },
  'not-found': { status: 404, title: 'The resource does not exist' },
  'method-not-allowed': { status: 405, title: 'The method is not allowed on this resource' },
  conflict: { status: 409, title: 'The request conflicts with the current state of the resource' },
  'idempotency-key-reused': {
    status: 422,
    title: 'This Idempotency-Key was already used with a different request',
  },
  'business-rule-violation': { status: 422, title: 'The request breaks a business rule' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'unsupported-media-type': { status: 415, title: 'The request body media type is not supported' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'service-unavailable': { status: 503, title: 'The service is unavailable' },
  'internal-error': { status: 500, title: 'An unexpected error occurred' },
  // After the generic types: a bare status maps to the first type with it (errors.ts).
  'four-eyes-required': {
    status: 403,
    title: 'Four-eyes principle: someone other than the initiator must perform this action',
  },
  'sod-conflict': {
    status: 409,
    title: 'Separation of duties: this would give one person two conflicting permissions',
  },
} as const;

export type ProblemType = keyof typeof PROBLEM_TYPES;

export const PROBLEM_BASE = '/problems/';

export function problemTypeUri(type: ProblemType): string {
  return `${PROBLEM_BASE}${type}`;
}

/** One invalid field: where it is and what is wrong. */
export interface FieldError {
  /** `body`, `query`, `params` or `headers`. */
  in: 'body' | 'query' | 'params' | 'headers';
  /** JSON Pointer (RFC 6901) to the field inside that part, e.g. `/lines/0/quantity`. */
  pointer: string;
  detail: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  request_id?: string;
  errors?: FieldError[];
}

/** The one error type services and routes throw; the error handler turns it into a problem document. */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly type: ProblemType,
    detail?: string,
    readonly errors?: FieldError[],
  ) {
    super(detail ?? PROBLEM_TYPES[type].title);
    this.name = 'AppError';
    this.status = PROBLEM_TYPES[type].status;
  }
}

export const notFound = (what: string) => new AppError('not-found', `${what} was not found.`);
export const conflict = (detail: string) => new AppError('conflict', detail);
export const fieldError = (pointer: string, detail: string, where: FieldError['in'] = 'body') =>
  new AppError('validation-error', detail, [{ in: where, pointer, detail }]);

export const ProblemSchema = Type.Object(
  {
    type: Type.String({
      description: 'Stable identifier of the kind of problem',
      examples: ['/problems/not-found'],
    }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    request_id: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          in: Type.Union([
            Type.Literal('body'),
            Type.Literal('query'),
            Type.Literal('params'),
            Type.Literal('headers'),
          ]),
          pointer: Type.String({ description: 'JSON Pointer to the field' }),
          detail: Type.String(),
        }),
      ),
    ),
  },
  { $id: 'Problem', title: 'Problem (RFC 9457)' },
);
