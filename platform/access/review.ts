import { sql } from 'drizzle-orm';
import { audit, changesOf } from '../audit/record.ts';
import { type Ctx, runAsTenant, systemActor } from '../context.ts';
import { type Database, rows } from '../db/database.ts';
import { inSystemTransaction } from '../db/scope.ts';
import { AppError, conflict, notFound } from '../http/problems.ts';
import { iso } from '../identity/api-tokens.ts';
import { identityClock } from '../identity/clock.ts';
import { newId } from '../ids.ts';
import { enqueueMail } from '../mail/outbox.ts';
import { noticeExpiredAssignments } from './effective.ts';
import { personOf } from './four-eyes.ts';
import { alertRecipients, revokeAssignment } from './service.ts';

/**
 * Access review campaigns: a snapshot of every active role assignment of the tenant, each item
 * certified or revoked by a reviewer (a revocation removes the assignment at once). A campaign is
 * `completed` when every item is decided, `closed` when ended early (undecided items become
 * `not_reviewed`). A review is due six months after the last completed campaign (or after the
 * tenant's creation); the periodic check mails the security contacts once per due date.
 */

/** Months between two completed reviews before a reminder. */
export const REVIEW_INTERVAL_MONTHS = 6;

type CampaignStatus = 'open' | 'completed' | 'closed';
type Decision = 'certified' | 'revoked' | 'not_reviewed';

interface CampaignRow {
  id: string;
  name: string;
  status: CampaignStatus;
  due_at: string | Date | null;
  created_by: string;
  created_at: string | Date;
  closed_by: string | null;
  closed_at: string | Date | null;
  items_total: number | string;
  items_decided: number | string;
}

interface ItemRow {
  id: string;
  campaign_id: string;
  assignment_id: string;
  user_id: string;
  email: string | null;
  display_name: string | null;
  role_key: string;
  scope_type: 'storefront' | 'account' | null;
  scope_id: string | null;
  expires_at: string | Date | null;
  decision: Decision | null;
  decided_by: string | null;
  decided_at: string | Date | null;
  comment: string | null;
}

export interface CampaignView {
  id: string;
  name: string;
  status: CampaignStatus;
  due_at: string | null;
  created_by: string;
  created_at: string;
  closed_by: string | null;
  closed_at: string | null;
  items_total: number;
  items_decided: number;
}

export interface ReviewItemView {
  id: string;
  assignment_id: string;
  user: { id: string; email: string | null; display_name: string | null };
  role: string;
  scope: { type: string; id: string } | null;
  expires_at: string | null;
  decision: Decision | null;
  decided_by: string | null;
  decided_at: string | null;
  comment: string | null;
}

const campaignView = (r: CampaignRow): CampaignView => ({
  id: r.id,
  name: r.name,
  status: r.status,
  due_at: iso(r.due_at),
  created_by: r.created_by,
  created_at: iso(r.created_at)!,
  closed_by: r.closed_by,
  closed_at: iso(r.closed_at),
  items_total: Number(r.items_total),
  items_decided: Number(r.items_decided),
});

const itemView = (r: ItemRow): ReviewItemView => ({
  id: r.id,
  assignment_id: r.assignment_id,
  user: { id: r.user_id, email: r.email, display_name: r.display_name },
  role: r.role_key,
  scope: r.scope_type && r.scope_id ? { type: r.scope_type, id: r.scope_id } : null,
  expires_at: iso(r.expires_at),
  decision: r.decision,
  decided_by: r.decided_by,
  decided_at: iso(r.decided_at),
  comment: r.comment,
});

const CAMPAIGNS = (tenantId: string) => sql`
  select c.id, c.name, c.status, c.due_at, c.created_by, c.created_at, c.closed_by, c.closed_at,
         (select count(*) from access_review_items i where i.tenant_id = c.tenant_id and i.campaign_id = c.id) as items_total,
         (select count(*) from access_review_items i where i.tenant_id = c.tenant_id and i.campaign_id = c.id
                                                       and i.decision is not null) as items_decided
    from access_review_campaigns c where c.tenant_id = ${tenantId}`;

async function campaign(ctx: Ctx, id: string, lock = false): Promise<CampaignView> {
  if (lock)
    await ctx.tx.execute(
      sql`select 1 from access_review_campaigns where tenant_id = ${ctx.tenantId} and id = ${id} for update`,
    );
  const [row] = rows<CampaignRow>(await ctx.tx.execute(sql`${CAMPAIGNS(ctx.tenantId)} and c.id = ${id}`));
  if (!row) throw notFound(`Access review campaign ${id}`);
  return campaignView(row);
}

export async function startCampaign(
  ctx: Ctx,
  input: { name: string; due_at?: string },
): Promise<CampaignView> {
  const now = identityClock.now();
  if (input.due_at && new Date(input.due_at).getTime() <= now.getTime())
    throw new AppError('validation-error', 'due_at must be in the future', [
      { in: 'body', pointer: '/due_at', detail: 'must be in the future' },
    ]);
  const id = newId('arc');
  await ctx.tx.execute(sql`
    insert into access_review_campaigns (tenant_id, id, name, due_at, created_by, created_at)
    values (${ctx.tenantId}, ${id}, ${input.name}, ${input.due_at ?? null}, ${ctx.actor.id}, ${now.toISOString()})`);
  const assignments = rows<{
    id: string;
    user_id: string;
    role_key: string;
    scope_type: string | null;
    scope_id: string | null;
    expires_at: string | Date | null;
  }>(
    await ctx.tx.execute(sql`select id, user_id, role_key, scope_type, scope_id, expires_at from role_assignments
                              where tenant_id = ${ctx.tenantId} and revoked_at is null
                                and (expires_at is null or expires_at > ${now.toISOString()}) order by id`),
  );
  for (const a of assignments) {
    await ctx.tx.execute(sql`
      insert into access_review_items (tenant_id, id, campaign_id, assignment_id, user_id, role_key, scope_type, scope_id, expires_at)
      values (${ctx.tenantId}, ${newId('ari')}, ${id}, ${a.id}, ${a.user_id}, ${a.role_key}, ${a.scope_type},
              ${a.scope_id}, ${a.expires_at ? new Date(a.expires_at).toISOString() : null})`);
  }
  await audit(ctx, {
    action: 'access.review_campaign.create',
    resource: { type: 'review_campaign', id },
    changes: changesOf(null, { name: input.name, due_at: input.due_at ?? null, status: 'open' }),
    metadata: { items: assignments.length },
  });
  return campaign(ctx, id);
}

export async function listCampaigns(ctx: Ctx): Promise<CampaignView[]> {
  return rows<CampaignRow>(await ctx.tx.execute(sql`${CAMPAIGNS(ctx.tenantId)} order by c.id desc`)).map(
    campaignView,
  );
}

const ITEMS = (tenantId: string, campaignId: string) => sql`
  select i.id, i.campaign_id, i.assignment_id, i.user_id, u.email, u.display_name, i.role_key, i.scope_type,
         i.scope_id, i.expires_at, i.decision, i.decided_by, i.decided_at, i.comment
    from access_review_items i left join users u on u.tenant_id = i.tenant_id and u.id = i.user_id
   where i.tenant_id = ${tenantId} and i.campaign_id = ${campaignId}`;

export async function getCampaign(ctx: Ctx, id: string): Promise<CampaignView & { items: ReviewItemView[] }> {
  const c = await campaign(ctx, id);
  const items = rows<ItemRow>(await ctx.tx.execute(sql`${ITEMS(ctx.tenantId, id)} order by i.id`));
  return { ...c, items: items.map(itemView) };
}

/**
 * A reviewer certifies or revokes one item. A revocation removes the assignment at once (audited as
 * a revocation too); nobody reviews their own access. The campaign completes with its last decision.
 */
export async function decideItem(
  ctx: Ctx,
  campaignId: string,
  itemId: string,
  input: { decision: 'certify' | 'revoke'; comment?: string },
): Promise<ReviewItemView> {
  const c = await campaign(ctx, campaignId, true);
  const [item] = rows<ItemRow>(
    await ctx.tx.execute(sql`${ITEMS(ctx.tenantId, campaignId)} and i.id = ${itemId} for update of i`),
  );
  if (!item) throw notFound(`Review item ${itemId}`);
  if (c.status !== 'open') throw conflict(`This campaign is ${c.status}.`);
  if (item.decision) throw conflict(`This item is already ${item.decision}.`);
  if (personOf(ctx) === item.user_id)
    throw new AppError('four-eyes-required', 'You cannot review your own access: someone else must.');
  const decision: Decision = input.decision === 'certify' ? 'certified' : 'revoked';
  if (decision === 'revoked') {
    const [active] = rows(
      await ctx.tx.execute(sql`select 1 from role_assignments where tenant_id = ${ctx.tenantId}
                                and id = ${item.assignment_id} and revoked_at is null
                                and (expires_at is null or expires_at > ${identityClock.now().toISOString()})`),
    );
    // Already ended since the snapshot (revoked, expired): the decision stands, nothing to remove.
    if (active) await revokeAssignment(ctx, item.user_id, item.assignment_id);
  }
  const now = identityClock.now().toISOString();
  await ctx.tx.execute(sql`update access_review_items set decision = ${decision}, decided_by = ${ctx.actor.id},
                                  decided_at = ${now}, comment = ${input.comment ?? null}
                            where tenant_id = ${ctx.tenantId} and id = ${itemId}`);
  await audit(ctx, {
    action: 'access.review_item.decide',
    resource: { type: 'review_item', id: itemId },
    ...(input.comment ? { reason: input.comment.slice(0, 500) } : {}),
    changes: changesOf({ decision: null }, { decision }),
    metadata: {
      campaign_id: campaignId,
      assignment_id: item.assignment_id,
      user_id: item.user_id,
      role: item.role_key,
    },
  });
  const after = await campaign(ctx, campaignId);
  if (after.items_decided === after.items_total) {
    await ctx.tx.execute(sql`update access_review_campaigns set status = 'completed', closed_at = ${now},
                                    closed_by = ${ctx.actor.id}
                              where tenant_id = ${ctx.tenantId} and id = ${campaignId}`);
    await audit(ctx, {
      action: 'access.review_campaign.complete',
      resource: { type: 'review_campaign', id: campaignId },
      changes: changesOf({ status: 'open' }, { status: 'completed' }),
      metadata: { items: after.items_total },
    });
  }
  const [row] = rows<ItemRow>(
    await ctx.tx.execute(sql`${ITEMS(ctx.tenantId, campaignId)} and i.id = ${itemId}`),
  );
  return itemView(row!);
}

/** Ends a campaign early: undecided items become `not_reviewed`; it does not count as a completed review. */
export async function closeCampaign(ctx: Ctx, id: string): Promise<CampaignView> {
  const c = await campaign(ctx, id, true);
  if (c.status !== 'open') throw conflict(`This campaign is already ${c.status}.`);
  const now = identityClock.now().toISOString();
  const status: CampaignStatus = c.items_decided === c.items_total ? 'completed' : 'closed';
  await ctx.tx.execute(sql`update access_review_items set decision = 'not_reviewed', decided_at = ${now}
                            where tenant_id = ${ctx.tenantId} and campaign_id = ${id} and decision is null`);
  await ctx.tx.execute(sql`update access_review_campaigns set status = ${status}, closed_at = ${now},
                                  closed_by = ${ctx.actor.id}
                            where tenant_id = ${ctx.tenantId} and id = ${id}`);
  await audit(ctx, {
    action: 'access.review_campaign.close',
    resource: { type: 'review_campaign', id },
    changes: changesOf({ status: 'open' }, { status }),
    metadata: { items: c.items_total, not_reviewed: c.items_total - c.items_decided },
  });
  return campaign(ctx, id);
}

export interface ReviewStatus {
  last_completed_campaign: { id: string; name: string; completed_at: string } | null;
  open_campaign_id: string | null;
  /** Six months after the last completed campaign (or after the tenant's creation). */
  due_at: string;
  overdue: boolean;
  last_reminder_at: string | null;
}

function addMonths(d: Date, months: number): Date {
  const out = new Date(d.getTime());
  out.setUTCMonth(out.getUTCMonth() + months);
  return out;
}

export async function reviewStatus(ctx: Ctx, now: Date = identityClock.now()): Promise<ReviewStatus> {
  const [last] = rows<{ id: string; name: string; closed_at: string | Date }>(
    await ctx.tx.execute(sql`select id, name, closed_at from access_review_campaigns
                              where tenant_id = ${ctx.tenantId} and status = 'completed'
                              order by closed_at desc limit 1`),
  );
  const [open] = rows<{ id: string }>(
    await ctx.tx.execute(sql`select id from access_review_campaigns
                              where tenant_id = ${ctx.tenantId} and status = 'open' limit 1`),
  );
  const [tenant] = rows<{ created_at: string | Date }>(
    await ctx.tx.execute(sql`select created_at from tenants where id = ${ctx.tenantId}`),
  );
  const [reminder] = rows<{ sent_at: string | Date }>(
    await ctx.tx.execute(sql`select sent_at from access_review_reminders where tenant_id = ${ctx.tenantId}
                              order by sent_at desc limit 1`),
  );
  const since = new Date(last ? last.closed_at : tenant!.created_at);
  const due = addMonths(since, REVIEW_INTERVAL_MONTHS);
  return {
    last_completed_campaign: last
      ? { id: last.id, name: last.name, completed_at: iso(last.closed_at)! }
      : null,
    open_campaign_id: open?.id ?? null,
    due_at: due.toISOString(),
    overdue: due.getTime() <= now.getTime(),
    last_reminder_at: iso(reminder?.sent_at ?? null),
  };
}

/**
 * The periodic check (housekeeping): every active tenant whose review is due gets one reminder mail
 * per security contact (or owner) — once per due date, however often the check runs. Returns the
 * tenants reminded.
 */
export async function sendAccessReviewReminders(
  db: Database,
  now: Date = identityClock.now(),
): Promise<string[]> {
  const tenants = await inSystemTransaction(db, async (tx) =>
    rows<{ id: string }>(await tx.execute(sql`select id from tenants where status = 'active' order by id`)),
  );
  const reminded: string[] = [];
  for (const { id: tenantId } of tenants) {
    const sent = await runAsTenant(
      db,
      { tenantId, actor: systemActor('access'), requestId: 'access-review-reminder' },
      async (ctx) => {
        const status = await reviewStatus(ctx, now);
        if (!status.overdue) return false;
        const recipients = await alertRecipients(ctx);
        const [inserted] = rows(
          await ctx.tx.execute(sql`
            insert into access_review_reminders (tenant_id, due_at, sent_at, recipients)
            values (${tenantId}, ${status.due_at}, ${now.toISOString()}, ${recipients.length})
            on conflict (tenant_id, due_at) do nothing returning 1`),
        );
        if (!inserted) return false;
        const [tenant] = rows<{ name: string }>(
          await ctx.tx.execute(sql`select name from tenants where id = ${tenantId}`),
        );
        for (const to of recipients) {
          await enqueueMail(ctx, {
            template: 'access.review_due',
            to,
            subject: `${tenant?.name ?? 'Comptoir'}: an access review is due`,
            text: [
              'Hello,',
              '',
              status.last_completed_campaign
                ? `The last completed access review (${status.last_completed_campaign.name}) ended on ${status.last_completed_campaign.completed_at}.`
                : 'No access review has been completed yet.',
              `A review was due on ${status.due_at} (every ${REVIEW_INTERVAL_MONTHS} months).`,
              '',
              'Start a campaign (Access control → access review): each role assignment is certified or revoked.',
            ].join('\n'),
          });
        }
        await audit(ctx, {
          action: 'access.access_review.remind',
          resource: { type: 'access_review', id: null },
          metadata: { due_at: status.due_at, recipients: recipients.length },
        });
        return true;
      },
    );
    if (sent) reminded.push(tenantId);
  }
  return reminded;
}

/**
 * The expiry sweep: temporary assignments whose time is over are marked `expired` and audited
 * (`access.role_assignment.expire`, actor system) even if their holder never comes back —
 * authentication notices them too; whichever comes first records the expiry, once.
 */
export async function sweepExpiredAssignments(
  db: Database,
  now: Date = identityClock.now(),
): Promise<number> {
  const due = await inSystemTransaction(db, async (tx) =>
    rows<{ tenant_id: string; id: string }>(
      await tx.execute(sql`select tenant_id, id from role_assignments
                            where revoked_at is null and expires_at <= ${now.toISOString()}
                            order by tenant_id, id`),
    ),
  );
  const byTenant = new Map<string, string[]>();
  for (const r of due) byTenant.set(r.tenant_id, [...(byTenant.get(r.tenant_id) ?? []), r.id]);
  for (const [tenantId, ids] of byTenant) await noticeExpiredAssignments(db, tenantId, ids);
  return due.length;
}

/** Access control's share of housekeeping: the expiry sweep, then the review reminders. */
export async function accessHousekeeping(db: Database): Promise<void> {
  await sweepExpiredAssignments(db);
  await sendAccessReviewReminders(db);
}
