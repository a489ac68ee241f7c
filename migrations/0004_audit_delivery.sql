-- Audit trail delivery: per-tenant retention and SIEM push to the customer's S3 bucket
-- (platform/audit/delivery.ts). Conventions as in 0003: tenant_id leads every key, row-level security
-- ENABLEd and FORCEd, one policy per role, privileges granted table by table.

-- One row per tenant, created on the first change through PUT /api/v1/audit/settings; a tenant
-- without a row has the defaults below (retention 365 days, no push).
create table audit_settings (
  tenant_id text primary key references tenants (id),
  retention_days integer not null default 365            -- events older than this are archived, then pruned
    check (retention_days between 30 and 3650),
  enabled boolean not null default false,                -- SIEM push to the S3 target below is on
  endpoint text,                                         -- https://… of an S3-compatible service; null: AWS S3
  region text not null default 'us-east-1',
  bucket text,
  prefix text not null default '',                       -- objects go under <prefix>/<tenant_id>/
  access_key_id text,
  secret_access_key_sealed text,                         -- SecretBox value (v1.<key id>.<nonce>.<ciphertext>), never the secret
  force_path_style boolean not null default false,       -- https://endpoint/bucket/key (MinIO and most on-premises stores)
  format text not null default 'json' check (format in ('json', 'ocsf', 'cef')),
  interval_s integer not null default 300                -- at most one file per interval, unless a backlog is waiting
    check (interval_s between 60 and 86400),
  updated_at timestamptz not null default now(),
  check (not enabled or (bucket is not null and access_key_id is not null and secret_access_key_sealed is not null))
);
alter table audit_settings enable row level security;
alter table audit_settings force row level security;
create policy audit_settings_app on audit_settings to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
-- The delivery and retention workers find the tenants that have work across tenants; they then act
-- inside each tenant's own transaction.
create policy audit_settings_system on audit_settings to comptoir_system using (true);
grant select, insert, update on audit_settings to comptoir_app;
grant select on audit_settings to comptoir_system;

-- Files of events shipped out of the database: pushed to the tenant's SIEM bucket ('s3') or written
-- as archives before retention prunes ('archive'). Each covers the contiguous range from_seq..to_seq
-- of the tenant's chain; one row per range and target, whatever the number of attempts.
create table audit_deliveries (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- adl_…
  target text not null check (target in ('s3', 'archive')),
  from_seq bigint not null,
  to_seq bigint not null,
  format text not null default 'json' check (format in ('json', 'ocsf', 'cef')),
  destination text,                                      -- s3://bucket or file:… (no credentials)
  object_key text not null,                              -- <prefix>/<tenant_id>/audit-<from 12 digits>-<to 12 digits>.jsonl.gz
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0,                   -- failed attempts so far ('failed' from the 5th on)
  last_error text,                                       -- the last failure, secrets removed
  next_attempt_at timestamptz,                           -- not before (backoff); null once delivered or abandoned
  leased_until timestamptz,                              -- a worker is uploading it until then
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, target, from_seq),
  check (from_seq >= 1 and to_seq >= from_seq)
);
create index audit_deliveries_open on audit_deliveries (tenant_id, target, from_seq) where status <> 'delivered';
alter table audit_deliveries enable row level security;
alter table audit_deliveries force row level security;
create policy audit_deliveries_app on audit_deliveries to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
create policy audit_deliveries_system on audit_deliveries to comptoir_system using (true);
grant select, insert, update on audit_deliveries to comptoir_app;
grant select on audit_deliveries to comptoir_system;
