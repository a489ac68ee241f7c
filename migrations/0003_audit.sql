-- Audit trail: append-only, hash-chained per tenant, with signed checkpoints (platform/audit).
--
-- Writers (comptoir_app) only INSERT, inside the transaction of the change they record. A sealer
-- (comptoir_system) then gives each event its place in the tenant's chain (seq, prev_hash, hash) in
-- commit order, so concurrent writes of one tenant never wait on a chain lock. Nobody updates or
-- deletes an event: privileges and a trigger refuse it, with two narrow exceptions for the system
-- role — sealing (setting the chain fields once) and retention pruning below an archived checkpoint.

create table audit_events (
  tenant_id text not null references tenants (id),
  id text not null,                                      -- aud_…
  seq bigint,                                            -- position in the tenant's chain (null until sealed)
  occurred_at timestamptz not null,                      -- UTC, millisecond precision
  actor_type text not null check (actor_type in ('user', 'api_token', 'service_account', 'operator', 'system', 'anonymous')),
  actor_id text not null,                                -- stable ID (usr_…, tok_…, opt_…, system:…)
  actor_name text not null,                              -- display name at the time
  on_behalf_of jsonb,                                    -- {type, id, name, reason}: support access, sales rep ordering for a customer
  source_ip text,
  user_agent text,
  request_id text,
  action text not null,                                  -- stable dotted name, e.g. accounts.account.create
  resource_type text,
  resource_id text,
  outcome text not null check (outcome in ('success', 'failure', 'denied')),
  reason text,                                           -- why a failure or denial happened
  changes jsonb,                                         -- {field: {before, after}}, secrets and personal data masked
  metadata jsonb,
  prev_hash text,                                        -- hash of the event at seq - 1 (genesis: 64 zeros)
  hash text,                                             -- SHA-256 of the canonical serialisation (docs/audit.md)
  sealed_at timestamptz,
  primary key (tenant_id, id),
  unique (tenant_id, seq)
);
create index audit_events_unsealed on audit_events (tenant_id, occurred_at, id) where seq is null;
create index audit_events_time on audit_events (tenant_id, occurred_at);
create index audit_events_actor on audit_events (tenant_id, actor_id, occurred_at);
create index audit_events_resource on audit_events (tenant_id, resource_type, resource_id);

create or replace function audit_events_guard() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' then
    -- Sealing: the system role sets the chain fields once and changes nothing else.
    if current_user = 'comptoir_system' and old.seq is null and new.seq is not null
       and (new.tenant_id, new.id, new.occurred_at, new.actor_type, new.actor_id, new.actor_name, new.on_behalf_of,
            new.source_ip, new.user_agent, new.request_id, new.action, new.resource_type, new.resource_id,
            new.outcome, new.reason, new.changes, new.metadata)
           is not distinct from
           (old.tenant_id, old.id, old.occurred_at, old.actor_type, old.actor_id, old.actor_name, old.on_behalf_of,
            old.source_ip, old.user_agent, old.request_id, old.action, old.resource_type, old.resource_id,
            old.outcome, old.reason, old.changes, old.metadata) then
      return new;
    end if;
    raise exception 'audit events are append-only' using errcode = '42501';
  end if;
  -- Retention: the system role may delete sealed events strictly below the cut it declared for this
  -- transaction, which must be an archived, signed checkpoint (checked by the service before).
  if current_user = 'comptoir_system' and old.seq is not null
     and old.seq <= coalesce(nullif(current_setting('app.audit_prune_through_seq', true), '')::bigint, -1) then
    return old;
  end if;
  raise exception 'audit events are append-only' using errcode = '42501';
end $$;

create trigger audit_events_guard before update or delete on audit_events
  for each row execute function audit_events_guard();

alter table audit_events enable row level security;
alter table audit_events force row level security;
create policy audit_events_app on audit_events to comptoir_app
  using (tenant_id = app_tenant_id()) with check (tenant_id = app_tenant_id() and seq is null and hash is null);
create policy audit_events_system on audit_events to comptoir_system using (true) with check (true);
grant select, insert on audit_events to comptoir_app;
grant select, delete, update (seq, prev_hash, hash, sealed_at) on audit_events to comptoir_system;

-- The end of each tenant's chain. Locked by the sealer of that tenant; nobody else writes it.
create table audit_chain_heads (
  tenant_id text primary key references tenants (id),
  last_seq bigint not null,
  last_hash text not null,
  updated_at timestamptz not null default now()
);
alter table audit_chain_heads enable row level security;
alter table audit_chain_heads force row level security;
create policy audit_chain_heads_app on audit_chain_heads to comptoir_app using (tenant_id = app_tenant_id());
create policy audit_chain_heads_system on audit_chain_heads to comptoir_system using (true) with check (true);
grant select on audit_chain_heads to comptoir_app;
grant select, insert, update on audit_chain_heads to comptoir_system;

-- Signed chain heads. The signing key (Ed25519) is not in the database: a checkpoint proves the
-- chain up to `seq` existed as it is, to anyone holding the published public key.
create table audit_checkpoints (
  tenant_id text not null references tenants (id),
  seq bigint not null,
  hash text not null,                                    -- the event hash at seq
  signed_at timestamptz not null,
  key_id text not null,                                  -- which public key verifies it
  signature text not null,                               -- base64 Ed25519 over the canonical checkpoint
  archived boolean not null default false,               -- events up to seq were exported (retention may prune them)
  primary key (tenant_id, seq)
);
alter table audit_checkpoints enable row level security;
alter table audit_checkpoints force row level security;
create policy audit_checkpoints_app on audit_checkpoints to comptoir_app using (tenant_id = app_tenant_id());
create policy audit_checkpoints_system on audit_checkpoints to comptoir_system using (true) with check (true);
grant select on audit_checkpoints to comptoir_app;
grant select, insert, update (archived) on audit_checkpoints to comptoir_system;
