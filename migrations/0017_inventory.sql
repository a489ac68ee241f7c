-- Inventory (module `inventory`): warehouses, stock levels per warehouse and variant, and the tenant's
-- availability settings — the data the pure `availabilityOf` (modules/inventory/rules.ts) reads to
-- tell a buyer whether a variant is in stock (docs/inventory.md). Quantities are numeric with at most
-- 4 decimals (a unit of sale may be a metre or a kilogram), never floating point.
-- Expand-only: new tables (docs/architecture.md).

create table inventory_warehouses (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- wh_…
  code text not null check (code ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'),  -- key of ERP imports, e.g. "LYON-1"
  name text not null,
  active boolean not null default true,                  -- an inactive warehouse's stock is not offered to buyers
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, code)
);
alter table inventory_warehouses enable row level security;
alter table inventory_warehouses force row level security;
create policy inventory_warehouses_app on inventory_warehouses to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on inventory_warehouses to comptoir_app;

-- One row per (variant, warehouse) holding stock. The primary key leads with the variant: the product
-- page reads all warehouses of one variant, or of a product's variants (variant_id = any(…)).
create table inventory_stock_levels (
  tenant_id text not null references tenants (id),
  variant_id text not null,
  warehouse_id text not null,
  on_hand numeric(18, 4) not null check (on_hand >= 0),           -- physically in the warehouse
  reserved numeric(18, 4) not null default 0 check (reserved >= 0), -- promised to orders not shipped yet (ordering)
  restock_date date,                                     -- expected arrival of the next delivery, if known
  restock_quantity numeric(18, 4) check (restock_quantity > 0),    -- its quantity, if known (an open purchase order)
  updated_at timestamptz not null default now(),
  primary key (tenant_id, variant_id, warehouse_id),
  foreign key (tenant_id, variant_id) references catalog_variants (tenant_id, id) on delete cascade,
  foreign key (tenant_id, warehouse_id) references inventory_warehouses (tenant_id, id) on delete cascade
);
-- A warehouse's stock (its deletion check, a warehouse's export later).
create index inventory_stock_levels_warehouse on inventory_stock_levels (tenant_id, warehouse_id);
alter table inventory_stock_levels enable row level security;
alter table inventory_stock_levels force row level security;
create policy inventory_stock_levels_app on inventory_stock_levels to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on inventory_stock_levels to comptoir_app;

-- What buyers are told (one row per tenant, like pricing_settings). No row: the defaults
-- (threshold 5, status only, no lead time).
create table inventory_settings (
  tenant_id text not null references tenants (id),
  low_stock_threshold numeric(18, 4) not null default 5 check (low_stock_threshold >= 0), -- at or below: "low stock"
  quantity_display text not null default 'status' check (quantity_display in ('exact', 'status')), -- buyers see numbers, or only a status
  default_lead_time_days integer check (default_lead_time_days between 0 and 365), -- when out of stock without a known restock date; null: unknown
  updated_at timestamptz not null default now(),
  primary key (tenant_id)
);
alter table inventory_settings enable row level security;
alter table inventory_settings force row level security;
create policy inventory_settings_app on inventory_settings to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on inventory_settings to comptoir_app;
