-- Pricing (module `pricing`): price lists with targets and quantity breaks, group discount levels and
-- promotions — the data the pure `resolvePrice` (modules/pricing/rules.ts) reads. Amounts are numeric,
-- never floating point; a unit price carries at most 4 decimals.

create table price_lists (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- pl_…
  code text not null,                                    -- stable key for imports, e.g. "public-2026"
  name text not null,
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  valid_from timestamptz,                                -- included; null: always since
  valid_to timestamptz,                                  -- excluded; null: until further notice
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, code),
  check (valid_from is null or valid_to is null or valid_to > valid_from)
);
alter table price_lists enable row level security;
alter table price_lists force row level security;
create policy price_lists_app on price_lists to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on price_lists to comptoir_app;

-- Who a price list is for: the tenant (all = the default list), a storefront, a customer group, an account.
create table price_list_targets (
  tenant_id text not null references tenants (id),
  price_list_id text not null,
  kind text not null check (kind in ('all', 'storefront', 'group', 'account')),
  storefront_id text,
  group_id text,
  account_id text,
  target_key text generated always as (kind || ':' || coalesce(storefront_id, group_id, account_id, '*')) stored,
  primary key (tenant_id, price_list_id, target_key),
  check ((kind = 'storefront') = (storefront_id is not null)
     and (kind = 'group') = (group_id is not null)
     and (kind = 'account') = (account_id is not null)),
  foreign key (tenant_id, price_list_id) references price_lists (tenant_id, id) on delete cascade,
  foreign key (tenant_id, storefront_id) references storefronts (tenant_id, id) on delete cascade,
  foreign key (tenant_id, group_id) references customer_groups (tenant_id, id) on delete cascade,
  foreign key (tenant_id, account_id) references accounts (tenant_id, id) on delete cascade
);
create index price_list_targets_key on price_list_targets (tenant_id, target_key);
alter table price_list_targets enable row level security;
alter table price_list_targets force row level security;
create policy price_list_targets_app on price_list_targets to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, delete on price_list_targets to comptoir_app;

-- Quantity breaks: from min_quantity units on, the unit price (excl. tax) of the SKU in the list.
-- The SKU is not a foreign key: a price may be loaded before the product (ERP imports).
create table price_list_entries (
  tenant_id text not null references tenants (id),
  price_list_id text not null,
  sku text not null,
  min_quantity numeric(18, 4) not null check (min_quantity > 0),
  unit_price numeric(18, 4) not null check (unit_price >= 0),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, price_list_id, sku, min_quantity),
  foreign key (tenant_id, price_list_id) references price_lists (tenant_id, id) on delete cascade
);
create index price_list_entries_sku on price_list_entries (tenant_id, sku);
alter table price_list_entries enable row level security;
alter table price_list_entries force row level security;
create policy price_list_entries_app on price_list_entries to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on price_list_entries to comptoir_app;

-- Group discount levels: percent off the public (storefront or default) price for a customer group,
-- on the whole catalogue or on some SKUs / categories (and their sub-categories).
create table group_discounts (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- gdsc_…
  group_id text not null,
  percent numeric(7, 4) not null check (percent > 0 and percent <= 100),
  skus text[] not null default '{}',
  category_ids text[] not null default '{}',
  valid_from timestamptz,
  valid_to timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  check (valid_from is null or valid_to is null or valid_to > valid_from),
  foreign key (tenant_id, group_id) references customer_groups (tenant_id, id) on delete cascade
);
create index group_discounts_group on group_discounts (tenant_id, group_id);
alter table group_discounts enable row level security;
alter table group_discounts force row level security;
create policy group_discounts_app on group_discounts to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on group_discounts to comptoir_app;

-- Promotions: a percentage or an amount off the unit price, for an audience, on products, in a date range.
create table promotions (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- promo_…
  name text not null,
  targets jsonb not null default '[{"kind": "all"}]',    -- [{kind: all|storefront|group|account, id?}]
  skus text[] not null default '{}',
  category_ids text[] not null default '{}',
  discount_kind text not null check (discount_kind in ('percent', 'amount')),
  percent numeric(7, 4) check (percent > 0 and percent <= 100),
  amount numeric(18, 4) check (amount > 0),
  amount_currency text check (amount_currency ~ '^[A-Z]{3}$'),
  stackable boolean not null default false,
  priority integer not null default 0,
  exclude_net_prices boolean not null default false,     -- not on contract or group list prices
  valid_from timestamptz,
  valid_to timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  check ((discount_kind = 'percent') = (percent is not null)
     and (discount_kind = 'amount') = (amount is not null and amount_currency is not null)),
  check (valid_from is null or valid_to is null or valid_to > valid_from)
);
alter table promotions enable row level security;
alter table promotions force row level security;
create policy promotions_app on promotions to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on promotions to comptoir_app;
