import type { AuditEvent } from './chain.ts';

/**
 * SIEM formats of an audit event. The native JSON is the event exactly as hashed (it verifies);
 * CEF and OCSF are mappings for collectors that expect them (docs/audit.md has the field tables).
 * Each format is one line per event (JSON lines / CEF lines).
 */
export const AUDIT_FORMATS = ['json', 'cef', 'ocsf'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];

const PRODUCT = { vendor: 'Comptoir', product: 'Comptoir', version: '1' };

/** CEF header fields escape backslash and pipe. */
function cefHeader(v: string): string {
  return v
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
}

/** CEF extension values escape backslash, equals and line breaks. */
function cefValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/** Severity 0–10: denied attempts 7, failures 5, successful changes 3, reads 1. */
export function severityOf(e: AuditEvent): number {
  if (e.outcome === 'denied') return 7;
  if (e.outcome === 'failure') return 5;
  return verbOf(e.action) === 'read' ? 1 : 3;
}

function verbOf(action: string): string {
  return action.split('.').at(-1) ?? action;
}

/** ArcSight Common Event Format (CEF:0), as read by ArcSight, QRadar and Microsoft Sentinel. */
export function toCef(e: AuditEvent): string {
  const ext: [string, string | number | null | undefined][] = [
    ['rt', Date.parse(e.occurred_at)],
    ['externalId', e.id],
    ['act', e.action],
    ['outcome', e.outcome],
    ['reason', e.reason],
    ['suid', e.actor.id],
    ['suser', e.actor.name],
    ['cs1Label', 'tenantId'],
    ['cs1', e.tenant_id],
    ['cs2Label', 'actorType'],
    ['cs2', e.actor.type],
    ['cs3Label', 'resourceType'],
    ['cs3', e.resource?.type],
    ['cs4Label', 'resourceId'],
    ['cs4', e.resource?.id],
    ['cs5Label', 'requestId'],
    ['cs5', e.request_id],
    ['cs6Label', 'onBehalfOf'],
    ['cs6', e.on_behalf_of ? `${e.on_behalf_of.type}:${e.on_behalf_of.id}` : null],
    ['cn1Label', 'sequence'],
    ['cn1', e.seq],
    ['src', e.source_ip],
    ['requestClientApplication', e.user_agent],
  ];
  const extension = ext
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${cefValue(String(v))}`)
    .join(' ');
  return [
    'CEF:0',
    cefHeader(PRODUCT.vendor),
    cefHeader(PRODUCT.product),
    cefHeader(PRODUCT.version),
    cefHeader(e.action),
    cefHeader(`${e.action} ${e.outcome}`),
    String(severityOf(e)),
    extension,
  ].join('|');
}

const OCSF_ACTIVITY: Record<string, number> = {
  create: 1,
  read: 2,
  list: 2,
  export: 2,
  update: 3,
  delete: 4,
};

/** OCSF 1.1 "API Activity" (class 6003) event. */
export function toOcsf(e: AuditEvent): Record<string, unknown> {
  const activityId = OCSF_ACTIVITY[verbOf(e.action)] ?? 99;
  const severity = severityOf(e);
  return {
    category_uid: 6,
    class_uid: 6003,
    activity_id: activityId,
    type_uid: 6003 * 100 + activityId,
    time: Date.parse(e.occurred_at),
    severity_id: severity >= 7 ? 4 : severity >= 5 ? 3 : 1,
    status_id: e.outcome === 'success' ? 1 : 2,
    status: e.outcome === 'success' ? 'Success' : 'Failure',
    ...(e.reason ? { status_detail: e.reason } : {}),
    actor: {
      user: { uid: e.actor.id, name: e.actor.name, type: e.actor.type },
      ...(e.on_behalf_of ? { invoked_by: `${e.on_behalf_of.type}:${e.on_behalf_of.id}` } : {}),
    },
    api: { operation: e.action, request: { uid: e.request_id } },
    src_endpoint: { ip: e.source_ip },
    http_request: { user_agent: e.user_agent },
    resources: e.resource ? [{ type: e.resource.type, uid: e.resource.id }] : [],
    metadata: {
      version: '1.1.0',
      uid: e.id,
      sequence: e.seq,
      tenant_uid: e.tenant_id,
      product: { name: PRODUCT.product, vendor_name: PRODUCT.vendor },
    },
    unmapped: {
      outcome: e.outcome,
      changes: e.changes,
      metadata: e.metadata,
      on_behalf_of: e.on_behalf_of,
      hash: e.hash,
      prev_hash: e.prev_hash,
    },
  };
}

/** One line (without the newline) of the feed in the chosen format. */
export function formatLine(e: AuditEvent, format: AuditFormat): string {
  if (format === 'cef') return toCef(e);
  if (format === 'ocsf') return JSON.stringify(toOcsf(e));
  return JSON.stringify(e);
}

export const CONTENT_TYPES: Record<AuditFormat, string> = {
  json: 'application/x-ndjson; charset=utf-8',
  ocsf: 'application/x-ndjson; charset=utf-8',
  cef: 'text/plain; charset=utf-8',
};
