import type { TestApp, TestTenant } from '../../test/harness.ts';

/** Catalogue objects the audit coverage walk (test/audit-coverage.test.ts) acts on. */
export interface CatalogFixtures {
  familyId: string;
  doomedFamilyId: string;
  categoryId: string;
  doomedCategoryId: string;
  brandId: string;
  doomedBrandId: string;
  productId: string;
  doomedProductId: string;
  otherProductId: string;
  variantId: string;
  doomedVariantId: string;
  mediaId: string;
  doomedMediaId: string;
  relatedId: string;
}

interface Call {
  params?: Record<string, string>;
  body?: unknown;
  /** A binary body (media upload) and its Content-Type. */
  raw?: { body: Buffer; contentType: string };
}

const SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export async function prepareCatalogFixtures(t: TestApp, tenant: TestTenant): Promise<CatalogFixtures> {
  const post = async (path: string, body: unknown) => {
    const res = await t.api('POST', `/api/v1/catalog${path}`, { token: tenant.token, body });
    if (res.status >= 300) throw new Error(`${path}: ${JSON.stringify(res.body)}`);
    return res.body as { id: string; variants: { id: string }[] };
  };
  const family = await post('/families', {
    code: 'fixture-family',
    name: { fr: 'Visserie' },
    attributes: [
      { code: 'length_mm', type: 'number', unit: 'mm', label: { fr: 'Longueur' }, filterable: true },
    ],
  });
  const doomedFamily = await post('/families', { code: 'doomed-family', name: { fr: 'À supprimer' } });
  const category = await post('/categories', { code: 'fixture-cat', name: { fr: 'Fixations' } });
  const doomedCategory = await post('/categories', { code: 'doomed-cat', name: { fr: 'À supprimer' } });
  const brand = await post('/brands', { code: 'fixture-brand', name: 'Fixtout' });
  const doomedBrand = await post('/brands', { code: 'doomed-brand', name: 'Disparu' });
  const product = await post('/products', {
    code: 'FIX-1',
    family_id: family.id,
    brand_id: brand.id,
    status: 'active',
    name: { fr: 'Cheville nylon 8 mm' },
    category_ids: [category.id],
    variants: [
      { sku: 'FIX-1-100', attributes: { length_mm: 40 }, pack_size: 100 },
      { sku: 'FIX-1-DOOMED', pack_size: 50 },
    ],
  });
  const doomedProduct = await post('/products', {
    code: 'FIX-DRAFT',
    family_id: family.id,
    name: { fr: 'Brouillon' },
  });
  const other = await post('/products', {
    code: 'FIX-2',
    family_id: family.id,
    name: { fr: 'Cheville 10 mm' },
  });
  const related = await post('/products', {
    code: 'FIX-3',
    family_id: family.id,
    name: { fr: 'Foret 8 mm' },
  });
  const medium = (key: string) => ({
    kind: 'image',
    object_key: `catalog/fixtures/${key}.webp`,
    content_type: 'image/webp',
    size_bytes: 2048,
    checksum_sha256: SHA,
  });
  const m = await post(`/products/${product.id}/media`, medium('front'));
  const doomedMedia = await post(`/products/${product.id}/media`, medium('doomed'));
  await post(`/products/${product.id}/related`, { kind: 'accessory', related_product_id: related.id });
  return {
    familyId: family.id,
    doomedFamilyId: doomedFamily.id,
    categoryId: category.id,
    doomedCategoryId: doomedCategory.id,
    brandId: brand.id,
    doomedBrandId: doomedBrand.id,
    productId: product.id,
    doomedProductId: doomedProduct.id,
    otherProductId: other.id,
    variantId: product.variants[0]!.id,
    doomedVariantId: product.variants[1]!.id,
    mediaId: m.id,
    doomedMediaId: doomedMedia.id,
    relatedId: related.id,
  };
}

/** A valid request for each audited catalogue operation, for the audit coverage walk. */
export function catalogAuditFixtures<S>(of: (s: S) => CatalogFixtures): Record<string, (s: S) => Call> {
  const f = (make: (c: CatalogFixtures) => Call) => (s: S) => make(of(s));
  return {
    updateCatalogSettings: f(() => ({ body: { languages: ['fr', 'en'] } })),
    createProductFamily: f(() => ({
      body: { code: `fam-${unique()}`, name: { fr: 'Chevilles', en: 'Wall plugs' } },
    })),
    updateProductFamily: f((c) => ({
      params: { family_id: c.familyId },
      body: { name: { fr: 'Visserie et fixations' } },
    })),
    deleteProductFamily: f((c) => ({ params: { family_id: c.doomedFamilyId } })),
    createCategory: f(() => ({ body: { code: `cat-${unique()}`, name: { fr: 'Quincaillerie' } } })),
    updateCategory: f((c) => ({ params: { category_id: c.categoryId }, body: { position: 2 } })),
    deleteCategory: f((c) => ({ params: { category_id: c.doomedCategoryId } })),
    createBrand: f(() => ({ body: { code: `brand-${unique()}`, name: 'Fischer' } })),
    updateBrand: f((c) => ({ params: { brand_id: c.brandId }, body: { name: 'Fixtout Pro' } })),
    deleteBrand: f((c) => ({ params: { brand_id: c.doomedBrandId } })),
    createProduct: f((c) => ({
      body: { code: `P-${unique()}`, family_id: c.familyId, name: { fr: 'Tire-fond 6 × 60' } },
    })),
    bulkUpsertProducts: f(() => ({
      body: {
        items: [
          {
            code: `BULK-${unique()}`,
            family_code: 'fixture-family',
            name: { fr: 'Rondelle plate M8', en: 'Flat washer M8' },
            variants: [{ sku: `RON-${unique()}`, pack_size: 100 }],
          },
        ],
      },
    })),
    updateProduct: f((c) => ({
      params: { product_id: c.productId },
      body: { tax_category: 'standard', status: 'active' },
    })),
    deleteProduct: f((c) => ({ params: { product_id: c.doomedProductId } })),
    createVariant: f((c) => ({
      params: { product_id: c.productId },
      body: { sku: `FIX-1-${unique()}`, pack_size: 25 },
    })),
    updateVariant: f((c) => ({ params: { variant_id: c.variantId }, body: { mpn: 'SX-8' } })),
    deleteVariant: f((c) => ({ params: { variant_id: c.doomedVariantId } })),
    createProductMedia: f((c) => ({
      params: { product_id: c.productId },
      body: {
        kind: 'datasheet',
        object_key: `catalog/fixtures/${unique()}.pdf`,
        content_type: 'application/pdf',
        size_bytes: 52000,
        checksum_sha256: SHA,
      },
    })),
    updateProductMedia: f((c) => ({
      params: { media_id: c.mediaId },
      body: { title: { fr: 'Vue de face' } },
    })),
    deleteProductMedia: f((c) => ({ params: { media_id: c.doomedMediaId } })),
    uploadProductMediaContent: f((c) => ({
      params: { media_id: c.mediaId },
      raw: {
        body: Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 fixture', 'latin1'),
        contentType: 'image/webp',
      },
    })),
    addRelatedProduct: f((c) => ({
      params: { product_id: c.productId },
      body: { kind: 'substitute', related_product_id: c.otherProductId },
    })),
    removeRelatedProduct: f((c) => ({
      params: { product_id: c.productId, kind: 'accessory', related_product_id: c.relatedId },
    })),
  };
}
