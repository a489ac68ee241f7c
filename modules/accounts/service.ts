import { and, asc, eq, gt, ilike, inArray, type SQL, sql } from 'drizzle-orm';
import { scopeFilter } from '../../platform/access/scope.ts';
import { audit, changesOf } from '../../platform/audit/record.ts';
import type { Ctx } from '../../platform/context.ts';
import { publish } from '../../platform/events/outbox.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { AppError, conflict, type FieldError, notFound } from '../../platform/http/problems.ts';
import { newId } from '../../platform/ids.ts';
import './events.ts';
import { checkVatNumber, isValidSiret, normalizeVatNumber } from './rules.ts';
import { type AccountRow, accounts } from './schema.ts';

/** A customer account as the API shows it. */
export interface Account {
  id: string;
  name: string;
  legal_name: string | null;
  country: string;
  siret: string | null;
  vat_number: string | null;
  external_ref: string | null;
  status: 'active' | 'blocked';
  created_at: string;
  updated_at: string;
}

export interface AccountInput {
  name: string;
  legal_name?: string | null;
  country?: string;
  siret?: string | null;
  vat_number?: string | null;
  external_ref?: string | null;
  status?: 'active' | 'blocked';
}

export function toAccount(r: AccountRow): Account {
  return {
    id: r.id,
    name: r.name,
    legal_name: r.legalName,
    country: r.country,
    siret: r.siret,
    vat_number: r.vatNumber,
    external_ref: r.externalRef,
    status: r.status,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

/** Business validation beyond the schema: identifiers must be real French/EU identifiers. */
function validate(input: Partial<AccountInput>, country: string): Partial<AccountInput> {
  const errors: FieldError[] = [];
  const out = { ...input };
  if (input.siret != null) {
    out.siret = input.siret.replace(/\s/g, '');
    if (country !== 'FR')
      errors.push({ in: 'body', pointer: '/siret', detail: 'only French companies have a SIRET' });
    else if (!isValidSiret(out.siret))
      errors.push({ in: 'body', pointer: '/siret', detail: 'is not a valid SIRET (14 digits, checksum)' });
  }
  if (input.vat_number != null) {
    out.vat_number = normalizeVatNumber(input.vat_number);
    const check = checkVatNumber(out.vat_number);
    if (!check.ok) errors.push({ in: 'body', pointer: '/vat_number', detail: check.reason });
    else if (
      out.siret &&
      out.vat_number.startsWith('FR') &&
      out.vat_number.slice(4) !== out.siret.slice(0, 9)
    ) {
      errors.push({ in: 'body', pointer: '/vat_number', detail: 'does not match the SIREN of the SIRET' });
    }
  }
  if (errors.length)
    throw new AppError('validation-error', `${errors[0]!.pointer.slice(1)} ${errors[0]!.detail}`, errors);
  return out;
}

async function assertExternalRefFree(ctx: Ctx, externalRef: string | null | undefined, exceptId?: string) {
  if (!externalRef) return;
  const [other] = await ctx.tx
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.tenantId, ctx.tenantId), eq(accounts.externalRef, externalRef)));
  if (other && other.id !== exceptId)
    throw conflict(`Account ${other.id} already has external_ref "${externalRef}".`);
}

export async function createAccount(ctx: Ctx, input: AccountInput): Promise<Account> {
  const country = input.country ?? 'FR';
  const v = validate(input, country);
  await assertExternalRefFree(ctx, v.external_ref);
  const now = new Date();
  const [row] = await ctx.tx
    .insert(accounts)
    .values({
      tenantId: ctx.tenantId,
      id: newId('acct'),
      name: input.name.trim(),
      legalName: v.legal_name ?? null,
      country,
      siret: v.siret ?? null,
      vatNumber: v.vat_number ?? null,
      externalRef: v.external_ref ?? null,
      status: v.status ?? 'active',
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  const created = toAccount(row!);
  await audit(ctx, {
    action: 'accounts.account.create',
    resource: { type: 'account', id: created.id },
    changes: changesOf(null, { ...created }),
  });
  await publish(ctx, 'account.created', {
    account_id: row!.id,
    name: row!.name,
    external_ref: row!.externalRef,
  });
  return created;
}

export async function getAccount(ctx: Ctx, id: string): Promise<Account> {
  const [row] = await ctx.tx
    .select()
    .from(accounts)
    .where(and(eq(accounts.tenantId, ctx.tenantId), eq(accounts.id, id)));
  // Another tenant's ID answers exactly like an ID that never existed; so does an account outside
  // the caller's scope (a buyer's role is limited to the buyer's company).
  const scope = scopeFilter(ctx.actor, 'accounts.account.read', 'account');
  if (!row || (scope && !scope.includes(id))) throw notFound(`Account ${id}`);
  return toAccount(row);
}

export async function updateAccount(ctx: Ctx, id: string, patch: Partial<AccountInput>): Promise<Account> {
  const current = await getAccount(ctx, id);
  const writable = scopeFilter(ctx.actor, 'accounts.account.write', 'account');
  if (writable && !writable.includes(id)) throw notFound(`Account ${id}`);
  const v = validate(
    // A new SIRET is checked against the VAT number already on file, and the other way round.
    { siret: current.siret, vat_number: current.vat_number, ...patch },
    patch.country ?? current.country,
  );
  const next: Account = {
    ...current,
    ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
    ...(patch.legal_name !== undefined ? { legal_name: patch.legal_name } : {}),
    ...(patch.country !== undefined ? { country: patch.country } : {}),
    ...(patch.status !== undefined ? { status: patch.status } : {}),
    ...(patch.external_ref !== undefined ? { external_ref: patch.external_ref } : {}),
    siret: v.siret ?? null,
    vat_number: v.vat_number ?? null,
  };
  const changed = (Object.keys(next) as (keyof Account)[]).filter((k) => next[k] !== current[k]);
  if (changed.length === 0) return current;
  if (changed.includes('external_ref')) await assertExternalRefFree(ctx, next.external_ref, id);
  const [row] = await ctx.tx
    .update(accounts)
    .set({
      name: next.name,
      legalName: next.legal_name,
      country: next.country,
      siret: next.siret,
      vatNumber: next.vat_number,
      externalRef: next.external_ref,
      status: next.status,
      updatedAt: new Date(),
    })
    .where(and(eq(accounts.tenantId, ctx.tenantId), eq(accounts.id, id)))
    .returning();
  const updated = toAccount(row!);
  await audit(ctx, {
    action: 'accounts.account.update',
    resource: { type: 'account', id },
    changes: changesOf({ ...current }, { ...updated }),
  });
  await publish(ctx, 'account.updated', { account_id: id, changed });
  return updated;
}

export interface AccountFilter {
  limit: number;
  cursor?: string;
  status?: 'active' | 'blocked';
  external_ref?: string;
  /** Name prefix, case-insensitive. */
  name?: string;
}

export async function listAccounts(ctx: Ctx, f: AccountFilter) {
  const after = decodeCursor(f.cursor);
  const where: SQL[] = [eq(accounts.tenantId, ctx.tenantId)];
  if (after) where.push(gt(accounts.id, String(after[0])));
  const scope = scopeFilter(ctx.actor, 'accounts.account.read', 'account');
  if (scope) where.push(scope.length ? inArray(accounts.id, scope) : sql`false`);
  if (f.status) where.push(eq(accounts.status, f.status));
  if (f.external_ref) where.push(eq(accounts.externalRef, f.external_ref));
  if (f.name) where.push(ilike(accounts.name, `${f.name.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  const fetched = await ctx.tx
    .select()
    .from(accounts)
    .where(and(...where))
    .orderBy(asc(accounts.id))
    .limit(f.limit + 1);
  return toPage(fetched, f.limit, (r) => [r.id], toAccount);
}
