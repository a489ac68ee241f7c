import { and, asc, eq, gt, inArray, type SQL, sql } from 'drizzle-orm';
import { audit, changesOf } from '../../platform/audit/record.ts';
import { cachedRead } from '../../platform/cache/read-cache.ts';
import type { Ctx } from '../../platform/context.ts';
import { rows } from '../../platform/db/database.ts';
import { publish } from '../../platform/events/outbox.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { AppError, type FieldError, notFound } from '../../platform/http/problems.ts';
import { newId } from '../../platform/ids.ts';
import { checkObjectKey } from '../../platform/storage/object-store.ts';
import './events.ts';
import {
  type AttributeDefinition,
  type CompletenessInput,
  checkAttributeDefinitions,
  checkAttributeValues,
  checkGtin,
  checkQuantity,
  chooseLocale,
  completeness,
  type MissingItem,
  normalizeGtin,
  parseAttributeFilter,
  type QuantityCheck,
  resolveText,
  type Translations,
  unknownLanguages,
} from './rules.ts';
import {
  type BrandRow,
  brands,
  type CategoryRow,
  catalogSettings,
  categories,
  type FamilyRow,
  families,
  type MediaRow,
  media,
  type ProductRow,
  productCategories,
  products,
  relations,
  type VariantRow,
  variants,
} from './schema.ts';
import { productVisibility } from './search.ts';

// ─── Shared helpers ──────────────────────────────────────────────────────────────────────────

/** Field errors gathered over a whole request, thrown at once as one 400 naming every field. */
class Errors {
  readonly list: FieldError[] = [];
  add(pointer: string, detail: string) {
    this.list.push({ in: 'body', pointer, detail });
  }
  throwIfAny(): void {
    if (!this.list.length) return;
    const first = this.list[0]!;
    throw new AppError(
      'validation-error',
      `${first.pointer.slice(1)} ${first.detail}`,
      this.list.slice(0, 200),
    );
  }
}

const conflictOn = (pointer: string, detail: string) =>
  new AppError('conflict', detail, [{ in: 'body', pointer, detail }]);

const businessRule = (detail: string) => new AppError('business-rule-violation', detail);

/** `(select …)` of the IDs, passed as one JSON parameter (the same SQL on both drivers). */
export const idList = (ids: string[]) =>
  sql`(select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`;

const iso = (d: Date) => d.toISOString();
const num = (v: string | null) => (v === null ? null : Number(v));

/** The languages of the tenant's catalogue and the fallback language (tenants.default_locale). */
export interface Languages {
  languages: string[];
  fallback: string;
}

export async function catalogLanguages(ctx: Ctx): Promise<Languages> {
  return cachedRead(ctx, 'catalog:languages', async () => {
    const [r] = rows<{ default_locale: string; languages: string[] | null }>(
      await ctx.tx.execute(sql`select t.default_locale, s.languages from tenants t
        left join catalog_settings s on s.tenant_id = t.id where t.id = ${ctx.tenantId}`),
    );
    return languagesOf(r?.default_locale, r?.languages);
  });
}

/** A text[] as either driver returns it (parsed, or PGlite's literal in some paths). */
function textArray(value: string[] | string): string[] {
  if (Array.isArray(value)) return value;
  const inner = value.replace(/^\{|\}$/g, '');
  return inner === '' ? [] : inner.split(',').map((v) => v.replace(/^"|"$/g, ''));
}

/** The tenant's catalogue languages from its default locale and its catalogue settings. */
function languagesOf(
  defaultLocale: string | null | undefined,
  configured: string[] | string | null | undefined,
): Languages {
  const fallback = defaultLocale ?? 'fr';
  const list = configured ? textArray(configured) : [];
  const languages = list.length ? list : ['fr', 'en'];
  return { languages: languages.includes(fallback) ? languages : [fallback, ...languages], fallback };
}

/** How the caller reads: the locale chosen from what it asked, with the tenant's fallback. */
export interface Reading extends Languages {
  locale: string;
}

export async function readingFor(ctx: Ctx, wanted: string[]): Promise<Reading> {
  const l = await catalogLanguages(ctx);
  return { ...l, locale: chooseLocale(wanted, l.languages, l.fallback) };
}

/** Localised strings of translatable fields, each with its own fallback. */
export function localize(r: Reading, fields: Record<string, Translations | null | undefined>) {
  const out: Record<string, string | null> = {};
  const fallback: string[] = [];
  for (const [k, texts] of Object.entries(fields)) {
    const hit = resolveText(texts, r.locale, r.fallback, r.languages);
    out[k] = hit?.text ?? null;
    if (hit && hit.locale !== r.locale) fallback.push(k);
  }
  return { locale: r.locale, ...out, fallback };
}

function checkTexts(
  e: Errors,
  pointer: string,
  texts: Translations | undefined | null,
  l: Languages,
  required: boolean,
) {
  if (!texts) {
    if (required) e.add(pointer, `is required in the fallback language (${l.fallback})`);
    return;
  }
  for (const lang of unknownLanguages(texts, l.languages))
    e.add(
      `${pointer}/${lang}`,
      `"${lang}" is not one of the catalogue's languages (${l.languages.join(', ')})`,
    );
  if (required && !texts[l.fallback]?.trim())
    e.add(`${pointer}/${l.fallback}`, `is required: ${l.fallback} is the fallback language`);
}

/** Drops empty translations, so "missing" always means "absent". */
function cleanTexts(texts: Translations | undefined | null): Translations {
  const out: Translations = {};
  for (const [k, v] of Object.entries(texts ?? {})) if (v.trim()) out[k] = v.trim();
  return out;
}

// ─── Settings ────────────────────────────────────────────────────────────────────────────────

export async function getCatalogSettings(ctx: Ctx) {
  const l = await catalogLanguages(ctx);
  return { languages: l.languages, fallback_language: l.fallback };
}

export async function updateCatalogSettings(ctx: Ctx, input: { languages: string[] }) {
  const before = await getCatalogSettings(ctx);
  const languages = [...new Set(input.languages)];
  if (!languages.includes(before.fallback_language))
    throw new AppError('validation-error', `languages must include the fallback language`, [
      {
        in: 'body',
        pointer: '/languages',
        detail: `must include the fallback language (${before.fallback_language})`,
      },
    ]);
  await ctx.tx
    .insert(catalogSettings)
    .values({ tenantId: ctx.tenantId, languages, updatedAt: new Date() })
    .onConflictDoUpdate({ target: catalogSettings.tenantId, set: { languages, updatedAt: new Date() } });
  const after = await getCatalogSettings(ctx);
  await audit(ctx, {
    action: 'catalog.settings.update',
    resource: { type: 'settings', id: ctx.tenantId },
    changes: changesOf(before, after),
  });
  // Completeness depends on the languages: recompute every product.
  await refreshProducts(ctx, await allProductIds(ctx), { search: false });
  return after;
}

// ─── Families ────────────────────────────────────────────────────────────────────────────────

export interface Family {
  id: string;
  code: string;
  name: Translations;
  attributes: AttributeDefinition[];
  created_at: string;
  updated_at: string;
}

const toFamily = (r: FamilyRow): Family => ({
  id: r.id,
  code: r.code,
  name: r.name,
  attributes: r.attributes,
  created_at: iso(r.createdAt),
  updated_at: iso(r.updatedAt),
});

export interface FamilyInput {
  code: string;
  name: Translations;
  attributes?: AttributeDefinition[];
}

function normalizeDefinitions(defs: AttributeDefinition[]): AttributeDefinition[] {
  return defs.map((d) => ({
    code: d.code,
    type: d.type,
    label: cleanTexts(d.label),
    unit: d.type === 'number' ? (d.unit ?? null) : (d.unit ?? null),
    values:
      d.type === 'enum' ? (d.values ?? []).map((v) => ({ code: v.code, label: cleanTexts(v.label) })) : [],
    filterable: d.filterable ?? false,
    required: d.required ?? false,
  }));
}

function checkFamily(e: Errors, input: Partial<FamilyInput>, l: Languages, creating: boolean) {
  if (creating || input.name !== undefined) checkTexts(e, '/name', input.name, l, true);
  if (input.attributes) {
    for (const p of checkAttributeDefinitions(input.attributes)) e.add(`/attributes${p.pointer}`, p.detail);
    input.attributes.forEach((d, i) => {
      checkTexts(e, `/attributes/${i}/label`, d.label, l, false);
    });
  }
}

async function assertCodeFree(
  ctx: Ctx,
  table: typeof families | typeof categories | typeof brands | typeof products,
  code: string,
  exceptId?: string,
) {
  const [other] = await ctx.tx
    .select({ id: table.id })
    .from(table)
    .where(and(eq(table.tenantId, ctx.tenantId), eq(table.code, code)));
  if (other && other.id !== exceptId)
    throw conflictOn('/code', `code "${code}" is already used by ${other.id}`);
}

export async function createFamily(ctx: Ctx, input: FamilyInput): Promise<Family> {
  const e = new Errors();
  checkFamily(e, input, await catalogLanguages(ctx), true);
  e.throwIfAny();
  await assertCodeFree(ctx, families, input.code);
  const now = new Date();
  const [row] = await ctx.tx
    .insert(families)
    .values({
      tenantId: ctx.tenantId,
      id: newId('fam'),
      code: input.code,
      name: cleanTexts(input.name),
      attributes: normalizeDefinitions(input.attributes ?? []),
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  const created = toFamily(row!);
  await audit(ctx, {
    action: 'catalog.family.create',
    resource: { type: 'family', id: created.id },
    changes: changesOf(null, { ...created }),
  });
  return created;
}

async function familyRow(ctx: Ctx, id: string): Promise<FamilyRow> {
  const [row] = await ctx.tx
    .select()
    .from(families)
    .where(and(eq(families.tenantId, ctx.tenantId), eq(families.id, id)));
  if (!row) throw notFound(`Product family ${id}`);
  return row;
}

export async function getFamily(ctx: Ctx, id: string): Promise<Family> {
  return toFamily(await familyRow(ctx, id));
}

export async function listFamilies(ctx: Ctx, f: { limit: number; cursor?: string }) {
  const after = decodeCursor(f.cursor);
  const where: SQL[] = [eq(families.tenantId, ctx.tenantId)];
  if (after) where.push(gt(families.id, String(after[0])));
  const fetched = await ctx.tx
    .select()
    .from(families)
    .where(and(...where))
    .orderBy(asc(families.id))
    .limit(f.limit + 1);
  return toPage(fetched, f.limit, (r) => [r.id], toFamily);
}

export async function updateFamily(ctx: Ctx, id: string, patch: Partial<FamilyInput>): Promise<Family> {
  const current = await getFamily(ctx, id);
  const e = new Errors();
  checkFamily(e, patch, await catalogLanguages(ctx), false);
  e.throwIfAny();
  if (patch.code !== undefined && patch.code !== current.code)
    await assertCodeFree(ctx, families, patch.code, id);
  const [row] = await ctx.tx
    .update(families)
    .set({
      ...(patch.code !== undefined ? { code: patch.code } : {}),
      ...(patch.name !== undefined ? { name: cleanTexts(patch.name) } : {}),
      ...(patch.attributes !== undefined ? { attributes: normalizeDefinitions(patch.attributes) } : {}),
      updatedAt: new Date(),
    })
    .where(and(eq(families.tenantId, ctx.tenantId), eq(families.id, id)))
    .returning();
  const updated = toFamily(row!);
  await audit(ctx, {
    action: 'catalog.family.update',
    resource: { type: 'family', id },
    changes: changesOf({ ...current }, { ...updated }),
  });
  if (patch.attributes !== undefined) {
    // Required flags may have changed: the family's products get their completeness again.
    const ids = await ctx.tx
      .select({ id: products.id })
      .from(products)
      .where(and(eq(products.tenantId, ctx.tenantId), eq(products.familyId, id)));
    await refreshProducts(
      ctx,
      ids.map((r) => r.id),
      { search: false },
    );
  }
  return updated;
}

export async function deleteFamily(ctx: Ctx, id: string): Promise<void> {
  const current = await getFamily(ctx, id);
  const [used] = await ctx.tx
    .select({ id: products.id })
    .from(products)
    .where(and(eq(products.tenantId, ctx.tenantId), eq(products.familyId, id)))
    .limit(1);
  if (used) throw businessRule(`Product family ${id} still has products (e.g. ${used.id}); move them first.`);
  await ctx.tx.delete(families).where(and(eq(families.tenantId, ctx.tenantId), eq(families.id, id)));
  await audit(ctx, {
    action: 'catalog.family.delete',
    resource: { type: 'family', id },
    changes: changesOf({ ...current }, null),
  });
}

// ─── Categories ──────────────────────────────────────────────────────────────────────────────

export interface Category {
  id: string;
  code: string;
  parent_id: string | null;
  position: number;
  name: Translations;
  description: Translations;
  active: boolean;
  created_at: string;
  updated_at: string;
}

const toCategory = (r: CategoryRow): Category => ({
  id: r.id,
  code: r.code,
  parent_id: r.parentId,
  position: r.position,
  name: r.name,
  description: r.description,
  active: r.active,
  created_at: iso(r.createdAt),
  updated_at: iso(r.updatedAt),
});

export interface CategoryInput {
  code: string;
  parent_id?: string | null;
  position?: number;
  name: Translations;
  description?: Translations;
  active?: boolean;
}

async function categoryRow(ctx: Ctx, id: string): Promise<CategoryRow> {
  const [row] = await ctx.tx
    .select()
    .from(categories)
    .where(and(eq(categories.tenantId, ctx.tenantId), eq(categories.id, id)));
  if (!row) throw notFound(`Category ${id}`);
  return row;
}

export async function getCategory(ctx: Ctx, id: string): Promise<Category> {
  return toCategory(await categoryRow(ctx, id));
}

/** The category and all categories under it. */
export async function descendantsOf(ctx: Ctx, id: string): Promise<string[]> {
  return rows<{ id: string }>(
    await ctx.tx.execute(sql`with recursive sub(id) as (
        select id from catalog_categories where tenant_id = ${ctx.tenantId} and id = ${id}
        union select c.id from catalog_categories c join sub on c.parent_id = sub.id where c.tenant_id = ${ctx.tenantId})
      select id from sub`),
  ).map((r) => r.id);
}

async function checkParent(ctx: Ctx, e: Errors, parentId: string | null | undefined, selfId?: string) {
  if (!parentId) return;
  const [parent] = await ctx.tx
    .select({ id: categories.id })
    .from(categories)
    .where(and(eq(categories.tenantId, ctx.tenantId), eq(categories.id, parentId)));
  if (!parent) e.add('/parent_id', 'is not a category of this catalogue');
  else if (selfId && (await descendantsOf(ctx, selfId)).includes(parentId))
    e.add('/parent_id', 'would put the category under itself');
}

export async function createCategory(ctx: Ctx, input: CategoryInput): Promise<Category> {
  const l = await catalogLanguages(ctx);
  const e = new Errors();
  checkTexts(e, '/name', input.name, l, true);
  checkTexts(e, '/description', input.description, l, false);
  await checkParent(ctx, e, input.parent_id);
  e.throwIfAny();
  await assertCodeFree(ctx, categories, input.code);
  const now = new Date();
  const [row] = await ctx.tx
    .insert(categories)
    .values({
      tenantId: ctx.tenantId,
      id: newId('cat'),
      code: input.code,
      parentId: input.parent_id ?? null,
      position: input.position ?? 0,
      name: cleanTexts(input.name),
      description: cleanTexts(input.description),
      active: input.active ?? true,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  const created = toCategory(row!);
  await audit(ctx, {
    action: 'catalog.category.create',
    resource: { type: 'category', id: created.id },
    changes: changesOf(null, { ...created }),
  });
  await publish(ctx, 'catalog.category.changed', { category_id: created.id, change: 'created' });
  return created;
}

export async function updateCategory(ctx: Ctx, id: string, patch: Partial<CategoryInput>): Promise<Category> {
  const current = await getCategory(ctx, id);
  const l = await catalogLanguages(ctx);
  const e = new Errors();
  if (patch.name !== undefined) checkTexts(e, '/name', patch.name, l, true);
  checkTexts(e, '/description', patch.description, l, false);
  await checkParent(ctx, e, patch.parent_id, id);
  e.throwIfAny();
  if (patch.code !== undefined && patch.code !== current.code)
    await assertCodeFree(ctx, categories, patch.code, id);
  const [row] = await ctx.tx
    .update(categories)
    .set({
      ...(patch.code !== undefined ? { code: patch.code } : {}),
      ...(patch.parent_id !== undefined ? { parentId: patch.parent_id } : {}),
      ...(patch.position !== undefined ? { position: patch.position } : {}),
      ...(patch.name !== undefined ? { name: cleanTexts(patch.name) } : {}),
      ...(patch.description !== undefined ? { description: cleanTexts(patch.description) } : {}),
      ...(patch.active !== undefined ? { active: patch.active } : {}),
      updatedAt: new Date(),
    })
    .where(and(eq(categories.tenantId, ctx.tenantId), eq(categories.id, id)))
    .returning();
  const updated = toCategory(row!);
  await audit(ctx, {
    action: 'catalog.category.update',
    resource: { type: 'category', id },
    changes: changesOf({ ...current }, { ...updated }),
  });
  await publish(ctx, 'catalog.category.changed', { category_id: id, change: 'updated' });
  if (updated.active !== current.active) {
    const linked = await ctx.tx
      .select({ id: productCategories.productId })
      .from(productCategories)
      .where(and(eq(productCategories.tenantId, ctx.tenantId), eq(productCategories.categoryId, id)));
    await refreshProducts(
      ctx,
      linked.map((r) => r.id),
      { search: false },
    );
  }
  return updated;
}

export async function deleteCategory(ctx: Ctx, id: string): Promise<void> {
  const current = await getCategory(ctx, id);
  const [child] = await ctx.tx
    .select({ id: categories.id })
    .from(categories)
    .where(and(eq(categories.tenantId, ctx.tenantId), eq(categories.parentId, id)))
    .limit(1);
  if (child)
    throw businessRule(`Category ${id} has sub-categories (e.g. ${child.id}); move or delete them first.`);
  const [linked] = await ctx.tx
    .select({ id: productCategories.productId })
    .from(productCategories)
    .where(and(eq(productCategories.tenantId, ctx.tenantId), eq(productCategories.categoryId, id)))
    .limit(1);
  if (linked)
    throw businessRule(`Category ${id} still holds products (e.g. ${linked.id}); deactivate it instead.`);
  await ctx.tx.delete(categories).where(and(eq(categories.tenantId, ctx.tenantId), eq(categories.id, id)));
  await audit(ctx, {
    action: 'catalog.category.delete',
    resource: { type: 'category', id },
    changes: changesOf({ ...current }, null),
  });
  await publish(ctx, 'catalog.category.changed', { category_id: id, change: 'deleted' });
}

export async function listCategories(
  ctx: Ctx,
  f: { limit: number; cursor?: string; parent_id?: string; active?: boolean },
) {
  const after = decodeCursor(f.cursor);
  const where: SQL[] = [eq(categories.tenantId, ctx.tenantId)];
  if (after) where.push(gt(categories.id, String(after[0])));
  if (f.parent_id) where.push(eq(categories.parentId, f.parent_id));
  if (f.active !== undefined) where.push(eq(categories.active, f.active));
  const fetched = await ctx.tx
    .select()
    .from(categories)
    .where(and(...where))
    .orderBy(asc(categories.id))
    .limit(f.limit + 1);
  return toPage(fetched, f.limit, (r) => [r.id], toCategory);
}

export interface CategoryNode extends Category {
  label: string | null;
  children: CategoryNode[];
}

/** The whole tree, siblings by position then code; inactive categories only when asked. */
export async function categoryTree(ctx: Ctx, wanted: string[], includeInactive: boolean) {
  const r = await readingFor(ctx, wanted);
  const all = await ctx.tx
    .select()
    .from(categories)
    .where(eq(categories.tenantId, ctx.tenantId))
    .orderBy(asc(categories.position), asc(categories.code));
  const nodes = new Map<string, CategoryNode>();
  for (const c of all) {
    if (!includeInactive && !c.active) continue;
    nodes.set(c.id, {
      ...toCategory(c),
      label: resolveText(c.name, r.locale, r.fallback, r.languages)?.text ?? null,
      children: [],
    });
  }
  const roots: CategoryNode[] = [];
  for (const n of nodes.values()) {
    const parent = n.parent_id ? nodes.get(n.parent_id) : undefined;
    if (parent) parent.children.push(n);
    else if (!n.parent_id) roots.push(n);
    // A child of a hidden (inactive) category is hidden with it.
  }
  return { locale: r.locale, data: roots };
}

// ─── Brands ──────────────────────────────────────────────────────────────────────────────────

export interface Brand {
  id: string;
  code: string;
  name: string;
  description: Translations;
  created_at: string;
  updated_at: string;
}

const toBrand = (r: BrandRow): Brand => ({
  id: r.id,
  code: r.code,
  name: r.name,
  description: r.description,
  created_at: iso(r.createdAt),
  updated_at: iso(r.updatedAt),
});

export interface BrandInput {
  code: string;
  name: string;
  description?: Translations;
}

export async function createBrand(ctx: Ctx, input: BrandInput): Promise<Brand> {
  const e = new Errors();
  checkTexts(e, '/description', input.description, await catalogLanguages(ctx), false);
  e.throwIfAny();
  await assertCodeFree(ctx, brands, input.code);
  const now = new Date();
  const [row] = await ctx.tx
    .insert(brands)
    .values({
      tenantId: ctx.tenantId,
      id: newId('brand'),
      code: input.code,
      name: input.name.trim(),
      description: cleanTexts(input.description),
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  const created = toBrand(row!);
  await audit(ctx, {
    action: 'catalog.brand.create',
    resource: { type: 'brand', id: created.id },
    changes: changesOf(null, { ...created }),
  });
  return created;
}

export async function getBrand(ctx: Ctx, id: string): Promise<Brand> {
  const [row] = await ctx.tx
    .select()
    .from(brands)
    .where(and(eq(brands.tenantId, ctx.tenantId), eq(brands.id, id)));
  if (!row) throw notFound(`Brand ${id}`);
  return toBrand(row);
}

export async function listBrands(ctx: Ctx, f: { limit: number; cursor?: string }) {
  const after = decodeCursor(f.cursor);
  const where: SQL[] = [eq(brands.tenantId, ctx.tenantId)];
  if (after) where.push(gt(brands.id, String(after[0])));
  const fetched = await ctx.tx
    .select()
    .from(brands)
    .where(and(...where))
    .orderBy(asc(brands.id))
    .limit(f.limit + 1);
  return toPage(fetched, f.limit, (r) => [r.id], toBrand);
}

export async function updateBrand(ctx: Ctx, id: string, patch: Partial<BrandInput>): Promise<Brand> {
  const current = await getBrand(ctx, id);
  const e = new Errors();
  checkTexts(e, '/description', patch.description, await catalogLanguages(ctx), false);
  e.throwIfAny();
  if (patch.code !== undefined && patch.code !== current.code)
    await assertCodeFree(ctx, brands, patch.code, id);
  const [row] = await ctx.tx
    .update(brands)
    .set({
      ...(patch.code !== undefined ? { code: patch.code } : {}),
      ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
      ...(patch.description !== undefined ? { description: cleanTexts(patch.description) } : {}),
      updatedAt: new Date(),
    })
    .where(and(eq(brands.tenantId, ctx.tenantId), eq(brands.id, id)))
    .returning();
  const updated = toBrand(row!);
  await audit(ctx, {
    action: 'catalog.brand.update',
    resource: { type: 'brand', id },
    changes: changesOf({ ...current }, { ...updated }),
  });
  if (updated.name !== current.name) {
    // The brand name is searchable: its products' search documents change.
    const ids = await ctx.tx
      .select({ id: products.id })
      .from(products)
      .where(and(eq(products.tenantId, ctx.tenantId), eq(products.brandId, id)));
    await refreshProducts(
      ctx,
      ids.map((r) => r.id),
      { completeness: false },
    );
  }
  return updated;
}

export async function deleteBrand(ctx: Ctx, id: string): Promise<void> {
  const current = await getBrand(ctx, id);
  const [used] = await ctx.tx
    .select({ id: products.id })
    .from(products)
    .where(and(eq(products.tenantId, ctx.tenantId), eq(products.brandId, id)))
    .limit(1);
  if (used) throw businessRule(`Brand ${id} is used by products (e.g. ${used.id}).`);
  await ctx.tx.delete(brands).where(and(eq(brands.tenantId, ctx.tenantId), eq(brands.id, id)));
  await audit(ctx, {
    action: 'catalog.brand.delete',
    resource: { type: 'brand', id },
    changes: changesOf({ ...current }, null),
  });
}

// ─── Variants ────────────────────────────────────────────────────────────────────────────────

export interface Variant {
  id: string;
  product_id: string;
  sku: string;
  gtin: string | null;
  mpn: string | null;
  name: Translations;
  attributes: Record<string, unknown>;
  unit: string;
  pack_size: number;
  min_order_qty: number;
  order_multiple: number;
  weight: number | null;
  weight_unit: string;
  length: number | null;
  width: number | null;
  height: number | null;
  dimension_unit: string;
  position: number;
  created_at: string;
  updated_at: string;
}

export const toVariant = (r: VariantRow): Variant => ({
  id: r.id,
  product_id: r.productId,
  sku: r.sku,
  gtin: r.gtin,
  mpn: r.mpn,
  name: r.name,
  attributes: r.attributes,
  unit: r.unit,
  pack_size: r.packSize,
  min_order_qty: r.minOrderQty,
  order_multiple: r.orderMultiple,
  weight: num(r.weight),
  weight_unit: r.weightUnit,
  length: num(r.length),
  width: num(r.width),
  height: num(r.height),
  dimension_unit: r.dimensionUnit,
  position: r.position,
  created_at: iso(r.createdAt),
  updated_at: iso(r.updatedAt),
});

export interface VariantInput {
  sku: string;
  gtin?: string | null;
  mpn?: string | null;
  name?: Translations;
  attributes?: Record<string, unknown>;
  unit?: string;
  pack_size?: number;
  min_order_qty?: number;
  order_multiple?: number;
  weight?: number | null;
  weight_unit?: 'g' | 'kg';
  length?: number | null;
  width?: number | null;
  height?: number | null;
  dimension_unit?: 'mm' | 'cm' | 'm';
  position?: number;
}

/** Checks a variant (new values merged over the current ones) and returns its normalised columns. */
function checkVariant(
  e: Errors,
  at: string,
  input: Partial<VariantInput>,
  current: Variant | null,
  defs: AttributeDefinition[],
  l: Languages,
) {
  let gtin = input.gtin === undefined ? (current?.gtin ?? null) : input.gtin;
  if (input.gtin != null) {
    gtin = normalizeGtin(input.gtin);
    const c = checkGtin(gtin);
    if (!c.ok) e.add(`${at}/gtin`, `is not a valid GTIN: ${c.reason}`);
  }
  if (input.attributes)
    for (const p of checkAttributeValues(defs, input.attributes))
      e.add(`${at}/attributes${p.pointer}`, p.detail);
  checkTexts(e, `${at}/name`, input.name, l, false);
  const packSize = input.pack_size ?? current?.pack_size ?? 1;
  const orderMultiple =
    input.order_multiple ?? (current && input.pack_size === undefined ? current.order_multiple : packSize);
  const minOrderQty =
    input.min_order_qty ??
    (current && input.order_multiple === undefined && input.pack_size === undefined
      ? current.min_order_qty
      : orderMultiple);
  if (orderMultiple % packSize !== 0)
    e.add(`${at}/order_multiple`, `must be a multiple of the pack size (${packSize}): a box is not split`);
  const attributes = { ...(current?.attributes ?? {}) };
  for (const [k, v] of Object.entries(input.attributes ?? {})) {
    if (v === null) delete attributes[k];
    else attributes[k] = v;
  }
  const numeric = (v: number | null | undefined, cur: number | null | undefined): string | null =>
    v === undefined ? (cur == null ? null : String(cur)) : v === null ? null : String(v);
  return {
    sku: input.sku ?? current!.sku,
    gtin,
    mpn: input.mpn === undefined ? (current?.mpn ?? null) : input.mpn,
    name: input.name === undefined ? (current?.name ?? {}) : cleanTexts(input.name),
    attributes,
    unit: input.unit ?? current?.unit ?? 'piece',
    packSize,
    orderMultiple,
    minOrderQty,
    weight: numeric(input.weight, current?.weight),
    weightUnit: input.weight_unit ?? current?.weight_unit ?? 'kg',
    length: numeric(input.length, current?.length),
    width: numeric(input.width, current?.width),
    height: numeric(input.height, current?.height),
    dimensionUnit: input.dimension_unit ?? current?.dimension_unit ?? 'mm',
    position: input.position ?? current?.position ?? 0,
  };
}

/** The variants of these SKUs (ID and product), for other modules' imports by SKU (inventory). */
export async function skuOwners(
  ctx: Ctx,
  skus: string[],
): Promise<Map<string, { id: string; productId: string }>> {
  if (!skus.length) return new Map();
  const found = await ctx.tx
    .select({ id: variants.id, sku: variants.sku, productId: variants.productId })
    .from(variants)
    .where(and(eq(variants.tenantId, ctx.tenantId), inArray(variants.sku, skus)));
  return new Map(found.map((r) => [r.sku, { id: r.id, productId: r.productId }]));
}

async function variantRow(ctx: Ctx, id: string): Promise<VariantRow> {
  const [row] = await ctx.tx
    .select()
    .from(variants)
    .where(and(eq(variants.tenantId, ctx.tenantId), eq(variants.id, id)));
  if (!row) throw notFound(`Variant ${id}`);
  return row;
}

export async function getVariant(ctx: Ctx, id: string): Promise<Variant> {
  return toVariant(await variantRow(ctx, id));
}

export async function createVariant(ctx: Ctx, productId: string, input: VariantInput): Promise<Variant> {
  const product = await productRow(ctx, productId);
  const family = await familyRow(ctx, product.familyId);
  const e = new Errors();
  const v = checkVariant(e, '', input, null, family.attributes, await catalogLanguages(ctx));
  e.throwIfAny();
  const owner = (await skuOwners(ctx, [v.sku])).get(v.sku);
  if (owner) throw conflictOn('/sku', `SKU "${v.sku}" is already used by variant ${owner.id}`);
  const now = new Date();
  const [row] = await ctx.tx
    .insert(variants)
    .values({ tenantId: ctx.tenantId, id: newId('var'), productId, ...v, createdAt: now, updatedAt: now })
    .returning();
  const created = toVariant(row!);
  await audit(ctx, {
    action: 'catalog.variant.create',
    resource: { type: 'variant', id: created.id },
    changes: changesOf(null, { ...created }),
    metadata: { product_id: productId },
  });
  await refreshProducts(ctx, [productId]);
  await publish(ctx, 'catalog.product.updated', { product_id: productId, changed: ['variants'] });
  return created;
}

export async function updateVariant(ctx: Ctx, id: string, patch: Partial<VariantInput>): Promise<Variant> {
  const current = toVariant(await variantRow(ctx, id));
  const product = await productRow(ctx, current.product_id);
  const family = await familyRow(ctx, product.familyId);
  const e = new Errors();
  const v = checkVariant(e, '', patch, current, family.attributes, await catalogLanguages(ctx));
  e.throwIfAny();
  if (v.sku !== current.sku) {
    const owner = (await skuOwners(ctx, [v.sku])).get(v.sku);
    if (owner) throw conflictOn('/sku', `SKU "${v.sku}" is already used by variant ${owner.id}`);
  }
  const [row] = await ctx.tx
    .update(variants)
    .set({ ...v, updatedAt: new Date() })
    .where(and(eq(variants.tenantId, ctx.tenantId), eq(variants.id, id)))
    .returning();
  const updated = toVariant(row!);
  await audit(ctx, {
    action: 'catalog.variant.update',
    resource: { type: 'variant', id },
    changes: changesOf({ ...current }, { ...updated }),
    metadata: { product_id: current.product_id },
  });
  await refreshProducts(ctx, [current.product_id]);
  await publish(ctx, 'catalog.product.updated', { product_id: current.product_id, changed: ['variants'] });
  return updated;
}

export async function deleteVariant(ctx: Ctx, id: string): Promise<void> {
  const current = toVariant(await variantRow(ctx, id));
  await ctx.tx.delete(variants).where(and(eq(variants.tenantId, ctx.tenantId), eq(variants.id, id)));
  await audit(ctx, {
    action: 'catalog.variant.delete',
    resource: { type: 'variant', id },
    changes: changesOf({ ...current }, null),
    metadata: { product_id: current.product_id },
  });
  await refreshProducts(ctx, [current.product_id]);
  await publish(ctx, 'catalog.product.updated', { product_id: current.product_id, changed: ['variants'] });
}

export async function listProductVariants(ctx: Ctx, productId: string): Promise<{ data: Variant[] }> {
  await productRow(ctx, productId);
  const found = await ctx.tx
    .select()
    .from(variants)
    .where(and(eq(variants.tenantId, ctx.tenantId), eq(variants.productId, productId)))
    .orderBy(asc(variants.position), asc(variants.id));
  return { data: found.map(toVariant) };
}

/** Variants by SKU or GTIN (quick order, ERP look-ups), cursor-paginated. */
export async function listVariants(
  ctx: Ctx,
  f: { limit: number; cursor?: string; sku?: string; sku_prefix?: string; gtin?: string },
) {
  const after = decodeCursor(f.cursor);
  const where: SQL[] = [eq(variants.tenantId, ctx.tenantId)];
  if (after) where.push(gt(variants.id, String(after[0])));
  if (f.sku) where.push(eq(variants.sku, f.sku));
  if (f.gtin) where.push(eq(variants.gtin, normalizeGtin(f.gtin)));
  if (f.sku_prefix)
    where.push(
      sql`upper(${variants.sku}) like ${`${f.sku_prefix.toUpperCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`}`,
    );
  const fetched = await ctx.tx
    .select()
    .from(variants)
    .where(and(...where))
    .orderBy(asc(variants.id))
    .limit(f.limit + 1);
  return toPage(fetched, f.limit, (r) => [r.id], toVariant);
}

/** Whether a quantity can be ordered, with the nearest valid quantities. */
export async function checkVariantQuantity(
  ctx: Ctx,
  id: string,
  quantity: number,
): Promise<QuantityCheck & { sku: string; unit: string }> {
  const v = await variantRow(ctx, id);
  return {
    sku: v.sku,
    unit: v.unit,
    ...checkQuantity(quantity, { minOrderQty: v.minOrderQty, orderMultiple: v.orderMultiple }),
  };
}

// ─── Products ────────────────────────────────────────────────────────────────────────────────

export type ProductStatus = 'draft' | 'active' | 'discontinued';

export interface Product {
  id: string;
  code: string;
  family_id: string;
  brand_id: string | null;
  status: ProductStatus;
  replacement_id: string | null;
  tax_category: string;
  name: Translations;
  description: Translations;
  attributes: Record<string, unknown>;
  category_ids: string[];
  variants: Variant[];
  completeness: { score: number; missing: MissingItem[] };
  localized: ReturnType<typeof localize>;
  created_at: string;
  updated_at: string;
}

export interface ProductInput {
  code: string;
  family_id: string;
  brand_id?: string | null;
  status?: ProductStatus;
  replacement_id?: string | null;
  tax_category?: string;
  name: Translations;
  description?: Translations;
  attributes?: Record<string, unknown>;
  category_ids?: string[];
  variants?: VariantInput[];
}

async function productRow(ctx: Ctx, id: string): Promise<ProductRow> {
  const [row] = await ctx.tx
    .select()
    .from(products)
    .where(and(eq(products.tenantId, ctx.tenantId), eq(products.id, id)));
  if (!row) throw notFound(`Product ${id}`);
  return row;
}

/** Products as the API shows them, with their variants and categories, in the order of `rows`. */
export async function hydrateProducts(ctx: Ctx, found: ProductRow[], r: Reading): Promise<Product[]> {
  if (!found.length) return [];
  const ids = found.map((p) => p.id);
  const vs = await ctx.tx
    .select()
    .from(variants)
    .where(and(eq(variants.tenantId, ctx.tenantId), inArray(variants.productId, ids)))
    .orderBy(asc(variants.position), asc(variants.id));
  const links = await ctx.tx
    .select()
    .from(productCategories)
    .where(and(eq(productCategories.tenantId, ctx.tenantId), inArray(productCategories.productId, ids)))
    .orderBy(asc(productCategories.categoryId));
  return found.map((p) =>
    toProduct(
      p,
      links.filter((l) => l.productId === p.id).map((l) => l.categoryId),
      vs.filter((v) => v.productId === p.id),
      r,
    ),
  );
}

/** A product as the API shows it, from its row, its category IDs and its variants (in order). */
function toProduct(p: ProductRow, categoryIds: string[], vs: VariantRow[], r: Reading): Product {
  return {
    id: p.id,
    code: p.code,
    family_id: p.familyId,
    brand_id: p.brandId,
    status: p.status,
    replacement_id: p.replacementId,
    tax_category: p.taxCategory,
    name: p.name,
    description: p.description,
    attributes: p.attributes,
    category_ids: categoryIds,
    variants: vs.map(toVariant),
    completeness: { score: p.completeness, missing: p.completenessMissing as MissingItem[] },
    localized: localize(r, { name: p.name, description: p.description }),
    created_at: iso(p.createdAt),
    updated_at: iso(p.updatedAt),
  };
}

/**
 * A product as the caller may see it (a product hidden from a buyer by the storefronts' visibility
 * rules is a 404, like a missing one). A read-only request (`ctx.readOnly`: the product page) may
 * answer from the read cache (platform/cache/read-cache.ts): the product as read for these
 * languages, and the caller's visibility rules, each dropped at every committed change of what it
 * was read from. Never for a service that wrote in its transaction (it must read its own writes).
 */
export async function getProduct(ctx: Ctx, id: string, wanted: string[] = []): Promise<Product> {
  const mayShow = await productVisibility(ctx);
  // A missing product is cached too (null): guessing IDs costs the database nothing more.
  const found = await cachedRead(ctx, `catalog:product:${id}:${wanted.join(',')}`, () =>
    readProduct(ctx, id, wanted),
  );
  if (!found || (mayShow && !mayShow(found.placement))) throw notFound(`Product ${id}`);
  return found.product;
}

interface ReadProduct {
  product: Product;
  /** What visibility rules look at: status and every category on the product's paths. */
  placement: { id: string; status: string; categoryPaths: string[] };
}

async function readProduct(ctx: Ctx, id: string, wanted: string[]): Promise<ReadProduct | null> {
  // One statement (the product page is the hottest read): the product once per variant (left join,
  // in variant order), with its category IDs and paths and the tenant's catalogue languages.
  const found = await ctx.tx
    .select({
      p: products,
      v: variants,
      categoryIds: sql<string[] | string>`array(select c.category_id from catalog_product_categories c
        where c.tenant_id = ${products.tenantId} and c.product_id = ${products.id} order by c.category_id)`,
      categoryPaths: sql<string[] | string>`${products}.category_paths`,
      defaultLocale: sql<
        string | null
      >`(select t.default_locale from tenants t where t.id = ${products.tenantId})`,
      languages: sql<string[] | string | null>`(select s.languages from catalog_settings s
        where s.tenant_id = ${products.tenantId})`,
    })
    .from(products)
    .leftJoin(variants, and(eq(variants.tenantId, products.tenantId), eq(variants.productId, products.id)))
    .where(and(eq(products.tenantId, ctx.tenantId), eq(products.id, id)))
    .orderBy(asc(variants.position), asc(variants.id));
  const first = found[0];
  if (!first) return null;
  const l = languagesOf(first.defaultLocale, first.languages);
  const reading: Reading = { ...l, locale: chooseLocale(wanted, l.languages, l.fallback) };
  const vs = found.flatMap((f) => (f.v ? [f.v] : []));
  return {
    product: toProduct(first.p, textArray(first.categoryIds), vs, reading),
    placement: {
      id: first.p.id,
      status: first.p.status,
      categoryPaths: textArray(first.categoryPaths ?? []),
    },
  };
}

/** The audited shape of a product: its own fields (variants are audited on their own). */
const auditShape = (p: Product) => {
  const { variants: _v, localized: _l, completeness: _c, ...rest } = p;
  return rest as Record<string, unknown>;
};

async function checkRefs(
  ctx: Ctx,
  e: Errors,
  at: string,
  input: { brand_id?: string | null; replacement_id?: string | null; category_ids?: string[] },
  selfId?: string,
) {
  if (input.brand_id) {
    const [b] = await ctx.tx
      .select({ id: brands.id })
      .from(brands)
      .where(and(eq(brands.tenantId, ctx.tenantId), eq(brands.id, input.brand_id)));
    if (!b) e.add(`${at}/brand_id`, 'is not a brand of this catalogue');
  }
  if (input.replacement_id) {
    if (input.replacement_id === selfId) e.add(`${at}/replacement_id`, 'a product cannot replace itself');
    const [p] = await ctx.tx
      .select({ id: products.id })
      .from(products)
      .where(and(eq(products.tenantId, ctx.tenantId), eq(products.id, input.replacement_id)));
    if (!p) e.add(`${at}/replacement_id`, 'is not a product of this catalogue');
  }
  if (input.category_ids?.length) {
    const found = new Set(
      (
        await ctx.tx
          .select({ id: categories.id })
          .from(categories)
          .where(and(eq(categories.tenantId, ctx.tenantId), inArray(categories.id, input.category_ids)))
      ).map((r) => r.id),
    );
    input.category_ids.forEach((c, i) => {
      if (!found.has(c)) e.add(`${at}/category_ids/${i}`, 'is not a category of this catalogue');
    });
  }
}

async function setCategories(ctx: Ctx, productId: string, categoryIds: string[]) {
  await ctx.tx
    .delete(productCategories)
    .where(and(eq(productCategories.tenantId, ctx.tenantId), eq(productCategories.productId, productId)));
  const unique = [...new Set(categoryIds)];
  if (unique.length)
    await ctx.tx
      .insert(productCategories)
      .values(unique.map((categoryId) => ({ tenantId: ctx.tenantId, productId, categoryId })));
}

export async function createProduct(ctx: Ctx, input: ProductInput, wanted: string[] = []): Promise<Product> {
  const l = await catalogLanguages(ctx);
  const e = new Errors();
  const [family] = await ctx.tx
    .select()
    .from(families)
    .where(and(eq(families.tenantId, ctx.tenantId), eq(families.id, input.family_id)));
  if (!family) e.add('/family_id', 'is not a product family of this catalogue');
  checkTexts(e, '/name', input.name, l, true);
  checkTexts(e, '/description', input.description, l, false);
  if (family && input.attributes)
    for (const p of checkAttributeValues(family.attributes, input.attributes))
      e.add(`/attributes${p.pointer}`, p.detail);
  await checkRefs(ctx, e, '', input);
  const vs = (input.variants ?? []).map((v, i) =>
    checkVariant(e, `/variants/${i}`, v, null, family?.attributes ?? [], l),
  );
  const skus = vs.map((v) => v.sku);
  skus.forEach((s, i) => {
    if (skus.indexOf(s) !== i) e.add(`/variants/${i}/sku`, `SKU "${s}" appears twice in this request`);
  });
  e.throwIfAny();
  await assertCodeFree(ctx, products, input.code);
  const owners = await skuOwners(ctx, skus);
  for (const [i, s] of skus.entries()) {
    const owner = owners.get(s);
    if (owner) throw conflictOn(`/variants/${i}/sku`, `SKU "${s}" is already used by variant ${owner.id}`);
  }
  const now = new Date();
  const id = newId('prod');
  await ctx.tx.insert(products).values({
    tenantId: ctx.tenantId,
    id,
    code: input.code,
    familyId: input.family_id,
    brandId: input.brand_id ?? null,
    status: input.status ?? 'draft',
    replacementId: input.replacement_id ?? null,
    taxCategory: input.tax_category ?? 'standard',
    name: cleanTexts(input.name),
    description: cleanTexts(input.description),
    attributes: dropNulls(input.attributes ?? {}),
    completeness: 0,
    completenessMissing: [],
    searchDocument: '',
    searchText: '',
    createdAt: now,
    updatedAt: now,
  });
  if (vs.length)
    await ctx.tx.insert(variants).values(
      vs.map((v) => ({
        tenantId: ctx.tenantId,
        id: newId('var'),
        productId: id,
        ...v,
        createdAt: now,
        updatedAt: now,
      })),
    );
  await setCategories(ctx, id, input.category_ids ?? []);
  await refreshProducts(ctx, [id]);
  const created = await getProduct(ctx, id, wanted);
  await audit(ctx, {
    action: 'catalog.product.create',
    resource: { type: 'product', id },
    changes: changesOf(null, auditShape(created)),
    metadata: { skus },
  });
  await publish(ctx, 'catalog.product.created', {
    product_id: id,
    code: created.code,
    status: created.status,
  });
  return created;
}

function dropNulls(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== null));
}

export type ProductPatch = Partial<Omit<ProductInput, 'variants'>>;

export async function updateProduct(
  ctx: Ctx,
  id: string,
  patch: ProductPatch,
  wanted: string[] = [],
): Promise<Product> {
  const current = await getProduct(ctx, id, wanted);
  const l = await catalogLanguages(ctx);
  const e = new Errors();
  const familyId = patch.family_id ?? current.family_id;
  const [family] = await ctx.tx
    .select()
    .from(families)
    .where(and(eq(families.tenantId, ctx.tenantId), eq(families.id, familyId)));
  if (!family) e.add('/family_id', 'is not a product family of this catalogue');
  if (patch.name !== undefined) checkTexts(e, '/name', patch.name, l, true);
  checkTexts(e, '/description', patch.description, l, false);
  const attributes = { ...current.attributes, ...(patch.attributes ?? {}) };
  if (family) {
    // A family change re-checks every value the product and its variants hold.
    const toCheck = patch.family_id ? attributes : (patch.attributes ?? {});
    for (const p of checkAttributeValues(family.attributes, toCheck))
      e.add(`/attributes${p.pointer}`, p.detail);
    if (patch.family_id)
      current.variants.forEach((v) => {
        for (const p of checkAttributeValues(family.attributes, v.attributes))
          e.add(`/family_id`, `variant ${v.sku}: attribute ${p.pointer.slice(1)} ${p.detail}`);
      });
  }
  await checkRefs(ctx, e, '', patch, id);
  e.throwIfAny();
  if (patch.code !== undefined && patch.code !== current.code)
    await assertCodeFree(ctx, products, patch.code, id);
  await ctx.tx
    .update(products)
    .set({
      ...(patch.code !== undefined ? { code: patch.code } : {}),
      ...(patch.family_id !== undefined ? { familyId: patch.family_id } : {}),
      ...(patch.brand_id !== undefined ? { brandId: patch.brand_id } : {}),
      ...(patch.status !== undefined ? { status: patch.status } : {}),
      ...(patch.replacement_id !== undefined ? { replacementId: patch.replacement_id } : {}),
      ...(patch.tax_category !== undefined ? { taxCategory: patch.tax_category } : {}),
      ...(patch.name !== undefined ? { name: cleanTexts(patch.name) } : {}),
      ...(patch.description !== undefined ? { description: cleanTexts(patch.description) } : {}),
      ...(patch.attributes !== undefined ? { attributes: dropNulls(attributes) } : {}),
      updatedAt: new Date(),
    })
    .where(and(eq(products.tenantId, ctx.tenantId), eq(products.id, id)));
  if (patch.category_ids !== undefined) await setCategories(ctx, id, patch.category_ids);
  await refreshProducts(ctx, [id]);
  const updated = await getProduct(ctx, id, wanted);
  const changes = changesOf(auditShape(current), auditShape(updated));
  await audit(ctx, { action: 'catalog.product.update', resource: { type: 'product', id }, changes });
  await publish(ctx, 'catalog.product.updated', { product_id: id, changed: Object.keys(changes ?? {}) });
  return updated;
}

/** Only a draft product may be deleted; one that was sold is discontinued instead. */
export async function deleteProduct(ctx: Ctx, id: string): Promise<void> {
  const current = await getProduct(ctx, id);
  if (current.status !== 'draft')
    throw businessRule(
      `Product ${id} is ${current.status}: only a draft is deleted; discontinue it instead.`,
    );
  await ctx.tx
    .update(products)
    .set({ replacementId: null })
    .where(and(eq(products.tenantId, ctx.tenantId), eq(products.replacementId, id)));
  await ctx.tx.delete(products).where(and(eq(products.tenantId, ctx.tenantId), eq(products.id, id)));
  await audit(ctx, {
    action: 'catalog.product.delete',
    resource: { type: 'product', id },
    changes: changesOf(auditShape(current), null),
  });
  await publish(ctx, 'catalog.product.deleted', { product_id: id, code: current.code });
}

export interface ProductFilter {
  limit: number;
  cursor?: string;
  status?: ProductStatus;
  family_id?: string;
  brand_id?: string;
  category_id?: string;
  /** `code:value` pairs on filterable attributes; values of one code are ORed, codes ANDed. */
  attr?: string[];
  code?: string;
}

/** Filterable attribute definitions by code, over all families (a code means the same everywhere). */
export async function filterableAttributes(ctx: Ctx): Promise<Map<string, AttributeDefinition>> {
  const all = await ctx.tx
    .select({ attributes: families.attributes })
    .from(families)
    .where(eq(families.tenantId, ctx.tenantId));
  const out = new Map<string, AttributeDefinition>();
  for (const f of all) for (const d of f.attributes) if (d.filterable && !out.has(d.code)) out.set(d.code, d);
  return out;
}

/**
 * The SQL conditions on `p` (catalog_products) for the list and search filters. Pure SQL built with
 * parameters: nothing from the request becomes SQL text.
 */
export async function filterConditions(
  ctx: Ctx,
  f: { brand_id?: string; family_id?: string; category_id?: string; attr?: string[] },
): Promise<SQL[]> {
  const out: SQL[] = [];
  if (f.brand_id) out.push(sql`p.brand_id = ${f.brand_id}`);
  if (f.family_id) out.push(sql`p.family_id = ${f.family_id}`);
  if (f.category_id) {
    out.push(sql`exists (select 1 from catalog_product_categories pc where pc.tenant_id = p.tenant_id
      and pc.product_id = p.id and pc.category_id in (
        with recursive sub(id) as (
          select id from catalog_categories where tenant_id = ${ctx.tenantId} and id = ${f.category_id}
          union select c.id from catalog_categories c join sub on c.parent_id = sub.id where c.tenant_id = ${ctx.tenantId})
        select id from sub))`);
  }
  if (f.attr?.length) {
    const defs = await filterableAttributes(ctx);
    const byCode = new Map<string, unknown[]>();
    for (const pair of f.attr) {
      const i = pair.indexOf(':');
      const code = i > 0 ? pair.slice(0, i) : '';
      const def = defs.get(code);
      const bad = (detail: string) =>
        new AppError('validation-error', `attr ${detail}`, [{ in: 'query', pointer: '/attr', detail }]);
      if (!def) throw bad(`"${code || pair}" is not a filterable attribute (expected code:value)`);
      const value = parseAttributeFilter(def, pair.slice(i + 1));
      if (value === null) throw bad(`"${pair.slice(i + 1)}" is not a valid value for ${code}`);
      byCode.set(code, [...(byCode.get(code) ?? []), value]);
    }
    const perCode = [...byCode.entries()].map(
      ([code, values]) =>
        sql`(${sql.join(
          values.map((v) => sql`(p.attributes || v.attributes) @> ${JSON.stringify({ [code]: v })}::jsonb`),
          sql` or `,
        )})`,
    );
    out.push(sql`exists (select 1 from catalog_variants v where v.tenant_id = p.tenant_id and v.product_id = p.id
      and ${sql.join(perCode, sql` and `)})`);
  }
  return out;
}

export async function listProducts(ctx: Ctx, f: ProductFilter, wanted: string[] = []) {
  const after = decodeCursor(f.cursor);
  const where: SQL[] = [sql`p.tenant_id = ${ctx.tenantId}`, ...(await filterConditions(ctx, f))];
  if (after) where.push(sql`p.id > ${String(after[0])}`);
  if (f.status) where.push(sql`p.status = ${f.status}`);
  if (f.code) where.push(sql`p.code = ${f.code}`);
  const ids = rows<{ id: string }>(
    await ctx.tx.execute(sql`select p.id from catalog_products p where ${sql.join(where, sql` and `)}
      order by p.id limit ${f.limit + 1}`),
  ).map((r) => r.id);
  const found = ids.length
    ? await ctx.tx
        .select()
        .from(products)
        .where(and(eq(products.tenantId, ctx.tenantId), inArray(products.id, ids)))
        .orderBy(asc(products.id))
    : [];
  const page = toPage(
    found,
    f.limit,
    (r) => [r.id],
    (r) => r,
  );
  return {
    data: await hydrateProducts(ctx, page.data, await readingFor(ctx, wanted)),
    next_cursor: page.next_cursor,
  };
}

// ─── Completeness and search documents ───────────────────────────────────────────────────────

async function allProductIds(ctx: Ctx): Promise<string[]> {
  return (
    await ctx.tx.select({ id: products.id }).from(products).where(eq(products.tenantId, ctx.tenantId))
  ).map((r) => r.id);
}

/**
 * Recomputes what is derived from a product and what it depends on: the completeness score
 * (rules.ts) and the search document. Called in the transaction of every change, in batches.
 */
export async function refreshProducts(
  ctx: Ctx,
  ids: string[],
  what: { completeness?: boolean; search?: boolean } = {},
): Promise<void> {
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 2000) {
    const batch = unique.slice(i, i + 2000);
    if (what.completeness !== false) await refreshCompleteness(ctx, batch);
    if (what.search !== false) await refreshSearch(ctx, batch);
  }
}

async function refreshCompleteness(ctx: Ctx, ids: string[]) {
  if (!ids.length) return;
  const l = await catalogLanguages(ctx);
  const ps = await ctx.tx
    .select({
      id: products.id,
      familyId: products.familyId,
      name: products.name,
      description: products.description,
      attributes: products.attributes,
    })
    .from(products)
    .where(and(eq(products.tenantId, ctx.tenantId), inArray(products.id, ids)));
  const fams = new Map(
    (
      await ctx.tx
        .select({ id: families.id, attributes: families.attributes })
        .from(families)
        .where(eq(families.tenantId, ctx.tenantId))
    ).map((f) => [f.id, f.attributes]),
  );
  const vs = await ctx.tx
    .select({ productId: variants.productId, sku: variants.sku, attributes: variants.attributes })
    .from(variants)
    .where(and(eq(variants.tenantId, ctx.tenantId), inArray(variants.productId, ids)));
  const ms = await ctx.tx
    .select({ productId: media.productId, kind: media.kind })
    .from(media)
    .where(and(eq(media.tenantId, ctx.tenantId), inArray(media.productId, ids)));
  const cs = rows<{ product_id: string; active: boolean }>(
    await ctx.tx.execute(sql`select pc.product_id, c.active from catalog_product_categories pc
      join catalog_categories c on c.tenant_id = pc.tenant_id and c.id = pc.category_id
      where pc.tenant_id = ${ctx.tenantId} and pc.product_id in ${idList(ids)}`),
  );
  const group = <T extends { productId?: string; product_id?: string }>(list: T[]) => {
    const m = new Map<string, T[]>();
    for (const x of list) {
      const k = (x.productId ?? x.product_id)!;
      m.set(k, [...(m.get(k) ?? []), x]);
    }
    return m;
  };
  const vBy = group(vs);
  const mBy = group(ms);
  const cBy = group(cs);
  const results = ps.map((p) => {
    const input: CompletenessInput = {
      languages: l.languages,
      name: p.name,
      description: p.description,
      attributes: fams.get(p.familyId) ?? [],
      productAttributes: p.attributes,
      variants: (vBy.get(p.id) ?? []).map((v) => ({ sku: v.sku, attributes: v.attributes })),
      mediaKinds: (mBy.get(p.id) ?? []).map((m) => m.kind),
      categoriesActive: (cBy.get(p.id) ?? []).map((c) => c.active),
    };
    const c = completeness(input);
    return { id: p.id, score: c.score, missing: c.missing };
  });
  await ctx.tx.execute(sql`update catalog_products p set completeness = x.score, completeness_missing = x.missing
    from jsonb_to_recordset(${JSON.stringify(results)}::jsonb) as x(id text, score integer, missing jsonb)
    where p.tenant_id = ${ctx.tenantId} and p.id = x.id`);
}

/**
 * The search document of each product: names (weight A) and descriptions (C), each stemmed in its
 * language; all names, the brand and the reference unstemmed (B); and a lower-case unaccented text
 * with the SKUs and manufacturer references for trigram (typo) matching.
 */
async function refreshSearch(ctx: Ctx, ids: string[]) {
  if (!ids.length) return;
  await ctx.tx.execute(sql`update catalog_products p set search_document = d.doc, search_text = d.txt
    from (
      select p2.id,
             catalog_tsv(p2.name, 'A') || catalog_tsv(p2.description, 'C')
               || setweight(to_tsvector('simple', unaccent(n.names || ' ' || coalesce(b.name, '') || ' ' || p2.code)), 'B') as doc,
             lower(unaccent(n.names || ' ' || coalesce(b.name, '') || ' ' || p2.code || ' ' || coalesce(v.codes, ''))) as txt
        from catalog_products p2
        left join catalog_brands b on b.tenant_id = p2.tenant_id and b.id = p2.brand_id
        cross join lateral (select coalesce(string_agg(value, ' '), '') as names from jsonb_each_text(p2.name)) n
        left join lateral (select string_agg(v.sku || coalesce(' ' || v.mpn, ''), ' ') as codes from catalog_variants v
                            where v.tenant_id = p2.tenant_id and v.product_id = p2.id) v on true
       where p2.tenant_id = ${ctx.tenantId} and p2.id in ${idList(ids)}
    ) d
    where p.tenant_id = ${ctx.tenantId} and p.id = d.id`);
}

// ─── Media ───────────────────────────────────────────────────────────────────────────────────

export interface Media {
  id: string;
  product_id: string;
  variant_id: string | null;
  kind: 'image' | 'datasheet' | 'safety_sheet';
  object_key: string;
  content_type: string;
  size_bytes: number;
  checksum_sha256: string;
  title: Translations;
  locale: string | null;
  position: number;
  /** When the content was uploaded through the API (`PUT /catalog/media/{id}/content`); null: metadata only. */
  uploaded_at: string | null;
  created_at: string;
  updated_at: string;
}

export const toMedia = (r: MediaRow): Media => ({
  id: r.id,
  product_id: r.productId,
  variant_id: r.variantId,
  kind: r.kind,
  object_key: r.objectKey,
  content_type: r.contentType,
  size_bytes: r.sizeBytes,
  checksum_sha256: r.checksumSha256,
  title: r.title,
  locale: r.locale,
  position: r.position,
  uploaded_at: r.uploadedAt ? iso(r.uploadedAt) : null,
  created_at: iso(r.createdAt),
  updated_at: iso(r.updatedAt),
});

export interface MediaInput {
  kind: Media['kind'];
  object_key: string;
  content_type: string;
  size_bytes: number;
  checksum_sha256: string;
  variant_id?: string | null;
  title?: Translations;
  locale?: string | null;
  position?: number;
}

const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/avif', 'image/gif', 'image/svg+xml'];

async function checkMedia(
  ctx: Ctx,
  e: Errors,
  productId: string,
  input: Partial<MediaInput>,
  kind: Media['kind'],
) {
  const l = await catalogLanguages(ctx);
  if (input.content_type !== undefined || input.kind !== undefined) {
    const type = input.content_type;
    if (type !== undefined) {
      if (kind === 'image' && !IMAGE_TYPES.includes(type))
        e.add('/content_type', `an image must be one of ${IMAGE_TYPES.join(', ')}`);
      if (kind !== 'image' && type !== 'application/pdf')
        e.add('/content_type', 'a document must be application/pdf');
    }
  }
  if (input.object_key !== undefined) {
    try {
      checkObjectKey(input.object_key);
    } catch (err) {
      e.add('/object_key', (err as Error).message);
    }
  }
  checkTexts(e, '/title', input.title, l, false);
  if (input.locale && !l.languages.includes(input.locale))
    e.add('/locale', `is not one of the catalogue's languages (${l.languages.join(', ')})`);
  if (input.variant_id) {
    const [v] = await ctx.tx
      .select({ id: variants.id })
      .from(variants)
      .where(
        and(
          eq(variants.tenantId, ctx.tenantId),
          eq(variants.id, input.variant_id),
          eq(variants.productId, productId),
        ),
      );
    if (!v) e.add('/variant_id', 'is not a variant of this product');
  }
}

export async function createMedia(ctx: Ctx, productId: string, input: MediaInput): Promise<Media> {
  await productRow(ctx, productId);
  const e = new Errors();
  await checkMedia(ctx, e, productId, input, input.kind);
  e.throwIfAny();
  const [taken] = await ctx.tx
    .select({ id: media.id })
    .from(media)
    .where(and(eq(media.tenantId, ctx.tenantId), eq(media.objectKey, input.object_key)));
  if (taken) throw conflictOn('/object_key', `object_key is already used by ${taken.id}`);
  const now = new Date();
  const [row] = await ctx.tx
    .insert(media)
    .values({
      tenantId: ctx.tenantId,
      id: newId('med'),
      productId,
      variantId: input.variant_id ?? null,
      kind: input.kind,
      objectKey: input.object_key,
      contentType: input.content_type,
      sizeBytes: input.size_bytes,
      checksumSha256: input.checksum_sha256.toLowerCase(),
      title: cleanTexts(input.title),
      locale: input.locale ?? null,
      position: input.position ?? 0,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  const created = toMedia(row!);
  await audit(ctx, {
    action: 'catalog.media.create',
    resource: { type: 'media', id: created.id },
    changes: changesOf(null, { ...created }),
    metadata: { product_id: productId },
  });
  await refreshProducts(ctx, [productId], { search: false });
  await publish(ctx, 'catalog.product.updated', { product_id: productId, changed: ['media'] });
  return created;
}

export async function mediaRow(ctx: Ctx, id: string): Promise<MediaRow> {
  const [row] = await ctx.tx
    .select()
    .from(media)
    .where(and(eq(media.tenantId, ctx.tenantId), eq(media.id, id)));
  if (!row) throw notFound(`Media ${id}`);
  return row;
}

export async function getMedia(ctx: Ctx, id: string): Promise<Media> {
  return toMedia(await mediaRow(ctx, id));
}

export async function listProductMedia(ctx: Ctx, productId: string): Promise<{ data: Media[] }> {
  await productRow(ctx, productId);
  const found = await ctx.tx
    .select()
    .from(media)
    .where(and(eq(media.tenantId, ctx.tenantId), eq(media.productId, productId)))
    .orderBy(asc(media.position), asc(media.id));
  return { data: found.map(toMedia) };
}

export async function updateMedia(
  ctx: Ctx,
  id: string,
  patch: Partial<Pick<MediaInput, 'title' | 'position' | 'variant_id' | 'locale'>>,
): Promise<Media> {
  const current = toMedia(await mediaRow(ctx, id));
  const e = new Errors();
  await checkMedia(ctx, e, current.product_id, patch, current.kind);
  e.throwIfAny();
  const [row] = await ctx.tx
    .update(media)
    .set({
      ...(patch.title !== undefined ? { title: cleanTexts(patch.title) } : {}),
      ...(patch.position !== undefined ? { position: patch.position } : {}),
      ...(patch.variant_id !== undefined ? { variantId: patch.variant_id } : {}),
      ...(patch.locale !== undefined ? { locale: patch.locale } : {}),
      updatedAt: new Date(),
    })
    .where(and(eq(media.tenantId, ctx.tenantId), eq(media.id, id)))
    .returning();
  const updated = toMedia(row!);
  await audit(ctx, {
    action: 'catalog.media.update',
    resource: { type: 'media', id },
    changes: changesOf({ ...current }, { ...updated }),
  });
  await publish(ctx, 'catalog.product.updated', { product_id: current.product_id, changed: ['media'] });
  return updated;
}

/** Removes the metadata. The object's bytes are left to the storage's lifecycle (not deleted here). */
export async function deleteMedia(ctx: Ctx, id: string): Promise<void> {
  const current = toMedia(await mediaRow(ctx, id));
  await ctx.tx.delete(media).where(and(eq(media.tenantId, ctx.tenantId), eq(media.id, id)));
  await audit(ctx, {
    action: 'catalog.media.delete',
    resource: { type: 'media', id },
    changes: changesOf({ ...current }, null),
  });
  await refreshProducts(ctx, [current.product_id], { search: false });
  await publish(ctx, 'catalog.product.updated', { product_id: current.product_id, changed: ['media'] });
}

// ─── Related products ────────────────────────────────────────────────────────────────────────

export type RelationKind = 'accessory' | 'substitute';

export interface Relation {
  product_id: string;
  kind: RelationKind;
  related_product_id: string;
  related_code: string;
  related_name: string | null;
  related_status: ProductStatus;
  position: number;
  created_at: string;
}

export async function listRelations(
  ctx: Ctx,
  productId: string,
  kind: RelationKind | undefined,
  wanted: string[] = [],
) {
  await productRow(ctx, productId);
  const r = await readingFor(ctx, wanted);
  const found = await ctx.tx
    .select({ rel: relations, code: products.code, name: products.name, status: products.status })
    .from(relations)
    .innerJoin(
      products,
      and(eq(products.tenantId, relations.tenantId), eq(products.id, relations.relatedProductId)),
    )
    .where(
      and(
        eq(relations.tenantId, ctx.tenantId),
        eq(relations.productId, productId),
        ...(kind ? [eq(relations.kind, kind)] : []),
      ),
    )
    .orderBy(asc(relations.kind), asc(relations.position), asc(relations.relatedProductId));
  return {
    data: found.map(
      (x): Relation => ({
        product_id: x.rel.productId,
        kind: x.rel.kind,
        related_product_id: x.rel.relatedProductId,
        related_code: x.code,
        related_name: resolveText(x.name, r.locale, r.fallback, r.languages)?.text ?? null,
        related_status: x.status,
        position: x.rel.position,
        created_at: iso(x.rel.createdAt),
      }),
    ),
  };
}

export async function addRelation(
  ctx: Ctx,
  productId: string,
  input: { kind: RelationKind; related_product_id: string; position?: number },
): Promise<Relation> {
  await productRow(ctx, productId);
  const e = new Errors();
  if (input.related_product_id === productId)
    e.add('/related_product_id', 'a product is not related to itself');
  const [other] = await ctx.tx
    .select({ id: products.id })
    .from(products)
    .where(and(eq(products.tenantId, ctx.tenantId), eq(products.id, input.related_product_id)));
  if (!other) e.add('/related_product_id', 'is not a product of this catalogue');
  e.throwIfAny();
  const [exists] = await ctx.tx
    .select({ p: relations.productId })
    .from(relations)
    .where(
      and(
        eq(relations.tenantId, ctx.tenantId),
        eq(relations.productId, productId),
        eq(relations.kind, input.kind),
        eq(relations.relatedProductId, input.related_product_id),
      ),
    );
  if (exists)
    throw conflictOn(
      '/related_product_id',
      `${input.related_product_id} is already a ${input.kind} of ${productId}`,
    );
  await ctx.tx.insert(relations).values({
    tenantId: ctx.tenantId,
    productId,
    kind: input.kind,
    relatedProductId: input.related_product_id,
    position: input.position ?? 0,
    createdAt: new Date(),
  });
  await audit(ctx, {
    action: 'catalog.relation.create',
    resource: { type: 'product', id: productId },
    changes: changesOf(null, {
      kind: input.kind,
      related_product_id: input.related_product_id,
      position: input.position ?? 0,
    }),
  });
  await publish(ctx, 'catalog.product.updated', { product_id: productId, changed: ['related'] });
  const listed = await listRelations(ctx, productId, input.kind);
  return listed.data.find((x) => x.related_product_id === input.related_product_id)!;
}

export async function removeRelation(
  ctx: Ctx,
  productId: string,
  kind: RelationKind,
  relatedId: string,
): Promise<void> {
  await productRow(ctx, productId);
  const deleted = await ctx.tx
    .delete(relations)
    .where(
      and(
        eq(relations.tenantId, ctx.tenantId),
        eq(relations.productId, productId),
        eq(relations.kind, kind),
        eq(relations.relatedProductId, relatedId),
      ),
    )
    .returning();
  if (!deleted.length) throw notFound(`The ${kind} ${relatedId} of product ${productId}`);
  await audit(ctx, {
    action: 'catalog.relation.delete',
    resource: { type: 'product', id: productId },
    changes: changesOf({ kind, related_product_id: relatedId }, null),
  });
  await publish(ctx, 'catalog.product.updated', { product_id: productId, changed: ['related'] });
}
