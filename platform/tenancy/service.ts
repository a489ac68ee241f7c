import { sql } from 'drizzle-orm';
import { grantInitialOwner } from '../access/service.ts';
import { audit, changesOf } from '../audit/record.ts';
import { type Actor, type Ctx, systemActor } from '../context.ts';
import { type Database, rows } from '../db/database.ts';
import { APP_ROLE, enterScope, inSystemTransaction } from '../db/scope.ts';
import { decodeCursor, toPage } from '../http/pagination.ts';
import { conflict, notFound } from '../http/problems.ts';
import { createApiToken, createUser, type IssuedToken } from '../identity/users.ts';
import { newId } from '../ids.ts';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  status: 'active' | 'suspended';
  default_locale: string;
  timezone: string;
  domains: string[];
  created_at: string;
}

interface TenantRow {
  id: string;
  slug: string;
  name: string;
  status: 'active' | 'suspended';
  default_locale: string;
  timezone: string;
  domains: string[] | null;
  created_at: string | Date;
}

const toTenant = (r: TenantRow): Tenant => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  status: r.status,
  default_locale: r.default_locale,
  timezone: r.timezone,
  domains: r.domains ?? [],
  created_at: new Date(r.created_at).toISOString(),
});

const selectTenants = sql`
  select t.id, t.slug, t.name, t.status, t.default_locale, t.timezone, t.created_at,
         coalesce((select array_agg(d.host order by d.host) from tenant_domains d where d.tenant_id = t.id), '{}') as domains
    from tenants t`;

export interface NewTenant {
  name: string;
  slug: string;
  defaultLocale?: string;
  timezone?: string;
  domains?: string[];
  owner: { email: string; displayName: string; password?: string };
}

export interface CreatedTenant {
  tenant: Tenant;
  ownerId: string;
  ownerToken: IssuedToken;
}

/**
 * Creates a tenant with its domains, its owner user and the owner's first API token, in one
 * transaction: the directory rows as the system role, the tenant's own rows as the tenant.
 */
export async function createTenant(
  db: Database,
  input: NewTenant,
  by: Actor = systemActor('cli'),
  origin: { requestId: string; ip: string | null; userAgent: string | null } = {
    requestId: 'tenant-creation',
    ip: null,
    userAgent: null,
  },
): Promise<CreatedTenant> {
  const tenantId = newId('ten');
  const domains = [...new Set((input.domains ?? []).map((d) => d.toLowerCase()))];
  return inSystemTransaction(db, async (tx, afterCommit) => {
    const taken = rows<{ slug: string | null; host: string | null }>(
      await tx.execute(sql`
        select slug, null as host from tenants where slug = ${input.slug}
        union all
        select null, host from tenant_domains where host in (${sql.join(domains.length ? domains.map((d) => sql`${d}`) : [sql`null`], sql`, `)})`),
    );
    if (taken.some((t) => t.slug)) throw conflict(`The tenant slug "${input.slug}" is already taken.`);
    const host = taken.find((t) => t.host)?.host;
    if (host) throw conflict(`The domain "${host}" already belongs to another tenant.`);

    await tx.execute(sql`
      insert into tenants (id, slug, name, default_locale, timezone)
      values (${tenantId}, ${input.slug}, ${input.name}, ${input.defaultLocale ?? 'fr'}, ${input.timezone ?? 'Europe/Paris'})`);
    for (const d of domains) {
      await tx.execute(sql`insert into tenant_domains (host, tenant_id) values (${d}, ${tenantId})`);
    }
    // From here on, the same transaction acts as the new tenant (row-level security applies).
    await enterScope(tx, APP_ROLE, tenantId);
    const ctx: Ctx = {
      tenantId,
      actor: by,
      ...origin,
      locale: input.defaultLocale ?? 'fr',
      tx,
      db,
      afterCommit,
    };
    await audit(ctx, {
      action: 'tenancy.tenant.create',
      resource: { type: 'tenant', id: tenantId },
      changes: changesOf(null, { name: input.name, slug: input.slug, domains }),
    });
    const owner = await createUser(ctx, {
      email: input.owner.email,
      displayName: input.owner.displayName,
      kind: 'staff',
      ...(input.owner.password ? { password: input.owner.password } : {}),
    });
    await grantInitialOwner(ctx, owner.id);
    const ownerToken = await createApiToken(ctx, {
      userId: owner.id,
      name: 'Initial owner token',
      scopes: ['*'],
    });
    const [row] = rows<TenantRow>(await tx.execute(sql`${selectTenants} where t.id = ${tenantId}`));
    return { tenant: toTenant(row!), ownerId: owner.id, ownerToken };
  });
}

export async function getTenant(db: Database, id: string): Promise<Tenant> {
  const [row] = await inSystemTransaction(db, async (tx) =>
    rows<TenantRow>(await tx.execute(sql`${selectTenants} where t.id = ${id}`)),
  );
  if (!row) throw notFound('The tenant');
  return toTenant(row);
}

export async function listTenants(db: Database, q: { limit: number; cursor?: string }) {
  const after = decodeCursor(q.cursor);
  const fetched = await inSystemTransaction(db, async (tx) =>
    rows<TenantRow>(
      await tx.execute(sql`${selectTenants}
        ${after ? sql`where t.id > ${String(after[0])}` : sql``}
        order by t.id limit ${q.limit + 1}`),
    ),
  );
  return toPage(fetched, q.limit, (r) => [r.id], toTenant);
}

export async function findTenantBySlug(db: Database, slug: string): Promise<Tenant | null> {
  const [row] = await inSystemTransaction(db, async (tx) =>
    rows<TenantRow>(await tx.execute(sql`${selectTenants} where t.slug = ${slug}`)),
  );
  return row ? toTenant(row) : null;
}

/**
 * The tenant a public request is for, from its Host header (storefront domains). The host is the
 * only client input trusted for this, and only because each host is registered to one tenant.
 */
export async function resolveTenantByHost(db: Database, host: string | undefined): Promise<string | null> {
  if (!host) return null;
  const name = host.toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  const [row] = await inSystemTransaction(db, async (tx) =>
    rows<{ tenant_id: string }>(
      await tx.execute(sql`select d.tenant_id from tenant_domains d join tenants t on t.id = d.tenant_id
                            where d.host = ${name} and t.status = 'active'`),
    ),
  );
  return row?.tenant_id ?? null;
}

/** The current tenant, seen from inside its own scope. */
export async function currentTenant(ctx: Ctx): Promise<Tenant> {
  const [row] = rows<TenantRow>(await ctx.tx.execute(sql`${selectTenants} where t.id = ${ctx.tenantId}`));
  if (!row) throw notFound('The tenant');
  return toTenant(row);
}
