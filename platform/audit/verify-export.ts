import { createPublicKey, type KeyObject } from 'node:crypto';
import { type AuditEvent, type Checkpoint, keyIdOf, type VerificationResult, verifyChain } from './chain.ts';
import type { ExportHeader } from './service.ts';

export interface ExportVerification extends VerificationResult {
  tenant_id: string | null;
  /** Where the public keys came from: pinned by the verifier, or (weaker) the export's own header. */
  keys: 'pinned' | 'from-export';
}

/**
 * Verifies an export (JSON lines from GET /api/v1/audit/export) offline, with nothing but the file and
 * the public keys: every hash and link from the anchor, and every checkpoint signature. Pass the keys
 * published at /api/v1/audit/signing-keys (pinned); without them the export's own keys are used, which
 * proves internal consistency but not origin.
 */
export function verifyExport(text: string, pinnedKeys: KeyObject[] = []): ExportVerification {
  const problems: VerificationResult['problems'] = [];
  let header: ExportHeader | null = null;
  const events: AuditEvent[] = [];
  const checkpoints: Checkpoint[] = [];
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  lines.forEach((line, i) => {
    let record: { kind?: string } & Record<string, unknown>;
    try {
      record = JSON.parse(line);
    } catch {
      problems.push({ seq: null, problem: `line ${i + 1} is not JSON` });
      return;
    }
    const { kind, ...rest } = record;
    if (kind === 'header') header = record as unknown as ExportHeader;
    else if (kind === 'event') events.push(rest as unknown as AuditEvent);
    else if (kind === 'checkpoint') checkpoints.push(rest as unknown as Checkpoint);
    else problems.push({ seq: null, problem: `line ${i + 1} has an unknown kind` });
  });
  const h = header as ExportHeader | null;
  if (!h) problems.push({ seq: null, problem: 'the export has no header line' });

  const keys = new Map<string, KeyObject>();
  if (pinnedKeys.length) for (const k of pinnedKeys) keys.set(keyIdOf(k), k);
  else for (const k of h?.public_keys ?? []) keys.set(k.key_id, createPublicKey(k.public_key_pem));

  const anchor = h?.anchor?.hash ? { seq: h.anchor.seq, hash: h.anchor.hash } : undefined;
  const result = verifyChain(events, checkpoints, keys, anchor);
  if (h) {
    for (const e of events)
      if (e.tenant_id !== h.tenant_id)
        result.problems.push({ seq: e.seq, id: e.id, problem: 'event of another tenant' });
    const last = events.at(-1)?.seq ?? h.from_seq - 1;
    if (last < h.to_seq)
      result.problems.push({ seq: last + 1, problem: `events ${last + 1}–${h.to_seq} are missing` });
    if (events.length && events[0]!.seq !== h.from_seq)
      result.problems.push({ seq: h.from_seq, problem: 'the export does not start where its header says' });
    // The last event should be covered by a signed checkpoint for the range to be provably complete.
    if (events.length && !checkpoints.some((c) => c.seq === last))
      result.problems.push({
        seq: last,
        problem: 'no signed checkpoint covers the last event (export again after the next checkpoint)',
      });
  }
  const all = [...problems, ...result.problems];
  return {
    ...result,
    ok: all.length === 0,
    problems: all,
    tenant_id: h?.tenant_id ?? null,
    keys: pinnedKeys.length ? 'pinned' : 'from-export',
  };
}
