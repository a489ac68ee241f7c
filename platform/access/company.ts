import { sql } from 'drizzle-orm';
import { audit, changesOf } from '../audit/record.ts';
import type { Ctx } from '../context.ts';
import { rows } from '../db/database.ts';
import { AppError, type FieldError, notFound } from '../http/problems.ts';
import { type Catalogue, checkPermissionNames, textArray } from '../identity/api-tokens.ts';
import { parseTextArray } from '../identity/authenticate.ts';
import { isAdministrativePermission, PREDEFINED_ROLES, predefinedPermissions } from './roles.ts';
import {
  type AssignmentView,
  assignRole,
  createRole,
  listAssignments,
  listRoles,
  type NewRole,
  type RoleView,
  revokeAssignment,
  roleByKey,
} from './service.ts';

/**
 * Customer companies' own roles. A company admin (a buyer holding `customers.role.write`) builds
 * custom roles for their company only, from the permissions the tenant allows customer-side roles
 * (the customer role policy; by default the permissions of the predefined customer roles), and
 * gives roles to the users of their company only. Everything else — SoD, "nobody grants what they
 * do not hold", audit — is the staff path's (service.ts).
 */

export interface CustomerRolePolicy {
  permissions: string[];
  is_default: boolean;
}

/** The permissions of the predefined customer roles, against the installed catalogue. */
function defaultCustomerPermissions(): string[] {
  const out = new Set<string>();
  for (const r of PREDEFINED_ROLES.filter((x) => x.audience === 'customer'))
    for (const p of predefinedPermissions(r.key) ?? []) out.add(p);
  return [...out].sort();
}

export async function customerRolePolicy(ctx: Ctx): Promise<CustomerRolePolicy> {
  const [row] = rows<{ permissions: string[] | string }>(
    await ctx.tx.execute(
      sql`select permissions from customer_role_policies where tenant_id = ${ctx.tenantId}`,
    ),
  );
  if (!row) return { permissions: defaultCustomerPermissions(), is_default: true };
  return { permissions: parseTextArray(row.permissions).sort(), is_default: false };
}

/** Sets what company admins may put in their roles: catalogue permissions, never administrative ones. */
export async function replaceCustomerRolePolicy(
  ctx: Ctx,
  permissions: string[],
  catalogue: Catalogue,
): Promise<CustomerRolePolicy> {
  checkPermissionNames(permissions, catalogue, '/permissions', false);
  const errors: FieldError[] = permissions.flatMap((p, i) =>
    isAdministrativePermission(p)
      ? [{ in: 'body' as const, pointer: `/permissions/${i}`, detail: 'is an administrative permission' }]
      : [],
  );
  if (errors.length)
    throw new AppError(
      'business-rule-violation',
      'Customer companies cannot be given administrative permissions.',
      errors,
    );
  const before = await customerRolePolicy(ctx);
  const clean = [...new Set(permissions)].sort();
  await ctx.tx.execute(sql`
    insert into customer_role_policies (tenant_id, permissions, updated_by, updated_at)
    values (${ctx.tenantId}, ${textArray(clean)}, ${ctx.actor.id}, now())
    on conflict (tenant_id) do update set permissions = excluded.permissions, updated_by = excluded.updated_by,
                                          updated_at = now()`);
  await audit(ctx, {
    action: 'access.customer_role_policy.update',
    resource: { type: 'customer_role_policy', id: ctx.tenantId },
    changes: changesOf({ permissions: before.permissions }, { permissions: clean }),
  });
  return { permissions: clean, is_default: false };
}

/** The caller's customer company: company routes are for buyers of a company only. */
async function companyOf(ctx: Ctx): Promise<string> {
  const userId = ctx.actor.userId;
  const [u] = userId
    ? rows<{ kind: string; account_id: string | null }>(
        await ctx.tx.execute(
          sql`select kind, account_id from users where tenant_id = ${ctx.tenantId} and id = ${userId}`,
        ),
      )
    : [];
  if (u?.kind !== 'buyer' || !u.account_id)
    throw new AppError(
      'business-rule-violation',
      "These endpoints are for a customer company's users; the merchant's staff use /api/v1/roles.",
    );
  return u.account_id;
}

export async function listCompanyRoles(
  ctx: Ctx,
): Promise<{ account_id: string; allowed_permissions: string[]; data: RoleView[] }> {
  const accountId = await companyOf(ctx);
  const roles = (await listRoles(ctx)).filter(
    (r) => r.audience === 'customer' && (r.predefined || r.account_id === accountId),
  );
  return {
    account_id: accountId,
    allowed_permissions: (await customerRolePolicy(ctx)).permissions,
    data: roles,
  };
}

export async function createCompanyRole(
  ctx: Ctx,
  input: Omit<NewRole, 'audience'>,
  catalogue: Catalogue,
): Promise<RoleView> {
  const accountId = await companyOf(ctx);
  checkPermissionNames(input.permissions, catalogue, '/permissions', false);
  const allowed = new Set((await customerRolePolicy(ctx)).permissions);
  const errors: FieldError[] = input.permissions.flatMap((p, i) =>
    allowed.has(p)
      ? []
      : [
          {
            in: 'body' as const,
            pointer: `/permissions/${i}`,
            detail: "is not a permission this shop allows in its customers' roles",
          },
        ],
  );
  if (errors.length)
    throw new AppError(
      'forbidden',
      `Your company's roles may only hold the permissions the shop allows: not ${errors
        .map((e) => input.permissions[Number(e.pointer.split('/')[2])])
        .join(', ')}.`,
      errors,
    );
  return createRole(ctx, { ...input, audience: 'customer' }, catalogue, accountId);
}

/** Gives a role to a user of the caller's own company; another company's user is a 404. */
export async function assignCompanyRole(
  ctx: Ctx,
  userId: string,
  input: { role: string; expires_at?: string },
): Promise<AssignmentView> {
  // An unknown user is a 404 whoever asks; then only the caller's own company's buyers exist for them.
  const accountId = await companyUser(ctx, userId);
  const role = await roleByKey(ctx, input.role);
  if (role?.audience !== 'customer' || (!role.predefined && role.account_id !== accountId))
    throw new AppError('validation-error', 'role is not a role of your company', [
      {
        in: 'body',
        pointer: '/role',
        detail: "is neither a predefined customer role nor one of your company's roles",
      },
    ]);
  return assignRole(ctx, userId, {
    role: input.role,
    scope: { type: 'account', id: accountId },
    ...(input.expires_at ? { expires_at: input.expires_at } : {}),
  });
}

/** A user of the caller's own company (404 otherwise, like an ID that never existed). */
async function companyUser(ctx: Ctx, userId: string): Promise<string> {
  const [user] = rows<{ kind: string; account_id: string | null }>(
    await ctx.tx.execute(
      sql`select kind, account_id from users where tenant_id = ${ctx.tenantId} and id = ${userId}`,
    ),
  );
  if (!user) throw notFound(`User ${userId}`);
  const accountId = await companyOf(ctx);
  if (user.kind !== 'buyer' || user.account_id !== accountId) throw notFound(`User ${userId}`);
  return accountId;
}

export async function listCompanyAssignments(ctx: Ctx, userId: string): Promise<AssignmentView[]> {
  await companyUser(ctx, userId);
  return listAssignments(ctx, userId, false);
}

export async function revokeCompanyAssignment(ctx: Ctx, userId: string, assignmentId: string): Promise<void> {
  await companyUser(ctx, userId);
  await revokeAssignment(ctx, userId, assignmentId);
}
