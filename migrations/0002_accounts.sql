-- Customer accounts: the companies that buy from the merchant (module `accounts`).
create table accounts (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- acct_…
  name text not null,                                    -- trading name shown to staff and buyers
  legal_name text,                                       -- registered name on invoices, if different
  country text not null default 'FR' check (country ~ '^[A-Z]{2}$'),
  siret text check (siret ~ '^[0-9]{14}$'),              -- French establishment number (SIREN + NIC)
  vat_number text check (vat_number ~ '^[A-Z]{2}[0-9A-Z+*.]{2,13}$'),
  external_ref text,                                     -- the ERP's identifier, for idempotent sync
  status text not null default 'active' check (status in ('active', 'blocked')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, external_ref)
);
create index accounts_name on accounts (tenant_id, lower(name));
alter table accounts enable row level security;
alter table accounts force row level security;
create policy accounts_app on accounts to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update on accounts to comptoir_app;
