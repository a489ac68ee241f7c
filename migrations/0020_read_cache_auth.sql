-- Authentication of read-only requests from the read cache (platform/identity/auth-cache.ts): every
-- committed change to what authentication reads notifies channel `comptoir_read_cache` with the
-- tenant's ID, like 0019 — tokens, sessions, service accounts, role assignments, custom roles, the
-- tenant's status and session policy, and the user's display name (0019 covers kind, account, status).
-- Refreshing a token's last_used_at/last_used_ip or a session's last_seen_at is not a change: those
-- updates happen on every minute of use and must not empty the tenant's cache.

create trigger read_cache_notify_insert_delete after insert or delete on api_tokens
  for each row execute function read_cache_notify();
create trigger read_cache_notify_update after update on api_tokens
  for each row when ((to_jsonb(old) - 'last_used_at' - 'last_used_ip') is distinct from
                     (to_jsonb(new) - 'last_used_at' - 'last_used_ip'))
  execute function read_cache_notify();

create trigger read_cache_notify_insert_delete after insert or delete on sessions
  for each row execute function read_cache_notify();
create trigger read_cache_notify_update after update on sessions
  for each row when ((to_jsonb(old) - 'last_seen_at') is distinct from (to_jsonb(new) - 'last_seen_at'))
  execute function read_cache_notify();

create trigger read_cache_notify after insert or update or delete on service_accounts
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or update or delete on role_assignments
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or update or delete on access_roles
  for each row execute function read_cache_notify();
create trigger read_cache_notify after insert or update or delete on tenant_security_settings
  for each row execute function read_cache_notify();

create trigger read_cache_notify_status after update of status on tenants
  for each row execute function read_cache_notify_tenant();

drop trigger read_cache_notify_update on users;
create trigger read_cache_notify_update after update on users
  for each row when (old.kind is distinct from new.kind or old.account_id is distinct from new.account_id
                     or old.status is distinct from new.status or old.tenant_id is distinct from new.tenant_id
                     or old.display_name is distinct from new.display_name)
  execute function read_cache_notify();
