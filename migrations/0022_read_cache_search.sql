-- The catalogue search's page (modules/catalog/search.ts `searchCatalog`, without its prices) is a
-- cached read now (platform/cache/read-cache.ts): every table its statements read must notify the
-- read cache at every committed change, with the function of migration 0019.
--
-- What the search and the hydration of its hits read, and where each is covered:
-- * catalog_products (matcher, facet columns, hydration), catalog_variants (SKU / MPN / GTIN lookups,
--   attribute filters, hydration), catalog_product_categories and catalog_categories (category paths,
--   category facet), catalog_families (filterable attributes, facet labels), catalog_settings and
--   tenants.default_locale (the reading languages): 0019;
-- * the visibility condition's plan (users, customer groups and members, storefronts and domains,
--   visibility rules): 0019;
-- * catalog_brands (the hits' brand and the brand facet's names): here;
-- * catalog_media (the hits' image): here;
-- * catalog_search_words (typo tolerance's vocabulary; written by the products' trigger, so a change
--   there already notifies — covered all the same, in case a clean-up deletes words): here.
-- Expand-only: triggers.

create trigger read_cache_notify after insert or update or delete on catalog_brands
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or update or delete on catalog_media
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or delete on catalog_search_words
  for each row execute function read_cache_notify();
