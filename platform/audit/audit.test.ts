import { createPublicKey } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { runAsTenant } from '../context.ts';
import { rows } from '../db/database.ts';
import { inTenantTransaction } from '../db/scope.ts';
import { createApiToken } from '../identity/users.ts';
import type { AuditEvent } from './chain.ts';
import { audit } from './record.ts';
import { verifyExport } from './verify-export.ts';

describe.each(DRIVERS)('audit trail, on %s', (driver) => {
  let t: TestApp;
  let acme: TestTenant;
  let rival: TestTenant;
  let readOnly: string;

  const events = async (tenant: TestTenant, query = '') => {
    const res = await t.api<{ data: AuditEvent[]; next_cursor: string | null }>(
      'GET',
      `/api/v1/audit/events${query}`,
      { token: tenant.token },
    );
    expect(res.status).toBe(200);
    return res.body;
  };
  const byRequest = async (tenant: TestTenant, requestId: string | null) =>
    (await events(tenant, `?request_id=${requestId}`)).data;
  /** Tampering needs the database superuser, and the append-only trigger switched off. */
  const tamper = (statement: string) =>
    t.db.session(async (s) => {
      await s.exec(`begin; set local session_replication_role = replica; ${statement}; commit;`);
    });

  beforeAll(async () => {
    t = await startTestApp(driver);
    acme = await t.newTenant('Acme Industrie');
    rival = await t.newTenant('Rival Distribution');
    readOnly = (
      await runAsTenant(t.db, { tenantId: acme.tenantId }, (ctx) =>
        createApiToken(ctx, {
          userId: acme.ownerId,
          name: 'read only',
          scopes: ['accounts.account.read'],
        }),
      )
    ).token;
  });
  afterAll(() => t.close());

  it('records a change with who, when, from where, what, and the masked before/after', async () => {
    const res = await t.api('POST', '/api/v1/accounts', {
      token: acme.token,
      body: { name: 'Boulangerie Martin', external_ref: 'C-9' },
      headers: { 'user-agent': 'ERP-Connector/2.1' },
    });
    expect(res.status).toBe(201);
    const [e] = await byRequest(acme, res.headers.get('x-request-id'));
    expect(e).toMatchObject({
      tenant_id: acme.tenantId,
      action: 'accounts.account.create',
      outcome: 'success',
      resource: { type: 'account', id: res.body.id },
      source_ip: '127.0.0.1',
      user_agent: 'ERP-Connector/2.1',
      actor: { type: 'api_token' },
    });
    expect(e!.actor.id).toMatch(/^tok_/);
    expect(e!.actor.name).toBeTruthy();
    expect(e!.occurred_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(e!.changes).toMatchObject({
      name: { before: null, after: 'Boulangerie Martin' },
      external_ref: { before: null, after: 'C-9' },
    });

    const patched = await t.api('PATCH', `/api/v1/accounts/${res.body.id}`, {
      token: acme.token,
      body: { status: 'blocked' },
    });
    const [u] = await byRequest(acme, patched.headers.get('x-request-id'));
    expect(u).toMatchObject({ action: 'accounts.account.update', outcome: 'success' });
    expect(u!.changes).toEqual({ status: { before: 'active', after: 'blocked' } });
  });

  it('masks secrets and personal data in before/after', async () => {
    const [created] = (await events(acme, '?action=identity.user.create')).data;
    expect(created!.changes).toMatchObject({
      email: { before: null, after: '[masked]' },
      display_name: { before: null, after: '[masked]' },
      kind: { before: null, after: 'staff' },
    });
    expect(JSON.stringify(created)).not.toContain(`owner@${acme.slug}.example`);
  });

  it('writes the event in the same transaction: a rolled-back change leaves no event', async () => {
    await expect(
      runAsTenant(t.db, { tenantId: acme.tenantId }, async (ctx) => {
        await audit(ctx, { action: 'accounts.account.create', resource: { type: 'account', id: 'rolled' } });
        throw new Error('the change fails after the audit call');
      }),
    ).rejects.toThrow('the change fails');
    expect((await events(acme, '?resource_id=rolled')).data).toEqual([]);
  });

  it('records a refused attempt as denied, in its own transaction', async () => {
    const res = await t.api('POST', '/api/v1/accounts', { token: readOnly, body: { name: 'Interdit' } });
    expect(res.status).toBe(403);
    const [e] = await byRequest(acme, res.headers.get('x-request-id'));
    expect(e).toMatchObject({ action: 'accounts.account.create', outcome: 'denied' });
    expect(e!.reason).toMatch(/403.*accounts\.account\.write/);
  });

  it('records a failed attempt as failure, and the change it would have made is absent', async () => {
    const res = await t.api('POST', '/api/v1/accounts', {
      token: acme.token,
      body: { name: 'Mauvais', vat_number: 'FR45732829320' },
    });
    expect(res.status).toBe(400);
    const [e] = await byRequest(acme, res.headers.get('x-request-id'));
    expect(e).toMatchObject({ action: 'accounts.account.create', outcome: 'failure' });
    expect(e!.reason).toMatch(/^400 validation-error/);
    const missing = await t.api('PATCH', '/api/v1/accounts/acct_01h455vb4pex5vsknk084sn02q', {
      token: acme.token,
      body: { name: 'Fantôme' },
    });
    expect(missing.status).toBe(404);
    const [f] = await byRequest(acme, missing.headers.get('x-request-id'));
    expect(f).toMatchObject({
      action: 'accounts.account.update',
      outcome: 'failure',
      resource: { type: 'account', id: 'acct_01h455vb4pex5vsknk084sn02q' },
    });
  });

  it('refuses to update or delete an event, to the application role, by privilege and by trigger', async () => {
    const attempt = (statement: string) =>
      inTenantTransaction(t.db, acme.tenantId, (tx) => tx.execute(sql.raw(statement)));
    await expect(attempt(`update audit_events set action = 'x'`)).rejects.toThrow();
    await expect(attempt('delete from audit_events')).rejects.toThrow();
    // Even the database owner is stopped by the trigger.
    await expect(t.db.session((s) => s.exec(`update audit_events set reason = 'edited'`))).rejects.toThrow(
      /append-only/,
    );
    await expect(t.db.session((s) => s.exec('delete from audit_events'))).rejects.toThrow(/append-only/);
  });

  it('reading the trail requires audit.event.read, and each read is itself audited', async () => {
    const denied = await t.api('GET', '/api/v1/audit/events', { token: readOnly });
    expect(denied.status).toBe(403);
    const res = await t.api('GET', '/api/v1/audit/events?outcome=denied&limit=1', { token: acme.token });
    const [read] = await byRequest(acme, res.headers.get('x-request-id'));
    expect(read).toMatchObject({
      action: 'audit.event.read',
      outcome: 'success',
      metadata: { filters: { outcome: 'denied' }, returned: 1 },
    });
    const [refused] = await byRequest(acme, denied.headers.get('x-request-id'));
    expect(refused).toMatchObject({ action: 'audit.event.read', outcome: 'denied' });
  });

  it('filters by action prefix, actor, outcome and time, newest first, with a cursor', async () => {
    const before = new Date().toISOString();
    for (let i = 0; i < 5; i++)
      await t.api('POST', '/api/v1/accounts', { token: acme.token, body: { name: `Client ${i}` } });
    const all: AuditEvent[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: { data: AuditEvent[]; next_cursor: string | null } = await events(
        acme,
        `?action=accounts.*&outcome=success&from=${before}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      all.push(...page.data);
      cursor = page.next_cursor;
    }
    expect(all.map((e) => e.changes?.name?.after)).toEqual([4, 3, 2, 1, 0].map((i) => `Client ${i}`));
    expect(new Set(all.map((e) => e.id)).size).toBe(5);
    const bad = await t.api('GET', '/api/v1/audit/events?cursor=Zm9v', { token: acme.token });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].pointer).toBe('/cursor');
  });

  it('seals events into a contiguous chain that verifies, with signed checkpoints', async () => {
    await t.comptoir.sealer.drain();
    await t.comptoir.sealer.sealTenant(acme.tenantId, true);
    const v = await t.api('GET', '/api/v1/audit/verification', { token: acme.token });
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ ok: true, anchor: 'genesis', problems: [], first_seq: 1 });
    expect(v.body.events_checked).toBeGreaterThan(10);
    expect(v.body.checkpoints_checked).toBeGreaterThanOrEqual(1);
    const keys = await t.api('GET', '/api/v1/audit/signing-keys');
    expect(keys.status).toBe(200);
    expect(keys.body.data[0]).toMatchObject({ key_id: keys.body.current_key_id, algorithm: 'Ed25519' });
  });

  it('serves a pull feed by sequence, without gaps or duplicates, in JSON, OCSF and CEF', async () => {
    await t.comptoir.sealer.drain();
    const seen: number[] = [];
    let after = 0;
    for (;;) {
      const res = await t.api('GET', `/api/v1/audit/feed?after=${after}&limit=7`, { token: acme.token });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/application\/x-ndjson/);
      const lines = (res.body as string).split('\n').filter(Boolean);
      const next = Number(res.headers.get('comptoir-next-after'));
      if (!lines.length) {
        expect(next).toBe(after);
        break;
      }
      for (const l of lines) seen.push((JSON.parse(l) as AuditEvent).seq!);
      after = next;
      if (seen.length > 500) break;
    }
    expect(seen.length).toBeGreaterThan(10);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));

    const ocsf = await t.api('GET', '/api/v1/audit/feed?after=0&limit=3&format=ocsf', { token: acme.token });
    const first = JSON.parse((ocsf.body as string).split('\n')[0]!);
    expect(first).toMatchObject({ class_uid: 6003, category_uid: 6, metadata: { sequence: 1 } });
    const cef = await t.api('GET', '/api/v1/audit/feed?after=0&limit=3&format=cef', { token: acme.token });
    expect((cef.body as string).split('\n')[0]).toMatch(
      /^CEF:0\|Comptoir\|Comptoir\|1\|tenancy\.tenant\.create\|.*\|3\|rt=\d+ externalId=aud_/,
    );
  });

  it('exports a range that verifies offline, and detects edits, deletions, reordering and insertions', async () => {
    const res = await t.api('GET', '/api/v1/audit/export', { token: acme.token });
    expect(res.status).toBe(200);
    const text = res.body as string;
    const keysRes = await t.api('GET', '/api/v1/audit/signing-keys');
    const pinned = keysRes.body.data.map((k: { public_key_pem: string }) =>
      createPublicKey(k.public_key_pem),
    );
    const ok = verifyExport(text, pinned);
    expect(ok.problems).toEqual([]);
    expect(ok).toMatchObject({ ok: true, keys: 'pinned', tenant_id: acme.tenantId });

    const lines = text.trim().split('\n');
    const eventLines = lines.map((l, i) => [l, i] as const).filter(([l]) => l.includes('"kind":"event"'));
    const [midLine, mid] = eventLines[3]!;
    const edited = [...lines];
    edited[mid] = midLine.replace(/"outcome":"success"/, '"outcome":"failure"');
    expect(edited[mid]).not.toBe(midLine);
    expect(verifyExport(edited.join('\n'), pinned).ok).toBe(false);

    const deleted = lines.filter((_, i) => i !== mid);
    expect(
      verifyExport(deleted.join('\n'), pinned)
        .problems.map((p) => p.problem)
        .join(),
    ).toMatch(/missing/);

    const reordered = [...lines];
    [reordered[mid], reordered[mid + 1]] = [reordered[mid + 1]!, reordered[mid]!];
    expect(verifyExport(reordered.join('\n'), pinned).ok).toBe(false);

    const inserted = [...lines];
    inserted.splice(mid, 0, midLine.replace(/"id":"aud_[^"]+"/, '"id":"aud_forged"'));
    expect(verifyExport(inserted.join('\n'), pinned).ok).toBe(false);

    const truncated = lines.filter((l) => !l.includes('"kind":"checkpoint"')).slice(0, -1);
    expect(verifyExport(truncated.join('\n'), pinned).ok).toBe(false);

    // A forger re-signing with their own key is caught when the published keys are pinned.
    const otherKeys = [
      createPublicKey((await import('node:crypto')).generateKeyPairSync('ed25519').privateKey),
    ];
    expect(verifyExport(text, otherKeys).problems.join()).not.toBe('');
  });

  it('detects tampering in the stored chain (superuser edits, deletes, swaps)', async () => {
    await t.comptoir.sealer.drain();
    const tenant = await t.newTenant('Tamper Target');
    for (let i = 0; i < 4; i++)
      await t.api('POST', '/api/v1/accounts', { token: tenant.token, body: { name: `N${i}` } });
    await t.comptoir.sealer.drain();
    const verify = async () =>
      (await t.api('GET', '/api/v1/audit/verification', { token: tenant.token })).body as {
        ok: boolean;
        problems: { seq: number; problem: string }[];
      };
    expect((await verify()).ok).toBe(true);
    const where = `tenant_id = '${tenant.tenantId}'`;
    await tamper(`update audit_events set actor_name = 'Someone else' where ${where} and seq = 3`);
    const edited = await verify();
    expect(edited.ok).toBe(false);
    expect(edited.problems).toContainEqual(
      expect.objectContaining({ seq: 3, problem: expect.stringMatching(/edited/) }),
    );
    await tamper(`delete from audit_events where ${where} and seq = 3`);
    expect((await verify()).problems.map((p) => p.problem).join()).toMatch(/missing/);
    await tamper(`update audit_events set seq = -seq where ${where} and seq in (4, 5)`);
    await tamper(`update audit_events set seq = 9 - seq where ${where} and seq in (-4, -5)`);
    expect((await verify()).ok).toBe(false);
  });

  it('keeps each tenant to its own trail: list, feed, export and verification', async () => {
    const own = await events(rival, '?limit=200');
    expect(own.data.length).toBeGreaterThan(0);
    expect(own.data.every((e) => e.tenant_id === rival.tenantId)).toBe(true);
    const acmeEvent = (await events(acme, '?limit=1')).data[0]!;
    expect((await events(rival, `?request_id=${acmeEvent.request_id}`)).data).toEqual([]);
    expect((await events(rival, `?resource_id=${acmeEvent.resource?.id ?? 'x'}`)).data).toEqual([]);
    await t.comptoir.sealer.drain();
    const feed = await t.api('GET', '/api/v1/audit/feed?after=0&limit=5000', { token: rival.token });
    for (const l of (feed.body as string).split('\n').filter(Boolean))
      expect(JSON.parse(l).tenant_id).toBe(rival.tenantId);
    const exp = await t.api('GET', '/api/v1/audit/export', { token: rival.token });
    expect(exp.body).not.toContain(acme.tenantId);
    const stored = rows<{ n: number }>(
      await inTenantTransaction(t.db, rival.tenantId, (tx) =>
        tx.execute(sql`select count(*)::int as n from audit_events where tenant_id <> ${rival.tenantId}`),
      ),
    );
    expect(stored[0]!.n).toBe(0);
  });
});
