import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assignRole, createRole } from '../platform/access/service.ts';
import { runAsTenant } from '../platform/context.ts';
import { createApiToken, createUser } from '../platform/identity/users.ts';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from './harness.ts';

/**
 * The permission matrix, walked over every operation of the running application's OpenAPI document
 * (a route added tomorrow is covered without touching this file). For each operation requiring a
 * tenant permission P:
 *  - a user whose only role is a custom role holding exactly P is not refused (not a 403);
 *  - a principal holding every tenant permission but P (the owner's token scoped to all but P) gets
 *    a 403 problem document.
 * Requests carry well-formed but unknown identifiers and an empty body: the route guard runs before
 * validation, so a holder gets a 400/404/422 — anything but 403 — and a non-holder a 403.
 * Operations marked `public`, `authenticated` or `platform.*` are counted and skipped.
 */

interface Operation {
  method: string;
  path: string;
  operationId: string;
  permission: string;
  hasBody: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: the OpenAPI document is walked as plain JSON
type Json = any;

function operationsOf(doc: Json): Operation[] {
  const out: Operation[] = [];
  for (const [template, item] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params: Json[] = [...(item.parameters ?? []), ...(op.parameters ?? [])];
      const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
        const p = params.find((x) => x.in === 'path' && x.name === name);
        const example = p?.schema?.examples?.[0] ?? p?.example ?? p?.schema?.example;
        return encodeURIComponent(String(example ?? 'unknown'));
      });
      out.push({
        method: method.toUpperCase(),
        path,
        operationId: String(op.operationId),
        permission: String(op['x-permission']),
        hasBody: op.requestBody !== undefined,
      });
    }
  }
  return out;
}

const isTenantPermission = (p: string) =>
  p !== 'public' && p !== 'authenticated' && !p.startsWith('platform.');

describe.each(DRIVERS)('the permission matrix of every route, on %s', (driver) => {
  let t: TestApp;
  let tenant: TestTenant;
  let operations: Operation[];
  /** Per tenant permission: the token of a user whose only role holds exactly it. */
  const holders = new Map<string, string>();
  /** Per tenant permission: the owner's token scoped to every tenant permission but it. */
  const allBut = new Map<string, string>();

  beforeAll(async () => {
    t = await startTestApp(driver);
    tenant = await t.newTenant('Matrice');
    const doc = (await t.api('GET', '/openapi.json')).body;
    operations = operationsOf(doc);
    const catalogue = (await t.api('GET', '/api/v1/permissions', { token: tenant.token })).body.data.map(
      (p: { name: string }) => p.name,
    ) as string[];
    const tenantPermissions = catalogue.filter(isTenantPermission);
    const needed = [...new Set(operations.map((o) => o.permission).filter(isTenantPermission))];
    let n = 0;
    for (const permission of needed) {
      n += 1;
      const key = `matrix_${n}`;
      const token = await runAsTenant(t.db, { tenantId: tenant.tenantId }, async (ctx) => {
        await createRole(
          ctx,
          { key, name: `Only ${permission}`, permissions: [permission] },
          { has: () => true, list: () => [] },
        );
        const user = await createUser(ctx, {
          email: `${key}@matrix.example`,
          displayName: `Holder of ${permission}`,
          kind: 'staff',
        });
        await assignRole(ctx, user.id, { role: key });
        return (await createApiToken(ctx, { userId: user.id, name: 'matrix', scopes: ['*'] })).token;
      });
      holders.set(permission, token);
      const scoped = await runAsTenant(t.db, { tenantId: tenant.tenantId }, (ctx) =>
        createApiToken(ctx, {
          userId: tenant.ownerId,
          name: `all but ${permission}`,
          scopes: tenantPermissions.filter((p) => p !== permission),
        }),
      );
      allBut.set(permission, scoped.token);
    }
  }, 300_000);
  afterAll(() => t.close());

  const call = (op: Operation, token: string) =>
    t.api(op.method, op.path, { token, ...(op.hasBody ? { body: {} } : {}) });

  it('declares a tenant permission on most operations, and marks the others explicitly', () => {
    const skipped = operations.filter((o) => !isTenantPermission(o.permission));
    const checked = operations.filter((o) => isTenantPermission(o.permission));
    expect(checked.length).toBeGreaterThan(50);
    expect(skipped.length + checked.length).toBe(operations.length);
    console.info(`permission matrix: ${checked.length} operations checked, ${skipped.length} skipped`);
    for (const o of skipped)
      expect(['public', 'authenticated'].includes(o.permission) || o.permission.startsWith('platform.')).toBe(
        true,
      );
  });

  it('lets the holder of exactly the declared permission through, and refuses everyone else with a 403', async () => {
    const wrong: string[] = [];
    let succeeded = 0;
    for (const op of operations.filter((o) => isTenantPermission(o.permission))) {
      const held = await call(op, holders.get(op.permission)!);
      if (held.status < 300) succeeded += 1;
      if (held.status === 403)
        wrong.push(`${op.operationId} (${op.permission}): the holder got 403 ${JSON.stringify(held.body)}`);
      const lacking = await call(op, allBut.get(op.permission)!);
      if (lacking.status !== 403 || !/problem\+json/.test(lacking.headers.get('content-type') ?? ''))
        wrong.push(`${op.operationId} (${op.permission}): without it, got ${lacking.status} instead of 403`);
    }
    expect(wrong).toEqual([]);
    // Not vacuous: the lists and settings reads really answer their holders.
    expect(succeeded).toBeGreaterThan(20);
  }, 600_000);
});
