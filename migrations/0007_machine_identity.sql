-- Machine identities (platform/identity): service accounts, their API tokens and OAuth 2.0 clients
-- (client credentials grant), single-use client assertions, and the keys that sign access tokens.
-- Expand-only: new tables, a nullable column and a relaxed NOT NULL on api_tokens (release N-1 keeps
-- working: its authentication inner-joins users, so a service account's token simply fails there).

-- Non-human identities of a tenant (ERP connectors, iPaaS, scripts). Each has its own permissions.
create table service_accounts (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- sa_…
  name text not null,                                    -- unique per tenant, e.g. "SAP connector"
  description text,
  permissions text[] not null default '{}',              -- catalogue names; never '*' (least privilege)
  status text not null default 'active' check (status in ('active', 'deactivated')),
  created_by text,                                       -- actor ID that created it
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deactivated_at timestamptz,
  primary key (tenant_id, id),
  unique (tenant_id, name)
);
alter table service_accounts enable row level security;
alter table service_accounts force row level security;
create policy service_accounts_app on service_accounts to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
-- Authentication (before the tenant is known) reads status and permissions, nothing else.
create policy service_accounts_system on service_accounts to comptoir_system using (true);
grant select, insert, update on service_accounts to comptoir_app;
grant select (tenant_id, id, name, status, permissions) on service_accounts to comptoir_system;

-- API tokens now belong to a user or to a service account (exactly one of them).
alter table api_tokens alter column user_id drop not null;
alter table api_tokens add column service_account_id text;
alter table api_tokens add column created_by text;       -- actor ID that created it (an admin, for a service account's token)
alter table api_tokens add constraint api_tokens_one_owner
  check ((user_id is null) <> (service_account_id is null));
alter table api_tokens add constraint api_tokens_service_account_fk
  foreign key (tenant_id, service_account_id) references service_accounts (tenant_id, id);
create index api_tokens_service_account on api_tokens (tenant_id, service_account_id)
  where service_account_id is not null;

-- OAuth 2.0 clients (RFC 6749 §4.4), each bound to one service account. client_id is the row's ID.
create table oauth_clients (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- cli_… = the OAuth client_id (globally unique)
  service_account_id text not null,
  name text not null,
  auth_method text not null check (auth_method in ('client_secret', 'private_key_jwt')),
  secret_hash text,                                      -- hex SHA-256 of a 256-bit random secret (client_secret only)
  secret_hint text,                                      -- last 4 characters of the secret
  jwks jsonb,                                            -- {"keys": [...]} public keys (private_key_jwt only)
  scopes text[] not null,                                -- the most a token of this client may carry
  created_by text,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  primary key (tenant_id, id),
  foreign key (tenant_id, service_account_id) references service_accounts (tenant_id, id),
  check ((auth_method = 'client_secret') = (secret_hash is not null)),
  check ((auth_method = 'private_key_jwt') = (jwks is not null))
);
-- The token endpoint finds the client by client_id before it knows the tenant (system role).
create index oauth_clients_client_id on oauth_clients (id);
create index oauth_clients_service_account on oauth_clients (tenant_id, service_account_id);
alter table oauth_clients enable row level security;
alter table oauth_clients force row level security;
create policy oauth_clients_app on oauth_clients to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
create policy oauth_clients_system on oauth_clients to comptoir_system using (true) with check (true);
grant select, insert, update on oauth_clients to comptoir_app;
grant select (tenant_id, id, service_account_id, auth_method, secret_hash, jwks, scopes, revoked_at)
  on oauth_clients to comptoir_system;

-- jti of private_key_jwt client assertions already used (RFC 7523 §3: a jti is accepted once).
create table oauth_assertion_jtis (
  tenant_id text not null references tenants (id),
  client_id text not null,
  jti text not null,
  expires_at timestamptz not null,                       -- the assertion's exp: the row may go after it
  primary key (tenant_id, client_id, jti),
  foreign key (tenant_id, client_id) references oauth_clients (tenant_id, id)
);
alter table oauth_assertion_jtis enable row level security;
alter table oauth_assertion_jtis force row level security;
create policy oauth_assertion_jtis_app on oauth_assertion_jtis to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, delete on oauth_assertion_jtis to comptoir_app;

-- Keys that sign OAuth access tokens (the deployment is the issuer: a platform table). The private
-- part is encrypted with AES-256-GCM under a key-encryption key kept outside the database
-- (OAUTH_KEY_ENCRYPTION_KEY_FILE, or DATA_DIR/keys outside production). A new key every
-- OAUTH_SIGNING_KEY_ROTATION_DAYS; a retired key stays published until its last token expired.
create table oauth_signing_keys (
  id text primary key,                                   -- the JWK "kid"
  alg text not null check (alg in ('EdDSA')),
  public_jwk jsonb not null,
  private_key_enc text not null,                         -- base64(iv | tag | AES-256-GCM(PKCS#8 DER))
  created_at timestamptz not null default now(),
  retired_at timestamptz                                 -- stopped signing (a newer key took over)
);
alter table oauth_signing_keys enable row level security;
alter table oauth_signing_keys force row level security;
create policy oauth_signing_keys_system on oauth_signing_keys to comptoir_system using (true) with check (true);
grant select, insert on oauth_signing_keys to comptoir_system;
grant update (retired_at) on oauth_signing_keys to comptoir_system;
