import createClient, { type Middleware } from 'openapi-fetch';
import { ApiError, toProblem } from './problem.ts';
import type { paths } from './schema';

/**
 * The one way the web app talks to the server: typed from the committed openapi.json
 * (`npm run web:client` regenerates schema.d.ts). The session is the HttpOnly cookie — never seen by
 * scripts; the CSRF token the API returns at login and from GET /auth/session is kept in memory only
 * and sent as `x-csrf-token` on every write (docs/api.md).
 */

let csrfToken: string | null = null;

/** Remembers the session's CSRF token (login, MFA completion, GET /auth/session); null at logout. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

const csrf: Middleware = {
  onRequest({ request }) {
    if (!SAFE.has(request.method) && csrfToken) request.headers.set('x-csrf-token', csrfToken);
    return request;
  },
};

export const client = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
client.use(csrf);

type Result<T> = { data?: T; error?: unknown; response: Response };

/**
 * Unwraps an openapi-fetch result: the data, or an `ApiError` carrying the problem details.
 *
 *     const health = await call(client.GET('/api/v1/catalog/health'));
 */
export async function call<T>(pending: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await pending;
  } catch (err) {
    throw new ApiError(toProblem(0, null, (err as Error).message));
  }
  const { data, error, response } = result;
  if (!response.ok) throw new ApiError(toProblem(response.status, error, response.statusText));
  return data as T;
}
