-- Catalogue (module `catalog`): families with typed attributes, categories (tree), brands, products,
-- variants (SKUs), category links, related products, media metadata, and the search columns.
-- Translatable texts are jsonb objects keyed by language: {"fr": "Perceuse", "en": "Drill"}.

-- Full-text search helpers. Both extensions are "trusted" (PostgreSQL 13+): the migrating role needs
-- CREATE on the database, not superuser. On PGlite they are loaded when the database is opened.
create extension if not exists unaccent;
create extension if not exists pg_trgm;

-- The text-search configuration used for a language code; unknown languages are not stemmed.
create or replace function catalog_ts_config(lang text) returns regconfig
  language sql immutable
  as $$ select (case lang when 'fr' then 'french' when 'en' then 'english' when 'de' then 'german'
                        when 'es' then 'spanish' when 'it' then 'italian' when 'nl' then 'dutch'
                        when 'pt' then 'portuguese' else 'simple' end)::regconfig $$;

-- A weighted tsvector of every translation of a text, each stemmed in its own language, unaccented.
create or replace function catalog_tsv(texts jsonb, weight "char") returns tsvector
  language plpgsql stable
  as $$
declare r record; v tsvector := ''::tsvector;
begin
  for r in select key, value from jsonb_each_text(coalesce(texts, '{}'::jsonb)) loop
    v := v || setweight(to_tsvector(catalog_ts_config(r.key), unaccent(r.value)), weight);
  end loop;
  return v;
end $$;
grant execute on function catalog_ts_config(text) to comptoir_app;
grant execute on function catalog_tsv(jsonb, "char") to comptoir_app;

-- Catalogue settings of a tenant: the languages its texts must exist in (fallback: tenants.default_locale).
create table catalog_settings (
  tenant_id text primary key references tenants (id),
  languages text[] not null default '{fr,en}' check (cardinality(languages) between 1 and 20),
  updated_at timestamptz not null default now()
);
alter table catalog_settings enable row level security;
alter table catalog_settings force row level security;
create policy catalog_settings_app on catalog_settings to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update on catalog_settings to comptoir_app;

-- Product families: the attribute definitions their products' variants are typed against.
create table catalog_families (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- fam_…
  code text not null,                                    -- stable key for imports, e.g. "power-drills"
  name jsonb not null,                                   -- translations
  attributes jsonb not null default '[]',                -- [{code, type, label, unit, values, filterable, required}]
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, code)
);
alter table catalog_families enable row level security;
alter table catalog_families force row level security;
create policy catalog_families_app on catalog_families to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on catalog_families to comptoir_app;

-- Categories: a tree (parent_id), ordered among siblings by position.
create table catalog_categories (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- cat_…
  code text not null,
  parent_id text,                                        -- null: a root category
  position integer not null default 0,
  name jsonb not null,
  description jsonb not null default '{}',
  active boolean not null default true,                  -- an inactive category is hidden from buyers
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, code),
  foreign key (tenant_id, parent_id) references catalog_categories (tenant_id, id)
);
create index catalog_categories_parent on catalog_categories (tenant_id, parent_id, position);
alter table catalog_categories enable row level security;
alter table catalog_categories force row level security;
create policy catalog_categories_app on catalog_categories to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on catalog_categories to comptoir_app;

create table catalog_brands (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- brand_…
  code text not null,
  name text not null,                                    -- a brand name is not translated
  description jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, code)
);
alter table catalog_brands enable row level security;
alter table catalog_brands force row level security;
create policy catalog_brands_app on catalog_brands to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on catalog_brands to comptoir_app;

create table catalog_products (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- prod_…
  code text not null,                                    -- the product reference (ERP key for bulk upserts)
  family_id text not null,
  brand_id text,
  status text not null default 'draft' check (status in ('draft', 'active', 'discontinued')),
  replacement_id text,                                   -- for a discontinued product: what to buy instead
  tax_category text not null default 'standard',         -- resolved to a rate by the tax module
  name jsonb not null,
  description jsonb not null default '{}',
  attributes jsonb not null default '{}',                -- values shared by all variants (variants may override)
  completeness integer not null default 0 check (completeness between 0 and 100),
  completeness_missing jsonb not null default '[]',      -- what keeps the score below 100 (rules.ts)
  search_document tsvector not null default ''::tsvector, -- names/descriptions per language, SKUs, brand
  search_text text not null default '',                  -- unaccented lower-case names, SKUs: trigram typos
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, code),
  foreign key (tenant_id, family_id) references catalog_families (tenant_id, id),
  foreign key (tenant_id, brand_id) references catalog_brands (tenant_id, id),
  foreign key (tenant_id, replacement_id) references catalog_products (tenant_id, id)
);
create index catalog_products_status on catalog_products (tenant_id, status, id);
create index catalog_products_brand on catalog_products (tenant_id, brand_id);
create index catalog_products_family on catalog_products (tenant_id, family_id);
create index catalog_products_search on catalog_products using gin (search_document);
create index catalog_products_trgm on catalog_products using gin (search_text gin_trgm_ops);
alter table catalog_products enable row level security;
alter table catalog_products force row level security;
create policy catalog_products_app on catalog_products to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on catalog_products to comptoir_app;

-- Variants: the SKUs that are ordered. Quantities are counted in `unit`.
create table catalog_variants (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- var_…
  product_id text not null,
  sku text not null,                                     -- unique per tenant
  gtin text check (gtin ~ '^[0-9]{8}$|^[0-9]{12,14}$'),  -- GTIN-8/12/13/14, check digit verified by rules.ts
  mpn text,                                              -- manufacturer part number
  name jsonb not null default '{}',                      -- variant label, e.g. {"fr": "Boîte de 100"}
  attributes jsonb not null default '{}',                -- typed against the product's family
  unit text not null default 'piece',                    -- unit of sale: piece, m, kg, l, …
  pack_size integer not null default 1 check (pack_size >= 1),           -- sold by box of N units
  min_order_qty integer not null default 1 check (min_order_qty >= 1),   -- in units
  order_multiple integer not null default 1 check (order_multiple >= 1), -- in units
  weight numeric(12, 3) check (weight >= 0),
  weight_unit text not null default 'kg' check (weight_unit in ('g', 'kg')),
  length numeric(12, 2) check (length >= 0),
  width numeric(12, 2) check (width >= 0),
  height numeric(12, 2) check (height >= 0),
  dimension_unit text not null default 'mm' check (dimension_unit in ('mm', 'cm', 'm')),
  position integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, sku),
  foreign key (tenant_id, product_id) references catalog_products (tenant_id, id) on delete cascade
);
create index catalog_variants_product on catalog_variants (tenant_id, product_id, position);
create index catalog_variants_sku_prefix on catalog_variants (tenant_id, upper(sku) text_pattern_ops);
create index catalog_variants_mpn_prefix on catalog_variants (tenant_id, upper(mpn) text_pattern_ops);
create index catalog_variants_gtin on catalog_variants (tenant_id, gtin);
alter table catalog_variants enable row level security;
alter table catalog_variants force row level security;
create policy catalog_variants_app on catalog_variants to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on catalog_variants to comptoir_app;

create table catalog_product_categories (
  tenant_id text not null references tenants (id),
  product_id text not null,
  category_id text not null,
  primary key (tenant_id, product_id, category_id),
  foreign key (tenant_id, product_id) references catalog_products (tenant_id, id) on delete cascade,
  foreign key (tenant_id, category_id) references catalog_categories (tenant_id, id)
);
create index catalog_product_categories_category on catalog_product_categories (tenant_id, category_id, product_id);
alter table catalog_product_categories enable row level security;
alter table catalog_product_categories force row level security;
create policy catalog_product_categories_app on catalog_product_categories to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, delete on catalog_product_categories to comptoir_app;

-- Related products: accessories (sold with) and substitutes (instead of).
create table catalog_relations (
  tenant_id text not null references tenants (id),
  product_id text not null,
  kind text not null check (kind in ('accessory', 'substitute')),
  related_product_id text not null check (related_product_id <> product_id),
  position integer not null default 0,
  created_at timestamptz not null default now(),
  primary key (tenant_id, product_id, kind, related_product_id),
  foreign key (tenant_id, product_id) references catalog_products (tenant_id, id) on delete cascade,
  foreign key (tenant_id, related_product_id) references catalog_products (tenant_id, id) on delete cascade
);
alter table catalog_relations enable row level security;
alter table catalog_relations force row level security;
create policy catalog_relations_app on catalog_relations to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, delete on catalog_relations to comptoir_app;

-- Media and documents: metadata here, bytes in the object store under object_key.
create table catalog_media (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- med_…
  product_id text not null,
  variant_id text,                                       -- a picture of one variant only
  kind text not null check (kind in ('image', 'datasheet', 'safety_sheet')),
  object_key text not null,                              -- key in the object store
  content_type text not null,
  size_bytes bigint not null check (size_bytes >= 0),
  checksum_sha256 text not null check (checksum_sha256 ~ '^[0-9a-f]{64}$'),
  title jsonb not null default '{}',                     -- alt text / document title, translated
  locale text,                                           -- a document in one language only (safety sheets)
  position integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, object_key),
  foreign key (tenant_id, product_id) references catalog_products (tenant_id, id) on delete cascade,
  foreign key (tenant_id, variant_id) references catalog_variants (tenant_id, id) on delete cascade
);
create index catalog_media_product on catalog_media (tenant_id, product_id, position);
alter table catalog_media enable row level security;
alter table catalog_media force row level security;
create policy catalog_media_app on catalog_media to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on catalog_media to comptoir_app;
