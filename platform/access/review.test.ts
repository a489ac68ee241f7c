import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { runAsTenant } from '../context.ts';
import { rows } from '../db/database.ts';
import { inSystemTransaction } from '../db/scope.ts';
import { advanceClock } from '../identity/clock.ts';
import { addUser, auditOf } from '../identity/testing.ts';
import { createApiToken } from '../identity/users.ts';
import { sendAccessReviewReminders, sweepExpiredAssignments } from './review.ts';

async function userWithToken(t: TestApp, tenant: TestTenant, email: string, roles: string[]) {
  const id = await addUser(t, tenant.tenantId, { email, roles });
  const { token } = await runAsTenant(t.db, { tenantId: tenant.tenantId }, (ctx) =>
    createApiToken(ctx, { userId: id, name: 'test', scopes: ['*'] }),
  );
  return { id, token };
}

const monthsFromNow = (months: number, from = new Date()) => {
  const d = new Date(from.getTime());
  d.setUTCMonth(d.getUTCMonth() + months);
  return d;
};

async function reminderMails(t: TestApp, tenantId: string) {
  return inSystemTransaction(t.db, async (tx) =>
    rows<{ to_address: string; text_body: string }>(
      await tx.execute(sql`select to_address, text_body from mail_outbox where tenant_id = ${tenantId}
                            and template = 'access.review_due' order by id`),
    ),
  );
}

describe.each(DRIVERS)('access review campaigns, reminders and the expiry sweep on %s', (driver) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    t = await startTestApp(driver);
    a = await t.newTenant('Acme');
    b = await t.newTenant('Bricoles');
  });
  afterAll(() => t.close());

  it('a campaign snapshots every assignment; reviewers certify or revoke each; revoking removes access', async () => {
    const auditor = await userWithToken(t, a, 'audrey@acme.example', ['auditor']);
    const seller = await userWithToken(t, a, 'sami@acme.example', ['sales_admin']);
    expect((await t.api('GET', '/api/v1/accounts', { token: seller.token })).status).toBe(200);

    const started = await t.api('POST', '/api/v1/access-review/campaigns', {
      token: auditor.token,
      body: { name: 'Revue S1' },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body).toMatchObject({ status: 'open', items_total: 3, items_decided: 0 });
    const id = started.body.id as string;
    const full = await t.api('GET', `/api/v1/access-review/campaigns/${id}`, { token: auditor.token });
    expect(full.status).toBe(200);
    const item = (userId: string) =>
      full.body.items.find((i: { user: { id: string } }) => i.user.id === userId) as {
        id: string;
        role: string;
      };
    expect(item(seller.id).role).toBe('sales_admin');
    expect(item(a.ownerId).role).toBe('owner');

    const decide = (token: string, itemId: string, decision: string, comment?: string) =>
      t.api('POST', `/api/v1/access-review/campaigns/${id}/items/${itemId}/decision`, {
        token,
        body: { decision, ...(comment ? { comment } : {}) },
      });
    // Nobody reviews their own access.
    const self = await decide(auditor.token, item(auditor.id).id, 'certify');
    expect(self.status).toBe(403);
    expect(self.body.type).toBe('/problems/four-eyes-required');

    const revoked = await decide(auditor.token, item(seller.id).id, 'revoke', 'Left the sales team');
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(revoked.body.decision).toBe('revoked');
    expect((await t.api('GET', '/api/v1/accounts', { token: seller.token })).status).toBe(403);
    const revocation = (await auditOf(t, a.tenantId, 'access.role_assignment.revoke')).at(-1)!;
    expect(revocation.metadata).toMatchObject({ user_id: seller.id, role: 'sales_admin' });
    expect((await decide(auditor.token, item(seller.id).id, 'certify')).status).toBe(409);

    expect((await decide(auditor.token, item(a.ownerId).id, 'certify')).status).toBe(200);
    const status1 = await t.api('GET', '/api/v1/access-review/status', { token: a.token });
    expect(status1.body).toMatchObject({ last_completed_campaign: null, open_campaign_id: id });
    // The last decision completes the campaign.
    expect((await decide(a.token, item(auditor.id).id, 'certify')).status).toBe(200);
    const done = await t.api('GET', `/api/v1/access-review/campaigns/${id}`, { token: a.token });
    expect(done.body).toMatchObject({ status: 'completed', items_decided: 3 });
    const status2 = await t.api('GET', '/api/v1/access-review/status', { token: a.token });
    expect(status2.body.last_completed_campaign.id).toBe(id);
    expect(status2.body.overdue).toBe(false);
    expect(new Date(status2.body.due_at).getTime()).toBeGreaterThan(monthsFromNow(5).getTime());
    const decisions = await auditOf(t, a.tenantId, 'access.review_item.decide');
    expect(decisions.map((d) => d.outcome)).toEqual([
      'denied',
      'success',
      'failure', // the second decision on one item (409)
      'success',
      'success',
    ]);
    expect((await auditOf(t, a.tenantId, 'access.review_campaign.complete')).at(-1)?.resource_id).toBe(id);
    // Another tenant sees nothing of it.
    expect((await t.api('GET', `/api/v1/access-review/campaigns/${id}`, { token: b.token })).status).toBe(
      404,
    );
  });

  it('a campaign closed early does not count as a review; its undecided items are marked not reviewed', async () => {
    const started = await t.api('POST', '/api/v1/access-review/campaigns', {
      token: b.token,
      body: { name: 'Interrupted' },
    });
    expect(started.status).toBe(201);
    const closed = await t.api('POST', `/api/v1/access-review/campaigns/${started.body.id}/close`, {
      token: b.token,
    });
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('closed');
    const full = await t.api('GET', `/api/v1/access-review/campaigns/${started.body.id}`, { token: b.token });
    expect(full.body.items.every((i: { decision: string }) => i.decision === 'not_reviewed')).toBe(true);
    const status = await t.api('GET', '/api/v1/access-review/status', { token: b.token });
    expect(status.body.last_completed_campaign).toBeNull();
    // A user without the permission is refused.
    const reader = await userWithToken(t, b, 'reader@bricoles.example', ['read_only']);
    expect((await t.api('GET', '/api/v1/access-review/status', { token: reader.token })).status).toBe(403);
  });

  it('reminds the security contacts once when the last review is older than six months', async () => {
    const c = await t.newTenant('Chaudronnerie');
    await t.api('PUT', '/api/v1/security-contacts', {
      token: c.token,
      body: { emails: ['rssi@chaudronnerie.example'] },
    });
    // A young tenant is not reminded.
    expect(await sendAccessReviewReminders(t.db, monthsFromNow(5))).not.toContain(c.tenantId);
    expect(await reminderMails(t, c.tenantId)).toHaveLength(0);
    // Six months without a review: one reminder, however often the check runs.
    expect(await sendAccessReviewReminders(t.db, monthsFromNow(7))).toContain(c.tenantId);
    expect(await sendAccessReviewReminders(t.db, monthsFromNow(7))).not.toContain(c.tenantId);
    expect(await sendAccessReviewReminders(t.db, monthsFromNow(8))).not.toContain(c.tenantId);
    const mails = await reminderMails(t, c.tenantId);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to_address).toBe('rssi@chaudronnerie.example');
    expect(mails[0]!.text_body).toContain('No access review has been completed yet');
    expect(await auditOf(t, c.tenantId, 'access.access_review.remind')).toHaveLength(1);

    // A review completed at month 8 moves the due date to month 14.
    const colleague = await userWithToken(t, c, 'colleague@chaudronnerie.example', ['auditor']);
    const undo = advanceClock(monthsFromNow(8).getTime() - Date.now());
    try {
      const started = await t.api('POST', '/api/v1/access-review/campaigns', {
        token: c.token,
        body: { name: 'Late review' },
      });
      const full = await t.api('GET', `/api/v1/access-review/campaigns/${started.body.id}`, {
        token: c.token,
      });
      for (const i of full.body.items as { id: string; user: { id: string } }[]) {
        const res = await t.api(
          'POST',
          `/api/v1/access-review/campaigns/${started.body.id}/items/${i.id}/decision`,
          { token: i.user.id === c.ownerId ? colleague.token : c.token, body: { decision: 'certify' } },
        );
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      }
      const status = await t.api('GET', '/api/v1/access-review/status', { token: c.token });
      expect(status.body.overdue).toBe(false);
      expect(status.body.last_reminder_at).not.toBeNull();
    } finally {
      undo();
    }
    expect(await sendAccessReviewReminders(t.db, monthsFromNow(13))).not.toContain(c.tenantId);
    expect(await sendAccessReviewReminders(t.db, monthsFromNow(15))).toContain(c.tenantId);
    expect(await reminderMails(t, c.tenantId)).toHaveLength(2);
  });

  it('the expiry sweep marks expired temporary assignments and audits each once, as the system', async () => {
    const u = await addUser(t, a.tenantId, { email: 'interim@acme.example', roles: [] });
    const given = await t.api('POST', `/api/v1/users/${u}/roles`, {
      token: a.token,
      body: { role: 'catalogue_manager', expires_at: new Date(Date.now() + 3_600_000).toISOString() },
    });
    expect(given.status).toBe(201);
    expect(await sweepExpiredAssignments(t.db, new Date())).toBe(0);
    expect(await sweepExpiredAssignments(t.db, new Date(Date.now() + 2 * 3_600_000))).toBeGreaterThanOrEqual(
      1,
    );
    expect(await sweepExpiredAssignments(t.db, new Date(Date.now() + 2 * 3_600_000))).toBe(0);
    const events = (await auditOf(t, a.tenantId, 'access.role_assignment.expire')).filter(
      (e) => e.resource_id === given.body.id,
    );
    expect(events).toHaveLength(1);
    expect(events[0]!.actor_id).toBe('system:access');
    const list = await t.api('GET', `/api/v1/users/${u}/roles?include_inactive=true`, { token: a.token });
    expect(list.body.data[0].status).toBe('expired');
  });
});
