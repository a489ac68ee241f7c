-- Storefronts (module `storefronts`): a tenant's shops with their domains and theme, customer groups
-- and their member accounts, and visibility rules (which storefront / group / account sees which
-- categories and products). Precedence of the rules: modules/storefronts/rules.ts.

create table storefronts (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- sf_…
  code text not null,                                    -- stable key, e.g. "pro-distrib"
  name text not null,
  theme jsonb not null default '{}',                     -- {logo_object_key, colors: {primary, …}}
  languages text[] not null default '{fr}' check (cardinality(languages) between 1 and 20),   -- first: default
  currencies text[] not null default '{EUR}' check (cardinality(currencies) between 1 and 20), -- first: default
  status text not null default 'active' check (status in ('active', 'inactive')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, code)
);
alter table storefronts enable row level security;
alter table storefronts force row level security;
create policy storefronts_app on storefronts to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on storefronts to comptoir_app;

-- The host names of a storefront. Each is also in tenant_domains (the global host → tenant directory,
-- where a host is unique across tenants), written in the same transaction.
create table storefront_domains (
  tenant_id text not null references tenants (id),
  host text not null check (host = lower(host)),
  storefront_id text not null,
  directory_entry boolean not null,                      -- true: this storefront added the host to tenant_domains (removed with it)
  created_at timestamptz not null default now(),
  primary key (tenant_id, host),
  foreign key (tenant_id, storefront_id) references storefronts (tenant_id, id) on delete cascade
);
create index storefront_domains_storefront on storefront_domains (tenant_id, storefront_id);
alter table storefront_domains enable row level security;
alter table storefront_domains force row level security;
create policy storefront_domains_app on storefront_domains to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, delete on storefront_domains to comptoir_app;

-- Customer groups (distributors, resellers, key accounts…), defined by the tenant.
create table customer_groups (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- cgrp_…
  code text not null,                                    -- stable key, e.g. "distributors"
  name text not null,
  description text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, code)
);
alter table customer_groups enable row level security;
alter table customer_groups force row level security;
create policy customer_groups_app on customer_groups to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on customer_groups to comptoir_app;

-- Which customer accounts belong to which groups (an account may be in several).
create table customer_group_members (
  tenant_id text not null references tenants (id),
  group_id text not null,
  account_id text not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, group_id, account_id),
  foreign key (tenant_id, group_id) references customer_groups (tenant_id, id) on delete cascade,
  foreign key (tenant_id, account_id) references accounts (tenant_id, id)
);
create index customer_group_members_account on customer_group_members (tenant_id, account_id);
alter table customer_group_members enable row level security;
alter table customer_group_members force row level security;
create policy customer_group_members_app on customer_group_members to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, delete on customer_group_members to comptoir_app;

-- Visibility rules: subject (storefront | group | account) × target (all | category | product) → allow | deny.
-- One rule per subject and target (subject_key / target_key); a deleted subject or target takes its
-- rules with it (a category can only be deleted when empty, so no product becomes visible that way).
create table visibility_rules (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- vis_…
  subject_kind text not null check (subject_kind in ('storefront', 'group', 'account')),
  storefront_id text,
  group_id text,
  account_id text,
  target_kind text not null check (target_kind in ('all', 'category', 'product')),
  category_id text,
  product_id text,
  effect text not null check (effect in ('allow', 'deny')),
  subject_key text generated always as (subject_kind || ':' || coalesce(storefront_id, group_id, account_id)) stored,
  target_key text generated always as (target_kind || ':' || coalesce(category_id, product_id, '*')) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, subject_key, target_key),
  check ((subject_kind = 'storefront') = (storefront_id is not null)
     and (subject_kind = 'group') = (group_id is not null)
     and (subject_kind = 'account') = (account_id is not null)),
  check ((target_kind = 'category') = (category_id is not null)
     and (target_kind = 'product') = (product_id is not null)),
  foreign key (tenant_id, storefront_id) references storefronts (tenant_id, id) on delete cascade,
  foreign key (tenant_id, group_id) references customer_groups (tenant_id, id) on delete cascade,
  foreign key (tenant_id, account_id) references accounts (tenant_id, id) on delete cascade,
  foreign key (tenant_id, category_id) references catalog_categories (tenant_id, id) on delete cascade,
  foreign key (tenant_id, product_id) references catalog_products (tenant_id, id) on delete cascade
);
create index visibility_rules_subject on visibility_rules (tenant_id, subject_key);
alter table visibility_rules enable row level security;
alter table visibility_rules force row level security;
create policy visibility_rules_app on visibility_rules to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on visibility_rules to comptoir_app;
