-- The read cache's invalidations for prices (platform/cache/read-cache.ts; the mechanism and
-- `read_cache_notify()` come from 0019): every change to a table the price context is read from
-- notifies channel `comptoir_read_cache` with the tenant's ID, delivered at commit to every server
-- process, which drops that tenant's cached reads.
--
-- Cached reads served (modules/pricing/service.ts `loadPriceContext`, read-only requests only:
-- GET /prices/resolve, POST /prices/resolve-batch, the prices of search hits):
--   * the price lists of a currency targeted at a set of audiences, with their targets and validity
--     and these SKUs' quantity breaks (price_lists, price_list_targets, price_list_entries) — loaded
--     whatever their dates; the date of the request is applied in JavaScript;
--   * the group discount levels of a set of groups (group_discounts), and the tenant's promotions
--     (promotions), likewise regardless of their dates;
--   * an account's existence and its groups (accounts; customer_group_members is in 0019);
--   * a storefront's currencies (storefronts, storefront_domains: in 0019);
--   * the SKUs' products, status and category paths (modules/catalog/search.ts
--     `categoryPathsOfSkus`: catalog_variants, catalog_products, catalog_product_categories and
--     catalog_categories, all in 0019).
-- Pricing settings and price change requests are not read by the price context: an approved change
-- reaches the prices through price_list_entries.

create trigger read_cache_notify after insert or update or delete on price_lists
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or update or delete on price_list_targets
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or update or delete on price_list_entries
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or update or delete on group_discounts
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or update or delete on promotions
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or update or delete on accounts
  for each row execute function read_cache_notify();
