import { sql } from 'drizzle-orm';
import { audit, changesOf } from '../audit/record.ts';
import type { Ctx } from '../context.ts';
import { rows } from '../db/database.ts';
import { publish } from '../events/outbox.ts';
import { AppError, conflict, type FieldError, notFound } from '../http/problems.ts';
import { type Catalogue, checkPermissionNames, iso, textArray } from '../identity/api-tokens.ts';
import { parseTextArray } from '../identity/authenticate.ts';
import { identityClock } from '../identity/clock.ts';
import { missingPermissions } from '../identity/machine-permissions.ts';
import { requireRecentSecondFactor } from '../identity/step-up.ts';
import { newId } from '../ids.ts';
import { enqueueMail } from '../mail/outbox.ts';
import { type AccessScope, grantsOfUser } from './effective.ts';
import './events.ts';
import { assertNotInitiator, personOf } from './four-eyes.ts';
import {
  type Audience,
  expandPermissions,
  isAdministrativePermission,
  PREDEFINED_KEYS,
  PREDEFINED_ROLES,
  predefinedPermissions,
} from './roles.ts';
import { conflictsOf, DEFAULT_SOD_RULES, type SodRule } from './sod.ts';

// ---------------------------------------------------------------- roles

export interface RoleView {
  key: string;
  /** Custom roles only (`role_…`); null for predefined roles. */
  id: string | null;
  name: string;
  description: string | null;
  audience: Audience;
  predefined: boolean;
  /** A customer company's own role (built by its company admin): that company (`acct_…`); else null. */
  account_id: string | null;
  /** `*` for owner: every tenant permission. */
  permissions: string[];
  /** Holds at least one administrative permission (its grants raise an elevation alert). */
  administrative: boolean;
  created_at: string | null;
  updated_at: string | null;
}

interface RoleRow {
  id: string;
  key: string;
  name: string;
  description: string | null;
  audience: Audience;
  account_id: string | null;
  permissions: string[] | string;
  created_at: string | Date;
  updated_at: string | Date;
}

const customView = (r: RoleRow): RoleView => {
  const permissions = parseTextArray(r.permissions).sort();
  return {
    key: r.key,
    id: r.id,
    name: r.name,
    description: r.description,
    audience: r.audience,
    predefined: false,
    account_id: r.account_id,
    permissions,
    administrative: permissions.some(isAdministrativePermission),
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
  };
};

function predefinedViews(): RoleView[] {
  return PREDEFINED_ROLES.map((r) => {
    const permissions = predefinedPermissions(r.key) ?? [];
    return {
      key: r.key,
      id: null,
      name: r.name,
      description: r.description,
      audience: r.audience,
      predefined: true,
      account_id: null,
      permissions,
      administrative: permissions.some(isAdministrativePermission),
      created_at: null,
      updated_at: null,
    };
  });
}

const ROLE_COLUMNS = sql`id, key, name, description, audience, account_id, permissions, created_at, updated_at`;

export async function listRoles(ctx: Ctx): Promise<RoleView[]> {
  const custom = rows<RoleRow>(
    await ctx.tx.execute(
      sql`select ${ROLE_COLUMNS} from access_roles where tenant_id = ${ctx.tenantId} order by key`,
    ),
  );
  return [...predefinedViews(), ...custom.map(customView)];
}

export async function roleByKey(ctx: Ctx, key: string): Promise<RoleView | null> {
  const pre = predefinedViews().find((r) => r.key === key);
  if (pre) return pre;
  const [row] = rows<RoleRow>(
    await ctx.tx.execute(
      sql`select ${ROLE_COLUMNS} from access_roles where tenant_id = ${ctx.tenantId} and key = ${key}`,
    ),
  );
  return row ? customView(row) : null;
}

async function customRole(ctx: Ctx, id: string): Promise<RoleRow> {
  const [row] = rows<RoleRow>(
    await ctx.tx.execute(
      sql`select ${ROLE_COLUMNS} from access_roles where tenant_id = ${ctx.tenantId} and id = ${id} for update`,
    ),
  );
  if (!row) throw notFound(`Role ${id}`);
  return row;
}

/** Nobody grants what they do not hold: a role's permissions must be the caller's. */
function refuseEscalation(
  ctx: Ctx,
  permissions: string[],
  pointer: string,
  wanted: string[] = permissions,
): void {
  const missing = new Set(missingPermissions(permissions, ctx.actor.permissions));
  if (permissions.includes('*') && !ctx.actor.permissions.has('*')) missing.add('*');
  if (missing.size === 0) return;
  const errors: FieldError[] = wanted.flatMap((p, i) =>
    missing.has(p)
      ? [{ in: 'body' as const, pointer: `${pointer}/${i}`, detail: 'is not a permission you hold' }]
      : [],
  );
  throw new AppError(
    'forbidden',
    `You cannot grant permissions you do not hold yourself: ${[...missing].sort().join(', ')}.`,
    errors.length ? errors : [{ in: 'body', pointer, detail: 'grants permissions you do not hold' }],
  );
}

export interface NewRole {
  key: string;
  name: string;
  description?: string;
  audience?: Audience;
  permissions: string[];
}

export async function createRole(
  ctx: Ctx,
  input: NewRole,
  catalogue: Catalogue,
  /** A customer company's own role (platform/access/company.ts): always `customer` audience. */
  accountId: string | null = null,
): Promise<RoleView> {
  const permissions = [...new Set(input.permissions)];
  checkPermissionNames(permissions, catalogue, '/permissions', false);
  if (PREDEFINED_KEYS.has(input.key))
    throw new AppError('conflict', `"${input.key}" is a predefined role.`, [
      { in: 'body', pointer: '/key', detail: 'is the key of a predefined role' },
    ]);
  refuseEscalation(ctx, permissions, '/permissions');
  const id = newId('role');
  const [row] = rows<RoleRow>(
    await ctx.tx.execute(sql`
      insert into access_roles (tenant_id, id, key, name, description, audience, account_id, permissions, created_by)
      values (${ctx.tenantId}, ${id}, ${input.key}, ${input.name}, ${input.description ?? null},
              ${accountId ? 'customer' : (input.audience ?? 'staff')}, ${accountId}, ${textArray(permissions)}, ${ctx.actor.id})
      on conflict (tenant_id, key) do nothing
      returning ${ROLE_COLUMNS}`),
  );
  if (!row)
    throw new AppError('conflict', `A role with the key "${input.key}" already exists.`, [
      { in: 'body', pointer: '/key', detail: 'is already used by another role' },
    ]);
  const view = customView(row);
  await audit(ctx, {
    action: 'access.role.create',
    resource: { type: 'role', id },
    changes: changesOf(null, {
      key: view.key,
      name: view.name,
      audience: view.audience,
      account_id: view.account_id,
      permissions: view.permissions,
    }),
  });
  return view;
}

/** Users holding a role now (active, unexpired assignments). */
async function holdersOf(ctx: Ctx, key: string): Promise<string[]> {
  const now = identityClock.now().toISOString();
  return rows<{ user_id: string }>(
    await ctx.tx.execute(sql`
      select distinct user_id from role_assignments
       where tenant_id = ${ctx.tenantId} and role_key = ${key} and revoked_at is null
         and (expires_at is null or expires_at > ${now})`),
  ).map((r) => r.user_id);
}

export async function updateRole(
  ctx: Ctx,
  id: string,
  patch: { name?: string; description?: string | null; permissions?: string[] },
  catalogue: Catalogue,
): Promise<RoleView> {
  const before = customView(await customRole(ctx, id));
  let permissions = before.permissions;
  if (patch.permissions) {
    permissions = [...new Set(patch.permissions)].sort();
    checkPermissionNames(patch.permissions, catalogue, '/permissions', false);
    const added = permissions.filter((p) => !before.permissions.includes(p));
    refuseEscalation(ctx, added, '/permissions', patch.permissions);
    // A role change is an assignment change for everyone who holds it: SoD applies to each of them.
    const holders = await holdersOf(ctx, before.key);
    for (const userId of holders) {
      const others = await permissionsWithout(ctx, userId, before.key);
      await refuseConflicts(ctx, userId, others, permissions, '/permissions');
    }
  }
  const [row] = rows<RoleRow>(
    await ctx.tx.execute(sql`
      update access_roles set name = ${patch.name ?? before.name},
             description = ${patch.description === undefined ? before.description : patch.description},
             permissions = ${textArray(permissions)}, updated_at = now()
       where tenant_id = ${ctx.tenantId} and id = ${id}
   returning ${ROLE_COLUMNS}`),
  );
  const after = customView(row!);
  await audit(ctx, {
    action: 'access.role.update',
    resource: { type: 'role', id },
    changes: changesOf(
      { name: before.name, description: before.description, permissions: before.permissions },
      { name: after.name, description: after.description, permissions: after.permissions },
    ),
  });
  const gained = after.permissions.filter(
    (p) => !before.permissions.includes(p) && isAdministrativePermission(p),
  );
  if (gained.length) {
    for (const userId of await holdersOf(ctx, after.key)) {
      await elevate(ctx, {
        userId,
        role: after.key,
        administrative: gained,
        assignmentId: null,
        expiresAt: null,
      });
    }
  }
  return after;
}

export async function deleteRole(ctx: Ctx, id: string): Promise<void> {
  const before = customView(await customRole(ctx, id));
  const holders = await holdersOf(ctx, before.key);
  if (holders.length)
    throw conflict(
      `The role "${before.key}" is assigned to ${holders.length} user(s): revoke the assignments first.`,
    );
  await ctx.tx.execute(sql`delete from access_roles where tenant_id = ${ctx.tenantId} and id = ${id}`);
  await audit(ctx, {
    action: 'access.role.delete',
    resource: { type: 'role', id },
    changes: changesOf({ key: before.key, permissions: before.permissions }, null),
  });
}

// ---------------------------------------------------------------- separation of duties

export async function sodRules(ctx: Ctx): Promise<{ rules: SodRule[]; is_default: boolean }> {
  const [row] = rows<{ rules: SodRule[] | string }>(
    await ctx.tx.execute(sql`select rules from sod_settings where tenant_id = ${ctx.tenantId}`),
  );
  if (!row) return { rules: DEFAULT_SOD_RULES.map((r) => ({ ...r })), is_default: true };
  return { rules: typeof row.rules === 'string' ? JSON.parse(row.rules) : row.rules, is_default: false };
}

export async function replaceSodRules(
  ctx: Ctx,
  rules: SodRule[],
): Promise<{ rules: SodRule[]; is_default: boolean }> {
  const errors: FieldError[] = [];
  rules.forEach((r, i) => {
    if (r.permissions[0] === r.permissions[1])
      errors.push({
        in: 'body',
        pointer: `/rules/${i}/permissions`,
        detail: 'must name two different permissions',
      });
  });
  if (errors.length)
    throw new AppError(
      'validation-error',
      `rules/${errors[0]!.pointer.split('/')[2]} names the same permission twice`,
      errors,
    );
  const before = await sodRules(ctx);
  const clean = rules.map((r) => ({
    permissions: [...r.permissions].sort() as [string, string],
    ...(r.description ? { description: r.description } : {}),
  }));
  await ctx.tx.execute(sql`
    insert into sod_settings (tenant_id, rules, updated_by, updated_at)
    values (${ctx.tenantId}, ${JSON.stringify(clean)}::jsonb, ${ctx.actor.id}, now())
    on conflict (tenant_id) do update set rules = excluded.rules, updated_by = excluded.updated_by, updated_at = now()`);
  await audit(ctx, {
    action: 'access.sod_rules.update',
    resource: { type: 'sod_rules', id: ctx.tenantId },
    changes: changesOf({ rules: before.rules }, { rules: clean }),
  });
  return { rules: clean, is_default: false };
}

interface ExceptionRow {
  id: string;
  user_id: string;
  permissions: string[] | string;
  justification: string;
  expires_at: string | Date;
  status: 'pending' | 'approved' | 'revoked';
  requested_by: string;
  approved_by: string | null;
  approved_at: string | Date | null;
  created_at: string | Date;
}

export interface SodExceptionView {
  id: string;
  user_id: string;
  permissions: string[];
  justification: string;
  expires_at: string;
  status: 'pending' | 'approved' | 'revoked' | 'expired';
  requested_by: string;
  approved_by: string | null;
  approved_at: string | null;
  created_at: string;
}

const exceptionView = (r: ExceptionRow): SodExceptionView => ({
  id: r.id,
  user_id: r.user_id,
  permissions: parseTextArray(r.permissions),
  justification: r.justification,
  expires_at: iso(r.expires_at)!,
  status:
    r.status !== 'revoked' && new Date(r.expires_at).getTime() <= identityClock.now().getTime()
      ? 'expired'
      : r.status,
  requested_by: r.requested_by,
  approved_by: r.approved_by,
  approved_at: iso(r.approved_at),
  created_at: iso(r.created_at)!,
});

const EXCEPTION_COLUMNS = sql`id, user_id, permissions, justification, expires_at, status, requested_by, approved_by,
                              approved_at, created_at`;

/** The longest an SoD exception may last. */
export const MAX_EXCEPTION_DAYS = 90;

export async function requestSodException(
  ctx: Ctx,
  input: { user_id: string; permissions: string[]; justification: string; expires_at: string },
): Promise<SodExceptionView> {
  await userOf(ctx, input.user_id);
  const now = identityClock.now().getTime();
  const expires = new Date(input.expires_at).getTime();
  if (expires <= now || expires > now + MAX_EXCEPTION_DAYS * 86_400_000)
    throw new AppError(
      'validation-error',
      `expires_at must be in the future and within ${MAX_EXCEPTION_DAYS} days`,
      [
        {
          in: 'body',
          pointer: '/expires_at',
          detail: `must be in the future and within ${MAX_EXCEPTION_DAYS} days`,
        },
      ],
    );
  const pair = [...new Set(input.permissions)].sort();
  if (pair.length !== 2)
    throw new AppError('validation-error', 'permissions must name two different permissions', [
      { in: 'body', pointer: '/permissions', detail: 'must name two different permissions' },
    ]);
  const { rules } = await sodRules(ctx);
  if (!rules.some((r) => [...r.permissions].sort().join() === pair.join()))
    throw new AppError('validation-error', 'permissions is not a conflicting pair of this tenant’s rules', [
      {
        in: 'body',
        pointer: '/permissions',
        detail: 'is not a conflicting pair of the separation-of-duties rules',
      },
    ]);
  const id = newId('sodx');
  const [row] = rows<ExceptionRow>(
    await ctx.tx.execute(sql`
      insert into sod_exceptions (tenant_id, id, user_id, permissions, justification, expires_at, requested_by)
      values (${ctx.tenantId}, ${id}, ${input.user_id}, ${textArray(pair)}, ${input.justification},
              ${new Date(expires).toISOString()}, ${personOf(ctx)})
      returning ${EXCEPTION_COLUMNS}`),
  );
  await audit(ctx, {
    action: 'access.sod_exception.create',
    resource: { type: 'sod_exception', id },
    reason: input.justification.slice(0, 500),
    changes: changesOf(null, {
      user_id: input.user_id,
      permissions: pair,
      expires_at: new Date(expires).toISOString(),
      status: 'pending',
    }),
  });
  return exceptionView(row!);
}

/** Approves an exception: never by the person who requested it (four-eyes). */
export async function approveSodException(ctx: Ctx, id: string): Promise<SodExceptionView> {
  const [row] = rows<ExceptionRow>(
    await ctx.tx.execute(sql`select ${EXCEPTION_COLUMNS} from sod_exceptions
                              where tenant_id = ${ctx.tenantId} and id = ${id} for update`),
  );
  if (!row) throw notFound(`Exception ${id}`);
  assertNotInitiator(ctx, row.requested_by);
  const view = exceptionView(row);
  if (view.status !== 'pending')
    throw new AppError('business-rule-violation', `This exception is ${view.status}, not pending.`);
  const now = identityClock.now().toISOString();
  const [updated] = rows<ExceptionRow>(
    await ctx.tx.execute(sql`update sod_exceptions set status = 'approved', approved_by = ${personOf(ctx)}, approved_at = ${now}
                              where tenant_id = ${ctx.tenantId} and id = ${id} returning ${EXCEPTION_COLUMNS}`),
  );
  await audit(ctx, {
    action: 'access.sod_exception.approve',
    resource: { type: 'sod_exception', id },
    changes: changesOf({ status: 'pending' }, { status: 'approved' }),
    metadata: { user_id: row.user_id, permissions: view.permissions, requested_by: row.requested_by },
  });
  return exceptionView(updated!);
}

export async function listSodExceptions(ctx: Ctx): Promise<SodExceptionView[]> {
  return rows<ExceptionRow>(
    await ctx.tx.execute(sql`select ${EXCEPTION_COLUMNS} from sod_exceptions
                              where tenant_id = ${ctx.tenantId} order by id`),
  ).map(exceptionView);
}

/** An approved, unexpired exception of `userId` covering `pair`. */
async function exceptionFor(
  ctx: Ctx,
  userId: string,
  pair: string[],
): Promise<{ id: string; expires_at: Date } | null> {
  const sorted = [...pair].sort();
  const list = rows<ExceptionRow>(
    await ctx.tx.execute(sql`select ${EXCEPTION_COLUMNS} from sod_exceptions
                              where tenant_id = ${ctx.tenantId} and user_id = ${userId} and status = 'approved'
                                and expires_at > ${identityClock.now().toISOString()}
                              order by expires_at desc`),
  );
  const hit = list.find((r) => parseTextArray(r.permissions).sort().join() === sorted.join());
  return hit ? { id: hit.id, expires_at: new Date(hit.expires_at) } : null;
}

/** The permissions a user holds through every active assignment except those of `roleKey`. */
async function permissionsWithout(ctx: Ctx, userId: string, roleKey: string | null): Promise<Set<string>> {
  const now = identityClock.now().toISOString();
  const list = rows<{ role_key: string; permissions: string[] | string | null }>(
    await ctx.tx.execute(sql`
      select a.role_key, r.permissions from role_assignments a
        left join access_roles r on r.tenant_id = a.tenant_id and r.key = a.role_key
       where a.tenant_id = ${ctx.tenantId} and a.user_id = ${userId} and a.revoked_at is null
         and (a.expires_at is null or a.expires_at > ${now})
         ${roleKey ? sql`and a.role_key <> ${roleKey}` : sql``}`),
  );
  const out = new Set<string>();
  for (const a of list)
    for (const p of predefinedPermissions(a.role_key) ?? parseTextArray(a.permissions ?? [])) out.add(p);
  return out;
}

/**
 * Refuses (409 `sod-conflict`, naming the permissions) when `held` + `adding` breaks a rule that no
 * approved exception of the user covers. Returns the exceptions used (the assignment ends with them).
 */
async function refuseConflicts(
  ctx: Ctx,
  userId: string,
  held: ReadonlySet<string>,
  adding: string[],
  pointer: string,
): Promise<{ id: string; expires_at: Date }[]> {
  const { rules } = await sodRules(ctx);
  const found = conflictsOf(rules, expandPermissions([...held, ...adding]), adding);
  const used: { id: string; expires_at: Date }[] = [];
  const open: string[][] = [];
  for (const pair of found) {
    const ex = await exceptionFor(ctx, userId, pair);
    if (ex) used.push(ex);
    else open.push(pair);
  }
  if (open.length) {
    const names = open.map((p) => `${p[0]} and ${p[1]}`).join('; ');
    throw new AppError(
      'sod-conflict',
      `Separation of duties: user ${userId} would hold ${names}. Record an exception (POST /api/v1/sod-exceptions, approved by someone else) to allow it for a limited time.`,
      open.map((p) => ({ in: 'body' as const, pointer, detail: `would give ${p[0]} together with ${p[1]}` })),
    );
  }
  return used;
}

// ---------------------------------------------------------------- assignments

interface UserRow {
  id: string;
  email: string;
  kind: 'staff' | 'buyer';
  account_id: string | null;
  status: string;
}

async function userOf(ctx: Ctx, userId: string): Promise<UserRow> {
  const [u] = rows<UserRow>(
    await ctx.tx.execute(sql`select id, email, kind, account_id, status from users
                              where tenant_id = ${ctx.tenantId} and id = ${userId}`),
  );
  if (!u) throw notFound(`User ${userId}`);
  return u;
}

export interface AssignmentView {
  id: string;
  user_id: string;
  role: string;
  scope: AccessScope | null;
  expires_at: string | null;
  status: 'active' | 'expired' | 'revoked';
  granted_by: string | null;
  sod_exception_id: string | null;
  created_at: string;
  revoked_at: string | null;
}

interface AssignmentRow {
  id: string;
  user_id: string;
  role_key: string;
  scope_type: 'storefront' | 'account' | null;
  scope_id: string | null;
  expires_at: string | Date | null;
  granted_by: string | null;
  sod_exception_id: string | null;
  created_at: string | Date;
  revoked_at: string | Date | null;
  revoked_reason: string | null;
}

const ASSIGNMENT_COLUMNS = sql`id, user_id, role_key, scope_type, scope_id, expires_at, granted_by, sod_exception_id,
                               created_at, revoked_at, revoked_reason`;

const assignmentView = (r: AssignmentRow): AssignmentView => {
  const expired =
    r.revoked_reason === 'expired' ||
    (r.revoked_at === null && r.expires_at !== null && new Date(r.expires_at) <= identityClock.now());
  return {
    id: r.id,
    user_id: r.user_id,
    role: r.role_key,
    scope: r.scope_type && r.scope_id ? { type: r.scope_type, id: r.scope_id } : null,
    expires_at: iso(r.expires_at),
    status: expired ? 'expired' : r.revoked_at ? 'revoked' : 'active',
    granted_by: r.granted_by,
    sod_exception_id: r.sod_exception_id,
    created_at: iso(r.created_at)!,
    revoked_at: iso(r.revoked_at),
  };
};

export interface NewAssignment {
  role: string;
  scope?: AccessScope;
  expires_at?: string;
}

/**
 * Assigns a role to a user of the tenant. Checks, in order: the user and role exist; the role's
 * audience matches the user (staff roles to staff, customer roles to buyers, always within the
 * buyer's company); the caller holds every permission the role grants; the expiry is in the future;
 * separation of duties (owner excepted). Administrative roles raise an elevation alert.
 */
export async function assignRole(ctx: Ctx, userId: string, input: NewAssignment): Promise<AssignmentView> {
  const user = await userOf(ctx, userId);
  const role = await roleByKey(ctx, input.role);
  if (!role)
    throw new AppError('validation-error', 'role is not a role of this tenant', [
      { in: 'body', pointer: '/role', detail: 'is not a predefined role nor a custom role of this tenant' },
    ]);
  const wants = user.kind === 'buyer' ? 'customer' : 'staff';
  if (role.audience !== wants)
    throw new AppError(
      'business-rule-violation',
      `The role ${role.key} is for ${role.audience === 'staff' ? 'staff users' : 'buyers'}.`,
      [{ in: 'body', pointer: '/role', detail: `is a ${role.audience} role; this user is ${user.kind}` }],
    );
  if (role.account_id && role.account_id !== user.account_id)
    throw new AppError(
      'business-rule-violation',
      `The role ${role.key} belongs to another customer company.`,
      [{ in: 'body', pointer: '/role', detail: "is a role of another company than the buyer's" }],
    );
  let scope = input.scope ?? null;
  if (role.audience === 'customer') {
    // A buyer's role is limited to the buyer's own company, whatever the request says.
    if (!user.account_id)
      throw new AppError('business-rule-violation', 'This buyer belongs to no customer account yet.', [
        { in: 'body', pointer: '/role', detail: 'needs the buyer to belong to a customer account' },
      ]);
    if (scope && (scope.type !== 'account' || scope.id !== user.account_id))
      throw new AppError('business-rule-violation', "A buyer's role is limited to the buyer's own company.", [
        { in: 'body', pointer: '/scope', detail: "must be the buyer's own customer account (or omitted)" },
      ]);
    scope = { type: 'account', id: user.account_id };
  } else if (scope?.type === 'account') {
    const [acct] = rows(
      await ctx.tx.execute(
        sql`select 1 from accounts where tenant_id = ${ctx.tenantId} and id = ${scope.id}`,
      ),
    );
    if (!acct)
      throw new AppError('validation-error', 'scope/id is not a customer account of this tenant', [
        { in: 'body', pointer: '/scope/id', detail: 'is not a customer account of this tenant' },
      ]);
  }
  let expiresAt = input.expires_at ? new Date(input.expires_at) : null;
  if (expiresAt && expiresAt.getTime() <= identityClock.now().getTime())
    throw new AppError('validation-error', 'expires_at must be in the future', [
      { in: 'body', pointer: '/expires_at', detail: 'must be in the future' },
    ]);
  refuseEscalation(ctx, role.permissions, '/role', []);
  let exceptionId: string | null = null;
  if (role.key !== 'owner') {
    const held = await permissionsWithout(ctx, userId, null);
    const used = await refuseConflicts(ctx, userId, held, role.permissions, '/role');
    // An exception is time-limited: so is the assignment it allows.
    for (const ex of used) {
      if (!expiresAt || ex.expires_at < expiresAt) expiresAt = ex.expires_at;
      exceptionId ??= ex.id;
    }
  }
  const id = newId('rasg');
  const [row] = rows<AssignmentRow>(
    await ctx.tx.execute(sql`
      insert into role_assignments (tenant_id, id, user_id, role_key, scope_type, scope_id, expires_at, granted_by, sod_exception_id, created_at)
      values (${ctx.tenantId}, ${id}, ${userId}, ${role.key}, ${scope?.type ?? null}, ${scope?.id ?? null},
              ${expiresAt?.toISOString() ?? null}, ${ctx.actor.id}, ${exceptionId}, ${identityClock.now().toISOString()})
      returning ${ASSIGNMENT_COLUMNS}`),
  );
  await audit(ctx, {
    action: 'access.role_assignment.create',
    resource: { type: 'role_assignment', id },
    changes: changesOf(null, {
      user_id: userId,
      role: role.key,
      scope,
      expires_at: expiresAt?.toISOString() ?? null,
      sod_exception_id: exceptionId,
    }),
    metadata: { permissions: role.permissions },
  });
  const admin = role.permissions.filter(isAdministrativePermission);
  if (admin.length)
    await elevate(ctx, {
      userId,
      role: role.key,
      administrative: admin,
      assignmentId: id,
      expiresAt: expiresAt?.toISOString() ?? null,
    });
  return assignmentView(row!);
}

/** The owner role of the tenant's creator (tenant creation, in its transaction). Not an elevation: nobody else exists yet. */
export async function grantInitialOwner(ctx: Ctx, userId: string, reason = 'tenant creator'): Promise<void> {
  const id = newId('rasg');
  await ctx.tx.execute(sql`
    insert into role_assignments (tenant_id, id, user_id, role_key, granted_by)
    values (${ctx.tenantId}, ${id}, ${userId}, 'owner', ${ctx.actor.id})`);
  await audit(ctx, {
    action: 'access.role_assignment.create',
    resource: { type: 'role_assignment', id },
    changes: changesOf(null, { user_id: userId, role: 'owner', scope: null, expires_at: null }),
    reason,
  });
}

export async function listAssignments(
  ctx: Ctx,
  userId: string,
  includeInactive: boolean,
): Promise<AssignmentView[]> {
  await userOf(ctx, userId);
  const list = rows<AssignmentRow>(
    await ctx.tx.execute(sql`select ${ASSIGNMENT_COLUMNS} from role_assignments
                              where tenant_id = ${ctx.tenantId} and user_id = ${userId} order by id`),
  ).map(assignmentView);
  return includeInactive ? list : list.filter((a) => a.status === 'active');
}

export async function revokeAssignment(ctx: Ctx, userId: string, assignmentId: string): Promise<void> {
  const [row] = rows<AssignmentRow>(
    await ctx.tx.execute(sql`select ${ASSIGNMENT_COLUMNS} from role_assignments
                              where tenant_id = ${ctx.tenantId} and user_id = ${userId} and id = ${assignmentId}
                              for update`),
  );
  if (!row) throw notFound(`Role assignment ${assignmentId}`);
  const view = assignmentView(row);
  if (view.status !== 'active') throw conflict(`This assignment is already ${view.status}.`);
  if (row.role_key === 'owner') {
    const owners = await holdersOf(ctx, 'owner');
    if (owners.length <= 1 && owners[0] === userId)
      throw conflict('This is the last owner of the tenant: assign the owner role to someone else first.');
  }
  const now = identityClock.now().toISOString();
  await ctx.tx.execute(sql`update role_assignments set revoked_at = ${now}, revoked_by = ${ctx.actor.id}, revoked_reason = 'revoked'
                            where tenant_id = ${ctx.tenantId} and id = ${assignmentId}`);
  await audit(ctx, {
    action: 'access.role_assignment.revoke',
    resource: { type: 'role_assignment', id: assignmentId },
    changes: changesOf({ status: 'active' }, { status: 'revoked' }),
    metadata: { user_id: userId, role: row.role_key },
  });
}

// ---------------------------------------------------------------- elevation alerts

export async function securityContacts(ctx: Ctx): Promise<{ emails: string[]; fallback_to_owners: boolean }> {
  const list = rows<{ email: string }>(
    await ctx.tx.execute(
      sql`select email from security_contacts where tenant_id = ${ctx.tenantId} order by email_normalized`,
    ),
  );
  return { emails: list.map((r) => r.email), fallback_to_owners: list.length === 0 };
}

export async function replaceSecurityContacts(ctx: Ctx, emails: string[]) {
  const before = await securityContacts(ctx);
  const unique = new Map(emails.map((e) => [e.trim().toLowerCase(), e.trim()]));
  await ctx.tx.execute(sql`delete from security_contacts where tenant_id = ${ctx.tenantId}`);
  for (const [norm, email] of unique)
    await ctx.tx.execute(sql`insert into security_contacts (tenant_id, email_normalized, email, added_by)
                              values (${ctx.tenantId}, ${norm}, ${email}, ${ctx.actor.id})`);
  await audit(ctx, {
    action: 'access.security_contacts.update',
    resource: { type: 'security_contacts', id: ctx.tenantId },
    changes: changesOf({ emails: before.emails }, { emails: [...unique.values()] }),
    metadata: { count: unique.size },
  });
  return securityContacts(ctx);
}

/** Where elevation alerts go: the security contacts, or else the tenant's active owners. */
export async function alertRecipients(ctx: Ctx): Promise<string[]> {
  const { emails } = await securityContacts(ctx);
  if (emails.length) return emails;
  const now = identityClock.now().toISOString();
  return rows<{ email: string }>(
    await ctx.tx.execute(sql`
      select distinct u.email from role_assignments a join users u on u.tenant_id = a.tenant_id and u.id = a.user_id
       where a.tenant_id = ${ctx.tenantId} and a.role_key = 'owner' and a.revoked_at is null
         and (a.expires_at is null or a.expires_at > ${now}) and u.status = 'active'`),
  ).map((r) => r.email);
}

/**
 * Someone gained administrative permissions: a domain event (webhooks later) and a mail to each
 * security contact, both written in this transaction — they exist if and only if the grant commits,
 * and the outbox dispatcher and mail sender deliver them right after the commit. Audited with who,
 * whom, what and when.
 */
async function elevate(
  ctx: Ctx,
  e: {
    userId: string;
    role: string;
    administrative: string[];
    assignmentId: string | null;
    expiresAt: string | null;
  },
): Promise<void> {
  const occurredAt = identityClock.now().toISOString();
  const payload = {
    user_id: e.userId,
    role: e.role,
    administrative_permissions: e.administrative,
    granted_by: ctx.actor.id,
    assignment_id: e.assignmentId,
    expires_at: e.expiresAt,
    occurred_at: occurredAt,
  };
  await publish(ctx, 'access.privilege.elevated', payload);
  await audit(ctx, {
    action: 'access.privilege.elevate',
    resource: { type: 'user', id: e.userId },
    metadata: { ...payload, granted_by_name: ctx.actor.displayName },
  });
  const [whom] = rows<{ display_name: string; email: string }>(
    await ctx.tx.execute(
      sql`select display_name, email from users where tenant_id = ${ctx.tenantId} and id = ${e.userId}`,
    ),
  );
  const [tenant] = rows<{ name: string }>(
    await ctx.tx.execute(sql`select name from tenants where id = ${ctx.tenantId}`),
  );
  for (const to of await alertRecipients(ctx)) {
    await enqueueMail(ctx, {
      template: 'access.privilege_elevated',
      to,
      subject: `${tenant?.name ?? 'Comptoir'}: ${whom?.display_name ?? e.userId} gained administrative rights`,
      text: [
        'Hello,',
        '',
        `${ctx.actor.displayName} (${ctx.actor.id}) gave ${whom?.display_name ?? ''} <${whom?.email ?? ''}> (${e.userId})`,
        `the role "${e.role}" at ${occurredAt}${e.expiresAt ? `, until ${e.expiresAt}` : ''}.`,
        `Administrative permissions gained: ${e.administrative.join(', ')}.`,
        '',
        'If this was not expected, revoke the assignment and check the audit trail.',
      ].join('\n'),
    });
  }
}

// ---------------------------------------------------------------- access review

export interface AccessReviewRow {
  user_id: string;
  email: string;
  display_name: string;
  kind: 'staff' | 'buyer';
  status: string;
  account_id: string | null;
  roles: { role: string; scope: AccessScope | null; expires_at: string | null; granted_by: string | null }[];
  effective_permissions: string[];
  last_login_at: string | null;
  mfa: { enabled: boolean; methods: string[] };
  /** Single sign-on is not available yet: always `not_configured`. */
  sso: 'not_configured';
  api_tokens: {
    id: string;
    name: string;
    scopes: string[];
    expires_at: string | null;
    last_used_at: string | null;
  }[];
}

/** Who can do what: every user, their roles and scopes, effective permissions, MFA and API tokens. */
export async function accessReview(ctx: Ctx, format: 'json' | 'csv'): Promise<AccessReviewRow[]> {
  await requireRecentSecondFactor(ctx);
  const now = identityClock.now().toISOString();
  const users = rows<UserRow & { display_name: string; last_login_at: string | Date | null }>(
    await ctx.tx.execute(sql`select id, email, display_name, kind, account_id, status, last_login_at from users
                              where tenant_id = ${ctx.tenantId} order by id`),
  );
  const assignments = rows<AssignmentRow>(
    await ctx.tx.execute(sql`select ${ASSIGNMENT_COLUMNS} from role_assignments
                              where tenant_id = ${ctx.tenantId} and revoked_at is null
                                and (expires_at is null or expires_at > ${now}) order by id`),
  );
  const totp = new Set(
    rows<{ user_id: string }>(
      await ctx.tx.execute(
        sql`select user_id from mfa_totp where tenant_id = ${ctx.tenantId} and status = 'active'`,
      ),
    ).map((r) => r.user_id),
  );
  const webauthn = new Set(
    rows<{ user_id: string }>(
      await ctx.tx.execute(
        sql`select distinct user_id from webauthn_credentials where tenant_id = ${ctx.tenantId}`,
      ),
    ).map((r) => r.user_id),
  );
  const tokens = rows<{
    id: string;
    user_id: string;
    name: string;
    scopes: string[] | string;
    expires_at: string | Date | null;
    last_used_at: string | Date | null;
  }>(
    await ctx.tx.execute(sql`select id, user_id, name, scopes, expires_at, last_used_at from api_tokens
                              where tenant_id = ${ctx.tenantId} and user_id is not null and revoked_at is null
                                and (expires_at is null or expires_at > ${now}) order by id`),
  );
  const out: AccessReviewRow[] = [];
  for (const u of users) {
    const grants = await grantsOfUser(ctx.tx, ctx.tenantId, u.id);
    const methods = [...(totp.has(u.id) ? ['totp'] : []), ...(webauthn.has(u.id) ? ['webauthn'] : [])];
    out.push({
      user_id: u.id,
      email: u.email,
      display_name: u.display_name,
      kind: u.kind,
      status: u.status,
      account_id: u.account_id,
      roles: assignments
        .filter((a) => a.user_id === u.id)
        .map((a) => ({
          role: a.role_key,
          scope: a.scope_type && a.scope_id ? { type: a.scope_type, id: a.scope_id } : null,
          expires_at: iso(a.expires_at),
          granted_by: a.granted_by,
        })),
      effective_permissions: u.status === 'active' ? expandPermissions(grants.permissions) : [],
      last_login_at: iso(u.last_login_at),
      mfa: { enabled: methods.length > 0, methods },
      sso: 'not_configured',
      api_tokens: tokens
        .filter((t) => t.user_id === u.id)
        .map((t) => ({
          id: t.id,
          name: t.name,
          scopes: parseTextArray(t.scopes),
          expires_at: iso(t.expires_at),
          last_used_at: iso(t.last_used_at),
        })),
    });
  }
  await audit(ctx, {
    action: 'access.access_review.export',
    resource: { type: 'access_review', id: null },
    metadata: { format, users: out.length },
  });
  return out;
}

/** A spreadsheet cell: quoted, and a leading = + - @ neutralised (CSV injection). */
function cell(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return `"${safe.replace(/"/g, '""')}"`;
}

export const ACCESS_REVIEW_COLUMNS = [
  'user_id',
  'email',
  'display_name',
  'kind',
  'status',
  'account_id',
  'roles',
  'effective_permissions',
  'last_login_at',
  'mfa_enabled',
  'mfa_methods',
  'sso',
  'api_tokens',
] as const;

/** One line per user; lists inside a cell are separated by `|`, a role's scope follows `@`. */
export function accessReviewCsv(list: AccessReviewRow[]): string {
  const lines = [ACCESS_REVIEW_COLUMNS.join(',')];
  for (const r of list) {
    lines.push(
      [
        r.user_id,
        r.email,
        r.display_name,
        r.kind,
        r.status,
        r.account_id ?? '',
        r.roles
          .map(
            (x) =>
              `${x.role}${x.scope ? `@${x.scope.type}:${x.scope.id}` : ''}${x.expires_at ? ` until ${x.expires_at}` : ''}`,
          )
          .join('|'),
        r.effective_permissions.join('|'),
        r.last_login_at ?? '',
        String(r.mfa.enabled),
        r.mfa.methods.join('|'),
        r.sso,
        r.api_tokens.map((t) => `${t.name} [${t.scopes.join(' ')}]`).join('|'),
      ]
        .map(cell)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
