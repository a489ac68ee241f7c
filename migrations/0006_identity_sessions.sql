-- Identity: password login state, buyer users, server-side sessions, single-use tokens (invitation,
-- e-mail verification, password reset) and the mail outbox (platform/identity, platform/mail).
-- Expand only: new nullable columns or columns with defaults, new tables.

-- Users: buyers belong to a customer account; login state for lockout.
alter table users
  add column account_id text,                                 -- buyers: their company (customer account); null for staff
  add column email_verified_at timestamptz,                   -- set when the user proved they read the address
  add column failed_login_count integer not null default 0,   -- consecutive failures since the last success
  add column locked_until timestamptz,                        -- lockout: no login before this time
  add column password_changed_at timestamptz,
  add column last_login_at timestamptz,
  add constraint users_account_fk foreign key (tenant_id, account_id) references accounts (tenant_id, id),
  add constraint users_buyer_account check (kind = 'buyer' or account_id is null);
-- Session authentication runs as the system role before the tenant is known (like API tokens).
grant select (kind, account_id) on users to comptoir_system;

-- Web sessions. Only a SHA-256 of the cookie secret is kept. A session is valid while not revoked,
-- its user active, and neither the tenant's idle nor its absolute timeout has passed.
create table sessions (
  tenant_id text not null references tenants (id),
  id text not null,                                           -- ses_…
  user_id text not null,
  secret_hash text not null,                                  -- hex SHA-256 of the cookie secret
  stage text not null default 'active'                        -- login state machine: a second factor may be pending
    check (stage in ('pending_mfa', 'active')),
  created_at timestamptz not null,                            -- start of the absolute timeout
  last_seen_at timestamptz not null,                          -- start of the idle timeout (refreshed on use)
  ip text,                                                    -- where the session was opened
  user_agent text,
  revoked_at timestamptz,
  revoked_reason text,                                        -- logout, revoked, rotated, password_reset, deactivated, admin
  primary key (tenant_id, id),
  unique (tenant_id, secret_hash),
  foreign key (tenant_id, user_id) references users (tenant_id, id)
);
create index sessions_hash on sessions (secret_hash);
create index sessions_user on sessions (tenant_id, user_id) where revoked_at is null;
alter table sessions enable row level security;
alter table sessions force row level security;
create policy sessions_app on sessions to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
create policy sessions_system on sessions to comptoir_system using (true) with check (true);
grant select, insert, update on sessions to comptoir_app;
grant select, update (last_seen_at) on sessions to comptoir_system;

-- Single-use tokens sent by e-mail. Only a SHA-256 of the token is kept.
create table identity_tokens (
  tenant_id text not null references tenants (id),
  id text not null,                                           -- itk_…
  user_id text not null,
  purpose text not null check (purpose in ('invitation', 'email_verification', 'password_reset')),
  token_hash text not null,
  expires_at timestamptz not null,
  used_at timestamptz,                                        -- set once: a replay finds it used
  created_by text,                                            -- actor id of whoever asked for it
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, token_hash),
  foreign key (tenant_id, user_id) references users (tenant_id, id)
);
create index identity_tokens_user on identity_tokens (tenant_id, user_id, purpose) where used_at is null;
alter table identity_tokens enable row level security;
alter table identity_tokens force row level security;
create policy identity_tokens_app on identity_tokens to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update on identity_tokens to comptoir_app;

-- Mail outbox: written in the caller's transaction, sent after commit by the mail sender (system role).
create table mail_outbox (
  tenant_id text not null references tenants (id),
  id text not null,                                           -- mail_…
  template text not null,                                     -- e.g. identity.invitation
  to_address text not null,
  subject text not null,
  text_body text not null,                                    -- replaced by a placeholder once sent (it may hold a token)
  status text not null default 'pending' check (status in ('pending', 'sent', 'dead')),
  attempts integer not null default 0,
  available_at timestamptz not null default now(),            -- not before: backoff after a failure, or a lease
  sent_at timestamptz,
  last_error text,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
create index mail_outbox_pending on mail_outbox (available_at, id) where status = 'pending';
alter table mail_outbox enable row level security;
alter table mail_outbox force row level security;
create policy mail_outbox_app on mail_outbox to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
create policy mail_outbox_system on mail_outbox to comptoir_system using (true) with check (true);
grant select, insert on mail_outbox to comptoir_app;
grant select, update on mail_outbox to comptoir_system;
