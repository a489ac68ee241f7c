import type { FastifyRequest } from 'fastify';
import { findTenantBySlug, getTenant, resolveTenantByHost } from '../tenancy/service.ts';

export interface PublicTenant {
  id: string;
  slug: string;
  name: string;
}

/**
 * The tenant of an unauthenticated identity request (login, reset, invitation): the one the Host
 * is registered to, or the one named by the body's `tenant` slug. A suspended or unknown tenant is
 * null, which callers answer exactly like a wrong password.
 */
export async function resolvePublicTenant(
  db: Parameters<typeof resolveTenantByHost>[0],
  req: FastifyRequest,
  slug: string | undefined,
): Promise<PublicTenant | null> {
  if (slug !== undefined) {
    const t = await findTenantBySlug(db, slug);
    return t && t.status === 'active' ? { id: t.id, slug: t.slug, name: t.name } : null;
  }
  const id = await resolveTenantByHost(db, req.headers.host);
  if (!id) return null;
  const t = await getTenant(db, id);
  return { id: t.id, slug: t.slug, name: t.name };
}
