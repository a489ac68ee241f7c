-- The line a product is priced with in search — its first variant (by position, then ID) at that
-- variant's minimum order quantity — and the first category prices look at (by ID), kept on the
-- product row. The price facet, filter and sort price up to 2,000 hits per first page: reading these
-- from the hit itself replaces two index probes per hit (its variants, its category links), measured
-- at 100,000 SKUs as about a fifth of a broad search's statement (see bench/README.md).
--
-- Maintained by the triggers that already keep facet_attrs and the category arrays (0016), in the
-- same UPDATE of the product: a variant's position, SKU or minimum order quantity now counts too.
-- Expand-only: new nullable columns, replaced functions and one trigger re-created with more columns.

alter table catalog_products
  add column price_sku text,                 -- null: the product has no variant
  add column price_qty integer,
  add column price_category text;            -- null: the product is in no category

-- The first variant's SKU and minimum order quantity (at least 1).
create or replace function catalog_product_price_line(t text, pid text, out sku text, out qty integer)
  language sql stable
  as $$
  select v.sku, greatest(v.min_order_qty, 1) from catalog_variants v
   where v.tenant_id = t and v.product_id = pid
   order by v.position, v.id limit 1
$$;

create or replace function catalog_variants_facets_trigger() returns trigger
  language plpgsql
  as $$
begin
  if tg_op in ('UPDATE', 'DELETE') then
    update catalog_products p set facet_attrs = catalog_product_facet_attrs(p.tenant_id, p.id, p.attributes),
                                  (price_sku, price_qty) = (select l.sku, l.qty from catalog_product_price_line(p.tenant_id, p.id) l)
     where p.tenant_id = old.tenant_id and p.id = old.product_id;
  end if;
  if tg_op in ('INSERT', 'UPDATE') and (tg_op = 'INSERT' or new.product_id <> old.product_id) then
    update catalog_products p set facet_attrs = catalog_product_facet_attrs(p.tenant_id, p.id, p.attributes),
                                  (price_sku, price_qty) = (select l.sku, l.qty from catalog_product_price_line(p.tenant_id, p.id) l)
     where p.tenant_id = new.tenant_id and p.id = new.product_id;
  end if;
  return null;
end $$;
drop trigger catalog_variants_facets on catalog_variants;
create trigger catalog_variants_facets
  after insert or update of attributes, product_id, position, sku, min_order_qty or delete on catalog_variants
  for each row execute function catalog_variants_facets_trigger();

create or replace function catalog_product_categories_trigger() returns trigger
  language plpgsql
  as $$
declare r record;
begin
  r := case when tg_op = 'DELETE' then old else new end;
  update catalog_products p set (category_paths, facet_categories) =
         (select x.paths, x.facets from catalog_product_category_arrays(p.tenant_id, p.id) x),
         price_category = (select min(pc.category_id) from catalog_product_categories pc
                            where pc.tenant_id = p.tenant_id and pc.product_id = p.id)
   where p.tenant_id = r.tenant_id and p.id = r.product_id;
  return null;
end $$;

grant execute on function catalog_product_price_line(text, text) to comptoir_app;

-- Existing products, with FORCE ROW LEVEL SECURITY lifted for the owner for the backfill only (as in
-- 0016; test/tenancy checks it is forced again).
alter table catalog_products no force row level security;
alter table catalog_product_categories no force row level security;
alter table catalog_variants no force row level security;
update catalog_products p
   set (price_sku, price_qty) = (select l.sku, l.qty from catalog_product_price_line(p.tenant_id, p.id) l),
       price_category = (select min(pc.category_id) from catalog_product_categories pc
                          where pc.tenant_id = p.tenant_id and pc.product_id = p.id);
alter table catalog_products force row level security;
alter table catalog_product_categories force row level security;
alter table catalog_variants force row level security;
