/**
 * RFC 9457 problem details, as every API error is answered (docs/api.md). Screens branch on `type`
 * (stable), show `title`/`detail` to people, and bind `errors[]` to the form fields they name.
 */
export interface FieldProblem {
  in: 'body' | 'query' | 'params' | 'headers' | string;
  /** JSON Pointer into that part of the request, e.g. `/siret` or `/addresses/0/city`. */
  pointer: string;
  detail: string;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  request_id?: string;
  errors?: FieldProblem[];
}

/** An API refusal or failure, thrown by every call made through `api` (see client.ts). */
export class ApiError extends Error {
  readonly problem: ProblemDetails;

  constructor(problem: ProblemDetails) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
    this.problem = problem;
  }

  get status(): number {
    return this.problem.status;
  }

  /** The last segment of `type`: `validation-error`, `step-up-required`, `unauthenticated`… */
  get kind(): string {
    return this.problem.type.split('/').pop() ?? this.problem.type;
  }

  /**
   * Field errors by form field name. A pointer `/a/0/b` becomes `a.0.b` (the path notation of
   * @mantine/form); errors on the whole body (pointer `/`) come under `''`.
   */
  fieldErrors(part = 'body'): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.problem.errors ?? []) {
      if (e.in !== part) continue;
      const path = pointerToPath(e.pointer);
      out[path] = out[path] ? `${out[path]}; ${e.detail}` : e.detail;
    }
    return out;
  }
}

/** `/a/0/b~1c` → `a.0.b/c` (RFC 6901 unescaping). */
export function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

/** Reads a problem from any error body; a body that is not one (a proxy's HTML page) becomes a generic one. */
export function toProblem(status: number, body: unknown, statusText = ''): ProblemDetails {
  if (body && typeof body === 'object' && typeof (body as ProblemDetails).type === 'string') {
    const p = body as ProblemDetails;
    return {
      ...p,
      status: typeof p.status === 'number' ? p.status : status,
      title: typeof p.title === 'string' ? p.title : statusText,
      errors: Array.isArray(p.errors) ? p.errors : [],
    };
  }
  return {
    type: status === 0 ? '/problems/network-error' : '/problems/unexpected-response',
    title: statusText || `HTTP ${status}`,
    status,
    errors: [],
  };
}
