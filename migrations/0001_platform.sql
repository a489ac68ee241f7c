-- Platform foundation: roles, tenants, domain directory, users, API tokens, operator tokens,
-- idempotency keys, outbox. Conventions (see docs/architecture.md):
--   * every tenant-owned table: tenant_id leads the primary key, every foreign key and every unique key;
--   * row-level security ENABLEd and FORCEd, with a policy for comptoir_app on app.tenant_id;
--   * privileges granted table by table (no default privileges), so a table nobody granted is unreachable.

-- Roles are cluster-wide; several databases (tests) may create them concurrently.
do $$ begin
  create role comptoir_app nologin nobypassrls;
exception when duplicate_object or unique_violation then null; end $$;
do $$ begin
  create role comptoir_system nologin nobypassrls;
exception when duplicate_object or unique_violation then null; end $$;

-- A migrating role that is not superuser must be able to SET ROLE to both.
do $$ begin
  if not (select rolsuper from pg_roles where rolname = current_user) then
    execute format('grant comptoir_app, comptoir_system to %I', current_user);
  end if;
end $$;

grant usage on schema public to comptoir_app, comptoir_system;

-- The tenant of the current transaction; NULL when none is set, so policies then match nothing.
create or replace function app_tenant_id() returns text
  language sql stable
  as $$ select nullif(current_setting('app.tenant_id', true), '') $$;
grant execute on function app_tenant_id() to comptoir_app, comptoir_system;

-- Tenants (one per merchant). The platform's own table: a tenant sees only its own row.
create table tenants (
  id text primary key,                                   -- ten_…
  slug text not null unique,                             -- short name used at login and in URLs
  name text not null,                                    -- display name, e.g. "Acme Industrie"
  status text not null default 'active' check (status in ('active', 'suspended')),
  default_locale text not null default 'fr',
  timezone text not null default 'Europe/Paris',         -- business days and cut-offs are computed in it
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table tenants enable row level security;
alter table tenants force row level security;
create policy tenants_app on tenants to comptoir_app using (id = app_tenant_id());
create policy tenants_system on tenants to comptoir_system using (true) with check (true);
grant select on tenants to comptoir_app;
grant select, insert, update on tenants to comptoir_system;

-- Host names routed to a tenant (storefront domains). A directory: the host is globally unique.
create table tenant_domains (
  host text primary key check (host = lower(host)),
  tenant_id text not null references tenants (id),
  created_at timestamptz not null default now()
);
create index tenant_domains_tenant on tenant_domains (tenant_id);
alter table tenant_domains enable row level security;
alter table tenant_domains force row level security;
create policy tenant_domains_app on tenant_domains to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
create policy tenant_domains_system on tenant_domains to comptoir_system using (true) with check (true);
grant select, insert, delete on tenant_domains to comptoir_app;
grant select, insert on tenant_domains to comptoir_system;

-- People who sign in: the merchant's staff and its customers' buyers. Same e-mail may exist in two tenants.
create table users (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- usr_…
  email text not null,
  email_normalized text not null,                        -- lower-cased e-mail, unique per tenant
  display_name text not null,
  kind text not null check (kind in ('staff', 'buyer')),
  status text not null default 'active' check (status in ('active', 'deactivated')),
  password_hash text,                                    -- argon2id PHC string; null = no password login
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, email_normalized)
);
alter table users enable row level security;
alter table users force row level security;
create policy users_app on users to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update on users to comptoir_app;

-- Personal API tokens. Only a SHA-256 of the secret is kept; the secret is shown once.
create table api_tokens (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- tok_…
  user_id text not null,
  name text not null,
  token_hash text not null,                              -- hex SHA-256 of the whole token (high-entropy secret)
  token_hint text not null,                              -- last 4 characters, to recognise a token in lists
  scopes text[] not null,                                -- permissions granted; '*' = all of the owner's
  expires_at timestamptz,
  last_used_at timestamptz,
  last_used_ip text,
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, token_hash),
  foreign key (tenant_id, user_id) references users (tenant_id, id)
);
-- Authentication finds a token by its hash before it knows the tenant (system role, below).
create index api_tokens_hash on api_tokens (token_hash);
alter table api_tokens enable row level security;
alter table api_tokens force row level security;
create policy api_tokens_app on api_tokens to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
create policy api_tokens_system on api_tokens to comptoir_system using (true) with check (true);
grant select, insert, update on api_tokens to comptoir_app;
grant select, update (last_used_at, last_used_ip) on api_tokens to comptoir_system;
grant select (tenant_id, id, status, display_name) on users to comptoir_system;
create policy users_system on users to comptoir_system using (true);

-- Platform operators' tokens (the SaaS provider's staff). They reach only the platform API.
create table operator_tokens (
  id text primary key,                                   -- opt_…
  operator_name text not null,
  token_hash text not null unique,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
alter table operator_tokens enable row level security;
alter table operator_tokens force row level security;
create policy operator_tokens_system on operator_tokens to comptoir_system using (true) with check (true);
grant select, insert, update on operator_tokens to comptoir_system;

-- Idempotency-Key records: a replay of a POST returns the first response.
create table idempotency_keys (
  tenant_id text not null references tenants (id),
  key text not null,
  principal_id text not null,                            -- who sent it: a key is never shared across callers
  method text not null,
  route text not null,
  request_hash text not null,                            -- SHA-256 of method, route and body
  response_status integer not null,
  response_body jsonb,
  created_at timestamptz not null default now(),
  primary key (tenant_id, principal_id, key)
);
create index idempotency_keys_created on idempotency_keys (created_at);
alter table idempotency_keys enable row level security;
alter table idempotency_keys force row level security;
create policy idempotency_keys_app on idempotency_keys to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
create policy idempotency_keys_system on idempotency_keys to comptoir_system using (true);
grant select, insert on idempotency_keys to comptoir_app;
grant select, delete on idempotency_keys to comptoir_system;

-- Transactional outbox: domain events written in the same transaction as the change.
create table outbox_events (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- evt_… (time-sortable: delivery order)
  type text not null,                                    -- e.g. "account.created"
  payload jsonb not null,
  actor_id text,
  request_id text,
  occurred_at timestamptz not null default now(),
  status text not null default 'pending' check (status in ('pending', 'delivered', 'dead')),
  attempts integer not null default 0,
  available_at timestamptz not null default now(),       -- not before: backoff after a failure, or a lease
  delivered_at timestamptz,
  last_error text,
  primary key (tenant_id, id)
);
create index outbox_events_pending on outbox_events (available_at, id) where status = 'pending';
alter table outbox_events enable row level security;
alter table outbox_events force row level security;
create policy outbox_events_app on outbox_events to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
create policy outbox_events_system on outbox_events to comptoir_system using (true) with check (true);
grant select, insert on outbox_events to comptoir_app;
grant select, update, delete on outbox_events to comptoir_system;
