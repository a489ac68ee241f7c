-- The read cache's invalidations (platform/cache/read-cache.ts): every change to a table that a
-- cached read comes from notifies channel `comptoir_read_cache` with the tenant's ID. PostgreSQL
-- delivers notifications when the writing transaction commits (never if it rolls back), once per
-- distinct payload per transaction, to every listening server process, which then drops that
-- tenant's cached reads. No lock is taken: writers never wait for one another because of it.
--
-- Cached reads today: the product page (products, variants, their category links, the tenant's
-- catalogue languages and default locale), a buyer's visibility rules and viewer (the user's kind and
-- account, group memberships, storefronts and their domains, visibility rules, the category tree) and
-- the families' filterable attributes. A new cached read must add the tables it reads from here.

create or replace function read_cache_notify() returns trigger
language plpgsql as $$
begin
  if TG_OP = 'DELETE' then
    perform pg_notify('comptoir_read_cache', OLD.tenant_id);
  else
    perform pg_notify('comptoir_read_cache', NEW.tenant_id);
    if TG_OP = 'UPDATE' and OLD.tenant_id is distinct from NEW.tenant_id then
      perform pg_notify('comptoir_read_cache', OLD.tenant_id);
    end if;
  end if;
  return null;
end $$;

-- The tenants table names its tenant `id`.
create or replace function read_cache_notify_tenant() returns trigger
language plpgsql as $$
begin
  perform pg_notify('comptoir_read_cache', case when TG_OP = 'DELETE' then OLD.id else NEW.id end);
  return null;
end $$;

create trigger read_cache_notify after insert or update or delete on catalog_products
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or update or delete on catalog_variants
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or update or delete on catalog_product_categories
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or update or delete on catalog_categories
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or update or delete on catalog_settings
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or update or delete on customer_group_members
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or update or delete on customer_groups
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or update or delete on storefronts
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or update or delete on storefront_domains
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or update or delete on visibility_rules
  for each row execute function read_cache_notify();
-- Users: only what visibility reads (kind, account, status); a login's last_login_at is not a change.
create trigger read_cache_notify_insert_delete after insert or delete on users
  for each row execute function read_cache_notify();
create trigger read_cache_notify_update after update on users
  for each row when (old.kind is distinct from new.kind or old.account_id is distinct from new.account_id
                     or old.status is distinct from new.status or old.tenant_id is distinct from new.tenant_id)
  execute function read_cache_notify();
create trigger read_cache_notify after update of default_locale on tenants
  for each row execute function read_cache_notify_tenant();
-- The search's filterable attribute definitions.
create trigger read_cache_notify after insert or update or delete on catalog_families
  for each row execute function read_cache_notify();
