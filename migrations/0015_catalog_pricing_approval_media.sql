-- Price-change approval (four-eyes) and uploaded media content.
--
-- * pricing_settings: the tenant's approval policy for price-list entry changes (docs/pricing.md,
--   "Changes that need approval"). No row: the defaults (10 %, no amount, additions free).
-- * price_change_requests: a change of price-list entries above the threshold, held until someone
--   other than its initiator approves it (applied then, in the approval's transaction) or rejects it.
-- * catalog_media.uploaded_at: when the bytes were received through the API (null: metadata only).
-- Expand-only: new tables and a nullable column (docs/architecture.md).

create table pricing_settings (
  tenant_id text not null references tenants (id),
  approval_threshold_percent numeric(7, 4) check (approval_threshold_percent >= 0),  -- null: no percentage rule
  approval_threshold_amount numeric(18, 4) check (approval_threshold_amount >= 0),   -- per unit, in the list's currency; null: none
  approve_additions_and_removals boolean not null default false,                     -- a price added or removed on a list in force
  updated_at timestamptz not null default now(),
  primary key (tenant_id)
);
alter table pricing_settings enable row level security;
alter table pricing_settings force row level security;
create policy pricing_settings_app on pricing_settings to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on pricing_settings to comptoir_app;

create table price_change_requests (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- pcr_…
  price_list_id text not null,
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected', 'applied')),
  entries jsonb not null,                                -- the proposed entries [{sku, breaks: [{min_quantity, unit_price}]}]
  before jsonb not null,                                 -- the breaks of those SKUs when requested {sku: [...]} (stale check)
  changes jsonb not null,                                -- the changes above the threshold [{sku, min_quantity, before, after, change_percent}]
  sku_count integer not null,
  initiated_by text not null,                            -- the person (user or service account) who asked
  created_at timestamptz not null default now(),
  decided_by text,
  decided_at timestamptz,
  rejection_reason text,
  applied_at timestamptz,
  primary key (tenant_id, id),
  check ((status = 'rejected') = (rejection_reason is not null)),
  foreign key (tenant_id, price_list_id) references price_lists (tenant_id, id) on delete cascade
);
create index price_change_requests_status on price_change_requests (tenant_id, status, id);
create index price_change_requests_list on price_change_requests (tenant_id, price_list_id, id);
alter table price_change_requests enable row level security;
alter table price_change_requests force row level security;
create policy price_change_requests_app on price_change_requests to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update on price_change_requests to comptoir_app;

alter table catalog_media add column uploaded_at timestamptz;
