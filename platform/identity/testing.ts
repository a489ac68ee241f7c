import { request } from 'node:http';
import { sql } from 'drizzle-orm';
import type { TestApp } from '../../test/harness.ts';
import { assignRole, grantInitialOwner } from '../access/service.ts';
import { runAsTenant } from '../context.ts';
import { rows } from '../db/database.ts';
import { inSystemTransaction } from '../db/scope.ts';
import { createTenant } from '../tenancy/service.ts';
import { createUser } from './users.ts';

/** Test helpers of the identity tests (not a test file itself). */
export interface LoggedIn {
  cookie: string;
  csrf: string;
  sessionId: string;
  setCookie: string;
}

export async function addUser(
  t: TestApp,
  tenantId: string,
  u: {
    email: string;
    password?: string;
    kind?: 'staff' | 'buyer';
    accountId?: string;
    /** Roles to assign; by default a staff user is an owner (these tests predate roles), a buyer has none. */
    roles?: string[];
  },
): Promise<string> {
  const { id } = await runAsTenant(t.db, { tenantId }, (ctx) =>
    createUser(ctx, {
      email: u.email,
      displayName: u.email.split('@')[0]!,
      kind: u.kind ?? 'staff',
      ...(u.password ? { password: u.password } : {}),
    }),
  );
  if (u.accountId) {
    await runAsTenant(t.db, { tenantId }, (ctx) =>
      ctx.tx.execute(
        sql`update users set account_id = ${u.accountId!} where tenant_id = ${tenantId} and id = ${id}`,
      ),
    );
  }
  if (u.roles === undefined && (u.kind ?? 'staff') === 'staff') {
    // Fixture owners, as before roles existed: no elevation alert mail in the tests' inboxes.
    await runAsTenant(t.db, { tenantId }, (ctx) => grantInitialOwner(ctx, id, 'test fixture'));
  }
  for (const role of u.roles ?? [])
    await runAsTenant(t.db, { tenantId }, (ctx) => assignRole(ctx, id, { role }));
  return id;
}

export async function login(
  t: TestApp,
  body: { email: string; password: string; tenant?: string },
  headers: Record<string, string> = {},
) {
  const res = await t.api('POST', '/api/v1/auth/login', { body, headers });
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0] ?? '';
  return {
    res,
    session:
      res.status === 200 && res.body.status === 'authenticated'
        ? ({ cookie, csrf: res.body.csrf_token, sessionId: res.body.session.id, setCookie } as LoggedIn)
        : null,
  };
}

/** Headers of a cookie-authenticated request (with the CSRF token unless told otherwise). */
export function withSession(s: LoggedIn, csrf: string | null = s.csrf): Record<string, string> {
  return { cookie: s.cookie, ...(csrf !== null ? { 'x-csrf-token': csrf } : {}) };
}

export async function auditOf(t: TestApp, tenantId: string, action: string) {
  return inSystemTransaction(t.db, async (tx) =>
    rows<{
      action: string;
      outcome: string;
      reason: string | null;
      actor_id: string;
      resource_id: string | null;
      changes: unknown;
      metadata: unknown;
    }>(
      await tx.execute(sql`select action, outcome, reason, actor_id, resource_id, changes, metadata from audit_events
                            where tenant_id = ${tenantId} and action = ${action} order by occurred_at, id`),
    ),
  );
}

/** A tenant registered to host names (tenant resolution by Host). */
export async function tenantWithDomains(t: TestApp, name: string, slug: string, domains: string[]) {
  const created = await createTenant(t.db, {
    name,
    slug,
    domains,
    owner: { email: `owner@${slug}.example`, displayName: `Owner ${name}` },
  });
  return { tenantId: created.tenant.id, slug, ownerId: created.ownerId, token: created.ownerToken.token };
}

/** POST with an explicit Host header (fetch does not let a client choose it). */
export function postWithHost(
  baseUrl: string,
  host: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(path, baseUrl);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { host, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

export interface IdentityFixtures {
  slug: string;
  ownerEmail: string;
  password: string;
  /** A staff user the walk deactivates, reactivates, unlocks and signs out. */
  targetUserId: string;
  /** A session of the owner (the walk's token user) to revoke. */
  ownerSessionId: string;
  invitationToken: string;
  resetToken: string;
  verificationToken: string;
}

/** What test/audit-coverage.test.ts needs to call each identity operation successfully once. */
export async function prepareIdentityFixtures(
  t: TestApp,
  tenant: { tenantId: string; slug: string; ownerId: string },
): Promise<IdentityFixtures> {
  const { hashPassword } = await import('./users.ts');
  const { createInvitation, requestPasswordReset, requestEmailVerification } = await import('./recovery.ts');
  const password = 'coverage walk passphrase';
  const ownerEmail = `owner@${tenant.slug}.example`;
  const hashed = await hashPassword(password);
  await runAsTenant(t.db, { tenantId: tenant.tenantId }, (ctx) =>
    ctx.tx.execute(
      sql`update users set password_hash = ${hashed} where tenant_id = ${tenant.tenantId} and id = ${tenant.ownerId}`,
    ),
  );
  const targetUserId = await addUser(t, tenant.tenantId, { email: 'target@coverage.example', password });
  const resetUserId = await addUser(t, tenant.tenantId, { email: 'reset@coverage.example', password });
  const verifyUserId = await addUser(t, tenant.tenantId, { email: 'verify@coverage.example', password });
  const ownerSession = await login(t, { email: ownerEmail, password, tenant: tenant.slug });
  const links = {
    baseUrl: 'http://localhost',
    tenant: { id: tenant.tenantId, slug: tenant.slug, name: 'Coverage' },
  };
  const asUser = (userId: string) => ({
    tenantId: tenant.tenantId,
    actor: { type: 'user' as const, id: userId, userId, displayName: 'Fixture', permissions: new Set(['*']) },
  });
  const invitation = await runAsTenant(t.db, { tenantId: tenant.tenantId }, (ctx) =>
    createInvitation(ctx, { email: 'invited@coverage.example', kind: 'staff' }, links),
  );
  // The reset token is read from the mail outbox, as a person would read the mail.
  await runAsTenant(t.db, { tenantId: tenant.tenantId }, (ctx) =>
    requestPasswordReset(ctx, 'reset@coverage.example', links),
  );
  await runAsTenant(t.db, asUser(verifyUserId), (ctx) => requestEmailVerification(ctx, links));
  const tokenOf = async (template: string) => {
    const [m] = await inSystemTransaction(t.db, async (tx) =>
      rows<{ text_body: string }>(
        await tx.execute(sql`select text_body from mail_outbox where tenant_id = ${tenant.tenantId} and template = ${template}
                              order by id desc limit 1`),
      ),
    );
    return /code: ([A-Za-z0-9_-]{43})/.exec(m?.text_body ?? '')?.[1] ?? '';
  };
  expect(resetUserId).toBeTruthy();
  return {
    slug: tenant.slug,
    ownerEmail,
    password,
    targetUserId,
    ownerSessionId: ownerSession.session!.sessionId,
    invitationToken: invitation.token,
    resetToken: await tokenOf('identity.password_reset'),
    verificationToken: await tokenOf('identity.email_verification'),
  };
}

function expect(v: unknown): { toBeTruthy(): void } {
  return {
    toBeTruthy() {
      if (!v) throw new Error('fixture preparation failed');
    },
  };
}
