import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson } from '../canonical-json.ts';

/**
 * The audit chain, as pure functions: how an event's hash is computed, how a checkpoint is signed,
 * and how an export is verified offline. docs/audit.md describes the same thing for customers.
 */

export const GENESIS_HASH = '0'.repeat(64);

export type Outcome = 'success' | 'failure' | 'denied';

/** An audit event as exported and hashed (snake_case, the API's shape). */
export interface AuditEvent {
  id: string;
  tenant_id: string;
  seq: number | null;
  occurred_at: string;
  actor: { type: string; id: string; name: string };
  on_behalf_of: { type: string; id: string; name: string; reason?: string } | null;
  source_ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  action: string;
  resource: { type: string; id: string | null } | null;
  outcome: Outcome;
  reason: string | null;
  changes: Record<string, { before: unknown; after: unknown }> | null;
  metadata: Record<string, unknown> | null;
  prev_hash: string | null;
  hash: string | null;
}

export interface Checkpoint {
  tenant_id: string;
  seq: number;
  hash: string;
  signed_at: string;
  key_id: string;
  signature: string;
}

/** SHA-256 (hex) of the canonical JSON of the event without its own `hash`. */
export function eventHash(event: AuditEvent): string {
  const { hash: _hash, ...content } = event;
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** Places `events` (in order) after `prev` in the chain: assigns seq, prev_hash and hash. */
export function chainEvents(events: AuditEvent[], prev: { seq: number; hash: string }): AuditEvent[] {
  let seq = prev.seq;
  let prevHash = prev.hash;
  return events.map((e) => {
    seq += 1;
    const linked: AuditEvent = { ...e, seq, prev_hash: prevHash, hash: null };
    linked.hash = eventHash(linked);
    prevHash = linked.hash;
    return linked;
  });
}

/** The bytes a checkpoint signature covers. */
export function checkpointMessage(c: Omit<Checkpoint, 'signature'>): Buffer {
  return Buffer.from(
    canonicalJson({
      tenant_id: c.tenant_id,
      seq: c.seq,
      hash: c.hash,
      signed_at: c.signed_at,
      key_id: c.key_id,
    }),
  );
}

/** Key ID: the first 16 hex characters of the SHA-256 of the public key (SPKI DER). */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

export function signCheckpoint(
  c: Omit<Checkpoint, 'signature' | 'key_id'>,
  privateKey: KeyObject,
): Checkpoint {
  const keyId = keyIdOf(createPublicKey(privateKey));
  const unsigned = { ...c, key_id: keyId };
  return { ...unsigned, signature: sign(null, checkpointMessage(unsigned), privateKey).toString('base64') };
}

export function checkpointSignatureValid(c: Checkpoint, publicKeys: Map<string, KeyObject>): boolean {
  const key = publicKeys.get(c.key_id);
  if (!key) return false;
  try {
    return verify(null, checkpointMessage(c), key, Buffer.from(c.signature, 'base64'));
  } catch {
    return false;
  }
}

export interface VerificationProblem {
  seq: number | null;
  id?: string;
  problem: string;
}

export interface VerificationResult {
  ok: boolean;
  events_checked: number;
  checkpoints_checked: number;
  first_seq: number | null;
  last_seq: number | null;
  problems: VerificationProblem[];
}

/**
 * Verifies a contiguous range of sealed events and the checkpoints that fall in it. Detects an edited
 * event (its hash no longer matches), a deleted one (a gap in seq, a broken prev_hash link), reordered
 * or inserted ones (seq out of order, broken links) and forged checkpoints (bad signature, or a hash
 * that is not the event's). `anchor` is the trusted hash before the first event: the genesis hash when
 * the range starts at seq 1, else the hash of a verified checkpoint or of the previous export.
 */
export function verifyChain(
  events: AuditEvent[],
  checkpoints: Checkpoint[],
  publicKeys: Map<string, KeyObject>,
  anchor?: { seq: number; hash: string },
): VerificationResult {
  const problems: VerificationProblem[] = [];
  const bySeq = new Map<number, AuditEvent>();
  let expectedSeq: number | null = anchor ? anchor.seq + 1 : null;
  let prevHash: string | null = anchor ? anchor.hash : null;
  for (const e of events) {
    if (e.seq === null || e.hash === null) {
      problems.push({ seq: e.seq, id: e.id, problem: 'event is not sealed' });
      continue;
    }
    if (expectedSeq === null) {
      expectedSeq = e.seq;
      if (e.seq === 1 && e.prev_hash !== GENESIS_HASH)
        problems.push({ seq: 1, id: e.id, problem: 'first event does not start from the genesis hash' });
    }
    if (e.seq !== expectedSeq) {
      problems.push({
        seq: e.seq,
        id: e.id,
        problem:
          e.seq > expectedSeq
            ? `events ${expectedSeq}–${e.seq - 1} are missing`
            : `sequence goes back from ${expectedSeq - 1} to ${e.seq}`,
      });
    }
    if (prevHash !== null && e.prev_hash !== prevHash) {
      problems.push({ seq: e.seq, id: e.id, problem: 'prev_hash does not match the previous event' });
    }
    if (eventHash(e) !== e.hash)
      problems.push({ seq: e.seq, id: e.id, problem: 'content does not match its hash (edited)' });
    bySeq.set(e.seq, e);
    prevHash = e.hash;
    expectedSeq = e.seq + 1;
  }
  let checkpointsChecked = 0;
  for (const c of checkpoints) {
    if (!checkpointSignatureValid(c, publicKeys)) {
      problems.push({ seq: c.seq, problem: `checkpoint signature is not valid (key ${c.key_id})` });
      continue;
    }
    const e = bySeq.get(c.seq);
    if (e && e.hash !== c.hash)
      problems.push({ seq: c.seq, problem: 'signed checkpoint does not match the event at this position' });
    if (anchor && c.seq === anchor.seq && c.hash !== anchor.hash)
      problems.push({ seq: c.seq, problem: 'anchor does not match the checkpoint' });
    checkpointsChecked += 1;
  }
  const sealed = events.filter((e) => e.seq !== null);
  return {
    ok: problems.length === 0,
    events_checked: sealed.length,
    checkpoints_checked: checkpointsChecked,
    first_seq: sealed[0]?.seq ?? null,
    last_seq: sealed.at(-1)?.seq ?? null,
    problems,
  };
}
