/**
 * Separation of duties: pairs of permissions one person may not hold together. Rules may name
 * permissions a module has not declared yet (refunds, credit notes): they apply as soon as it does.
 */
export interface SodRule {
  permissions: [string, string];
  description?: string;
}

export const DEFAULT_SOD_RULES: readonly SodRule[] = [
  {
    permissions: ['pricing.price_list.approve', 'pricing.price_list.write'],
    description: 'Whoever prepares a price-list change does not approve it',
  },
  {
    permissions: ['billing.credit_note.approve', 'billing.credit_note.write'],
    description: 'Whoever creates a refund or credit note does not approve it',
  },
  {
    permissions: ['audit.event.read', 'iam.role.assign'],
    description: 'Whoever manages access does not audit it',
  },
];

/**
 * The rules broken by holding `all`, limited to those that involve at least one permission of
 * `adding` (a conflict that already existed — allowed by an exception — is not this change's).
 * Pure; `all` is already expanded ('*' is never passed here).
 */
export function conflictsOf(
  rules: readonly SodRule[],
  all: readonly string[],
  adding: readonly string[],
): string[][] {
  const held = new Set(all);
  const added = adding.includes('*') ? held : new Set(adding);
  return rules
    .filter((r) => held.has(r.permissions[0]) && held.has(r.permissions[1]))
    .filter((r) => added.has(r.permissions[0]) || added.has(r.permissions[1]))
    .map((r) => [...r.permissions].sort());
}
