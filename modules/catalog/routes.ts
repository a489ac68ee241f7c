import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Page, PageQuery } from '../../platform/http/pagination.ts';
import { Nullable } from '../../platform/http/schemas.ts';
import { inTenant } from '../../platform/http/tenant-handler.ts';
import { IdSchema } from '../../platform/ids.ts';
import type { ModuleDeps } from '../../platform/module.ts';
import { BULK_MAX_ITEMS, bulkUpsertProducts } from './bulk.ts';
import { mediaContentRoutes } from './media-routes.ts';
import { parseAcceptLanguage } from './rules.ts';
import { catalogHealth, PRICE_SAMPLE, SEARCH_SORTS, searchCatalog } from './search.ts';
import {
  addRelation,
  categoryTree,
  checkVariantQuantity,
  createBrand,
  createCategory,
  createFamily,
  createMedia,
  createProduct,
  createVariant,
  deleteBrand,
  deleteCategory,
  deleteFamily,
  deleteMedia,
  deleteProduct,
  deleteVariant,
  getBrand,
  getCatalogSettings,
  getCategory,
  getFamily,
  getMedia,
  getProduct,
  getVariant,
  listBrands,
  listCategories,
  listFamilies,
  listProductMedia,
  listProducts,
  listProductVariants,
  listRelations,
  listVariants,
  removeRelation,
  updateBrand,
  updateCatalogSettings,
  updateCategory,
  updateFamily,
  updateMedia,
  updateProduct,
  updateVariant,
} from './service.ts';

// ─── Schemas ─────────────────────────────────────────────────────────────────────────────────

const Lang = Type.String({ pattern: '^[a-z]{2,3}$', examples: ['fr'] });
const Texts = (max: number, example: Record<string, string>) =>
  Type.Record(Lang, Type.String({ maxLength: max }), {
    additionalProperties: false,
    description: 'Translations by language code; the tenant’s fallback language is used for a missing one',
    examples: [example],
  });
const Code = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$', examples: ['PERC-18V'] });
const Sku = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$', examples: ['MAK-DDF485Z'] });
const AttrValue = Type.Union([Type.String({ maxLength: 1000 }), Type.Number(), Type.Boolean()]);
const AttrPatch = Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' }), Nullable(AttrValue), {
  description: 'Values to set; `null` removes one',
  examples: [{ voltage: 18 }],
});
const Status = Type.Union([Type.Literal('draft'), Type.Literal('active'), Type.Literal('discontinued')], {
  description: '`active`: on sale; `discontinued`: no longer sold (see `replacement_id`)',
});
const Timestamps = {
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
};
const Deleted = Type.Object({ id: Type.String(), deleted: Type.Literal(true) });
const LocaleQuery = {
  locale: Type.Optional(
    Type.String({
      pattern: '^[a-z]{2,3}$',
      description: 'Language to read texts in; else `Accept-Language`, else the tenant’s fallback',
    }),
  ),
};

const AttributeDefinition = Type.Object(
  {
    code: Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$', examples: ['voltage'] }),
    type: Type.Union([
      Type.Literal('text'),
      Type.Literal('number'),
      Type.Literal('enum'),
      Type.Literal('boolean'),
    ]),
    label: Texts(200, { fr: 'Tension', en: 'Voltage' }),
    unit: Type.Optional(Nullable(Type.String({ maxLength: 20, examples: ['V'] }))),
    values: Type.Optional(
      Type.Array(
        Type.Object(
          {
            code: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
            label: Texts(200, { fr: 'Sans clé', en: 'Keyless' }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 500 },
      ),
    ),
    filterable: Type.Optional(Type.Boolean({ default: false })),
    required: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

const FamilySchema = Type.Object(
  {
    id: IdSchema('fam'),
    code: Type.String(),
    name: Texts(200, { fr: 'Perceuses-visseuses', en: 'Drill drivers' }),
    attributes: Type.Array(
      Type.Object({
        code: Type.String(),
        type: Type.String(),
        label: Type.Record(Type.String(), Type.String()),
        unit: Nullable(Type.String()),
        values: Type.Array(
          Type.Object({ code: Type.String(), label: Type.Record(Type.String(), Type.String()) }),
        ),
        filterable: Type.Boolean(),
        required: Type.Boolean(),
      }),
    ),
    ...Timestamps,
  },
  { $id: 'CatalogFamily', title: 'Product family' },
);

const CategorySchema = Type.Object(
  {
    id: IdSchema('cat'),
    code: Type.String(),
    parent_id: Nullable(Type.String()),
    position: Type.Integer(),
    name: Type.Record(Type.String(), Type.String()),
    description: Type.Record(Type.String(), Type.String()),
    active: Type.Boolean(),
    ...Timestamps,
  },
  { $id: 'CatalogCategory', title: 'Category' },
);

const CategoryNodeSchema = Type.Object(
  {
    id: Type.String(),
    code: Type.String(),
    parent_id: Nullable(Type.String()),
    position: Type.Integer(),
    name: Type.Record(Type.String(), Type.String()),
    description: Type.Record(Type.String(), Type.String()),
    active: Type.Boolean(),
    label: Nullable(Type.String({ description: 'The name in the language asked' })),
    children: Type.Array(Type.Ref('CatalogCategoryNode')),
    ...Timestamps,
  },
  { $id: 'CatalogCategoryNode', title: 'Category tree node' },
);

const BrandSchema = Type.Object(
  {
    id: IdSchema('brand'),
    code: Type.String(),
    name: Type.String(),
    description: Type.Record(Type.String(), Type.String()),
    ...Timestamps,
  },
  { $id: 'CatalogBrand', title: 'Brand' },
);

const VariantSchema = Type.Object(
  {
    id: IdSchema('var'),
    product_id: IdSchema('prod'),
    sku: Type.String(),
    gtin: Nullable(Type.String()),
    mpn: Nullable(Type.String({ description: 'Manufacturer part number' })),
    name: Type.Record(Type.String(), Type.String()),
    attributes: Type.Record(Type.String(), AttrValue),
    unit: Type.String({ description: 'Unit quantities are counted in (piece, m, kg, l…)' }),
    pack_size: Type.Integer({ description: 'Units per sale pack (sold by box of N)' }),
    min_order_qty: Type.Integer(),
    order_multiple: Type.Integer(),
    weight: Nullable(Type.Number()),
    weight_unit: Type.String(),
    length: Nullable(Type.Number()),
    width: Nullable(Type.Number()),
    height: Nullable(Type.Number()),
    dimension_unit: Type.String(),
    position: Type.Integer(),
    ...Timestamps,
  },
  { $id: 'CatalogVariant', title: 'Variant (SKU)' },
);

const Missing = Type.Object({
  check: Type.String({ description: 'variant, attribute, name, description, image or category' }),
  locale: Type.Optional(Type.String()),
  attribute: Type.Optional(Type.String()),
  skus: Type.Optional(Type.Array(Type.String())),
});

const ProductSchema = Type.Object(
  {
    id: IdSchema('prod'),
    code: Type.String({ description: 'Product reference (key of bulk upserts)' }),
    family_id: Type.String(),
    brand_id: Nullable(Type.String()),
    status: Status,
    replacement_id: Nullable(Type.String()),
    tax_category: Type.String(),
    name: Type.Record(Type.String(), Type.String()),
    description: Type.Record(Type.String(), Type.String()),
    attributes: Type.Record(Type.String(), AttrValue),
    category_ids: Type.Array(Type.String()),
    variants: Type.Array(Type.Ref('CatalogVariant')),
    completeness: Type.Object({
      score: Type.Integer({ minimum: 0, maximum: 100 }),
      missing: Type.Array(Missing),
    }),
    localized: Type.Object(
      {
        locale: Type.String(),
        name: Nullable(Type.String()),
        description: Nullable(Type.String()),
        fallback: Type.Array(Type.String(), { description: 'Fields read in the fallback language' }),
      },
      {
        description:
          'Texts in the language asked (`?locale=` or `Accept-Language`), each falling back on its own',
      },
    ),
    ...Timestamps,
  },
  { $id: 'CatalogProduct', title: 'Product' },
);

const MediaKind = Type.Union([
  Type.Literal('image'),
  Type.Literal('datasheet'),
  Type.Literal('safety_sheet'),
]);
const MediaSchema = Type.Object(
  {
    id: IdSchema('med'),
    product_id: Type.String(),
    variant_id: Nullable(Type.String()),
    kind: MediaKind,
    object_key: Type.String(),
    content_type: Type.String(),
    size_bytes: Type.Integer(),
    checksum_sha256: Type.String(),
    title: Type.Record(Type.String(), Type.String()),
    locale: Nullable(Type.String()),
    position: Type.Integer(),
    uploaded_at: Nullable(
      Type.String({ format: 'date-time', description: 'When the content was uploaded; null: metadata only' }),
    ),
    ...Timestamps,
  },
  { $id: 'CatalogMedia', title: 'Medium or document (metadata)' },
);

const RelationKind = Type.Union([Type.Literal('accessory'), Type.Literal('substitute')]);
const RelationSchema = Type.Object(
  {
    product_id: Type.String(),
    kind: RelationKind,
    related_product_id: Type.String(),
    related_code: Type.String(),
    related_name: Nullable(Type.String()),
    related_status: Status,
    position: Type.Integer(),
    created_at: Type.String({ format: 'date-time' }),
  },
  { $id: 'CatalogRelation', title: 'Related product' },
);

const VariantFields = {
  sku: Sku,
  gtin: Nullable(
    Type.String({
      maxLength: 20,
      description: 'GTIN-8/12/13/14; the check digit is verified',
      examples: ['4006381333931'],
    }),
  ),
  mpn: Nullable(Type.String({ maxLength: 64, examples: ['DDF485Z'] })),
  name: Texts(200, { fr: 'Boîte de 100', en: 'Box of 100' }),
  attributes: AttrPatch,
  unit: Type.String({ pattern: '^[a-z_]{1,20}$', examples: ['piece'] }),
  pack_size: Type.Integer({
    minimum: 1,
    maximum: 1000000,
    description: 'Sold by box of N units',
    examples: [12],
  }),
  min_order_qty: Type.Integer({ minimum: 1, maximum: 1000000, description: 'Default: the order multiple' }),
  order_multiple: Type.Integer({ minimum: 1, maximum: 1000000, description: 'Default: the pack size' }),
  weight: Nullable(Type.Number({ minimum: 0, maximum: 1e8 })),
  weight_unit: Type.Union([Type.Literal('g'), Type.Literal('kg')]),
  length: Nullable(Type.Number({ minimum: 0, maximum: 1e8 })),
  width: Nullable(Type.Number({ minimum: 0, maximum: 1e8 })),
  height: Nullable(Type.Number({ minimum: 0, maximum: 1e8 })),
  dimension_unit: Type.Union([Type.Literal('mm'), Type.Literal('cm'), Type.Literal('m')]),
  position: Type.Integer({ minimum: 0, maximum: 100000 }),
};
const CreateVariantBody = Type.Object(
  {
    sku: VariantFields.sku,
    ...Object.fromEntries(
      Object.entries(VariantFields)
        .filter(([k]) => k !== 'sku')
        .map(([k, v]) => [k, Type.Optional(v)]),
    ),
  } as { sku: typeof Sku } & {
    [K in Exclude<keyof typeof VariantFields, 'sku'>]: ReturnType<
      typeof Type.Optional<(typeof VariantFields)[K]>
    >;
  },
  { additionalProperties: false },
);
const UpdateVariantBody = Type.Partial(Type.Object(VariantFields), {
  additionalProperties: false,
  minProperties: 1,
});

const productFields = {
  code: Code,
  family_id: IdSchema('fam'),
  brand_id: Nullable(IdSchema('brand')),
  status: Status,
  replacement_id: Nullable(IdSchema('prod')),
  tax_category: Type.String({ pattern: '^[a-z_]{1,30}$', examples: ['standard'] }),
  name: Texts(300, { fr: 'Perceuse-visseuse sans fil 18 V', en: 'Cordless drill driver 18 V' }),
  description: Texts(20000, {
    fr: 'Mandrin auto-serrant 13 mm, moteur sans charbons.',
    en: '13 mm keyless chuck, brushless motor.',
  }),
  attributes: AttrPatch,
  category_ids: Type.Array(IdSchema('cat'), { maxItems: 50 }),
};
const CreateProductBody = Type.Object(
  {
    code: productFields.code,
    family_id: productFields.family_id,
    name: productFields.name,
    brand_id: Type.Optional(productFields.brand_id),
    status: Type.Optional(productFields.status),
    replacement_id: Type.Optional(productFields.replacement_id),
    tax_category: Type.Optional(productFields.tax_category),
    description: Type.Optional(productFields.description),
    attributes: Type.Optional(productFields.attributes),
    category_ids: Type.Optional(productFields.category_ids),
    variants: Type.Optional(Type.Array(CreateVariantBody, { maxItems: 500 })),
  },
  { additionalProperties: false },
);
const UpdateProductBody = Type.Partial(Type.Object(productFields), {
  additionalProperties: false,
  minProperties: 1,
});

const BulkItem = Type.Object(
  {
    code: Code,
    family_code: Code,
    name: productFields.name,
    brand_code: Type.Optional(Nullable(Code)),
    status: Type.Optional(Status),
    tax_category: Type.Optional(productFields.tax_category),
    description: Type.Optional(productFields.description),
    attributes: Type.Optional(AttrPatch),
    category_codes: Type.Optional(Type.Array(Code, { maxItems: 50 })),
    variants: Type.Optional(Type.Array(CreateVariantBody, { maxItems: 200 })),
  },
  { additionalProperties: false },
);

const FamilyBody = Type.Object(
  {
    code: Code,
    name: Texts(200, { fr: 'Perceuses-visseuses', en: 'Drill drivers' }),
    attributes: Type.Optional(Type.Array(AttributeDefinition, { maxItems: 200 })),
  },
  { additionalProperties: false },
);
const CategoryFields = {
  code: Code,
  parent_id: Nullable(IdSchema('cat')),
  position: Type.Integer({ minimum: 0, maximum: 100000 }),
  name: Texts(200, { fr: 'Outillage électroportatif', en: 'Power tools' }),
  description: Texts(5000, { fr: 'Perceuses, meuleuses, scies.', en: 'Drills, grinders, saws.' }),
  active: Type.Boolean(),
};
const CategoryBody = Type.Object(
  {
    code: CategoryFields.code,
    name: CategoryFields.name,
    parent_id: Type.Optional(CategoryFields.parent_id),
    position: Type.Optional(CategoryFields.position),
    description: Type.Optional(CategoryFields.description),
    active: Type.Optional(CategoryFields.active),
  },
  { additionalProperties: false },
);
const BrandFields = {
  code: Code,
  name: Type.String({ minLength: 1, maxLength: 200, examples: ['Makita'] }),
  description: Texts(5000, { fr: 'Outillage professionnel', en: 'Professional tools' }),
};
const BrandBody = Type.Object(
  { code: BrandFields.code, name: BrandFields.name, description: Type.Optional(BrandFields.description) },
  { additionalProperties: false },
);
const MediaBody = Type.Object(
  {
    kind: MediaKind,
    object_key: Type.String({ minLength: 1, maxLength: 1024, examples: ['catalog/perc-18v/front.webp'] }),
    content_type: Type.String({ maxLength: 100, examples: ['image/webp'] }),
    size_bytes: Type.Integer({ minimum: 0, maximum: 1073741824, examples: [184320] }),
    checksum_sha256: Type.String({
      pattern: '^[0-9a-fA-F]{64}$',
      examples: ['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
    }),
    variant_id: Type.Optional(Nullable(IdSchema('var'))),
    title: Type.Optional(Texts(300, { fr: 'Vue de face', en: 'Front view' })),
    locale: Type.Optional(Nullable(Lang)),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000 })),
  },
  { additionalProperties: false },
);
const UpdateMediaBody = Type.Partial(
  Type.Object({
    variant_id: Nullable(IdSchema('var')),
    title: Texts(300, { fr: 'Vue de face', en: 'Front view' }),
    locale: Nullable(Lang),
    position: Type.Integer({ minimum: 0, maximum: 100000 }),
  }),
  { additionalProperties: false, minProperties: 1 },
);

const SearchHit = Type.Object({
  id: Type.String(),
  code: Type.String(),
  name: Nullable(Type.String()),
  description: Nullable(Type.String()),
  brand: Nullable(Type.Object({ id: Type.String(), name: Type.String() })),
  skus: Type.Array(Type.String()),
  image: Nullable(Type.Object({ object_key: Type.String(), content_type: Type.String() })),
  score: Type.Number(),
  matched_by: Type.Union([
    Type.Literal('text'),
    Type.Literal('sku'),
    Type.Literal('fuzzy'),
    Type.Literal('all'),
  ]),
  price: Nullable(
    Type.Object(
      {
        sku: Type.String({ description: 'The first variant of the product' }),
        quantity: Type.String({ description: 'Its minimum order quantity (or 1)' }),
        unit_price: Type.Object({ amount: Type.String(), currency: Type.String() }),
        rule: Type.Object(
          {},
          { additionalProperties: true, description: 'The list, break, discount level and promotions used' },
        ),
      },
      {
        description:
          'The caller’s resolved unit price excluding tax (as GET /prices/resolve) of the first variant at its minimum order quantity; null when it has no price, or the caller may not resolve prices or named no currency outside a storefront',
      },
    ),
  ),
});
const SearchResultSchema = Type.Object({
  locale: Type.String(),
  data: Type.Array(SearchHit),
  next_cursor: Nullable(Type.String()),
  total: Nullable(Type.Integer({ description: 'Matching products (first page only)' })),
  facets: Nullable(
    Type.Object({
      brands: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), count: Type.Integer() })),
      categories: Type.Array(
        Type.Object({
          id: Type.String(),
          name: Nullable(Type.String()),
          parent_id: Nullable(Type.String()),
          count: Type.Integer(),
        }),
      ),
      attributes: Type.Array(
        Type.Object({
          code: Type.String(),
          label: Nullable(Type.String()),
          type: Type.String(),
          unit: Nullable(Type.String()),
          values: Type.Array(
            Type.Object({
              value: Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
              label: Type.String(),
              count: Type.Integer(),
            }),
          ),
        }),
      ),
      price: Nullable(
        Type.Object(
          {
            currency: Type.String({ examples: ['EUR'] }),
            min: Type.String({
              description: 'The lowest price among the hits considered',
              examples: ['3.50'],
            }),
            max: Type.String({
              description: 'The highest price among the hits considered',
              examples: ['812.00'],
            }),
            unpriced: Type.Integer({ description: 'Hits considered that have no price for the caller' }),
            ranges: Type.Array(
              Type.Object({
                from: Nullable(
                  Type.String({ description: 'Included; null on the first range', examples: ['10'] }),
                ),
                to: Nullable(
                  Type.String({ description: 'Excluded; null on the last range', examples: ['50'] }),
                ),
                count: Type.Integer(),
              }),
              {
                description:
                  'At most 6 non-empty ranges [from, to), ascending, with round boundaries; their counts add up to the priced hits considered. Computed without the price filter, so that every range stays visible once one is chosen.',
              },
            ),
          },
          {
            description:
              'Price ranges of the caller’s prices (`price` of the hits) over the hits considered (`price_scope`); null when none of them has a price for the caller',
          },
        ),
      ),
    }),
  ),
  price_scope: Nullable(
    Type.Object(
      {
        considered: Type.Integer({ description: 'Hits whose price was compared' }),
        complete: Type.Boolean({ description: 'Whether these are all the hits of the search' }),
      },
      {
        description: `The hits the price facet, the price filter and the price sort considered: every hit of a search with at most ${PRICE_SAMPLE.toLocaleString('en')}, else the ${PRICE_SAMPLE.toLocaleString('en')} best-ranked (relevance, then ID). Null when no prices were compared (a later page without price sort or filter, or a caller without prices).`,
      },
    ),
  ),
});
const HealthSchema = Type.Object({
  languages: Type.Array(Type.String()),
  products: Type.Integer({ description: 'Draft and active products' }),
  by_status: Type.Object({ draft: Type.Integer(), active: Type.Integer(), discontinued: Type.Integer() }),
  incomplete_products: Type.Integer(),
  average_completeness: Type.Number(),
  products_without_image: Type.Integer(),
  products_without_active_category: Type.Integer(),
  products_missing_required_attributes: Type.Integer(),
  missing_translations: Type.Array(
    Type.Object({
      locale: Type.String(),
      products: Type.Integer(),
      names: Type.Integer(),
      descriptions: Type.Integer(),
    }),
  ),
  categories: Type.Object({ total: Type.Integer(), inactive: Type.Integer() }),
});

/** A price bound of the search: ≥ 0, at most 4 decimals (as unit prices). */
const PRICE_BOUND = '^[0-9]{1,12}([.][0-9]{1,4})?$';

const AttrQuery = Type.Optional(
  Type.Array(Type.String({ maxLength: 200 }), {
    maxItems: 20,
    description:
      '`code:value` on a filterable attribute; repeat it. Values of one code are ORed, codes ANDed.',
    examples: [['voltage:18', 'chuck_type:keyless']],
  }),
);

/** The languages the request asks for: `?locale=`, then `Accept-Language`. */
function wantedOf(req: FastifyRequest): string[] {
  const q = (req.query as { locale?: string } | undefined)?.locale;
  const header = req.headers['accept-language'];
  return [...(q ? [q] : []), ...parseAcceptLanguage(typeof header === 'string' ? header : undefined)];
}

const P = {
  product: Type.Object({ product_id: IdSchema('prod') }),
  variant: Type.Object({ variant_id: IdSchema('var') }),
  family: Type.Object({ family_id: IdSchema('fam') }),
  category: Type.Object({ category_id: IdSchema('cat') }),
  brand: Type.Object({ brand_id: IdSchema('brand') }),
  media: Type.Object({ media_id: IdSchema('med') }),
  relation: Type.Object({
    product_id: IdSchema('prod'),
    kind: RelationKind,
    related_product_id: IdSchema('prod'),
  }),
};

export function catalogRoutes(deps: ModuleDeps): FastifyPluginAsyncTypebox {
  const { db } = deps;
  return async (app) => {
    for (const s of [
      FamilySchema,
      CategorySchema,
      CategoryNodeSchema,
      BrandSchema,
      VariantSchema,
      ProductSchema,
      MediaSchema,
      RelationSchema,
    ])
      app.addSchema(s);
    // Media content (binary upload and download), in a context with its own body parser.
    await app.register(mediaContentRoutes(deps));
    const base = '/api/v1/catalog';
    const tags = ['Catalogue'];
    const READ = 'catalog.product.read';
    const WRITE = 'catalog.product.write';

    // Settings
    app.get(
      `${base}/settings`,
      {
        schema: {
          operationId: 'getCatalogSettings',
          summary: 'Get the catalogue languages',
          tags,
          'x-permission': READ,
          response: {
            200: Type.Object({ languages: Type.Array(Type.String()), fallback_language: Type.String() }),
          },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getCatalogSettings(ctx)),
    );
    app.put(
      `${base}/settings`,
      {
        schema: {
          operationId: 'updateCatalogSettings',
          summary: 'Set the catalogue languages',
          description:
            'Texts are expected in every language (completeness); the fallback language is the tenant’s default locale.',
          tags,
          'x-permission': 'catalog.settings.write',
          'x-action': 'catalog.settings.update',
          body: Type.Object(
            { languages: Type.Array(Lang, { minItems: 1, maxItems: 20, examples: [['fr', 'en', 'de']] }) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ languages: Type.Array(Type.String()), fallback_language: Type.String() }),
          },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => updateCatalogSettings(ctx, req.body)),
    );

    // Families
    app.post(
      `${base}/families`,
      {
        schema: {
          operationId: 'createProductFamily',
          summary: 'Create a product family and its attribute definitions',
          tags,
          'x-permission': 'catalog.family.write',
          'x-action': 'catalog.family.create',
          body: FamilyBody,
          response: { 201: Type.Ref('CatalogFamily') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => createFamily(ctx, req.body as never));
      },
    );
    app.get(
      `${base}/families`,
      {
        schema: {
          operationId: 'listProductFamilies',
          summary: 'List product families',
          tags,
          'x-permission': READ,
          querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
          response: { 200: Page(Type.Ref('CatalogFamily'), 'CatalogFamily') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => listFamilies(ctx, { ...req.query, limit: req.query.limit ?? 50 })),
    );
    app.get(
      `${base}/families/:family_id`,
      {
        schema: {
          operationId: 'getProductFamily',
          summary: 'Get a product family',
          tags,
          'x-permission': READ,
          params: P.family,
          response: { 200: Type.Ref('CatalogFamily') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getFamily(ctx, req.params.family_id)),
    );
    app.patch(
      `${base}/families/:family_id`,
      {
        schema: {
          operationId: 'updateProductFamily',
          summary: 'Update a product family',
          description: '`attributes` replaces the whole list of definitions; completeness is recomputed.',
          tags,
          'x-permission': 'catalog.family.write',
          'x-action': 'catalog.family.update',
          params: P.family,
          body: Type.Partial(FamilyBody, { additionalProperties: false, minProperties: 1 }),
          response: { 200: Type.Ref('CatalogFamily') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => updateFamily(ctx, req.params.family_id, req.body as never)),
    );
    app.delete(
      `${base}/families/:family_id`,
      {
        schema: {
          operationId: 'deleteProductFamily',
          summary: 'Delete an unused product family',
          tags,
          'x-permission': 'catalog.family.write',
          'x-action': 'catalog.family.delete',
          params: P.family,
          response: { 200: Deleted },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, async (ctx) => {
          await deleteFamily(ctx, req.params.family_id);
          return { id: req.params.family_id, deleted: true as const };
        }),
    );

    // Categories
    app.post(
      `${base}/categories`,
      {
        schema: {
          operationId: 'createCategory',
          summary: 'Create a category',
          tags,
          'x-permission': 'catalog.category.write',
          'x-action': 'catalog.category.create',
          body: CategoryBody,
          response: { 201: Type.Ref('CatalogCategory') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => createCategory(ctx, req.body));
      },
    );
    app.get(
      `${base}/categories`,
      {
        schema: {
          operationId: 'listCategories',
          summary: 'List categories (flat)',
          tags,
          'x-permission': READ,
          querystring: Type.Object(
            {
              ...PageQuery,
              parent_id: Type.Optional(IdSchema('cat')),
              active: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          response: { 200: Page(Type.Ref('CatalogCategory'), 'CatalogCategory') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          listCategories(ctx, { ...req.query, limit: req.query.limit ?? 50 }),
        ),
    );
    app.get(
      `${base}/categories/tree`,
      {
        schema: {
          operationId: 'getCategoryTree',
          summary: 'Get the category tree',
          description:
            'Siblings ordered by position then code. Inactive categories (and what is under them) only with `include_inactive=true`.',
          tags,
          'x-permission': READ,
          querystring: Type.Object(
            { ...LocaleQuery, include_inactive: Type.Optional(Type.Boolean({ default: false })) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ locale: Type.String(), data: Type.Array(Type.Ref('CatalogCategoryNode')) }),
          },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          categoryTree(ctx, wantedOf(req), req.query.include_inactive ?? false),
        ),
    );
    app.get(
      `${base}/categories/:category_id`,
      {
        schema: {
          operationId: 'getCategory',
          summary: 'Get a category',
          tags,
          'x-permission': READ,
          params: P.category,
          response: { 200: Type.Ref('CatalogCategory') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getCategory(ctx, req.params.category_id)),
    );
    app.patch(
      `${base}/categories/:category_id`,
      {
        schema: {
          operationId: 'updateCategory',
          summary: 'Update a category (move, rename, deactivate)',
          tags,
          'x-permission': 'catalog.category.write',
          'x-action': 'catalog.category.update',
          params: P.category,
          body: Type.Partial(Type.Object(CategoryFields), { additionalProperties: false, minProperties: 1 }),
          response: { 200: Type.Ref('CatalogCategory') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => updateCategory(ctx, req.params.category_id, req.body)),
    );
    app.delete(
      `${base}/categories/:category_id`,
      {
        schema: {
          operationId: 'deleteCategory',
          summary: 'Delete an empty category',
          description: 'Refused (422) while it has sub-categories or products: deactivate it instead.',
          tags,
          'x-permission': 'catalog.category.write',
          'x-action': 'catalog.category.delete',
          params: P.category,
          response: { 200: Deleted },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, async (ctx) => {
          await deleteCategory(ctx, req.params.category_id);
          return { id: req.params.category_id, deleted: true as const };
        }),
    );

    // Brands
    app.post(
      `${base}/brands`,
      {
        schema: {
          operationId: 'createBrand',
          summary: 'Create a brand',
          tags,
          'x-permission': 'catalog.brand.write',
          'x-action': 'catalog.brand.create',
          body: BrandBody,
          response: { 201: Type.Ref('CatalogBrand') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => createBrand(ctx, req.body));
      },
    );
    app.get(
      `${base}/brands`,
      {
        schema: {
          operationId: 'listBrands',
          summary: 'List brands',
          tags,
          'x-permission': READ,
          querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
          response: { 200: Page(Type.Ref('CatalogBrand'), 'CatalogBrand') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => listBrands(ctx, { ...req.query, limit: req.query.limit ?? 50 })),
    );
    app.get(
      `${base}/brands/:brand_id`,
      {
        schema: {
          operationId: 'getBrand',
          summary: 'Get a brand',
          tags,
          'x-permission': READ,
          params: P.brand,
          response: { 200: Type.Ref('CatalogBrand') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getBrand(ctx, req.params.brand_id)),
    );
    app.patch(
      `${base}/brands/:brand_id`,
      {
        schema: {
          operationId: 'updateBrand',
          summary: 'Update a brand',
          tags,
          'x-permission': 'catalog.brand.write',
          'x-action': 'catalog.brand.update',
          params: P.brand,
          body: Type.Partial(Type.Object(BrandFields), { additionalProperties: false, minProperties: 1 }),
          response: { 200: Type.Ref('CatalogBrand') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => updateBrand(ctx, req.params.brand_id, req.body)),
    );
    app.delete(
      `${base}/brands/:brand_id`,
      {
        schema: {
          operationId: 'deleteBrand',
          summary: 'Delete an unused brand',
          tags,
          'x-permission': 'catalog.brand.write',
          'x-action': 'catalog.brand.delete',
          params: P.brand,
          response: { 200: Deleted },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, async (ctx) => {
          await deleteBrand(ctx, req.params.brand_id);
          return { id: req.params.brand_id, deleted: true as const };
        }),
    );

    // Products
    app.post(
      `${base}/products`,
      {
        schema: {
          operationId: 'createProduct',
          summary: 'Create a product, optionally with its variants',
          description:
            'Attribute values are typed against the family; GTINs are checked (check digit); SKUs are unique per tenant (409). Send an `Idempotency-Key` to retry safely.',
          tags,
          'x-permission': WRITE,
          'x-action': 'catalog.product.create',
          querystring: Type.Object({ ...LocaleQuery }, { additionalProperties: false }),
          body: CreateProductBody,
          response: { 201: Type.Ref('CatalogProduct') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => createProduct(ctx, req.body as never, wantedOf(req)));
      },
    );
    app.post(
      `${base}/products/bulk`,
      {
        schema: {
          operationId: 'bulkUpsertProducts',
          summary: 'Create or update up to 1,000 products (by code) and their variants (by SKU)',
          description:
            'All or nothing: every item is checked first; any problem refuses the whole call (400) with every error named by its pointer, e.g. `/items/12/variants/0/gtin`. References are codes (family, brand, categories), as an ERP knows them. Fields absent from an item keep their value; variants not listed are kept.',
          tags,
          'x-permission': WRITE,
          'x-action': 'catalog.product.bulk_upsert',
          body: Type.Object(
            { items: Type.Array(BulkItem, { minItems: 1, maxItems: BULK_MAX_ITEMS }) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              created: Type.Integer(),
              updated: Type.Integer(),
              variants_created: Type.Integer(),
              variants_updated: Type.Integer(),
              items: Type.Array(
                Type.Object({
                  index: Type.Integer(),
                  code: Type.String(),
                  product_id: Type.String(),
                  result: Type.Union([Type.Literal('created'), Type.Literal('updated')]),
                }),
              ),
            }),
          },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => bulkUpsertProducts(ctx, req.body.items as never)),
    );
    app.get(
      `${base}/products`,
      {
        schema: {
          operationId: 'listProducts',
          summary: 'List products',
          description:
            'Ordered by creation (ID). Filters combine with AND; `category_id` includes its sub-categories.',
          tags,
          'x-permission': READ,
          querystring: Type.Object(
            {
              ...PageQuery,
              ...LocaleQuery,
              status: Type.Optional(Status),
              family_id: Type.Optional(IdSchema('fam')),
              brand_id: Type.Optional(IdSchema('brand')),
              category_id: Type.Optional(IdSchema('cat')),
              code: Type.Optional(Type.String({ maxLength: 64 })),
              attr: AttrQuery,
            },
            { additionalProperties: false },
          ),
          response: { 200: Page(Type.Ref('CatalogProduct'), 'CatalogProduct') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          listProducts(ctx, { ...req.query, limit: req.query.limit ?? 50 }, wantedOf(req)),
        ),
    );
    app.get(
      `${base}/products/:product_id`,
      {
        schema: {
          operationId: 'getProduct',
          summary: 'Get a product with its variants and completeness',
          tags,
          'x-permission': READ,
          params: P.product,
          querystring: Type.Object({ ...LocaleQuery }, { additionalProperties: false }),
          response: { 200: Type.Ref('CatalogProduct') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => getProduct(ctx, req.params.product_id, wantedOf(req))),
    );
    app.patch(
      `${base}/products/:product_id`,
      {
        schema: {
          operationId: 'updateProduct',
          summary: 'Update a product',
          description:
            'Only the fields sent change. A translations object replaces the previous one; `attributes` merges (`null` removes a value); `category_ids` replaces the links.',
          tags,
          'x-permission': WRITE,
          'x-action': 'catalog.product.update',
          params: P.product,
          querystring: Type.Object({ ...LocaleQuery }, { additionalProperties: false }),
          body: UpdateProductBody,
          response: { 200: Type.Ref('CatalogProduct') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          updateProduct(ctx, req.params.product_id, req.body as never, wantedOf(req)),
        ),
    );
    app.delete(
      `${base}/products/:product_id`,
      {
        schema: {
          operationId: 'deleteProduct',
          summary: 'Delete a draft product',
          description:
            'Only drafts are deleted (422 otherwise): a product that was on sale is discontinued instead.',
          tags,
          'x-permission': WRITE,
          'x-action': 'catalog.product.delete',
          params: P.product,
          response: { 200: Deleted },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, async (ctx) => {
          await deleteProduct(ctx, req.params.product_id);
          return { id: req.params.product_id, deleted: true as const };
        }),
    );

    // Variants
    app.post(
      `${base}/products/:product_id/variants`,
      {
        schema: {
          operationId: 'createVariant',
          summary: 'Add a variant (SKU) to a product',
          tags,
          'x-permission': WRITE,
          'x-action': 'catalog.variant.create',
          params: P.product,
          body: CreateVariantBody,
          response: { 201: Type.Ref('CatalogVariant') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) =>
          createVariant(ctx, req.params.product_id, req.body as never),
        );
      },
    );
    app.get(
      `${base}/products/:product_id/variants`,
      {
        schema: {
          operationId: 'listProductVariants',
          summary: 'List the variants of a product',
          tags,
          'x-permission': READ,
          params: P.product,
          response: { 200: Type.Object({ data: Type.Array(Type.Ref('CatalogVariant')) }) },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => listProductVariants(ctx, req.params.product_id)),
    );
    app.get(
      `${base}/variants`,
      {
        schema: {
          operationId: 'listVariants',
          summary: 'Find variants by SKU, SKU prefix or GTIN',
          tags,
          'x-permission': READ,
          querystring: Type.Object(
            {
              ...PageQuery,
              sku: Type.Optional(Type.String({ maxLength: 64 })),
              sku_prefix: Type.Optional(
                Type.String({ minLength: 1, maxLength: 64, description: 'Case-insensitive' }),
              ),
              gtin: Type.Optional(Type.String({ maxLength: 20 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Page(Type.Ref('CatalogVariant'), 'CatalogVariant') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => listVariants(ctx, { ...req.query, limit: req.query.limit ?? 50 })),
    );
    app.get(
      `${base}/variants/:variant_id`,
      {
        schema: {
          operationId: 'getVariant',
          summary: 'Get a variant',
          tags,
          'x-permission': READ,
          params: P.variant,
          response: { 200: Type.Ref('CatalogVariant') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getVariant(ctx, req.params.variant_id)),
    );
    app.get(
      `${base}/variants/:variant_id/quantity-check`,
      {
        schema: {
          operationId: 'checkVariantQuantity',
          summary: 'Check an order quantity against the packaging',
          description:
            'Valid iff ≥ the minimum order quantity and a multiple of the order multiple; else the nearest valid quantities.',
          tags,
          'x-permission': READ,
          params: P.variant,
          querystring: Type.Object(
            { quantity: Type.Integer({ minimum: 1, maximum: 100000000 }) },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              sku: Type.String(),
              unit: Type.String(),
              valid: Type.Boolean(),
              reasons: Type.Array(Type.String()),
              lower: Nullable(Type.Integer()),
              higher: Type.Integer(),
            }),
          },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          checkVariantQuantity(ctx, req.params.variant_id, req.query.quantity),
        ),
    );
    app.patch(
      `${base}/variants/:variant_id`,
      {
        schema: {
          operationId: 'updateVariant',
          summary: 'Update a variant',
          tags,
          'x-permission': WRITE,
          'x-action': 'catalog.variant.update',
          params: P.variant,
          body: UpdateVariantBody,
          response: { 200: Type.Ref('CatalogVariant') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => updateVariant(ctx, req.params.variant_id, req.body as never)),
    );
    app.delete(
      `${base}/variants/:variant_id`,
      {
        schema: {
          operationId: 'deleteVariant',
          summary: 'Delete a variant',
          tags,
          'x-permission': WRITE,
          'x-action': 'catalog.variant.delete',
          params: P.variant,
          response: { 200: Deleted },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, async (ctx) => {
          await deleteVariant(ctx, req.params.variant_id);
          return { id: req.params.variant_id, deleted: true as const };
        }),
    );

    // Media (metadata; the bytes go to the object store — upload endpoint not wired yet)
    app.post(
      `${base}/products/:product_id/media`,
      {
        schema: {
          operationId: 'createProductMedia',
          summary: 'Register an image or document of a product',
          description:
            'Metadata of an object already in the object store (key, type, size, SHA-256). Images: image/*; datasheets and safety sheets: application/pdf.',
          tags,
          'x-permission': WRITE,
          'x-action': 'catalog.media.create',
          params: P.product,
          body: MediaBody,
          response: { 201: Type.Ref('CatalogMedia') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => createMedia(ctx, req.params.product_id, req.body));
      },
    );
    app.get(
      `${base}/products/:product_id/media`,
      {
        schema: {
          operationId: 'listProductMedia',
          summary: 'List the media and documents of a product',
          tags,
          'x-permission': READ,
          params: P.product,
          response: { 200: Type.Object({ data: Type.Array(Type.Ref('CatalogMedia')) }) },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => listProductMedia(ctx, req.params.product_id)),
    );
    app.get(
      `${base}/media/:media_id`,
      {
        schema: {
          operationId: 'getProductMedia',
          summary: 'Get a medium or document',
          tags,
          'x-permission': READ,
          params: P.media,
          response: { 200: Type.Ref('CatalogMedia') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => getMedia(ctx, req.params.media_id)),
    );
    app.patch(
      `${base}/media/:media_id`,
      {
        schema: {
          operationId: 'updateProductMedia',
          summary: 'Update a medium’s title, position or variant',
          tags,
          'x-permission': WRITE,
          'x-action': 'catalog.media.update',
          params: P.media,
          body: UpdateMediaBody,
          response: { 200: Type.Ref('CatalogMedia') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => updateMedia(ctx, req.params.media_id, req.body)),
    );
    app.delete(
      `${base}/media/:media_id`,
      {
        schema: {
          operationId: 'deleteProductMedia',
          summary: 'Remove a medium or document',
          tags,
          'x-permission': WRITE,
          'x-action': 'catalog.media.delete',
          params: P.media,
          response: { 200: Deleted },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, async (ctx) => {
          await deleteMedia(ctx, req.params.media_id);
          return { id: req.params.media_id, deleted: true as const };
        }),
    );

    // Related products
    app.post(
      `${base}/products/:product_id/related`,
      {
        schema: {
          operationId: 'addRelatedProduct',
          summary: 'Add an accessory or a substitute to a product',
          tags,
          'x-permission': WRITE,
          'x-action': 'catalog.relation.create',
          params: P.product,
          body: Type.Object(
            {
              kind: RelationKind,
              related_product_id: IdSchema('prod'),
              position: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('CatalogRelation') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => addRelation(ctx, req.params.product_id, req.body));
      },
    );
    app.get(
      `${base}/products/:product_id/related`,
      {
        schema: {
          operationId: 'listRelatedProducts',
          summary: 'List the accessories and substitutes of a product',
          tags,
          'x-permission': READ,
          params: P.product,
          querystring: Type.Object(
            { ...LocaleQuery, kind: Type.Optional(RelationKind) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ data: Type.Array(Type.Ref('CatalogRelation')) }) },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          listRelations(ctx, req.params.product_id, req.query.kind, wantedOf(req)),
        ),
    );
    app.delete(
      `${base}/products/:product_id/related/:kind/:related_product_id`,
      {
        schema: {
          operationId: 'removeRelatedProduct',
          summary: 'Remove an accessory or a substitute',
          tags,
          'x-permission': WRITE,
          'x-action': 'catalog.relation.delete',
          params: P.relation,
          response: { 200: Deleted },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, async (ctx) => {
          await removeRelation(ctx, req.params.product_id, req.params.kind, req.params.related_product_id);
          return { id: req.params.related_product_id, deleted: true as const };
        }),
    );

    // Search and health
    app.get(
      `${base}/search`,
      {
        schema: {
          operationId: 'searchCatalog',
          summary: 'Search active products, with facets',
          description:
            'Full text in the reader’s language (accents and case ignored, French/English stemming), SKU / manufacturer reference prefix and exact GTIN; when nothing matches exactly, typo-tolerant matching (`matched_by: fuzzy`). Facets (brands, categories with their ancestors, filterable attributes, price ranges) come with the first page only; brands, categories and attributes count every match up to 10,000 hits and, beyond that, the 10,000 best-ranked hits (`total` stays exact). Without `q`, browses the active products. Each hit carries the caller’s price of its first variant at its minimum order quantity (`price`). The price facet, the price filter (`price_min`, `price_max`) and the price sort compare these prices over the hits of `price_scope`: all of them up to ' +
            PRICE_SAMPLE.toLocaleString('en') +
            ' hits, else the best-ranked ' +
            PRICE_SAMPLE.toLocaleString('en') +
            '; within a price filter, brands, categories and attributes count the hits in range (over the same hits), while the price facet stays the whole search’s. Price sort or filter needs prices: a caller who may not resolve them, or staff outside a storefront without `currency`, gets a 400.',
          tags,
          'x-permission': READ,
          querystring: Type.Object(
            {
              q: Type.Optional(Type.String({ maxLength: 200, examples: ['perceuse sans fil'] })),
              currency: Type.Optional(
                Type.String({
                  pattern: '^[A-Z]{3}$',
                  description: 'Currency of the hits’ prices (ISO 4217); default the storefront’s',
                  examples: ['EUR'],
                }),
              ),
              ...LocaleQuery,
              limit: PageQuery.limit,
              cursor: PageQuery.cursor,
              brand_id: Type.Optional(IdSchema('brand')),
              category_id: Type.Optional(IdSchema('cat')),
              attr: AttrQuery,
              price_min: Type.Optional(
                Type.String({
                  pattern: PRICE_BOUND,
                  description:
                    'Only hits whose price (`price.unit_price`, in the currency of the hits) is at least this (included); hits without a price are left out',
                  examples: ['10'],
                }),
              ),
              price_max: Type.Optional(
                Type.String({
                  pattern: PRICE_BOUND,
                  description:
                    'Only hits whose price is below this (excluded, like the facet’s ranges); hits without a price are left out',
                  examples: ['50'],
                }),
              ),
              price_facet: Type.Optional(
                Type.Boolean({
                  default: true,
                  description:
                    '`false`: no price facet (`facets.price` null) — for a request that wants the hits or the other counts only (suggestions, a category tree), which then prices no hit set. Price sort and filter work either way.',
                }),
              ),
              sort: Type.Optional(
                Type.Union(
                  SEARCH_SORTS.map((s) => Type.Literal(s)),
                  {
                    description:
                      'Order of the hits: `relevance` (default: best match first), `name` / `-name` (the name in the reading language, A→Z / Z→A, accents and case ignored), `code` (product code), `newest` (most recently created first), `price` / `-price` (the caller’s price, cheapest / dearest first; hits without a price last; over the hits of `price_scope`). Ties by product ID. A cursor continues the order it was returned with.',
                    examples: ['name'],
                  },
                ),
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: SearchResultSchema },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          searchCatalog(ctx, { ...req.query, limit: req.query.limit ?? 20 } as never, wantedOf(req)),
        ),
    );
    app.get(
      `${base}/health`,
      {
        schema: {
          operationId: 'getCatalogHealth',
          summary: 'Catalogue health figures for the dashboard',
          description:
            'Over draft and active products: incomplete products, average completeness, missing translations per language, products without image or active category; inactive categories.',
          tags,
          'x-permission': READ,
          response: { 200: HealthSchema },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => catalogHealth(ctx)),
    );
  };
}
