import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { S3RVER_ACCESS_KEY_ID, startS3Server, type TestS3Server } from '../../test/s3-server.ts';
import { rows } from '../db/database.ts';
import { inTenantTransaction } from '../db/scope.ts';
import { newId } from '../ids.ts';
import type { ObjectStore } from '../storage/object-store.ts';
import { type AuditEvent, type Checkpoint, GENESIS_HASH, verifyChain } from './chain.ts';
import { AuditDelivery, type DeliveryRecord, retryDelayMs } from './delivery.ts';
import { S3_SECRET_PURPOSE } from './delivery-settings.ts';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCY-comptoir-test-secret';
const PREFIX = 'siem/comptoir';
const FILE_NAME = /\/audit-(\d{12})-(\d{12})\.jsonl\.gz$/;

const rangeOf = (key: string): [number, number] => {
  const m = FILE_NAME.exec(key);
  if (!m) throw new Error(`not an audit file name: ${key}`);
  return [Number(m[1]), Number(m[2])];
};
const seqs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const lines = (gz: Buffer) =>
  gunzipSync(gz)
    .toString('utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));

describe.each(DRIVERS)('audit SIEM push and retention, on %s', (driver) => {
  let t: TestApp;
  let s3: TestS3Server;
  let acme: TestTenant;
  let rival: TestTenant;
  const archiveDir = mkdtempSync(path.join(tmpdir(), 'comptoir-archive-'));
  const logs: string[] = [];
  let offsetMs = 0;

  const delivery = () => t.comptoir.auditDelivery;
  /** Moves the delivery worker's clock ahead (interval, backoff), instead of sleeping. */
  const advance = (ms: number) => {
    offsetMs += ms;
    delivery().clock = () => new Date(Date.now() + offsetMs);
  };
  const target = () => ({
    enabled: true,
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket: s3.bucket,
    prefix: `/${PREFIX}/`,
    access_key_id: S3RVER_ACCESS_KEY_ID,
    secret_access_key: SECRET,
    force_path_style: true,
  });
  const putSettings = (tenant: TestTenant, body: unknown) =>
    t.api('PUT', '/api/v1/audit/settings', { token: tenant.token, body });
  /** Audited writes (accounts created through the API), then everything sealed into the chain. */
  const makeEvents = async (tenant: TestTenant, n: number) => {
    for (let i = 0; i < n; i++) {
      const res = await t.api('POST', '/api/v1/accounts', {
        token: tenant.token,
        body: { name: `Client ${i}` },
      });
      expect(res.status).toBe(201);
    }
    await t.comptoir.sealer.drain();
  };
  /**
   * Events dated `daysAgo` in the past. Nothing in the application can backdate an event, so the
   * test inserts them as the database owner; the sealer then chains them like any other.
   */
  const insertAged = async (tenantId: string, n: number, daysAgo: number) => {
    const at = Date.now() - daysAgo * 86_400_000;
    await t.db.session(async (s) => {
      for (let i = 0; i < n; i++) {
        await s.query(
          `insert into audit_events (tenant_id, id, occurred_at, actor_type, actor_id, actor_name, action,
                                     resource_type, resource_id, outcome)
           values ($1, $2, $3, 'user', 'usr_legacy', 'Legacy import', 'accounts.account.update', 'account', $4, 'success')`,
          [tenantId, newId('aud'), new Date(at + i * 1000).toISOString(), `acct_${i}`],
        );
      }
    });
  };
  const count = async (tenantId: string, where: string) =>
    Number(
      (
        await t.db.session((s) =>
          s.query<{ n: string | number }>(
            `select count(*) as n from audit_events where tenant_id = $1 and ${where}`,
            [tenantId],
          ),
        )
      )[0]!.n,
    );
  const deliveries = async (tenant: TestTenant, query = '?limit=200') => {
    const res = await t.api<{ data: DeliveryRecord[] }>('GET', `/api/v1/audit/deliveries${query}`, {
      token: tenant.token,
    });
    expect(res.status).toBe(200);
    return res.body.data;
  };
  const deliveryById = async (tenant: TestTenant, id: string) => {
    const res = await t.api<DeliveryRecord>('GET', `/api/v1/audit/deliveries/${id}`, { token: tenant.token });
    expect(res.status).toBe(200);
    return res.body;
  };
  const checkpoints = async (tenant: TestTenant): Promise<Checkpoint[]> =>
    (await t.api('GET', '/api/v1/audit/checkpoints?limit=200', { token: tenant.token })).body.data;
  const pushedFiles = async (tenantId: string) =>
    (await s3.store.list(`${PREFIX}/${tenantId}/`)).filter(
      (k) => FILE_NAME.test(k) && !k.includes('/archive/'),
    );
  /**
   * What the customer does with the bucket: lists the files, checks that their ranges follow each
   * other from 1 without a gap or an overlap, and verifies all their events as one chain with the
   * published checkpoints and public keys.
   */
  const verifyBucket = async (tenant: TestTenant) => {
    const keys = (await pushedFiles(tenant.tenantId)).sort();
    const events: AuditEvent[] = [];
    let next = 1;
    for (const key of keys) {
      const [from, to] = rangeOf(key);
      expect(from, `${key} follows the previous file`).toBe(next);
      const body = (await s3.store.get(key))!;
      expect([body[0], body[1]], 'gzip magic number').toEqual([0x1f, 0x8b]);
      const evs = lines(body) as AuditEvent[];
      expect(evs.map((e) => e.seq)).toEqual(seqs(from, to));
      expect(new Set(evs.map((e) => e.tenant_id))).toEqual(new Set([tenant.tenantId]));
      events.push(...evs);
      next = to + 1;
    }
    const result = verifyChain(events, await checkpoints(tenant), t.comptoir.auditKeys.publicKeys, {
      seq: 0,
      hash: GENESIS_HASH,
    });
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    return { keys, through: next - 1, events };
  };

  beforeAll(async () => {
    s3 = await startS3Server();
    t = await startTestApp(driver, {
      config: { AUDIT_ARCHIVE_DIR: archiveDir, AUDIT_DELIVERY_BATCH_SIZE: '25', LOG_LEVEL: 'warn' },
      logStream: new Writable({
        write(chunk, _enc, done) {
          logs.push(String(chunk));
          done();
        },
      }),
    });
    acme = await t.newTenant('Acme Industrie');
    rival = await t.newTenant('Rival Distribution');
  });
  afterAll(async () => {
    await t.close();
    await s3.close();
    rmSync(archiveDir, { recursive: true, force: true });
  });

  it('configures the S3 target through the API; the secret is stored encrypted and never returned', async () => {
    const initial = await t.api('GET', '/api/v1/audit/settings', { token: acme.token });
    expect(initial.status).toBe(200);
    expect(initial.body).toEqual({
      retention_days: 365,
      enabled: false,
      endpoint: null,
      region: 'us-east-1',
      bucket: null,
      prefix: '',
      access_key_id: null,
      secret_access_key_set: false,
      force_path_style: false,
      format: 'json',
      interval_s: 300,
      updated_at: null,
    });

    const pointers = (res: { body: { errors?: { in: string; pointer: string }[] } }) =>
      (res.body.errors ?? []).map((e) => `${e.in}${e.pointer}`);
    const outOfRange = await putSettings(acme, { retention_days: 10 });
    expect(outOfRange.status).toBe(400);
    expect(pointers(outOfRange)).toEqual(['body/retention_days']);
    const incomplete = await putSettings(acme, { enabled: true });
    expect(incomplete.status).toBe(400);
    expect(pointers(incomplete)).toEqual(['body/bucket', 'body/access_key_id', 'body/secret_access_key']);
    expect(pointers(await putSettings(acme, { endpoint: 'ftp://s3.example.com' }))).toEqual([
      'body/endpoint',
    ]);
    expect(pointers(await putSettings(acme, { prefix: 'a/../b' }))).toEqual(['body/prefix']);
    expect(pointers(await putSettings(acme, { format: 'xml' }))).toEqual(['body/format']);
    expect((await putSettings(acme, {})).status).toBe(400);

    const res = await putSettings(acme, target());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      enabled: true,
      endpoint: s3.endpoint,
      bucket: s3.bucket,
      prefix: PREFIX,
      access_key_id: S3RVER_ACCESS_KEY_ID,
      secret_access_key_set: true,
      force_path_style: true,
      format: 'json',
      retention_days: 365,
    });
    expect(res.body).not.toHaveProperty('secret_access_key');
    expect(JSON.stringify(res.body)).not.toContain(SECRET);
    const read = await t.api('GET', '/api/v1/audit/settings', { token: acme.token });
    expect(read.body).toEqual(res.body);

    // In the database: only the sealed value, which opens for this tenant and no other.
    const [row] = await t.db.session((s) =>
      s.query<{ secret_access_key_sealed: string }>(
        'select secret_access_key_sealed from audit_settings where tenant_id = $1',
        [acme.tenantId],
      ),
    );
    expect(row!.secret_access_key_sealed).toMatch(/^v1\.[0-9a-f]{16}\./);
    expect(row!.secret_access_key_sealed).not.toContain(SECRET);
    expect(
      await t.comptoir.secrets.open(acme.tenantId, S3_SECRET_PURPOSE, row!.secret_access_key_sealed),
    ).toBe(SECRET);
    await expect(
      t.comptoir.secrets.open(rival.tenantId, S3_SECRET_PURPOSE, row!.secret_access_key_sealed),
    ).rejects.toThrow();

    // Audited, with the secret masked.
    const [event] = (
      await t.api('GET', `/api/v1/audit/events?request_id=${res.headers.get('x-request-id')}`, {
        token: acme.token,
      })
    ).body.data;
    expect(event).toMatchObject({ action: 'audit.settings.update', outcome: 'success' });
    expect(event.changes).toMatchObject({
      enabled: { before: false, after: true },
      bucket: { before: null, after: s3.bucket },
      secret_access_key: { before: null, after: '[masked]' },
    });
    expect(JSON.stringify(event)).not.toContain(SECRET);
  });

  it('pushes sealed events as gzip JSON-lines files named by sequence range, contiguous and verifiable', async () => {
    await makeEvents(acme, 30);
    const run = await t.api('POST', '/api/v1/audit/deliveries/run', { token: acme.token, body: {} });
    expect(run.status).toBe(200);
    expect(run.body.outcome).toBe('delivered');
    expect(run.body.deliveries.length).toBeGreaterThanOrEqual(2); // 25 events per file in this test
    expect(run.body.deliveries.every((d: DeliveryRecord) => d.status === 'delivered')).toBe(true);
    expect(run.body.delivered_through).toBe(run.body.head_seq);

    const bucket = await verifyBucket(acme);
    expect(bucket.through).toBe(run.body.delivered_through);
    expect(bucket.keys[0]).toBe(`${PREFIX}/${acme.tenantId}/audit-000000000001-000000000025.jsonl.gz`);
    expect(bucket.events.filter((e) => e.action === 'accounts.account.create')).toHaveLength(30);

    const listed = await deliveries(acme, '?target=s3&limit=200');
    expect(listed.map((d) => d.object_key).sort()).toEqual(bucket.keys);
    expect(listed.every((d) => d.status === 'delivered' && d.attempts === 0 && d.format === 'json')).toBe(
      true,
    );
    expect(listed[0]).toMatchObject({ destination: `s3://${s3.bucket}`, last_error: null });
    expect(listed.reduce((n, d) => n + d.event_count, 0)).toBe(bucket.through);
    // Cursor pagination, newest first.
    const page1 = await t.api('GET', '/api/v1/audit/deliveries?limit=1', { token: acme.token });
    expect(page1.body.data).toHaveLength(1);
    expect(page1.body.next_cursor).toEqual(expect.any(String));
    const page2 = await t.api('GET', `/api/v1/audit/deliveries?limit=1&cursor=${page1.body.next_cursor}`, {
      token: acme.token,
    });
    expect(page2.body.data[0].id < page1.body.data[0].id).toBe(true);
    // The manual run is itself audited.
    const ran = await t.api('GET', `/api/v1/audit/events?request_id=${run.headers.get('x-request-id')}`, {
      token: acme.token,
    });
    expect(ran.body.data.map((e: AuditEvent) => [e.action, e.outcome])).toEqual([
      ['audit.delivery.run', 'success'],
    ]);
  });

  it('ships only the new events in the next round, once the interval has elapsed', async () => {
    const before = await pushedFiles(acme.tenantId);
    await makeEvents(acme, 3);
    // The interval (300 s) has not elapsed since the last delivery: nothing goes out.
    expect(await delivery().runRound()).toBe(0);
    advance(301_000);
    expect(await delivery().runRound()).toBe(1);
    const after = await verifyBucket(acme);
    expect(after.keys.filter((k) => before.includes(k))).toEqual([...before].sort());
    const added = after.keys.filter((k) => !before.includes(k));
    expect(added).toHaveLength(1);
    expect(rangeOf(added[0]!)[0]).toBe(Math.max(...before.map((k) => rangeOf(k)[1])) + 1);
    // Nothing new: a forced run has nothing to send.
    const idle = await delivery().runTenant(acme.tenantId, { force: true });
    expect(idle).toMatchObject({ outcome: 'idle', deliveries: [] });
    expect(await pushedFiles(acme.tenantId)).toHaveLength(after.keys.length);
  });

  it('retries with backoff while the bucket is unreachable, raises the alert at the 5th failure, then catches up without gap or duplicate', async () => {
    await s3.stop();
    await makeEvents(acme, 4);
    advance(301_000);
    expect(await delivery().runRound()).toBe(0);
    let [open] = await deliveries(acme, '?limit=1');
    expect(open).toMatchObject({ target: 's3', status: 'pending', attempts: 1 });
    expect(open!.last_error).toMatch(/ECONNREFUSED|connect/i);
    expect(open!.last_error).not.toContain(SECRET);
    const delay = () => Date.parse(open!.next_attempt_at!) - delivery().clock().getTime();
    expect(delay()).toBeGreaterThan(retryDelayMs(1) - 5000);
    expect(delay()).toBeLessThanOrEqual(retryDelayMs(1));
    // Within the backoff, nothing is attempted.
    expect(await delivery().runRound()).toBe(0);
    expect((await deliveryById(acme, open!.id)).attempts).toBe(1);

    for (let attempt = 2; attempt <= 5; attempt++) {
      advance(delay() + 1000);
      expect(await delivery().runRound()).toBe(0);
      open = await deliveryById(acme, open!.id);
      expect(open.attempts).toBe(attempt);
      // Exponential: 1, 2, 4, 8, 16 minutes.
      expect(delay()).toBeGreaterThan(retryDelayMs(attempt) - 5000);
      expect(delay()).toBeLessThanOrEqual(retryDelayMs(attempt));
      expect(open.status).toBe(attempt < 5 ? 'pending' : 'failed');
    }

    // The alert: status visible through the API, an audit event, an outbox event, an error log.
    expect((await deliveries(acme, '?status=failed')).map((d) => d.id)).toEqual([open!.id]);
    const alerts = async () =>
      (await t.api('GET', '/api/v1/audit/events?action=audit.delivery.failed', { token: acme.token })).body
        .data as AuditEvent[];
    const [alert] = await alerts();
    expect(alert).toMatchObject({
      outcome: 'failure',
      resource: { type: 'audit_delivery', id: open!.id },
      actor: { type: 'system', id: 'system:audit-delivery' },
      metadata: { target: 's3', attempts: 5, from_seq: open!.from_seq, to_seq: open!.to_seq },
    });
    const outbox = await t.db.session((s) =>
      s.query<{ payload: unknown }>(
        `select payload from outbox_events where tenant_id = $1 and type = 'audit.delivery.failing'`,
        [acme.tenantId],
      ),
    );
    expect(outbox).toHaveLength(1);
    const payload =
      typeof outbox[0]!.payload === 'string' ? JSON.parse(outbox[0]!.payload) : outbox[0]!.payload;
    expect(payload).toMatchObject({ delivery_id: open!.id, target: 's3', attempts: 5 });
    const logText = logs.join('');
    expect(logText).toContain('audit delivery failing');
    expect(logText).toContain(open!.id);
    for (const text of [logText, JSON.stringify(alert), JSON.stringify(payload), JSON.stringify(open)])
      expect(text).not.toContain(SECRET);

    // A 6th failure: still failed and retried, but no second alert.
    advance(delay() + 1000);
    await delivery().runRound();
    open = await deliveryById(acme, open!.id);
    expect(open).toMatchObject({ attempts: 6, status: 'failed' });
    expect(await alerts()).toHaveLength(1);

    // The bucket answers again: the same file goes out at its next retry, then the rest follows.
    await s3.start();
    advance(delay() + 1000);
    expect(await delivery().runRound()).toBe(1);
    expect(await deliveryById(acme, open!.id)).toMatchObject({ status: 'delivered', last_error: null });
    await t.comptoir.sealer.drain();
    const caughtUp = await delivery().runTenant(acme.tenantId, { force: true });
    expect(caughtUp.delivered_through).toBe(caughtUp.head_seq);
    const bucket = await verifyBucket(acme);
    expect(bucket.through).toBe(caughtUp.head_seq);
    expect(new Set(bucket.events.map((e) => e.seq)).size).toBe(bucket.events.length);
    expect(bucket.events.some((e) => e.action === 'audit.delivery.failed')).toBe(true);
    expect((await deliveries(acme, '?target=s3&limit=200')).every((d) => d.status === 'delivered')).toBe(
      true,
    );
  });

  it("keeps one tenant's settings and deliveries invisible to another", async () => {
    const settings = await t.api('GET', '/api/v1/audit/settings', { token: rival.token });
    expect(settings.body).toMatchObject({
      enabled: false,
      bucket: null,
      access_key_id: null,
      secret_access_key_set: false,
    });
    expect(JSON.stringify(settings.body)).not.toContain(acme.tenantId);
    expect(await deliveries(rival)).toEqual([]);
    const [acmeDelivery] = await deliveries(acme, '?limit=1');
    const other = await t.api('GET', `/api/v1/audit/deliveries/${acmeDelivery!.id}`, { token: rival.token });
    expect(other.status).toBe(404);
    expect(JSON.stringify(other.body)).not.toContain(acmeDelivery!.object_key);
    const run = await t.api('POST', '/api/v1/audit/deliveries/run', { token: rival.token, body: {} });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ outcome: 'disabled', deliveries: [] });
    expect(await s3.store.list(`${PREFIX}/${rival.tenantId}/`)).toEqual([]);
    // Rival's own change leaves Acme's settings as they were.
    expect((await putSettings(rival, { retention_days: 90 })).status).toBe(200);
    expect((await t.api('GET', '/api/v1/audit/settings', { token: acme.token })).body.retention_days).toBe(
      365,
    );
    // And the database itself shows the rival nothing of Acme's, whatever the query.
    const seen = await inTenantTransaction(t.db, rival.tenantId, async (tx) =>
      rows<{ tenant_id: string }>(
        await tx.execute(
          sql`select tenant_id from audit_deliveries union all select tenant_id from audit_settings`,
        ),
      ),
    );
    expect(seen.map((r) => r.tenant_id)).toEqual([rival.tenantId]);
  });

  it('retention archives old events first, signs a checkpoint at the cut, prunes, and the chain still verifies', async () => {
    const old = await t.newTenant('Old Trail');
    await insertAged(old.tenantId, 40, 400);
    await makeEvents(old, 2); // seals: the 40 old events first (seq 1–40), then today's
    expect(
      await count(old.tenantId, "seq between 1 and 40 and occurred_at < now() - interval '399 days'"),
    ).toBe(40);

    // If the archive cannot be written, nothing is pruned.
    const broken: ObjectStore = {
      destination: 'file:broken',
      put: async () => {
        throw new Error('ENOSPC: no space left on device');
      },
      get: async () => null,
      list: async () => [],
      delete: async () => {},
    };
    const failing = new AuditDelivery(t.db, t.comptoir.auditKeys, t.comptoir.secrets, {
      pollMs: 60_000,
      batchSize: 25,
      retentionIntervalMs: 86_400_000,
      archiveStore: broken,
      allowPrivateEndpoints: true,
    });
    const refused = await failing.retainTenant(old.tenantId);
    expect(refused).toMatchObject({ outcome: 'archive_failed', pruned: 0 });
    expect(refused.detail).toMatch(/ENOSPC/);
    expect(await count(old.tenantId, 'seq <= 40')).toBe(40);

    // The deployment's worker (archive under AUDIT_ARCHIVE_DIR) retries the file and prunes.
    const rounds = await delivery().runRetention();
    const r = rounds.find((x) => x.tenant_id === old.tenantId)!;
    expect(r).toMatchObject({ outcome: 'pruned', cut: 40, pruned: 40 });
    expect(r.archived.map((d) => [d.target, d.from_seq, d.to_seq, d.status])).toEqual([
      ['archive', 1, 25, 'delivered'],
      ['archive', 26, 40, 'delivered'],
    ]);
    const dir = path.join(archiveDir, old.tenantId);
    const files = readdirSync(dir).sort();
    expect(files).toEqual([
      'audit-000000000001-000000000025.jsonl.gz',
      'audit-000000000026-000000000040.jsonl.gz',
    ]);
    const archived = files.flatMap((f) => lines(readFileSync(path.join(dir, f)))) as AuditEvent[];
    expect(archived.map((e) => e.seq)).toEqual(seqs(1, 40));

    // A signed checkpoint exactly at the cut, marked archived; the archive verifies up to it.
    const cps = await checkpoints(old);
    const atCut = cps.find((c) => c.seq === 40)!;
    expect(atCut).toBeDefined();
    expect(atCut.hash).toBe(archived.at(-1)!.hash);
    const [stored] = await t.db.session((s) =>
      s.query<{ archived: boolean }>(
        'select archived from audit_checkpoints where tenant_id = $1 and seq = 40',
        [old.tenantId],
      ),
    );
    expect(stored!.archived).toBe(true);
    const offline = verifyChain(
      archived,
      cps.filter((c) => c.seq <= 40),
      t.comptoir.auditKeys.publicKeys,
      { seq: 0, hash: GENESIS_HASH },
    );
    expect(offline).toMatchObject({ ok: true, events_checked: 40 });

    // Pruned in the database; today's events kept.
    expect(await count(old.tenantId, 'seq <= 40')).toBe(0);
    expect(await count(old.tenantId, 'seq > 40')).toBeGreaterThan(0);
    await t.comptoir.sealer.drain();
    const verification = await t.api('GET', '/api/v1/audit/verification', { token: old.token });
    expect(verification.status).toBe(200);
    expect(verification.body).toMatchObject({ ok: true, anchor: 'checkpoint', first_seq: 41, problems: [] });

    // Recorded in the trail; and a second run finds nothing more to prune.
    const [pruneEvent] = (
      await t.api('GET', '/api/v1/audit/events?action=audit.retention.prune', { token: old.token })
    ).body.data;
    expect(pruneEvent.metadata).toMatchObject({ through_seq: 40, events_pruned: 40, retention_days: 365 });
    expect((await delivery().retainTenant(old.tenantId)).outcome).toBe('nothing_to_prune');
    // Young trails are left alone.
    expect((await delivery().retainTenant(acme.tenantId)).outcome).toBe('nothing_to_prune');
  });

  it('while the S3 push is on, retention waits for the push to deliver, then archives native JSON to the bucket', async () => {
    const pushed = await t.newTenant('Pushed Trail');
    expect((await putSettings(pushed, { ...target(), format: 'ocsf', retention_days: 180 })).status).toBe(
      200,
    );
    await insertAged(pushed.tenantId, 30, 200);
    await t.comptoir.sealer.drain();

    await s3.stop();
    expect(await delivery().retainTenant(pushed.tenantId)).toMatchObject({
      outcome: 'waiting_for_push',
      pruned: 0,
    });
    expect((await delivery().runTenant(pushed.tenantId, { force: true })).outcome).toBe('failed');
    expect(await delivery().retainTenant(pushed.tenantId)).toMatchObject({
      outcome: 'waiting_for_push',
      pruned: 0,
    });
    expect(await count(pushed.tenantId, 'seq <= 30')).toBe(30);

    await s3.start();
    const pushedRound = await delivery().runTenant(pushed.tenantId, { force: true });
    expect(pushedRound.outcome).toBe('delivered');
    // The SIEM files are OCSF, as configured…
    const first = (await pushedFiles(pushed.tenantId)).sort()[0]!;
    expect(lines((await s3.store.get(first))!)[0]).toMatchObject({
      class_uid: 6003,
      metadata: { sequence: 1 },
    });

    // …so retention writes the archive in the native, verifiable format, next to them.
    const r = await delivery().retainTenant(pushed.tenantId);
    expect(r).toMatchObject({ outcome: 'pruned', cut: 30, pruned: 30 });
    const archiveKeys = (await s3.store.list(`${PREFIX}/${pushed.tenantId}/archive/`)).sort();
    expect(archiveKeys.map((k) => rangeOf(k))).toEqual([
      [1, 25],
      [26, 30],
    ]);
    const archived: AuditEvent[] = [];
    for (const k of archiveKeys) archived.push(...(lines((await s3.store.get(k))!) as AuditEvent[]));
    expect(
      verifyChain(archived, await checkpoints(pushed), t.comptoir.auditKeys.publicKeys, {
        seq: 0,
        hash: GENESIS_HASH,
      }).ok,
    ).toBe(true);
    await t.comptoir.sealer.drain();
    const verification = await t.api('GET', '/api/v1/audit/verification', { token: pushed.token });
    expect(verification.body).toMatchObject({ ok: true, anchor: 'checkpoint', first_seq: 31 });
  });
});
