-- Multi-factor authentication (platform/identity/mfa.ts, webauthn.ts): TOTP, recovery codes, WebAuthn
-- credentials and their single-use challenges; sessions learn when their second factor was verified.
-- Expand only: new tables, new columns with defaults or nullable.

-- A session's last verified second factor (login with MFA, or step-up); sensitive actions need it
-- within the tenant's step_up_max_age_s. mfa_attempts counts wrong factors of a pending login.
alter table sessions
  add column mfa_verified_at timestamptz,
  add column mfa_attempts integer not null default 0;

-- One TOTP authenticator per user (RFC 6238, SHA-1, 6 digits, 30 s). The secret is sealed with the
-- SecretBox (AES-256-GCM, AAD: tenant + purpose); `pending` until a correct code confirms it.
create table mfa_totp (
  tenant_id text not null references tenants (id),
  user_id text not null,
  secret_sealed text not null,
  status text not null default 'pending' check (status in ('pending', 'active')),
  last_used_counter bigint,                          -- time step of the last accepted code: no replay
  created_at timestamptz not null default now(),
  confirmed_at timestamptz,
  last_used_at timestamptz,
  primary key (tenant_id, user_id),
  foreign key (tenant_id, user_id) references users (tenant_id, id)
);
alter table mfa_totp enable row level security;
alter table mfa_totp force row level security;
create policy mfa_totp_app on mfa_totp to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on mfa_totp to comptoir_app;

-- Single-use recovery codes: only a SHA-256 of each is kept (80 random bits each: no need for a slow hash).
create table mfa_recovery_codes (
  tenant_id text not null references tenants (id),
  id text not null,                                  -- rcc_…
  user_id text not null,
  code_hash text not null,
  created_at timestamptz not null default now(),
  used_at timestamptz,
  primary key (tenant_id, id),
  unique (tenant_id, user_id, code_hash),
  foreign key (tenant_id, user_id) references users (tenant_id, id)
);
alter table mfa_recovery_codes enable row level security;
alter table mfa_recovery_codes force row level security;
create policy mfa_recovery_codes_app on mfa_recovery_codes to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on mfa_recovery_codes to comptoir_app;

-- WebAuthn credentials (passkeys, security keys). credential_id is the authenticator's ID (base64url),
-- unique per tenant: a credential registered in one tenant means nothing in another.
create table webauthn_credentials (
  tenant_id text not null references tenants (id),
  id text not null,                                  -- wac_…
  user_id text not null,
  credential_id text not null,
  public_key text not null,                          -- COSE public key, base64url
  sign_count bigint not null default 0,              -- a lower count than stored is a cloned authenticator
  transports text[] not null default '{}',
  device_type text not null default 'singleDevice',
  backed_up boolean not null default false,
  name text not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  primary key (tenant_id, id),
  unique (tenant_id, credential_id),
  foreign key (tenant_id, user_id) references users (tenant_id, id)
);
create index webauthn_credentials_user on webauthn_credentials (tenant_id, user_id);
alter table webauthn_credentials enable row level security;
alter table webauthn_credentials force row level security;
create policy webauthn_credentials_app on webauthn_credentials to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on webauthn_credentials to comptoir_app;

-- Challenges handed to the browser: single-use (used_at), expiring (5 minutes), bound to a purpose and
-- (except for passwordless passkey login) to a user.
create table webauthn_challenges (
  tenant_id text not null references tenants (id),
  id text not null,                                  -- wch_…
  challenge text not null,                           -- base64url, 32 random bytes
  purpose text not null check (purpose in ('registration', 'second_factor', 'step_up', 'passkey')),
  user_id text,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, challenge),
  foreign key (tenant_id, user_id) references users (tenant_id, id)
);
alter table webauthn_challenges enable row level security;
alter table webauthn_challenges force row level security;
create policy webauthn_challenges_app on webauthn_challenges to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update, delete on webauthn_challenges to comptoir_app;
