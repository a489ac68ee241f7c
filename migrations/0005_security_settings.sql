-- A tenant's security policy: sessions, MFA, API tokens, passwords (platform/identity).
-- One row per tenant, created on demand with these defaults; changed through /api/v1/security-settings.
create table tenant_security_settings (
  tenant_id text primary key references tenants (id),
  session_idle_timeout_s integer not null default 1800          -- 30 min without a request ends a session
    check (session_idle_timeout_s between 300 and 86400),
  session_absolute_timeout_s integer not null default 43200     -- 12 h after login, whatever the activity
    check (session_absolute_timeout_s between 900 and 2592000),
  mfa_policy text not null default 'optional'
    check (mfa_policy in ('optional', 'required_for_admins', 'required')),
  step_up_max_age_s integer not null default 900                -- a second factor this recent allows sensitive actions
    check (step_up_max_age_s between 60 and 86400),
  token_default_ttl_days integer not null default 90            -- API token expiry when none is asked for
    check (token_default_ttl_days between 1 and 3650),
  token_max_ttl_days integer not null default 365               -- longest expiry a token may have
    check (token_max_ttl_days between 1 and 3650),
  password_min_length integer not null default 12
    check (password_min_length between 8 and 128),
  lockout_threshold integer not null default 10                 -- consecutive failures before a lockout
    check (lockout_threshold between 3 and 100),
  lockout_duration_s integer not null default 900
    check (lockout_duration_s between 60 and 86400),
  updated_at timestamptz not null default now(),
  check (token_default_ttl_days <= token_max_ttl_days),
  check (session_idle_timeout_s <= session_absolute_timeout_s)
);
alter table tenant_security_settings enable row level security;
alter table tenant_security_settings force row level security;
create policy tenant_security_settings_app on tenant_security_settings to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
-- Login happens before a tenant transaction exists in some flows; the system role may read the policy.
create policy tenant_security_settings_system on tenant_security_settings to comptoir_system using (true);
grant select, insert, update on tenant_security_settings to comptoir_app;
grant select on tenant_security_settings to comptoir_system;
