import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { audit, auditedIn, resourceOf } from '../audit/record.ts';
import { readCacheOf } from '../cache/read-cache.ts';
import { canonicalJson } from '../canonical-json.ts';
import type { Ctx } from '../context.ts';
import { type Database, rows } from '../db/database.ts';
import { inTenantTransaction } from '../db/scope.ts';
import { changesNothing } from '../identity/auth-cache.ts';
import { AppError } from './problems.ts';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Where a request comes from, as the context and the audit trail record it. */
export function requestOrigin(req: FastifyRequest): {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
} {
  return {
    requestId: req.id,
    ip: req.ip ?? null,
    userAgent: req.headers['user-agent']?.slice(0, 512) ?? null,
  };
}

function localeOf(req: FastifyRequest): string {
  const lang = req.headers['accept-language']?.split(',')[0]?.trim().slice(0, 2).toLowerCase();
  return lang === 'en' ? 'en' : 'fr';
}

function isUniqueViolationOn(err: unknown, constraint: string): boolean {
  const e = err as { code?: string; constraint?: string; cause?: unknown };
  if (e?.code === '23505' && (e.constraint === undefined || e.constraint === constraint)) return true;
  return e?.cause !== undefined && isUniqueViolationOn(e.cause, constraint);
}

/**
 * Runs a route's work in one transaction as the request's tenant, with a context built from the
 * authenticated principal (never from a client-supplied header). For a POST carrying an
 * `Idempotency-Key`, the response is stored in the same transaction as the change, so a replay
 * returns exactly the first response and the change happens once; the same key with a different
 * request is a 422. Only successful responses are stored: a failed request changed nothing and may
 * be retried with the same key.
 */
export async function inTenant<T>(
  db: Database,
  req: FastifyRequest,
  reply: FastifyReply,
  fn: (ctx: Ctx) => Promise<T>,
  tenantId: string | null = req.principal?.kind === 'tenant' ? req.principal.tenantId : null,
): Promise<T> {
  if (!tenantId) throw new AppError('unauthenticated', 'This endpoint needs a tenant API token.');
  const principal = req.principal;
  const actor =
    principal?.kind === 'tenant'
      ? principal.actor
      : {
          type: 'system' as const,
          id: 'anonymous',
          userId: null,
          displayName: 'Anonymous visitor',
          permissions: new Set<string>(),
        };

  const rawKey = req.method === 'POST' ? req.headers['idempotency-key'] : undefined;
  if (rawKey !== undefined && (typeof rawKey !== 'string' || !IDEMPOTENCY_KEY.test(rawKey))) {
    throw new AppError('validation-error', 'Idempotency-Key must be 1–255 visible ASCII characters.', [
      { in: 'headers', pointer: '/idempotency-key', detail: 'must be 1–255 visible ASCII characters' },
    ]);
  }
  const key = rawKey as string | undefined;
  const route = req.routeOptions.url ?? req.url;
  // GET/HEAD, and a POST that changes nothing (`x-read-only`, e.g. pricing a cart): may use the read cache.
  const readOnly = changesNothing(req);
  const requestHash = key
    ? createHash('sha256')
        .update(canonicalJson([req.method, route, req.params ?? {}, req.body ?? null]))
        .digest('hex')
    : '';

  const run = () =>
    inTenantTransaction(db, tenantId, async (tx, afterCommit) => {
      if (key) {
        const [stored] = rows<{ request_hash: string; response_status: number; response_body: unknown }>(
          await tx.execute(sql`select request_hash, response_status, response_body from idempotency_keys
                                where tenant_id = ${tenantId} and principal_id = ${actor.id} and key = ${key}`),
        );
        if (stored) {
          if (stored.request_hash !== requestHash) {
            throw new AppError(
              'idempotency-key-reused',
              'This Idempotency-Key was used for a different request.',
            );
          }
          reply.code(stored.response_status).header('idempotent-replayed', 'true');
          return (
            typeof stored.response_body === 'string' ? JSON.parse(stored.response_body) : stored.response_body
          ) as T;
        }
      }
      const ctx: Ctx = {
        tenantId,
        actor,
        ...requestOrigin(req),
        locale: localeOf(req),
        host: req.hostname || null,
        tx,
        db,
        afterCommit,
        readOnly,
      };
      const result = await fn(ctx);
      // Every write (and every audited read) leaves an event in this same transaction. Services
      // record the precise one (resource, before/after); this is the net under a forgotten call.
      const action = req.routeOptions.schema?.['x-action'];
      if (action && auditedIn(tx) === 0) {
        await audit(ctx, { action, resource: resourceOf(action, req.params) });
      }
      if (key) {
        await tx.execute(sql`
          insert into idempotency_keys (tenant_id, key, principal_id, method, route, request_hash, response_status, response_body)
          values (${tenantId}, ${key}, ${actor.id}, ${req.method}, ${route}, ${requestHash}, ${reply.statusCode},
                  ${JSON.stringify(result ?? null)}::jsonb)`);
      }
      return result;
    });

  try {
    const result = await run();
    // Read your own writes: this process drops the tenant's cached reads before answering; the
    // database's notification (platform/cache/read-cache.ts) reaches every process a moment later.
    if (!readOnly) readCacheOf(db)?.invalidate(tenantId);
    return result;
  } catch (err) {
    // Two requests with the same key at once: the second waited on the first's key row, then
    // collided with it; its own change rolled back. Answer with the first one's stored response.
    if (key && isUniqueViolationOn(err, 'idempotency_keys_pkey')) return run();
    throw err;
  }
}
