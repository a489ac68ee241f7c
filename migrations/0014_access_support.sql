-- Access control, second part (platform/access): support access by platform operators, access review
-- campaigns and their six-monthly reminder, and customer companies' own custom roles.
-- Expand only: new tables and one nullable column. Release N-1 ignores them.

-- An operator's request to act in a tenant (support access), and — once a tenant admin approved it —
-- the grant itself. None exists by default: operators reach no tenant data without one.
create table support_requests (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- sup_…
  operator_token_id text not null,                       -- the operator (opt_…) who asked and who may use it
  operator_name text not null,
  reason text not null,
  duration_hours integer not null check (duration_hours between 1 and 72),
  permissions text[] not null default '{}',              -- write permissions asked for on top of the reads
  status text not null default 'pending' check (status in ('pending', 'approved', 'rejected', 'revoked')),
  created_at timestamptz not null default now(),
  decided_by text,                                       -- the tenant admin (actor ID) who approved or rejected
  decided_at timestamptz,
  decision_reason text,
  expires_at timestamptz,                                -- approved: decided_at + duration; enforced at authentication
  revoked_by text,
  revoked_at timestamptz,
  primary key (tenant_id, id)
);
alter table support_requests enable row level security;
alter table support_requests force row level security;
create policy support_requests_app on support_requests to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
-- Authentication (before the tenant is known) resolves the grant an operator names.
create policy support_requests_system on support_requests to comptoir_system using (true);
grant select, insert, update on support_requests to comptoir_app;
grant select (tenant_id, id, operator_token_id, operator_name, reason, permissions, status, expires_at)
  on support_requests to comptoir_system;

-- An access review campaign: a snapshot of every role assignment of the tenant, each certified or
-- revoked by a reviewer. 'completed' when every item is decided; 'closed' when ended early.
create table access_review_campaigns (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- arc_…
  name text not null,
  status text not null default 'open' check (status in ('open', 'completed', 'closed')),
  due_at timestamptz,                                    -- the reviewers' deadline (informative)
  created_by text not null,                              -- actor ID
  created_at timestamptz not null default now(),
  closed_by text,
  closed_at timestamptz,
  primary key (tenant_id, id)
);
create index access_review_campaigns_status on access_review_campaigns (tenant_id, status, closed_at);
alter table access_review_campaigns enable row level security;
alter table access_review_campaigns force row level security;
create policy access_review_campaigns_app on access_review_campaigns to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update on access_review_campaigns to comptoir_app;

-- One assignment as it stood when the campaign started, and the reviewer's decision on it.
create table access_review_items (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- ari_…
  campaign_id text not null,
  assignment_id text not null,                           -- the role assignment reviewed (rasg_…)
  user_id text not null,
  role_key text not null,
  scope_type text,
  scope_id text,
  expires_at timestamptz,
  decision text check (decision in ('certified', 'revoked', 'not_reviewed')),  -- null: to decide
  decided_by text,
  decided_at timestamptz,
  comment text,
  primary key (tenant_id, id),
  unique (tenant_id, campaign_id, assignment_id),
  foreign key (tenant_id, campaign_id) references access_review_campaigns (tenant_id, id)
);
alter table access_review_items enable row level security;
alter table access_review_items force row level security;
create policy access_review_items_app on access_review_items to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update on access_review_items to comptoir_app;

-- Reminders sent because the last completed review is older than six months: one per due date, so
-- the periodic check is idempotent (a new completed campaign moves the due date).
create table access_review_reminders (
  tenant_id text not null references tenants (id),
  due_at timestamptz not null,                           -- the review that was due (last completed + 6 months)
  sent_at timestamptz not null default now(),
  recipients integer not null,
  primary key (tenant_id, due_at)
);
alter table access_review_reminders enable row level security;
alter table access_review_reminders force row level security;
create policy access_review_reminders_app on access_review_reminders to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert on access_review_reminders to comptoir_app;

-- What customer companies' admins may put in their own custom roles. No row: the permissions of the
-- predefined customer roles (platform/access/roles.ts).
create table customer_role_policies (
  tenant_id text not null references tenants (id),
  permissions text[] not null,
  updated_by text,
  updated_at timestamptz not null default now(),
  primary key (tenant_id)
);
alter table customer_role_policies enable row level security;
alter table customer_role_policies force row level security;
create policy customer_role_policies_app on customer_role_policies to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id());
grant select, insert, update on customer_role_policies to comptoir_app;

-- A custom role a customer company's admin built for that company only (null: the tenant's own role).
alter table access_roles add column account_id text;
