import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type AuditEvent, chainEvents, GENESIS_HASH, keyIdOf, signCheckpoint, verifyChain } from './chain.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const keys = new Map([[keyIdOf(publicKey), publicKey]]);

function event(i: number): AuditEvent {
  return {
    id: `aud_${i}`,
    tenant_id: 'ten_a',
    seq: null,
    occurred_at: new Date(Date.UTC(2026, 10, 23, 9, 0, i)).toISOString(),
    actor: { type: 'user', id: 'usr_1', name: 'Claire Martin' },
    on_behalf_of: null,
    source_ip: '203.0.113.7',
    user_agent: 'test',
    request_id: `req_${i}`,
    action: 'accounts.account.update',
    resource: { type: 'account', id: `acct_${i}` },
    outcome: 'success',
    reason: null,
    changes: { status: { before: 'active', after: 'blocked' } },
    metadata: null,
    prev_hash: null,
    hash: null,
  };
}

function trail(n: number) {
  const events = chainEvents(
    Array.from({ length: n }, (_, i) => event(i + 1)),
    { seq: 0, hash: GENESIS_HASH },
  );
  const head = events.at(-1)!;
  const checkpoint = signCheckpoint(
    { tenant_id: 'ten_a', seq: head.seq!, hash: head.hash!, signed_at: '2026-11-23T10:00:00.000Z' },
    privateKey,
  );
  return { events, checkpoints: [checkpoint] };
}

describe('the audit hash chain, verified offline', () => {
  it('an untouched export verifies', () => {
    const { events, checkpoints } = trail(10);
    expect(verifyChain(events, checkpoints, keys)).toMatchObject({
      ok: true,
      events_checked: 10,
      checkpoints_checked: 1,
      first_seq: 1,
      last_seq: 10,
    });
  });

  it('editing one field of one event is detected, at that event', () => {
    const { events, checkpoints } = trail(10);
    events[4] = { ...events[4]!, changes: { status: { before: 'active', after: 'active' } } };
    const r = verifyChain(events, checkpoints, keys);
    expect(r.ok).toBe(false);
    expect(r.problems).toContainEqual(
      expect.objectContaining({ seq: 5, problem: 'content does not match its hash (edited)' }),
    );
  });

  it('editing an event and recomputing its hash breaks the next link', () => {
    const { events, checkpoints } = trail(10);
    const forged = { ...events[4]!, actor: { type: 'user', id: 'usr_2', name: 'Someone Else' } };
    const rehashed = chainEvents([forged], { seq: 4, hash: events[3]!.hash! })[0]!;
    events[4] = rehashed;
    const r = verifyChain(events, checkpoints, keys);
    expect(r.problems).toContainEqual(
      expect.objectContaining({ seq: 6, problem: 'prev_hash does not match the previous event' }),
    );
  });

  it('deleting an event is detected as a gap', () => {
    const { events, checkpoints } = trail(10);
    events.splice(6, 1);
    const r = verifyChain(events, checkpoints, keys);
    expect(r.problems).toContainEqual(expect.objectContaining({ seq: 8, problem: 'events 7–7 are missing' }));
  });

  it('reordering two events is detected', () => {
    const { events, checkpoints } = trail(10);
    [events[2], events[3]] = [events[3]!, events[2]!];
    expect(verifyChain(events, checkpoints, keys).ok).toBe(false);
  });

  it('inserting a forged event is detected', () => {
    const { events, checkpoints } = trail(10);
    const fake = chainEvents([event(99)], { seq: 3, hash: events[2]!.hash! })[0]!;
    events.splice(3, 0, fake);
    expect(verifyChain(events, checkpoints, keys).ok).toBe(false);
  });

  it('rewriting the whole chain is detected by the signed checkpoint', () => {
    const { events, checkpoints } = trail(5);
    const rewritten = chainEvents(
      events.map((e) => ({ ...e, outcome: 'failure' as const })),
      { seq: 0, hash: GENESIS_HASH },
    );
    const r = verifyChain(rewritten, checkpoints, keys);
    expect(r.problems).toContainEqual(
      expect.objectContaining({
        seq: 5,
        problem: 'signed checkpoint does not match the event at this position',
      }),
    );
  });

  it('a checkpoint signed with another key, or altered, is refused', () => {
    const { events, checkpoints } = trail(3);
    const other = generateKeyPairSync('ed25519').privateKey;
    const forged = signCheckpoint(
      { tenant_id: 'ten_a', seq: 3, hash: events[2]!.hash!, signed_at: '2026-11-23T10:00:00.000Z' },
      other,
    );
    expect(verifyChain(events, [forged], keys).ok).toBe(false);
    expect(
      verifyChain(events, [{ ...checkpoints[0]!, signed_at: '2027-01-01T00:00:00.000Z' }], keys).ok,
    ).toBe(false);
  });

  it('a range verifies from a trusted anchor, and fails from a wrong one', () => {
    const { events, checkpoints } = trail(10);
    const range = events.slice(5);
    expect(verifyChain(range, checkpoints, keys, { seq: 5, hash: events[4]!.hash! }).ok).toBe(true);
    expect(verifyChain(range, checkpoints, keys, { seq: 5, hash: GENESIS_HASH }).ok).toBe(false);
  });
});
