import { type SQL, sql } from 'drizzle-orm';
import { hasPermission } from '../../platform/access/permissions.ts';
import { scopeFilter } from '../../platform/access/scope.ts';
import { audit, changesOf } from '../../platform/audit/record.ts';
import { cachedRead } from '../../platform/cache/read-cache.ts';
import type { Ctx } from '../../platform/context.ts';
import { rows } from '../../platform/db/database.ts';
import { publish } from '../../platform/events/outbox.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { AppError, conflict, type FieldError, notFound } from '../../platform/http/problems.ts';
import { isId, newId } from '../../platform/ids.ts';
import { getAccount } from '../accounts/service.ts';
import { getCategory, getProduct } from '../catalog/service.ts';
import { isCurrency } from '../pricing/money.ts';
import './events.ts';
import {
  decisionList,
  duplicates,
  type Effect,
  effectiveList,
  isValidHost,
  normalizeHost,
  type Subject,
  type Target,
  type Viewer,
  type VisibilityPlan,
  type VisibilityRule,
  visibilityKey,
} from './rules.ts';

const iso = (v: string | Date) => new Date(v).toISOString();

function invalid(errors: FieldError[]): AppError {
  return new AppError('validation-error', `${errors[0]!.pointer.slice(1)} ${errors[0]!.detail}`, errors);
}

// ─── Storefronts ─────────────────────────────────────────────────────────────────────────────

export interface Theme {
  /** Key of the logo in the object store: set by uploading the logo (logo.ts), never chosen by a client. */
  logo_object_key: string | null;
  /** CSS colours, `#rrggbb`. */
  colors: Record<string, string>;
}

export interface Storefront {
  id: string;
  code: string;
  name: string;
  domains: string[];
  theme: Theme;
  /** What was uploaded as the logo (PUT /storefronts/{id}/logo); null: none. */
  logo: StorefrontLogo | null;
  languages: string[];
  currencies: string[];
  status: 'active' | 'inactive';
  created_at: string;
  updated_at: string;
}

export interface StorefrontLogo {
  content_type: string;
  size_bytes: number;
  checksum_sha256: string;
  uploaded_at: string;
}

export interface StorefrontInput {
  code: string;
  name: string;
  domains?: string[];
  theme?: Partial<Theme>;
  languages?: string[];
  currencies?: string[];
  status?: 'active' | 'inactive';
}

interface StorefrontRow {
  id: string;
  code: string;
  name: string;
  theme: Theme | string;
  languages: string[];
  currencies: string[];
  status: 'active' | 'inactive';
  created_at: string | Date;
  updated_at: string | Date;
  domains: string[] | null;
  logo_content_type: string | null;
  logo_sha256: string | null;
  logo_size_bytes: number | null;
  logo_uploaded_at: string | Date | null;
}

const selectStorefronts = (
  t: string,
) => sql`select s.id, s.code, s.name, s.theme, s.languages, s.currencies, s.status,
    s.created_at, s.updated_at, s.logo_content_type, s.logo_sha256, s.logo_size_bytes, s.logo_uploaded_at,
    (select coalesce(array_agg(d.host order by d.host), '{}') from storefront_domains d
      where d.tenant_id = s.tenant_id and d.storefront_id = s.id) as domains
  from storefronts s where s.tenant_id = ${t}`;

function toStorefront(r: StorefrontRow): Storefront {
  const theme = (typeof r.theme === 'string' ? JSON.parse(r.theme) : r.theme) as Partial<Theme>;
  return {
    id: r.id,
    code: r.code,
    name: r.name,
    domains: r.domains ?? [],
    theme: { logo_object_key: theme.logo_object_key ?? null, colors: theme.colors ?? {} },
    logo:
      r.logo_sha256 && r.logo_content_type && r.logo_uploaded_at
        ? {
            content_type: r.logo_content_type,
            size_bytes: Number(r.logo_size_bytes),
            checksum_sha256: r.logo_sha256,
            uploaded_at: iso(r.logo_uploaded_at),
          }
        : null,
    languages: r.languages,
    currencies: r.currencies,
    status: r.status,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
  };
}

/** A text[] parameter, passed as JSON (identical on PGlite and node-postgres). */
const pgArray = (items: string[]) =>
  sql`array(select jsonb_array_elements_text(${JSON.stringify(items)}::jsonb))`;

function checkStorefrontFields(
  input: Partial<StorefrontInput>,
  currentLogoKey: string | null = null,
): { domains?: string[] } {
  const errors: FieldError[] = [];
  // The logo's key is the upload's (PUT …/logo), under the tenant's own prefix: a client cannot point
  // a storefront at another object (another tenant's, say). Sending the current value back is fine.
  const logoKey = input.theme?.logo_object_key;
  if (logoKey !== undefined && logoKey !== currentLogoKey)
    errors.push({
      in: 'body',
      pointer: '/theme/logo_object_key',
      detail:
        'is set by uploading the logo (PUT /api/v1/storefronts/{storefront_id}/logo) and removed by DELETE',
    });
  const domains = input.domains?.map(normalizeHost);
  domains?.forEach((h, i) => {
    if (!isValidHost(h))
      errors.push({
        in: 'body',
        pointer: `/domains/${i}`,
        detail: 'is not a host name such as shop.example.com',
      });
  });
  for (const d of duplicates(domains ?? []))
    errors.push({ in: 'body', pointer: '/domains', detail: `lists ${d} twice` });
  input.currencies?.forEach((c, i) => {
    if (!isCurrency(c))
      errors.push({
        in: 'body',
        pointer: `/currencies/${i}`,
        detail: `${c} is not a supported ISO 4217 currency`,
      });
  });
  for (const c of duplicates(input.currencies ?? []))
    errors.push({ in: 'body', pointer: '/currencies', detail: `lists ${c} twice` });
  for (const l of duplicates(input.languages ?? []))
    errors.push({ in: 'body', pointer: '/languages', detail: `lists ${l} twice` });
  if (errors.length) throw invalid(errors);
  return domains ? { domains } : {};
}

async function storefrontRow(ctx: Ctx, id: string): Promise<StorefrontRow> {
  const [row] = rows<StorefrontRow>(
    await ctx.tx.execute(sql`${selectStorefronts(ctx.tenantId)} and s.id = ${id}`),
  );
  return readableStorefront(ctx, id, row);
}

/** `found`, if the caller may read storefront `id`; else a 404. */
function readableStorefront<T>(ctx: Ctx, id: string, found: T | null | undefined): T {
  // A staff role scoped to storefronts sees those only: another one answers like an unknown ID.
  const readable = scopeFilter(ctx.actor, 'storefronts.storefront.read', 'storefront');
  if (!found || (readable && !readable.includes(id))) throw notFound(`Storefront ${id}`);
  return found;
}

/**
 * What pricing needs of a storefront — its code and currencies — from the read cache for a read-only
 * request (platform/cache; storefronts notify, migration 0019). The caller's storefront scope is
 * checked at every request, as `getStorefront` does.
 */
export async function storefrontCurrencies(
  ctx: Ctx,
  id: string,
): Promise<{ code: string; currencies: string[] }> {
  const found = await cachedRead(ctx, `storefronts:currencies:${id}`, async () => {
    const [row] = rows<StorefrontRow>(
      await ctx.tx.execute(sql`${selectStorefronts(ctx.tenantId)} and s.id = ${id}`),
    );
    return row ? { code: row.code, currencies: toStorefront(row).currencies } : null;
  });
  return readableStorefront(ctx, id, found);
}

/**
 * Object scope of a write (docs/access-control.md): a holder of `permission` scoped to storefronts
 * may change those storefronts only — another one is a 404 (as for a read), a tenant-wide object
 * (a new storefront, a rule for a group or an account) a 403.
 */
export function assertStorefrontWritable(ctx: Ctx, permission: string, storefrontId: string | null): void {
  const writable = scopeFilter(ctx.actor, permission, 'storefront');
  if (!writable) return;
  if (storefrontId === null)
    throw new AppError(
      'forbidden',
      `Your ${permission} permission is limited to storefronts ${writable.join(', ') || '(none)'}: this change is not about one of them.`,
    );
  if (!writable.includes(storefrontId)) throw notFound(`Storefront ${storefrontId}`);
}

export async function getStorefront(ctx: Ctx, id: string): Promise<Storefront> {
  return toStorefront(await storefrontRow(ctx, id));
}

async function assertCodeFree(
  ctx: Ctx,
  table: 'storefronts' | 'customer_groups',
  code: string,
  exceptId?: string,
) {
  const [other] = rows<{ id: string }>(
    await ctx.tx.execute(
      sql`select id from ${sql.raw(table)} where tenant_id = ${ctx.tenantId} and code = ${code}`,
    ),
  );
  if (other && other.id !== exceptId) throw conflict(`${other.id} already has the code "${code}".`);
}

/**
 * Registers hosts for a storefront: in tenant_domains (the global directory the public host lookup
 * reads) and in storefront_domains. A host of another tenant is refused (409); a host the tenant
 * already had (given when it was created) is taken over without a second directory entry.
 */
async function addDomains(ctx: Ctx, storefrontId: string, hosts: string[]) {
  for (const host of hosts) {
    const [taken] = rows<{ storefront_id: string }>(
      await ctx.tx.execute(
        sql`select storefront_id from storefront_domains where tenant_id = ${ctx.tenantId} and host = ${host}`,
      ),
    );
    if (taken) throw conflict(`${host} is already a domain of storefront ${taken.storefront_id}.`);
    const inserted = rows<{ host: string }>(
      await ctx.tx.execute(sql`insert into tenant_domains (host, tenant_id) values (${host}, ${ctx.tenantId})
                                on conflict (host) do nothing returning host`),
    );
    let directoryEntry = inserted.length === 1;
    if (!directoryEntry) {
      const [own] = rows<{ host: string }>(
        await ctx.tx.execute(
          sql`select host from tenant_domains where host = ${host} and tenant_id = ${ctx.tenantId}`,
        ),
      );
      if (!own) throw conflict(`${host} is registered to another tenant.`);
      directoryEntry = false;
    }
    await ctx.tx.execute(sql`insert into storefront_domains (tenant_id, host, storefront_id, directory_entry)
                              values (${ctx.tenantId}, ${host}, ${storefrontId}, ${directoryEntry})`);
  }
}

async function removeDomains(ctx: Ctx, storefrontId: string, hosts: string[]) {
  if (!hosts.length) return;
  const removed = rows<{ host: string; directory_entry: boolean }>(
    await ctx.tx.execute(sql`delete from storefront_domains where tenant_id = ${ctx.tenantId} and storefront_id = ${storefrontId}
                              and host = any(${pgArray(hosts)}) returning host, directory_entry`),
  );
  const own = removed.filter((r) => r.directory_entry).map((r) => r.host);
  if (own.length)
    await ctx.tx.execute(
      sql`delete from tenant_domains where tenant_id = ${ctx.tenantId} and host = any(${pgArray(own)})`,
    );
}

const themeOf = (t: Partial<Theme> | undefined, base?: Theme): Theme => ({
  logo_object_key: t?.logo_object_key !== undefined ? t.logo_object_key : (base?.logo_object_key ?? null),
  colors: t?.colors ?? base?.colors ?? {},
});

export async function createStorefront(ctx: Ctx, input: StorefrontInput): Promise<Storefront> {
  assertStorefrontWritable(ctx, 'storefronts.storefront.write', null);
  const { domains = [] } = checkStorefrontFields(input);
  await assertCodeFree(ctx, 'storefronts', input.code);
  const id = newId('sf');
  await ctx.tx.execute(sql`insert into storefronts (tenant_id, id, code, name, theme, languages, currencies, status)
    values (${ctx.tenantId}, ${id}, ${input.code}, ${input.name.trim()}, ${JSON.stringify(themeOf(input.theme))}::jsonb,
            ${pgArray(input.languages ?? ['fr'])}, ${pgArray(input.currencies ?? ['EUR'])}, ${input.status ?? 'active'})`);
  await addDomains(ctx, id, domains);
  const created = await getStorefront(ctx, id);
  await audit(ctx, {
    action: 'storefronts.storefront.create',
    resource: { type: 'storefront', id },
    changes: changesOf(null, { ...created }),
  });
  await publish(ctx, 'storefront.changed', { storefront_id: id, change: 'created' });
  return created;
}

export async function updateStorefront(
  ctx: Ctx,
  id: string,
  patch: Partial<StorefrontInput>,
): Promise<Storefront> {
  const current = await getStorefront(ctx, id);
  assertStorefrontWritable(ctx, 'storefronts.storefront.write', id);
  const { domains } = checkStorefrontFields(patch, current.theme.logo_object_key);
  if (patch.code !== undefined && patch.code !== current.code)
    await assertCodeFree(ctx, 'storefronts', patch.code, id);
  const theme = patch.theme !== undefined ? themeOf(patch.theme, current.theme) : current.theme;
  await ctx.tx.execute(sql`update storefronts set
      code = ${patch.code ?? current.code}, name = ${patch.name?.trim() ?? current.name},
      theme = ${JSON.stringify(theme)}::jsonb,
      languages = ${pgArray(patch.languages ?? current.languages)},
      currencies = ${pgArray(patch.currencies ?? current.currencies)},
      status = ${patch.status ?? current.status}, updated_at = now()
    where tenant_id = ${ctx.tenantId} and id = ${id}`);
  if (domains) {
    await removeDomains(
      ctx,
      id,
      current.domains.filter((d) => !domains.includes(d)),
    );
    await addDomains(
      ctx,
      id,
      domains.filter((d) => !current.domains.includes(d)),
    );
  }
  const updated = await getStorefront(ctx, id);
  await audit(ctx, {
    action: 'storefronts.storefront.update',
    resource: { type: 'storefront', id },
    changes: changesOf({ ...current }, { ...updated }),
  });
  await publish(ctx, 'storefront.changed', { storefront_id: id, change: 'updated' });
  return updated;
}

export async function deleteStorefront(ctx: Ctx, id: string): Promise<void> {
  const current = await getStorefront(ctx, id);
  assertStorefrontWritable(ctx, 'storefronts.storefront.write', id);
  await removeDomains(ctx, id, current.domains);
  await ctx.tx.execute(sql`delete from storefronts where tenant_id = ${ctx.tenantId} and id = ${id}`);
  await audit(ctx, {
    action: 'storefronts.storefront.delete',
    resource: { type: 'storefront', id },
    changes: changesOf({ ...current }, null),
  });
  await publish(ctx, 'storefront.changed', { storefront_id: id, change: 'deleted' });
}

export async function listStorefronts(ctx: Ctx, f: { limit: number; cursor?: string }) {
  const after = decodeCursor(f.cursor);
  const readable = scopeFilter(ctx.actor, 'storefronts.storefront.read', 'storefront');
  const inScope = readable
    ? readable.length
      ? sql`and s.id in (select jsonb_array_elements_text(${JSON.stringify(readable)}::jsonb))`
      : sql`and false`
    : sql``;
  const fetched = rows<StorefrontRow>(
    await ctx.tx.execute(sql`${selectStorefronts(ctx.tenantId)} ${inScope} ${after ? sql`and s.id > ${String(after[0])}` : sql``}
      order by s.id limit ${f.limit + 1}`),
  );
  return toPage(fetched, f.limit, (r) => [r.id], toStorefront);
}

/** The active storefront a host name belongs to, in the current tenant (public theme look-up). */
export async function storefrontByHost(ctx: Ctx, host: string): Promise<Storefront> {
  const [row] = rows<StorefrontRow>(
    await ctx.tx.execute(sql`${selectStorefronts(ctx.tenantId)} and s.status = 'active' and s.id =
      (select storefront_id from storefront_domains where tenant_id = ${ctx.tenantId} and host = ${normalizeHost(host)})`),
  );
  if (!row) throw notFound('The storefront');
  return toStorefront(row);
}

// ─── Customer groups ─────────────────────────────────────────────────────────────────────────

export interface CustomerGroup {
  id: string;
  code: string;
  name: string;
  description: string | null;
  member_count: number;
  created_at: string;
  updated_at: string;
}

export interface CustomerGroupInput {
  code: string;
  name: string;
  description?: string | null;
}

interface GroupRow {
  id: string;
  code: string;
  name: string;
  description: string | null;
  member_count: number;
  created_at: string | Date;
  updated_at: string | Date;
}

const selectGroups = (
  t: string,
) => sql`select g.id, g.code, g.name, g.description, g.created_at, g.updated_at,
    (select count(*)::int from customer_group_members m where m.tenant_id = g.tenant_id and m.group_id = g.id) as member_count
  from customer_groups g where g.tenant_id = ${t}`;

const toGroup = (r: GroupRow): CustomerGroup => ({
  id: r.id,
  code: r.code,
  name: r.name,
  description: r.description,
  member_count: Number(r.member_count),
  created_at: iso(r.created_at),
  updated_at: iso(r.updated_at),
});

export async function getCustomerGroup(ctx: Ctx, id: string): Promise<CustomerGroup> {
  const [row] = rows<GroupRow>(await ctx.tx.execute(sql`${selectGroups(ctx.tenantId)} and g.id = ${id}`));
  if (!row) throw notFound(`Customer group ${id}`);
  return toGroup(row);
}

export async function createCustomerGroup(ctx: Ctx, input: CustomerGroupInput): Promise<CustomerGroup> {
  await assertCodeFree(ctx, 'customer_groups', input.code);
  const id = newId('cgrp');
  await ctx.tx.execute(sql`insert into customer_groups (tenant_id, id, code, name, description)
    values (${ctx.tenantId}, ${id}, ${input.code}, ${input.name.trim()}, ${input.description ?? null})`);
  const created = await getCustomerGroup(ctx, id);
  const { member_count: _m, ...shape } = created;
  await audit(ctx, {
    action: 'storefronts.customer_group.create',
    resource: { type: 'customer_group', id },
    changes: changesOf(null, shape),
  });
  await publish(ctx, 'customer_group.changed', { group_id: id, change: 'created' });
  return created;
}

export async function updateCustomerGroup(
  ctx: Ctx,
  id: string,
  patch: Partial<CustomerGroupInput>,
): Promise<CustomerGroup> {
  const current = await getCustomerGroup(ctx, id);
  if (patch.code !== undefined && patch.code !== current.code)
    await assertCodeFree(ctx, 'customer_groups', patch.code, id);
  await ctx.tx.execute(sql`update customer_groups set code = ${patch.code ?? current.code},
      name = ${patch.name?.trim() ?? current.name},
      description = ${patch.description !== undefined ? patch.description : current.description}, updated_at = now()
    where tenant_id = ${ctx.tenantId} and id = ${id}`);
  const updated = await getCustomerGroup(ctx, id);
  await audit(ctx, {
    action: 'storefronts.customer_group.update',
    resource: { type: 'customer_group', id },
    changes: changesOf({ ...current }, { ...updated }),
  });
  await publish(ctx, 'customer_group.changed', { group_id: id, change: 'updated' });
  return updated;
}

export async function deleteCustomerGroup(ctx: Ctx, id: string): Promise<void> {
  const current = await getCustomerGroup(ctx, id);
  // Its members, visibility rules (and, in pricing, its targets) go with it.
  await ctx.tx.execute(sql`delete from customer_groups where tenant_id = ${ctx.tenantId} and id = ${id}`);
  await audit(ctx, {
    action: 'storefronts.customer_group.delete',
    resource: { type: 'customer_group', id },
    changes: changesOf({ ...current }, null),
  });
  await publish(ctx, 'customer_group.changed', { group_id: id, change: 'deleted' });
}

export async function listCustomerGroups(
  ctx: Ctx,
  f: { limit: number; cursor?: string; account_id?: string },
) {
  const after = decodeCursor(f.cursor);
  const fetched = rows<GroupRow>(
    await ctx.tx.execute(sql`${selectGroups(ctx.tenantId)}
      ${after ? sql`and g.id > ${String(after[0])}` : sql``}
      ${f.account_id ? sql`and exists (select 1 from customer_group_members m where m.tenant_id = g.tenant_id and m.group_id = g.id and m.account_id = ${f.account_id})` : sql``}
      order by g.id limit ${f.limit + 1}`),
  );
  return toPage(fetched, f.limit, (r) => [r.id], toGroup);
}

export interface GroupMember {
  group_id: string;
  account_id: string;
  /**
   * The account's trading name, so that a list of members reads without one request per row; null
   * for a caller who may not read that account (group rights alone do not reveal customers' names).
   */
  account_name: string | null;
  added_at: string;
}

function readableAccountName(ctx: Ctx, accountId: string, name: string): string | null {
  if (!hasPermission(ctx.actor, 'accounts.account.read')) return null;
  const scope = scopeFilter(ctx.actor, 'accounts.account.read', 'account');
  return !scope || scope.includes(accountId) ? name : null;
}

/** Puts an account in a group (idempotent: already a member answers the same). */
export async function addGroupMember(ctx: Ctx, groupId: string, accountId: string): Promise<GroupMember> {
  await getCustomerGroup(ctx, groupId);
  const account = await getAccount(ctx, accountId);
  const inserted = rows<{ created_at: string | Date }>(
    await ctx.tx.execute(sql`insert into customer_group_members (tenant_id, group_id, account_id)
      values (${ctx.tenantId}, ${groupId}, ${accountId}) on conflict do nothing returning created_at`),
  );
  const [row] = inserted.length
    ? inserted
    : rows<{ created_at: string | Date }>(
        await ctx.tx.execute(sql`select created_at from customer_group_members
          where tenant_id = ${ctx.tenantId} and group_id = ${groupId} and account_id = ${accountId}`),
      );
  await audit(ctx, {
    action: 'storefronts.customer_group.add_member',
    resource: { type: 'customer_group', id: groupId },
    metadata: { account_id: accountId, already_member: inserted.length === 0 },
  });
  if (inserted.length)
    await publish(ctx, 'customer_group.members_changed', {
      group_id: groupId,
      account_id: accountId,
      change: 'added',
    });
  return {
    group_id: groupId,
    account_id: accountId,
    account_name: readableAccountName(ctx, accountId, account.name),
    added_at: iso(row!.created_at),
  };
}

export async function removeGroupMember(ctx: Ctx, groupId: string, accountId: string): Promise<void> {
  await getCustomerGroup(ctx, groupId);
  const removed = rows<{ account_id: string }>(
    await ctx.tx.execute(sql`delete from customer_group_members
      where tenant_id = ${ctx.tenantId} and group_id = ${groupId} and account_id = ${accountId} returning account_id`),
  );
  if (!removed.length) throw notFound(`Account ${accountId} in group ${groupId}`);
  await audit(ctx, {
    action: 'storefronts.customer_group.remove_member',
    resource: { type: 'customer_group', id: groupId },
    metadata: { account_id: accountId },
  });
  await publish(ctx, 'customer_group.members_changed', {
    group_id: groupId,
    account_id: accountId,
    change: 'removed',
  });
}

export async function listGroupMembers(ctx: Ctx, groupId: string, f: { limit: number; cursor?: string }) {
  const after = decodeCursor(f.cursor);
  await getCustomerGroup(ctx, groupId);
  const fetched = rows<{ account_id: string; account_name: string; created_at: string | Date }>(
    await ctx.tx.execute(sql`select m.account_id, a.name as account_name, m.created_at from customer_group_members m
      join accounts a on a.tenant_id = m.tenant_id and a.id = m.account_id
      where m.tenant_id = ${ctx.tenantId} and m.group_id = ${groupId} ${after ? sql`and m.account_id > ${String(after[0])}` : sql``}
      order by m.account_id limit ${f.limit + 1}`),
  );
  return toPage(
    fetched,
    f.limit,
    (r) => [r.account_id],
    (r): GroupMember => ({
      group_id: groupId,
      account_id: r.account_id,
      account_name: readableAccountName(ctx, r.account_id, r.account_name),
      added_at: iso(r.created_at),
    }),
  );
}

/**
 * The groups of an account that `getAccount` finds for this caller (404 otherwise), from the read
 * cache for a read-only request (accounts and group members notify, migrations 0019 and 0021). An
 * account outside the caller's account scope answers like an unknown one: the scope is in the key.
 */
export async function groupsOfReadableAccount(ctx: Ctx, id: string): Promise<string[]> {
  const scope = scopeFilter(ctx.actor, 'accounts.account.read', 'account');
  const found = await cachedRead(
    ctx,
    `storefronts:account-groups:${id}:${JSON.stringify(scope)}`,
    async () => {
      try {
        await getAccount(ctx, id);
      } catch (e) {
        if (e instanceof AppError && e.type === 'not-found') return null;
        throw e;
      }
      return groupIdsOfAccount(ctx, id);
    },
  );
  if (!found) throw notFound(`Account ${id}`);
  return found;
}

/** The groups an account belongs to (pricing and visibility read this). */
export async function groupIdsOfAccount(ctx: Ctx, accountId: string): Promise<string[]> {
  return rows<{ group_id: string }>(
    await ctx.tx.execute(sql`select group_id from customer_group_members
      where tenant_id = ${ctx.tenantId} and account_id = ${accountId} order by group_id`),
  ).map((r) => r.group_id);
}

// ─── Visibility rules ────────────────────────────────────────────────────────────────────────

export type SubjectType = Subject['kind'];
export type TargetType = Target['kind'];

export interface VisibilityRuleView {
  id: string;
  subject_type: SubjectType;
  subject_id: string;
  target_type: TargetType;
  target_id: string | null;
  effect: Effect;
  created_at: string;
  updated_at: string;
}

export interface VisibilityRuleInput {
  subject_type: SubjectType;
  subject_id: string;
  target_type: TargetType;
  target_id?: string | null;
  effect: Effect;
}

interface RuleRow {
  id: string;
  subject_kind: SubjectType;
  storefront_id: string | null;
  group_id: string | null;
  account_id: string | null;
  target_kind: TargetType;
  category_id: string | null;
  product_id: string | null;
  effect: Effect;
  created_at: string | Date;
  updated_at: string | Date;
}

const toRuleView = (r: RuleRow): VisibilityRuleView => ({
  id: r.id,
  subject_type: r.subject_kind,
  subject_id: (r.storefront_id ?? r.group_id ?? r.account_id)!,
  target_type: r.target_kind,
  target_id: r.category_id ?? r.product_id ?? null,
  effect: r.effect,
  created_at: iso(r.created_at),
  updated_at: iso(r.updated_at),
});

const toRule = (r: RuleRow): VisibilityRule => ({
  id: r.id,
  subject:
    r.subject_kind === 'storefront'
      ? { kind: 'storefront', storefrontId: r.storefront_id! }
      : r.subject_kind === 'group'
        ? { kind: 'group', groupId: r.group_id! }
        : { kind: 'account', accountId: r.account_id! },
  target:
    r.target_kind === 'all'
      ? { kind: 'all' }
      : r.target_kind === 'category'
        ? { kind: 'category', categoryId: r.category_id! }
        : { kind: 'product', productId: r.product_id! },
  effect: r.effect,
});

const RULE_COLUMNS = sql`id, subject_kind, storefront_id, group_id, account_id, target_kind, category_id, product_id, effect, created_at, updated_at`;

const SUBJECT_PREFIX: Record<SubjectType, string> = { storefront: 'sf', group: 'cgrp', account: 'acct' };
const TARGET_PREFIX: Record<Exclude<TargetType, 'all'>, string> = { category: 'cat', product: 'prod' };

/** The subject and target must be of the kind named, and exist in this tenant: else 400 naming the field. */
async function checkRuleRefs(ctx: Ctx, input: VisibilityRuleInput): Promise<void> {
  const errors: FieldError[] = [];
  const exists = async (fn: () => Promise<unknown>) =>
    fn().then(
      () => true,
      (e) => {
        if (e instanceof AppError && e.type === 'not-found') return false;
        throw e;
      },
    );
  if (!isId(SUBJECT_PREFIX[input.subject_type], input.subject_id))
    errors.push({
      in: 'body',
      pointer: '/subject_id',
      detail: `is not a ${input.subject_type} ID (${SUBJECT_PREFIX[input.subject_type]}_…)`,
    });
  else if (
    !(await exists(() =>
      input.subject_type === 'storefront'
        ? getStorefront(ctx, input.subject_id)
        : input.subject_type === 'group'
          ? getCustomerGroup(ctx, input.subject_id)
          : getAccount(ctx, input.subject_id),
    ))
  )
    errors.push({
      in: 'body',
      pointer: '/subject_id',
      detail: `is not a ${input.subject_type} of this tenant`,
    });
  if (input.target_type === 'all') {
    if (input.target_id != null)
      errors.push({ in: 'body', pointer: '/target_id', detail: 'must be absent when target_type is all' });
  } else if (!input.target_id || !isId(TARGET_PREFIX[input.target_type], input.target_id)) {
    errors.push({
      in: 'body',
      pointer: '/target_id',
      detail: `must be a ${input.target_type} ID (${TARGET_PREFIX[input.target_type]}_…)`,
    });
  } else {
    const id = input.target_id;
    if (
      !(await exists(() => (input.target_type === 'category' ? getCategory(ctx, id) : getProduct(ctx, id))))
    )
      errors.push({
        in: 'body',
        pointer: '/target_id',
        detail: `is not a ${input.target_type} of this catalogue`,
      });
  }
  if (errors.length) throw invalid(errors);
}

async function ruleRow(ctx: Ctx, id: string): Promise<RuleRow> {
  const [row] = rows<RuleRow>(
    await ctx.tx.execute(
      sql`select ${RULE_COLUMNS} from visibility_rules where tenant_id = ${ctx.tenantId} and id = ${id}`,
    ),
  );
  const readable = scopeFilter(ctx.actor, 'storefronts.visibility.read', 'storefront');
  if (!row || (readable && !(row.storefront_id && readable.includes(row.storefront_id))))
    throw notFound(`Visibility rule ${id}`);
  return row;
}

export async function getVisibilityRule(ctx: Ctx, id: string): Promise<VisibilityRuleView> {
  return toRuleView(await ruleRow(ctx, id));
}

export async function createVisibilityRule(
  ctx: Ctx,
  input: VisibilityRuleInput,
): Promise<VisibilityRuleView> {
  await checkRuleRefs(ctx, input);
  assertStorefrontWritable(
    ctx,
    'storefronts.visibility.write',
    input.subject_type === 'storefront' ? input.subject_id : null,
  );
  const col = (kind: string, want: string) =>
    kind === want ? (kind === 'all' ? null : input.subject_id) : null;
  const tcol = (want: string) => (input.target_type === want ? (input.target_id ?? null) : null);
  const id = newId('vis');
  const inserted = rows<RuleRow>(
    await ctx.tx.execute(sql`insert into visibility_rules (tenant_id, id, subject_kind, storefront_id, group_id, account_id,
        target_kind, category_id, product_id, effect)
      values (${ctx.tenantId}, ${id}, ${input.subject_type}, ${col(input.subject_type, 'storefront')},
              ${col(input.subject_type, 'group')}, ${col(input.subject_type, 'account')}, ${input.target_type},
              ${tcol('category')}, ${tcol('product')}, ${input.effect})
      on conflict (tenant_id, subject_key, target_key) do nothing returning ${RULE_COLUMNS}`),
  );
  if (!inserted.length)
    throw conflict(
      `A rule for this ${input.subject_type} and ${input.target_type === 'all' ? 'the whole catalogue' : `this ${input.target_type}`} already exists: change its effect instead.`,
    );
  const created = toRuleView(inserted[0]!);
  await audit(ctx, {
    action: 'storefronts.visibility_rule.create',
    resource: { type: 'visibility_rule', id },
    changes: changesOf(null, { ...created }),
  });
  await publish(ctx, 'visibility.changed', { rule_id: id, change: 'created' });
  return created;
}

export async function updateVisibilityRule(
  ctx: Ctx,
  id: string,
  patch: { effect: Effect },
): Promise<VisibilityRuleView> {
  const currentRow = await ruleRow(ctx, id);
  assertStorefrontWritable(ctx, 'storefronts.visibility.write', currentRow.storefront_id);
  const current = toRuleView(currentRow);
  const [row] = rows<RuleRow>(
    await ctx.tx.execute(sql`update visibility_rules set effect = ${patch.effect}, updated_at = now()
      where tenant_id = ${ctx.tenantId} and id = ${id} returning ${RULE_COLUMNS}`),
  );
  const updated = toRuleView(row!);
  await audit(ctx, {
    action: 'storefronts.visibility_rule.update',
    resource: { type: 'visibility_rule', id },
    changes: changesOf({ ...current }, { ...updated }),
  });
  await publish(ctx, 'visibility.changed', { rule_id: id, change: 'updated' });
  return updated;
}

export async function deleteVisibilityRule(ctx: Ctx, id: string): Promise<void> {
  const currentRow = await ruleRow(ctx, id);
  assertStorefrontWritable(ctx, 'storefronts.visibility.write', currentRow.storefront_id);
  const current = toRuleView(currentRow);
  await ctx.tx.execute(sql`delete from visibility_rules where tenant_id = ${ctx.tenantId} and id = ${id}`);
  await audit(ctx, {
    action: 'storefronts.visibility_rule.delete',
    resource: { type: 'visibility_rule', id },
    changes: changesOf({ ...current }, null),
  });
  await publish(ctx, 'visibility.changed', { rule_id: id, change: 'deleted' });
}

export async function listVisibilityRules(
  ctx: Ctx,
  f: {
    limit: number;
    cursor?: string;
    subject_type?: SubjectType;
    subject_id?: string;
    target_type?: TargetType;
    target_id?: string;
  },
) {
  const after = decodeCursor(f.cursor);
  const where: SQL[] = [sql`tenant_id = ${ctx.tenantId}`];
  if (after) where.push(sql`id > ${String(after[0])}`);
  if (f.subject_type) where.push(sql`subject_kind = ${f.subject_type}`);
  if (f.subject_id) where.push(sql`coalesce(storefront_id, group_id, account_id) = ${f.subject_id}`);
  if (f.target_type) where.push(sql`target_kind = ${f.target_type}`);
  if (f.target_id) where.push(sql`coalesce(category_id, product_id) = ${f.target_id}`);
  const readable = scopeFilter(ctx.actor, 'storefronts.visibility.read', 'storefront');
  if (readable)
    where.push(
      readable.length
        ? sql`storefront_id in (select jsonb_array_elements_text(${JSON.stringify(readable)}::jsonb))`
        : sql`false`,
    );
  const fetched = rows<RuleRow>(
    await ctx.tx.execute(sql`select ${RULE_COLUMNS} from visibility_rules where ${sql.join(where, sql` and `)}
      order by id limit ${f.limit + 1}`),
  );
  return toPage(fetched, f.limit, (r) => [r.id], toRuleView);
}

// ─── Who sees what (the catalogue's visibility hook) ─────────────────────────────────────────

/** The storefront a unit of work is for (a public request on its host, a buyer's session on it). */
const boundStorefront = new WeakMap<Ctx, string>();

/** A context acting on storefront `storefrontId`: its assortment applies to buyers and visitors. */
export function onStorefront(ctx: Ctx, storefrontId: string): Ctx {
  const bound: Ctx = { ...ctx };
  boundStorefront.set(bound, storefrontId);
  return bound;
}

/**
 * Who is looking, for visibility: null for staff, API integrations and jobs, which see the whole
 * catalogue; a viewer for a buyer (their account and its groups) and for an anonymous visitor of a
 * storefront. Buyers are users of kind `buyer` (platform/identity); their account is on the user.
 */
export function viewerOf(ctx: Ctx): Promise<Viewer | null> {
  // Once per unit of work: a priced buyer search asks for the currency, then the prices (boundToViewer).
  let viewer = viewers.get(ctx);
  if (!viewer) {
    const anonymous = ctx.actor.type === 'system' && ctx.actor.id === 'anonymous';
    const key = `storefronts:viewer:${anonymous ? '' : (ctx.actor.userId ?? '-')}:${boundStorefront.get(ctx) ?? ''}:${ctx.host ?? ''}`;
    viewer = cachedRead(ctx, key, () => lookUpViewer(ctx));
    viewers.set(ctx, viewer);
  }
  return viewer;
}

/** viewerOf's answers, per context (one transaction, one actor, one host: the answer cannot change). */
const viewers = new WeakMap<Ctx, Promise<Viewer | null>>();

async function lookUpViewer(ctx: Ctx): Promise<Viewer | null> {
  const anonymous = ctx.actor.type === 'system' && ctx.actor.id === 'anonymous';
  let accountId: string | null = null;
  if (!anonymous) {
    if (!ctx.actor.userId) return null;
    const [user] = rows<{ kind: 'staff' | 'buyer'; account_id: string | null }>(
      await ctx.tx.execute(
        sql`select kind, account_id from users where tenant_id = ${ctx.tenantId} and id = ${ctx.actor.userId}`,
      ),
    );
    if (user?.kind !== 'buyer') return null;
    accountId = user.account_id;
  }
  // The storefront bound by the caller, else the one whose domain the request came on.
  const storefrontId = boundStorefront.get(ctx) ?? (await storefrontIdOfHost(ctx));
  return { storefrontId, accountId, groupIds: accountId ? await groupIdsOfAccount(ctx, accountId) : [] };
}

/** The active storefront of the request's host in this tenant, or null (no host, not a storefront domain). */
export async function storefrontIdOfHost(ctx: Ctx): Promise<string | null> {
  if (!ctx.host || !isValidHost(normalizeHost(ctx.host))) return null;
  const [row] = rows<{ id: string }>(
    await ctx.tx.execute(sql`select s.id from storefront_domains d
      join storefronts s on s.tenant_id = d.tenant_id and s.id = d.storefront_id and s.status = 'active'
     where d.tenant_id = ${ctx.tenantId} and d.host = ${normalizeHost(ctx.host)}`),
  );
  return row?.id ?? null;
}

/**
 * The visibility condition on `p` (catalog_products) for this context, installed into the catalogue
 * with `setCatalogVisibility`. `unrestricted` is returned as is for staff and integrations (so the
 * catalogue can skip the check). For a viewer: not a draft, and the first rule of the decision list
 * (rules.ts) that covers the product decides — as one CASE expression, so search, facets, counts and
 * product reads all apply exactly the same rules.
 */
export async function visibilityCondition(ctx: Ctx, unrestricted: SQL): Promise<SQL> {
  const plan = await visibilityPlan(ctx);
  return plan ? conditionOfPlan(plan) : unrestricted;
}

/**
 * The visibility condition with its key (rules.ts `visibilityKey`), both from one and the same plan:
 * a result computed under this condition is exactly what every caller of the same key may see (the
 * catalogue search caches its results under the key, not the user).
 */
export async function keyedVisibilityCondition(
  ctx: Ctx,
  unrestricted: SQL,
): Promise<{ condition: SQL; key: string }> {
  const plan = await visibilityPlan(ctx);
  return { condition: plan ? conditionOfPlan(plan) : unrestricted, key: visibilityKey(plan) };
}

/**
 * For a read-only request (`ctx.readOnly`), from the read cache (platform/cache),
 * keyed by the viewer (user or anonymous) and the storefront (bound or by host); the cache is
 * dropped at every committed change of a table the plan is read from (migration 0019).
 */
export async function visibilityPlan(ctx: Ctx): Promise<VisibilityPlan | null> {
  const anonymous = ctx.actor.type === 'system' && ctx.actor.id === 'anonymous';
  if (!anonymous && !ctx.actor.userId) return null;
  // Staff see everything: authentication read the user's kind at this request (no statement here).
  const known = ctx.actor.userKind;
  if (!anonymous && known?.kind === 'staff' && known.userId === ctx.actor.userId) return null;
  const bound = boundStorefront.get(ctx) ?? null;
  const host = !bound && ctx.host && isValidHost(normalizeHost(ctx.host)) ? normalizeHost(ctx.host) : null;
  return cachedRead(
    ctx,
    `storefronts:visibility:${anonymous ? '' : ctx.actor.userId}:${bound ?? ''}:${host ?? ''}`,
    () => lookUpVisibilityPlan(ctx, anonymous, bound, host),
  );
}

async function lookUpVisibilityPlan(
  ctx: Ctx,
  anonymous: boolean,
  bound: string | null,
  host: string | null,
): Promise<VisibilityPlan | null> {
  const t = ctx.tenantId;
  // One statement per request (this runs for every buyer's search and product read): the buyer's
  // account and groups (as viewerOf), the rules whose subject is the viewer, and the depth of each
  // rule's category (its number of ancestors).
  const [found] = rows<{
    kind: string | null;
    account_id: string | null;
    storefront_id: string | null;
    group_ids: string[] | string;
    rules: (RuleRow & { depth: number | null })[] | string;
  }>(
    await ctx.tx.execute(sql`with u as (select kind, account_id from users
                                         where tenant_id = ${t} and id = ${anonymous ? null : ctx.actor.userId}),
        g as (select m.group_id from customer_group_members m join u on m.account_id = u.account_id and u.kind = 'buyer'
               where m.tenant_id = ${t}),
        sf as (select coalesce(${bound}::text, (select s.id from storefront_domains d
                  join storefronts s on s.tenant_id = d.tenant_id and s.id = d.storefront_id and s.status = 'active'
                 where d.tenant_id = ${t} and d.host = ${host}::text)) as id),
        k as (select 'storefront:' || id as key from sf where id is not null
              union all select 'group:' || group_id from g
              union all select 'account:' || account_id from u where kind = 'buyer' and account_id is not null)
      select (select kind from u) as kind, (select account_id from u) as account_id, (select id from sf) as storefront_id,
             coalesce((select json_agg(group_id order by group_id) from g), '[]'::json) as group_ids,
             coalesce((select json_agg(json_build_object('id', r.id, 'subject_kind', r.subject_kind,
                         'storefront_id', r.storefront_id, 'group_id', r.group_id, 'account_id', r.account_id,
                         'target_kind', r.target_kind, 'category_id', r.category_id, 'product_id', r.product_id,
                         'effect', r.effect,
                         'depth', case when r.category_id is null then null else (
                           with recursive up(id, d) as (
                             select r.category_id, 0
                             union all
                             select c.parent_id, up.d + 1 from catalog_categories c join up on c.id = up.id
                              where c.tenant_id = ${t} and c.parent_id is not null)
                           select max(d) from up) end))
                         from visibility_rules r where r.tenant_id = ${t} and r.subject_key in (select key from k)),
                       '[]'::json) as rules`),
  );
  const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
  if (!anonymous && found?.kind !== 'buyer') return null;
  const accountId = anonymous ? null : (found?.account_id ?? null);
  const viewer: Viewer = {
    storefrontId: found?.storefront_id ?? null,
    accountId,
    groupIds: accountId ? json(found?.group_ids ?? []) : [],
  };
  const ruleRows = json(found?.rules ?? []);
  if (!ruleRows.length) return { list: [] };
  const rules = ruleRows.map(toRule);
  const depth = new Map(
    ruleRows.filter((r) => r.category_id && r.depth !== null).map((r) => [r.category_id!, Number(r.depth)]),
  );
  return { list: effectiveList(decisionList(rules, viewer, (c) => depth.get(c))) };
}

/** The plan as a condition on `p` (catalog_products): not a draft, and the first covering rule decides. */
export function conditionOfPlan(plan: VisibilityPlan): SQL {
  const base = sql`p.status <> 'draft'`;
  if (!plan.list.length) return base;
  const whens = plan.list.map(({ rule }) => {
    const allow = rule.effect === 'allow' ? sql`true` : sql`false`;
    const target = rule.target;
    if (target.kind === 'all') return sql`when true then ${allow}`;
    if (target.kind === 'product') return sql`when p.id = ${target.productId} then ${allow}`;
    // A rule on a category covers the products linked to it or below it: its ID is in their
    // precomputed category paths (catalog_products.category_paths, migration 0016).
    return sql`when p.category_paths && ${pgArray([target.categoryId])} then ${allow}`;
  });
  return sql`(${base} and (case ${sql.join(whens, sql` `)} else true end))`;
}
