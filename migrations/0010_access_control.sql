-- Access control (platform/access): custom roles, role assignments (scoped, temporary), separation-of-duties
-- rules and their exceptions, and the tenant's security contacts (privilege elevation alerts).
-- Expand only: new tables. Release N-1 ignores them (its users all held every permission).

-- Custom roles of a tenant, built from catalogue permissions. Predefined roles live in code
-- (platform/access/roles.ts) and are never stored; their keys are reserved.
create table access_roles (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- role_…
  key text not null,                                     -- what assignments name, e.g. "price_reviewer"
  name text not null,
  description text,
  audience text not null check (audience in ('staff', 'customer')),  -- staff users or buyers
  permissions text[] not null default '{}',              -- catalogue names, never '*'
  created_by text,                                       -- actor ID
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, key)
);
alter table access_roles enable row level security;
alter table access_roles force row level security;
create policy access_roles_app on access_roles to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
-- Authentication (before the tenant is known) resolves a custom role's permissions.
create policy access_roles_system on access_roles to comptoir_system using (true);
grant select, insert, update, delete on access_roles to comptoir_app;
grant select (tenant_id, key, permissions) on access_roles to comptoir_system;

-- Who holds which role, where, until when. An assignment grants while revoked_at is null and
-- expires_at is in the future; an expired one is marked (revoked_reason 'expired') and audited when noticed.
create table role_assignments (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- rasg_…
  user_id text not null,
  role_key text not null,                                -- a predefined role's key or a custom role's key
  scope_type text check (scope_type in ('storefront', 'account')),  -- null: the whole tenant
  scope_id text,                                         -- the storefront, or the buyer's customer account
  expires_at timestamptz,                                -- temporary assignment; null: until revoked
  granted_by text,                                       -- actor ID
  sod_exception_id text,                                 -- the exception that allowed a conflicting assignment
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  revoked_by text,
  revoked_reason text check (revoked_reason in ('revoked', 'expired', 'role_deleted')),
  primary key (tenant_id, id),
  foreign key (tenant_id, user_id) references users (tenant_id, id),
  check ((scope_type is null) = (scope_id is null))
);
create index role_assignments_user on role_assignments (tenant_id, user_id) where revoked_at is null;
create index role_assignments_role on role_assignments (tenant_id, role_key) where revoked_at is null;
alter table role_assignments enable row level security;
alter table role_assignments force row level security;
create policy role_assignments_app on role_assignments to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
create policy role_assignments_system on role_assignments to comptoir_system using (true);
grant select, insert, update on role_assignments to comptoir_app;
grant select (tenant_id, id, user_id, role_key, scope_type, scope_id, expires_at, revoked_at)
  on role_assignments to comptoir_system;

-- Separation-of-duties rules of a tenant: pairs of permissions one person may not hold together.
-- No row: the defaults of platform/access/sod.ts.
create table sod_settings (
  tenant_id text not null references tenants (id),
  rules jsonb not null,                                  -- [{"permissions": [a, b], "description": …}]
  updated_by text,
  updated_at timestamptz not null default now(),
  primary key (tenant_id)
);
alter table sod_settings enable row level security;
alter table sod_settings force row level security;
create policy sod_settings_app on sod_settings to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update on sod_settings to comptoir_app;

-- A justified, time-limited exception letting one user hold a conflicting pair. Requested by one
-- person, approved by another (four-eyes), then usable by assignments until it expires.
create table sod_exceptions (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- sodx_…
  user_id text not null,
  permissions text[] not null,                           -- the conflicting pair it allows
  justification text not null,
  expires_at timestamptz not null,
  status text not null default 'pending' check (status in ('pending', 'approved', 'revoked')),
  requested_by text not null,                            -- the initiator (user ID, or actor ID)
  approved_by text,
  approved_at timestamptz,
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, user_id) references users (tenant_id, id)
);
alter table sod_exceptions enable row level security;
alter table sod_exceptions force row level security;
create policy sod_exceptions_app on sod_exceptions to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update on sod_exceptions to comptoir_app;

-- Who is told when someone gains administrative rights. None listed: the tenant's owners.
create table security_contacts (
  tenant_id text not null references tenants (id),
  email_normalized text not null,
  email text not null,
  added_by text,
  created_at timestamptz not null default now(),
  primary key (tenant_id, email_normalized)
);
alter table security_contacts enable row level security;
alter table security_contacts force row level security;
create policy security_contacts_app on security_contacts to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, delete on security_contacts to comptoir_app;
