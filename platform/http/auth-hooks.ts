import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AUTHENTICATED, hasPermission, PUBLIC } from '../access/permissions.ts';
import { resolveSupportGrant, SUPPORT_GRANT_HEADER } from '../access/support.ts';
import type { Database } from '../db/database.ts';
import { changesNothing } from '../identity/auth-cache.ts';
import { authenticateBearer, type Principal } from '../identity/authenticate.ts';
import { authenticateSessionCookie } from '../identity/sessions.ts';
import { AppError } from './problems.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifySchema {
    /** The permission the route requires: a catalogue name, `public` or `authenticated`. */
    'x-permission'?: string;
    /**
     * The audit action of a write (or a sensitive read), e.g. `accounts.account.create`. The service
     * records the success; a refusal or failure of the request is recorded under the same name.
     */
    'x-action'?: string;
    /**
     * A POST that changes nothing (a computation whose input does not fit in a query string, e.g.
     * pricing a cart): no `x-action`, no audit event on success, like a GET. test/openapi.test.ts
     * allows it on POST only.
     */
    'x-read-only'?: boolean;
    /** The route reads the Authorization header itself (the OAuth token endpoint: HTTP Basic client authentication). */
    'x-own-authorization'?: boolean;
  }
}

export function routePermission(req: FastifyRequest): string | undefined {
  return req.routeOptions.schema?.['x-permission'];
}

/**
 * Authenticates the bearer token (if any) and enforces the route's `x-permission` before the body is
 * even parsed: a caller without the right learns nothing from validation errors.
 */
export function registerAuthHooks(
  app: FastifyInstance,
  db: Database,
  opts: { verifyJwt?: (token: string) => Promise<Principal | null> } = {},
): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    const header = req.headers.authorization;
    if (header !== undefined && !req.routeOptions.schema?.['x-own-authorization']) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const principal = match?.[1]
        ? await authenticateBearer(db, match[1], req.ip, opts.verifyJwt, changesNothing(req))
        : null;
      // A credential that does not authenticate is refused, never downgraded to anonymous.
      if (!principal)
        throw new AppError('unauthenticated', 'The bearer token is not valid, expired or revoked.');
      req.principal = principal;
    } else {
      // A web session (cookie): the same principal as a token, and a CSRF check on writes.
      await authenticateSessionCookie(db, req);
    }
    const permission = routePermission(req);
    if (permission === undefined || permission === PUBLIC) return;
    if (!req.principal)
      throw new AppError('unauthenticated', 'This endpoint needs an API token (Authorization: Bearer …).');
    const isPlatform = permission.startsWith('platform.');
    // A platform operator under an approved support grant acts in that tenant (platform/access/support.ts).
    const grant = req.headers[SUPPORT_GRANT_HEADER];
    if (req.principal.kind === 'operator' && !isPlatform && typeof grant === 'string') {
      const resolved = await resolveSupportGrant(db, req.principal.actor, grant.trim());
      if (!resolved) throw new AppError('forbidden', 'There is no such support grant of yours.');
      req.principal = resolved.principal;
      if (resolved.inactive) throw new AppError('forbidden', resolved.inactive);
    }
    if (isPlatform !== (req.principal.kind === 'operator')) {
      throw new AppError(
        'forbidden',
        isPlatform
          ? 'This endpoint is for platform operators.'
          : 'Platform operators have no access to tenant data.',
      );
    }
    if (permission !== AUTHENTICATED && !hasPermission(req.principal.actor, permission)) {
      throw new AppError('forbidden', `This action requires the permission ${permission}.`);
    }
  });
}
