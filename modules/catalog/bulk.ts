import { and, eq, inArray, sql } from 'drizzle-orm';
import { audit } from '../../platform/audit/record.ts';
import type { Ctx } from '../../platform/context.ts';
import { publish } from '../../platform/events/outbox.ts';
import { AppError, type FieldError } from '../../platform/http/problems.ts';
import { newId } from '../../platform/ids.ts';
import {
  checkAttributeValues,
  checkGtin,
  normalizeGtin,
  type Translations,
  unknownLanguages,
} from './rules.ts';
import { brands, categories, families, productCategories, products, variants } from './schema.ts';
import {
  catalogLanguages,
  type ProductStatus,
  refreshProducts,
  toVariant,
  type VariantInput,
} from './service.ts';

/** One product of a bulk upsert, keyed by its code; references by code, as an ERP knows them. */
export interface BulkItem {
  code: string;
  family_code: string;
  brand_code?: string | null;
  status?: ProductStatus;
  tax_category?: string;
  name: Translations;
  description?: Translations;
  attributes?: Record<string, unknown>;
  category_codes?: string[];
  variants?: VariantInput[];
}

export interface BulkResult {
  created: number;
  updated: number;
  variants_created: number;
  variants_updated: number;
  items: { index: number; code: string; product_id: string; result: 'created' | 'updated' }[];
}

export const BULK_MAX_ITEMS = 1000;

const clean = (t: Translations | undefined | null): Translations =>
  Object.fromEntries(
    Object.entries(t ?? {})
      .filter(([, v]) => typeof v === 'string' && v.trim())
      .map(([k, v]) => [k, v.trim()]),
  );

/**
 * Upserts products by code and their variants by SKU, in the caller's transaction, all or nothing:
 * every item is checked first and any error refuses the whole call with every problem named by its
 * pointer (`/items/12/variants/0/gtin`). Fields absent from an item keep their current value;
 * variants not listed are kept.
 */
export async function bulkUpsertProducts(ctx: Ctx, items: BulkItem[]): Promise<BulkResult> {
  const errors: FieldError[] = [];
  const add = (pointer: string, detail: string) => errors.push({ in: 'body', pointer, detail });
  const l = await catalogLanguages(ctx);
  const t = ctx.tenantId;

  const fams = new Map(
    (await ctx.tx.select().from(families).where(eq(families.tenantId, t))).map((f) => [f.code, f]),
  );
  const brandCodes = [...new Set(items.map((i) => i.brand_code).filter((c): c is string => !!c))];
  const brandByCode = new Map(
    brandCodes.length
      ? (
          await ctx.tx
            .select({ id: brands.id, code: brands.code })
            .from(brands)
            .where(and(eq(brands.tenantId, t), inArray(brands.code, brandCodes)))
        ).map((b) => [b.code, b.id])
      : [],
  );
  const catCodes = [...new Set(items.flatMap((i) => i.category_codes ?? []))];
  const catByCode = new Map(
    catCodes.length
      ? (
          await ctx.tx
            .select({ id: categories.id, code: categories.code })
            .from(categories)
            .where(and(eq(categories.tenantId, t), inArray(categories.code, catCodes)))
        ).map((c) => [c.code, c.id])
      : [],
  );
  const codes = items.map((i) => i.code);
  const existing = new Map(
    (
      await ctx.tx
        .select()
        .from(products)
        .where(and(eq(products.tenantId, t), inArray(products.code, codes)))
    ).map((p) => [p.code, p]),
  );
  const skus = items.flatMap((i) => (i.variants ?? []).map((v) => v.sku));
  const existingVariants = new Map<string, ReturnType<typeof toVariant>>();
  for (let i = 0; i < skus.length; i += 5000) {
    const found = await ctx.tx
      .select()
      .from(variants)
      .where(and(eq(variants.tenantId, t), inArray(variants.sku, skus.slice(i, i + 5000))));
    for (const v of found) existingVariants.set(v.sku, toVariant(v));
  }

  const seenCodes = new Map<string, number>();
  const seenSkus = new Map<string, string>();
  const now = new Date();
  const productValues: (typeof products.$inferInsert)[] = [];
  const variantValues: (typeof variants.$inferInsert)[] = [];
  const links: { productId: string; categoryIds: string[] }[] = [];
  const result: BulkResult = { created: 0, updated: 0, variants_created: 0, variants_updated: 0, items: [] };

  items.forEach((item, i) => {
    const at = `/items/${i}`;
    if (seenCodes.has(item.code))
      add(`${at}/code`, `"${item.code}" is also item ${seenCodes.get(item.code)}`);
    seenCodes.set(item.code, i);
    const current = existing.get(item.code);
    const family = fams.get(item.family_code);
    if (!family) add(`${at}/family_code`, `"${item.family_code}" is not a product family of this catalogue`);
    let brandId = current?.brandId ?? null;
    if (item.brand_code !== undefined) {
      brandId = item.brand_code === null ? null : (brandByCode.get(item.brand_code) ?? null);
      if (item.brand_code !== null && !brandId)
        add(`${at}/brand_code`, `"${item.brand_code}" is not a brand of this catalogue`);
    }
    const categoryIds = (item.category_codes ?? []).map((c, j) => {
      const id = catByCode.get(c);
      if (!id) add(`${at}/category_codes/${j}`, `"${c}" is not a category of this catalogue`);
      return id ?? '';
    });
    for (const [field, texts, required] of [
      ['name', item.name, true],
      ['description', item.description, false],
    ] as const) {
      for (const lang of unknownLanguages(texts ?? {}, l.languages))
        add(`${at}/${field}/${lang}`, `"${lang}" is not one of the catalogue's languages`);
      if (required && !texts?.[l.fallback]?.trim())
        add(`${at}/${field}/${l.fallback}`, `is required: ${l.fallback} is the fallback language`);
    }
    const defs = family?.attributes ?? [];
    if (family && item.attributes)
      for (const p of checkAttributeValues(defs, item.attributes))
        add(`${at}/attributes${p.pointer}`, p.detail);

    const productId = current?.id ?? newId('prod');
    (item.variants ?? []).forEach((v, j) => {
      const vat = `${at}/variants/${j}`;
      const other = seenSkus.get(v.sku);
      if (other) add(`${vat}/sku`, `SKU "${v.sku}" also appears at ${other}`);
      seenSkus.set(v.sku, vat);
      const cur = existingVariants.get(v.sku);
      if (cur && cur.product_id !== productId)
        add(`${vat}/sku`, `SKU "${v.sku}" belongs to another product (${cur.product_id})`);
      let gtin = v.gtin === undefined ? (cur?.gtin ?? null) : v.gtin;
      if (v.gtin != null) {
        gtin = normalizeGtin(v.gtin);
        const c = checkGtin(gtin);
        if (!c.ok) add(`${vat}/gtin`, `is not a valid GTIN: ${c.reason}`);
      }
      if (family && v.attributes)
        for (const p of checkAttributeValues(defs, v.attributes))
          add(`${vat}/attributes${p.pointer}`, p.detail);
      const packSize = v.pack_size ?? cur?.pack_size ?? 1;
      const orderMultiple =
        v.order_multiple ?? (v.pack_size === undefined && cur ? cur.order_multiple : packSize);
      const minOrderQty =
        v.min_order_qty ??
        (v.pack_size === undefined && v.order_multiple === undefined && cur
          ? cur.min_order_qty
          : orderMultiple);
      if (orderMultiple % packSize !== 0)
        add(`${vat}/order_multiple`, `must be a multiple of the pack size (${packSize}): a box is not split`);
      const attrs = { ...(cur?.attributes ?? {}) };
      for (const [k, val] of Object.entries(v.attributes ?? {})) {
        if (val === null) delete attrs[k];
        else attrs[k] = val;
      }
      const n = (x: number | null | undefined, c: number | null | undefined) =>
        x === undefined ? (c == null ? null : String(c)) : x === null ? null : String(x);
      variantValues.push({
        tenantId: t,
        id: cur?.id ?? newId('var'),
        productId,
        sku: v.sku,
        gtin,
        mpn: v.mpn === undefined ? (cur?.mpn ?? null) : v.mpn,
        name: v.name === undefined ? (cur?.name ?? {}) : clean(v.name),
        attributes: attrs,
        unit: v.unit ?? cur?.unit ?? 'piece',
        packSize,
        minOrderQty,
        orderMultiple,
        weight: n(v.weight, cur?.weight),
        weightUnit: v.weight_unit ?? cur?.weight_unit ?? 'kg',
        length: n(v.length, cur?.length),
        width: n(v.width, cur?.width),
        height: n(v.height, cur?.height),
        dimensionUnit: v.dimension_unit ?? cur?.dimension_unit ?? 'mm',
        position: v.position ?? cur?.position ?? j,
        createdAt: now,
        updatedAt: now,
      });
      if (cur) result.variants_updated += 1;
      else result.variants_created += 1;
    });

    const attributes = { ...(current?.attributes ?? {}) };
    for (const [k, v] of Object.entries(item.attributes ?? {})) {
      if (v === null) delete attributes[k];
      else attributes[k] = v;
    }
    productValues.push({
      tenantId: t,
      id: productId,
      code: item.code,
      familyId: family?.id ?? '',
      brandId,
      status: item.status ?? current?.status ?? 'draft',
      replacementId: current?.replacementId ?? null,
      taxCategory: item.tax_category ?? current?.taxCategory ?? 'standard',
      name: clean(item.name),
      description: item.description === undefined ? (current?.description ?? {}) : clean(item.description),
      attributes,
      completeness: current?.completeness ?? 0,
      completenessMissing: current?.completenessMissing ?? [],
      searchDocument: '',
      searchText: '',
      createdAt: current?.createdAt ?? now,
      updatedAt: now,
    });
    if (item.category_codes !== undefined) links.push({ productId, categoryIds });
    result.items.push({
      index: i,
      code: item.code,
      product_id: productId,
      result: current ? 'updated' : 'created',
    });
    if (current) result.updated += 1;
    else result.created += 1;
  });

  if (errors.length) {
    const first = errors[0]!;
    throw new AppError(
      'validation-error',
      `${errors.length} problem(s); nothing was saved. First: ${first.pointer.slice(1)} ${first.detail}`,
      errors.slice(0, 500),
    );
  }

  for (let i = 0; i < productValues.length; i += 500) {
    await ctx.tx
      .insert(products)
      .values(productValues.slice(i, i + 500))
      .onConflictDoUpdate({
        target: [products.tenantId, products.code],
        set: {
          familyId: sql`excluded.family_id`,
          brandId: sql`excluded.brand_id`,
          status: sql`excluded.status`,
          taxCategory: sql`excluded.tax_category`,
          name: sql`excluded.name`,
          description: sql`excluded.description`,
          attributes: sql`excluded.attributes`,
          updatedAt: sql`excluded.updated_at`,
        },
      });
  }
  for (let i = 0; i < variantValues.length; i += 1000) {
    await ctx.tx
      .insert(variants)
      .values(variantValues.slice(i, i + 1000))
      .onConflictDoUpdate({
        target: [variants.tenantId, variants.sku],
        set: Object.fromEntries(
          (
            [
              ['gtin', 'gtin'],
              ['mpn', 'mpn'],
              ['name', 'name'],
              ['attributes', 'attributes'],
              ['unit', 'unit'],
              ['packSize', 'pack_size'],
              ['minOrderQty', 'min_order_qty'],
              ['orderMultiple', 'order_multiple'],
              ['weight', 'weight'],
              ['weightUnit', 'weight_unit'],
              ['length', 'length'],
              ['width', 'width'],
              ['height', 'height'],
              ['dimensionUnit', 'dimension_unit'],
              ['position', 'position'],
              ['updatedAt', 'updated_at'],
            ] as const
          ).map(([k, c]) => [k, sql.raw(`excluded.${c}`)]),
        ),
      });
  }
  for (const link of links) {
    await ctx.tx
      .delete(productCategories)
      .where(and(eq(productCategories.tenantId, t), eq(productCategories.productId, link.productId)));
    const unique = [...new Set(link.categoryIds)];
    if (unique.length)
      await ctx.tx
        .insert(productCategories)
        .values(unique.map((categoryId) => ({ tenantId: t, productId: link.productId, categoryId })));
  }
  const ids = result.items.map((x) => x.product_id);
  await refreshProducts(ctx, ids);
  const created = result.items.filter((x) => x.result === 'created').map((x) => x.product_id);
  const updated = result.items.filter((x) => x.result === 'updated').map((x) => x.product_id);
  await audit(ctx, {
    action: 'catalog.product.bulk_upsert',
    resource: { type: 'product', id: null },
    metadata: {
      created,
      updated,
      variants_created: result.variants_created,
      variants_updated: result.variants_updated,
    },
  });
  await publish(ctx, 'catalog.products.bulk_upserted', { created, updated });
  return result;
}
