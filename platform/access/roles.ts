import type { PermissionDefinition } from './permissions.ts';

/**
 * Predefined roles, administrative permissions and the catalogue they are resolved against.
 *
 * A predefined role is a rule over the permission catalogue (`include` / `exclude` patterns, `*`
 * matching one dotted segment), not a frozen list: a module that declares `orders.order.read`
 * tomorrow is in `read_only` and `auditor` at once. docs/access-control.md shows the table.
 */

export type Audience = 'staff' | 'customer';

export interface RoleRule {
  key: string;
  name: string;
  description: string;
  audience: Audience;
  /** Patterns of permission names (`catalog.*.*`, `*.*.read`); `*` alone: every tenant permission. */
  include: string[];
  exclude?: string[];
}

/** The access-control permissions (registered in src/app.ts like the other platform catalogues). */
export const ACCESS_PERMISSIONS: PermissionDefinition[] = [
  {
    name: 'iam.role.read',
    description: 'See roles, role assignments, separation-of-duties rules and exceptions',
  },
  { name: 'iam.role.write', description: 'Create, change and delete custom roles' },
  {
    name: 'iam.role.assign',
    description: 'Assign and revoke roles; request separation-of-duties exceptions',
  },
  {
    name: 'iam.policy.write',
    description:
      'Configure separation-of-duties rules and the security contacts told of privilege elevations',
  },
  {
    name: 'iam.sod_exception.approve',
    description: 'Approve a separation-of-duties exception requested by someone else (four-eyes)',
  },
  {
    name: 'iam.access_review.run',
    description:
      'Export who can do what (access review) and run review campaigns: certify or revoke each assignment',
  },
  {
    name: 'iam.support_access.read',
    description: "See platform operators' support access requests and grants",
  },
  {
    name: 'iam.support_access.approve',
    description: 'Approve, reject and revoke support access by platform operators',
  },
  {
    name: 'customers.role.read',
    description: "See the roles one's own customer company may use (company admins)",
  },
  {
    name: 'customers.role.write',
    description:
      "Build custom roles for one's own customer company, within the permissions the tenant allows",
  },
  {
    name: 'customers.role.assign',
    description: "Give roles to the users of one's own customer company (company admins)",
  },
  {
    name: 'platform.support_access.request',
    description: 'Ask a tenant for time-limited support access and follow the requests (platform operators)',
  },
];

/**
 * Administrative permissions — the one place that says which rights make someone an administrator:
 * granting them raises a privilege elevation alert, and MFA policy `required_for_admins` applies to
 * their holders. Besides this list, any `iam.*` permission whose action is write, assign, manage or
 * approve is administrative (so a future `iam.*` right is covered by default).
 */
export const ADMINISTRATIVE_PERMISSIONS: readonly string[] = [
  'iam.role.write',
  'iam.role.assign',
  'iam.policy.write',
  'iam.sod_exception.approve',
  'iam.api_token.manage',
  'iam.service_account.manage',
  'identity.user.write',
  'identity.settings.write',
  'audit.settings.write',
];

export function isAdministrativePermission(name: string): boolean {
  if (name === '*') return true;
  if (ADMINISTRATIVE_PERMISSIONS.includes(name)) return true;
  const [module, , action] = name.split('.');
  return (
    module === 'iam' &&
    ['write', 'assign', 'manage', 'approve'].includes(action ?? '') &&
    name !== 'iam.api_token.write'
  );
}

/** Reads every permission except the audit trail and the access review (which say who did what). */
const READS = ['*.*.read'];

export const PREDEFINED_ROLES: readonly RoleRule[] = [
  {
    key: 'owner',
    name: 'Owner',
    description: 'Every tenant permission. The tenant creator holds it; only an owner can grant it.',
    audience: 'staff',
    include: ['*'],
  },
  {
    key: 'technical_admin',
    name: 'Technical administrator',
    description:
      'Integrations: API tokens, service accounts and OAuth clients, SIEM delivery, catalogue settings.',
    audience: 'staff',
    include: [
      ...READS,
      'iam.api_token.*',
      'iam.service_account.*',
      'audit.settings.write',
      'catalog.settings.write',
    ],
    exclude: ['audit.event.read'],
  },
  {
    key: 'security_admin',
    name: 'Security administrator',
    description:
      'Users, roles and assignments, security settings, SoD rules, access reviews. Not the audit trail (SoD).',
    audience: 'staff',
    include: ['identity.*.*', 'iam.*.*'],
    exclude: ['iam.service_account.manage'],
  },
  {
    key: 'catalogue_manager',
    name: 'Catalogue manager',
    description:
      'The whole catalogue and its merchandising: products, variants, categories, brands, families, languages, storefronts and visibility; warehouses and stock.',
    audience: 'staff',
    include: ['catalog.*.*', 'pricing.*.read', 'storefronts.*.*', 'inventory.*.*'],
  },
  {
    key: 'sales_admin',
    name: 'Sales administrator',
    description: 'Customer accounts, orders, quotes; prepares price lists (approval is finance).',
    audience: 'staff',
    include: [
      'accounts.*.*',
      'orders.*.*',
      'quotes.*.*',
      'pricing.*.*',
      'catalog.*.read',
      'storefronts.*.read',
      'inventory.stock.read',
    ],
    exclude: ['*.*.approve'],
  },
  {
    key: 'finance_admin',
    name: 'Finance / billing administrator',
    description: 'Invoices, payments; approves price lists, refunds and credit notes (does not create them).',
    audience: 'staff',
    include: [
      'billing.*.read',
      'billing.*.approve',
      'pricing.*.read',
      'pricing.*.approve',
      'accounts.*.*',
      'orders.*.read',
    ],
  },
  {
    key: 'customer_service',
    name: 'Customer service',
    description: 'Sees customers and their orders, updates accounts, prepares refunds and credit notes.',
    audience: 'staff',
    include: [
      'accounts.*.*',
      'orders.*.*',
      'catalog.*.read',
      'inventory.stock.read',
      'billing.*.read',
      'billing.credit_note.write',
      'billing.refund.write',
    ],
    exclude: ['*.*.approve'],
  },
  {
    key: 'auditor',
    name: 'Auditor',
    description:
      'Reads everything, including the audit trail, its export and the access review. Changes nothing.',
    audience: 'staff',
    include: [...READS, 'audit.event.read', 'audit.export.run', 'iam.access_review.run'],
  },
  {
    key: 'read_only',
    name: 'Read-only',
    description: 'Reads business data; not the audit trail.',
    audience: 'staff',
    include: READS,
    exclude: ['audit.event.read'],
  },
  // Customer side: assigned to buyers, always limited to the buyer's own company (account scope).
  {
    key: 'company_admin',
    name: 'Company administrator',
    description: "Everything a buyer's company does on the shop, for that company only.",
    audience: 'customer',
    include: [
      'accounts.account.read',
      'catalog.product.read',
      'pricing.price.read',
      'orders.order.*',
      'quotes.quote.*',
      'billing.invoice.read',
      'customers.user.*',
      'customers.role.*',
    ],
  },
  {
    key: 'buyer',
    name: 'Buyer',
    description: 'Orders and asks for quotes for their company.',
    audience: 'customer',
    include: [
      'accounts.account.read',
      'catalog.product.read',
      'pricing.price.read',
      'orders.order.read',
      'orders.order.write',
      'quotes.quote.read',
      'quotes.quote.write',
    ],
  },
  {
    key: 'approver',
    name: 'Approver',
    description: "Approves their company's orders above its threshold.",
    audience: 'customer',
    include: [
      'accounts.account.read',
      'catalog.product.read',
      'pricing.price.read',
      'orders.order.read',
      'orders.order.approve',
      'quotes.quote.read',
    ],
  },
  {
    key: 'viewer',
    name: 'Viewer',
    description: "Sees their company's orders, quotes and invoices.",
    audience: 'customer',
    include: [
      'accounts.account.read',
      'catalog.product.read',
      'pricing.price.read',
      'orders.order.read',
      'quotes.quote.read',
      'billing.invoice.read',
    ],
  },
];

export const PREDEFINED_KEYS: ReadonlySet<string> = new Set(PREDEFINED_ROLES.map((r) => r.key));

/** Every active user may see and end their own sessions, whatever their roles. */
export const BASELINE_PERMISSIONS: readonly string[] = ['identity.session.self'];

function matches(pattern: string, name: string): boolean {
  if (pattern === '*') return true;
  const p = pattern.split('.');
  const n = name.split('.');
  return p.length === n.length && p.every((seg, i) => seg === '*' || seg === n[i]);
}

/** The permissions a rule grants within `names` (the catalogue). Owner: `*`. */
export function resolveRule(rule: Pick<RoleRule, 'include' | 'exclude'>, names: readonly string[]): string[] {
  if (rule.include.includes('*')) return ['*'];
  return names.filter(
    (n) =>
      !n.startsWith('platform.') &&
      rule.include.some((p) => matches(p, n)) &&
      !(rule.exclude ?? []).some((p) => matches(p, n)),
  );
}

/**
 * The catalogue roles are resolved against: installed once by the application (src/app.ts) after
 * every module registered its permissions. Authentication runs before any request context exists,
 * so this is process-wide; every application in one process registers the same catalogue.
 */
let installed: readonly string[] = [];
const resolved = new Map<string, string[]>();

export function installRoleCatalogue(catalogue: { list(): { name: string }[] }): void {
  installed = catalogue.list().map((p) => p.name);
  resolved.clear();
}

export function catalogueNames(): readonly string[] {
  return installed;
}

/** A predefined role's permissions against the installed catalogue; null when `key` is not predefined. */
export function predefinedPermissions(key: string): string[] | null {
  const rule = PREDEFINED_ROLES.find((r) => r.key === key);
  if (!rule) return null;
  let perms = resolved.get(key);
  if (!perms) {
    perms = resolveRule(rule, installed);
    resolved.set(key, perms);
  }
  return perms;
}

/** Expands `*` to the catalogue (access reviews list names, not wildcards). */
export function expandPermissions(perms: Iterable<string>): string[] {
  const set = new Set(perms);
  if (set.has('*')) return installed.filter((n) => !n.startsWith('platform.'));
  return [...set].sort();
}
