-- Catalogue search performance: per-product columns that the search, its facets, the category
-- listing and the visibility rules read instead of walking the category tree and the variants for
-- every hit (see docs/catalog.md, "How search stays fast", and bench/README.md for the plans).
--
-- * category_paths: every category the product is linked to, and all their ancestors (active or
--   not). "In category X or below" is `category_paths @> {X}` (GIN-indexed), and a visibility rule on
--   category X covers the product when `category_paths && {X}` — no recursive query, no subquery.
-- * facet_categories: the categories the product counts in for the category facet: its *active*
--   linked categories and their *active* ancestors (the facet's rule since 0008).
-- * facet_attrs: `code=<json value>` of every attribute value any variant has (the product's values
--   merged under the variant's), distinct: the attribute facet counts these, no variant join.
--
-- * catalog_search_words: the tenant's vocabulary — every distinct word (no digits, 3+ letters) of
--   the products' folded names, brands and references. Typo tolerance looks the misspelt word up
--   here (a few thousand short words, trigram-indexed) and then searches the products with the
--   closest words through the full-text index, instead of comparing trigrams against the long
--   search_text of every product sharing a trigram with the query.
--
-- Maintained by triggers in the transaction of every change (links, category moves and activation,
-- variants, product attributes), so the services need not know about them and both drivers behave
-- alike. Expand-only: new columns with defaults, new functions, triggers and an index.

alter table catalog_products
  add column category_paths text[] not null default '{}',
  add column facet_categories text[] not null default '{}',
  add column facet_attrs text[] not null default '{}';

-- The two category arrays of a product, from its links and the tree.
create or replace function catalog_product_category_arrays(t text, pid text, out paths text[], out facets text[])
  language sql stable
  as $$
  with recursive a(linked, id) as (
    select pc.category_id, pc.category_id from catalog_product_categories pc
     where pc.tenant_id = t and pc.product_id = pid
    union
    select a.linked, c.parent_id from a join catalog_categories c on c.tenant_id = t and c.id = a.id
     where c.parent_id is not null)
  select coalesce(array_agg(distinct a.id order by a.id), '{}'),
         coalesce(array_agg(distinct a.id order by a.id) filter (where lc.active and ac.active), '{}')
    from a join catalog_categories ac on ac.tenant_id = t and ac.id = a.id
           join catalog_categories lc on lc.tenant_id = t and lc.id = a.linked
$$;

-- The attribute values of a product's variants, as distinct `code=<json value>` strings.
create or replace function catalog_product_facet_attrs(t text, pid text, product_attributes jsonb)
  returns text[]
  language sql stable
  as $$
  select coalesce(array_agg(distinct a.key || '=' || a.value::text order by a.key || '=' || a.value::text), '{}')
    from catalog_variants v cross join lateral jsonb_each(coalesce(product_attributes, '{}') || v.attributes) a
   where v.tenant_id = t and v.product_id = pid
$$;

create or replace function catalog_products_facets_trigger() returns trigger
  language plpgsql
  as $$
begin
  if new.attributes is distinct from old.attributes then
    new.facet_attrs := catalog_product_facet_attrs(new.tenant_id, new.id, new.attributes);
  end if;
  return new;
end $$;
create trigger catalog_products_facets before update of attributes on catalog_products
  for each row execute function catalog_products_facets_trigger();

create or replace function catalog_variants_facets_trigger() returns trigger
  language plpgsql
  as $$
begin
  if tg_op in ('UPDATE', 'DELETE') then
    update catalog_products p set facet_attrs = catalog_product_facet_attrs(p.tenant_id, p.id, p.attributes)
     where p.tenant_id = old.tenant_id and p.id = old.product_id;
  end if;
  if tg_op in ('INSERT', 'UPDATE') and (tg_op = 'INSERT' or new.product_id <> old.product_id) then
    update catalog_products p set facet_attrs = catalog_product_facet_attrs(p.tenant_id, p.id, p.attributes)
     where p.tenant_id = new.tenant_id and p.id = new.product_id;
  end if;
  return null;
end $$;
create trigger catalog_variants_facets after insert or update of attributes, product_id or delete on catalog_variants
  for each row execute function catalog_variants_facets_trigger();

create or replace function catalog_product_categories_trigger() returns trigger
  language plpgsql
  as $$
declare r record;
begin
  r := case when tg_op = 'DELETE' then old else new end;
  update catalog_products p set (category_paths, facet_categories) =
         (select x.paths, x.facets from catalog_product_category_arrays(p.tenant_id, p.id) x)
   where p.tenant_id = r.tenant_id and p.id = r.product_id;
  return null;
end $$;
create trigger catalog_product_categories_arrays after insert or delete on catalog_product_categories
  for each row execute function catalog_product_categories_trigger();

-- A category moved, activated or deactivated: every product at or under it.
create or replace function catalog_categories_arrays_trigger() returns trigger
  language plpgsql
  as $$
begin
  if new.parent_id is distinct from old.parent_id or new.active is distinct from old.active then
    update catalog_products p set (category_paths, facet_categories) =
           (select x.paths, x.facets from catalog_product_category_arrays(p.tenant_id, p.id) x)
     where p.tenant_id = new.tenant_id and p.category_paths @> array[new.id];
  end if;
  return null;
end $$;
create trigger catalog_categories_arrays after update of parent_id, active on catalog_categories
  for each row execute function catalog_categories_arrays_trigger();

create table catalog_search_words (
  tenant_id text not null references tenants (id),
  word text not null,                                    -- lower-case, unaccented; a word may outlive its last product (harmless: it then finds nothing)
  primary key (tenant_id, word)
);
create index catalog_search_words_trgm on catalog_search_words using gin (word gin_trgm_ops);
alter table catalog_search_words enable row level security;
alter table catalog_search_words force row level security;
create policy catalog_search_words_app on catalog_search_words to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, delete on catalog_search_words to comptoir_app;

create or replace function catalog_search_words_trigger() returns trigger
  language plpgsql
  as $$
begin
  if tg_op = 'UPDATE' and new.search_text = old.search_text then
    return null;
  end if;
  insert into catalog_search_words (tenant_id, word)
  select distinct new.tenant_id, w from regexp_split_to_table(new.search_text, '[^[:alpha:]]+') w
   where length(w) between 3 and 64
  on conflict do nothing;
  return null;
end $$;
create trigger catalog_products_search_words after insert or update of search_text on catalog_products
  for each row execute function catalog_search_words_trigger();

grant execute on function catalog_product_category_arrays(text, text) to comptoir_app;
grant execute on function catalog_product_facet_attrs(text, text, jsonb) to comptoir_app;

-- Existing products. The migrating role owns these tables; with FORCE ROW LEVEL SECURITY it would
-- see no rows (no policy is written for it) and a deny rule on a category would then miss products
-- whose paths were never filled. So the forcing is lifted for the owner for the backfill only, in
-- this migration's transaction, and put back at once (test/tenancy checks it is forced).
alter table catalog_products no force row level security;
alter table catalog_product_categories no force row level security;
alter table catalog_categories no force row level security;
alter table catalog_variants no force row level security;
alter table catalog_search_words no force row level security;
update catalog_products p set (category_paths, facet_categories) =
       (select x.paths, x.facets from catalog_product_category_arrays(p.tenant_id, p.id) x),
       facet_attrs = catalog_product_facet_attrs(p.tenant_id, p.id, p.attributes);

insert into catalog_search_words (tenant_id, word)
select distinct p.tenant_id, w from catalog_products p, regexp_split_to_table(p.search_text, '[^[:alpha:]]+') w
 where length(w) between 3 and 64
on conflict do nothing;

alter table catalog_products force row level security;
alter table catalog_product_categories force row level security;
alter table catalog_categories force row level security;
alter table catalog_variants force row level security;
alter table catalog_search_words force row level security;

create index catalog_products_category_paths on catalog_products using gin (category_paths);
-- Browsing (no query text) and listing a category walk the active products in ID order.
create index catalog_products_active on catalog_products (tenant_id, id) where status = 'active';

-- Array containment and overlap, and trigram similarity (`%`), cannot reveal their arguments either
-- (see 0013): LEAKPROOF lets the GIN indexes above serve `category_paths @> …` and `word % …` under
-- row-level security.
do $$
begin
  if (select rolsuper from pg_roles where rolname = current_user) then
    alter function arraycontains(anyarray, anyarray) leakproof;
    alter function arrayoverlap(anyarray, anyarray) leakproof;
    alter function similarity_op(text, text) leakproof;
  else
    raise notice 'not a superuser: arraycontains, arrayoverlap, similarity_op left as they are (see docs/operations.md)';
  end if;
end $$;
