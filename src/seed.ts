import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { frenchVatNumber, luhnValid } from '../modules/accounts/rules.ts';
import { createAccount, listAccounts, updateAccount } from '../modules/accounts/service.ts';
import { seedDemoCatalog } from '../modules/catalog/demo.ts';
import { seedDemoInventory } from '../modules/inventory/demo.ts';
import { seedDemoCommerce } from '../modules/pricing/demo.ts';
import { assignRole } from '../platform/access/service.ts';
import { auditAttempt } from '../platform/audit/record.ts';
import { runAsTenant, systemActor } from '../platform/context.ts';
import { type Database, rows } from '../platform/db/database.ts';
import { inSystemTransaction } from '../platform/db/scope.ts';
import { attachBuyerToAccount, createApiToken, createUser } from '../platform/identity/users.ts';
import { FileObjectStore, type ObjectStore } from '../platform/storage/object-store.ts';
import { createTenant } from '../platform/tenancy/service.ts';

export interface DemoLogin {
  tenant: string;
  role: string;
  email: string;
  password: string;
}

export interface DemoCredentials {
  createdAt: string;
  logins: DemoLogin[];
  apiTokens: { tenant: string; token: string }[];
}

/** Appends the Luhn check digit, as INSEE does for SIREN and SIRET. */
function withLuhnDigit(prefix: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(prefix + d)) return prefix + d;
  throw new Error('unreachable');
}

function siret(sirenBase: string, nicBase: string): string {
  return withLuhnDigit(withLuhnDigit(sirenBase) + nicBase);
}

/** A random, readable demo password (never a fixed one: demo data can end up on a reachable host). */
function demoPassword(): string {
  return `demo-${randomBytes(9).toString('base64url')}`;
}

export async function isEmpty(db: Database): Promise<boolean> {
  const [row] = await inSystemTransaction(db, async (tx) =>
    rows<{ n: number }>(await tx.execute(sql`select count(*)::int as n from tenants`)),
  );
  return Number(row?.n ?? 0) === 0;
}

const STAFF = [
  { role: 'owner', key: 'owner', email: 'claire.martin@acme-industrie.example', name: 'Claire Martin' },
  {
    role: 'catalogue manager',
    key: 'catalogue_manager',
    email: 'julien.bernard@acme-industrie.example',
    name: 'Julien Bernard',
  },
  {
    role: 'sales administration',
    key: 'sales_admin',
    email: 'sophie.laurent@acme-industrie.example',
    name: 'Sophie Laurent',
  },
  { role: 'finance', key: 'finance_admin', email: 'marc.dubois@acme-industrie.example', name: 'Marc Dubois' },
  // Access control (docs/access-control.md): a second catalogue manager, the security admin, an auditor.
  {
    role: 'catalogue manager',
    key: 'catalogue_manager',
    email: 'ines.moreau@acme-industrie.example',
    name: 'Inès Moreau',
  },
  {
    role: 'security admin',
    key: 'security_admin',
    email: 'karim.haddad@acme-industrie.example',
    name: 'Karim Haddad',
  },
  { role: 'auditor', key: 'auditor', email: 'nathalie.roux@acme-industrie.example', name: 'Nathalie Roux' },
];

const BUYER = {
  role: 'buyer (Boulangerie Martin)',
  email: 'lucie.martin@boulangerie-martin.example',
  name: 'Lucie Martin',
};

const CUSTOMERS = [
  { name: 'Boulangerie Martin', sirenBase: '41234567', nicBase: '0001', ref: 'C-000101' },
  {
    name: 'Garage Dupont',
    legal: 'Garage Dupont SARL',
    sirenBase: '52345678',
    nicBase: '0002',
    ref: 'C-000102',
  },
  { name: 'Hôtel du Lac', sirenBase: '63456789', nicBase: '0001', ref: 'C-000103' },
  { name: 'Menuiserie Leroy', sirenBase: '74567890', nicBase: '0003', ref: 'C-000104' },
];

/**
 * Builds the demo tenant "Acme Industrie" (staff users, customer accounts, domains localhost and
 * acme.localhost) and a second tenant "Bricoles & Cie" (bricoles.localhost) so that isolation can be
 * seen. Writes the generated credentials to DATA_DIR/demo-credentials.json (mode 600).
 */
export async function seedDemo(
  db: Database,
  dataDir: string,
  /** Where the storefronts' logos go: the media store (npm start passes the configured one). */
  objects: ObjectStore = new FileObjectStore(path.join(dataDir, 'media')),
): Promise<DemoCredentials> {
  const creds: DemoCredentials = { createdAt: new Date().toISOString(), logins: [], apiTokens: [] };
  const [owner, ...others] = STAFF;
  const ownerPassword = demoPassword();
  const acme = await createTenant(db, {
    name: 'Acme Industrie',
    slug: 'acme',
    domains: ['localhost', 'acme.localhost'],
    owner: { email: owner!.email, displayName: owner!.name, password: ownerPassword },
  });
  // MFA is available to every demo user but enrolled for none, so that the demo login works with the
  // password alone. To try it: log in, POST /api/v1/auth/mfa/totp (scan the otpauth:// URI or type the
  // secret into an authenticator app), POST /api/v1/auth/mfa/totp/confirm {code} — the next login asks
  // for the code (POST /api/v1/auth/login/mfa). Or register a passkey: /api/v1/auth/mfa/webauthn/….
  // PATCH /api/v1/security-settings {mfa_policy: 'required_for_admins'} makes it mandatory for staff admins.
  creds.logins.push({ tenant: 'acme', role: owner!.role, email: owner!.email, password: ownerPassword });
  creds.apiTokens.push({ tenant: 'acme', token: acme.ownerToken.token });

  await runAsTenant(db, { tenantId: acme.tenant.id, actor: systemActor('seed') }, async (ctx) => {
    for (const s of others) {
      const password = demoPassword();
      const user = await createUser(ctx, { email: s.email, displayName: s.name, kind: 'staff', password });
      await assignRole(ctx, user.id, { role: s.key });
      creds.logins.push({ tenant: 'acme', role: s.role, email: s.email, password });
    }
    for (const c of CUSTOMERS) {
      const number = siret(c.sirenBase, c.nicBase);
      await createAccount(ctx, {
        name: c.name,
        ...(c.legal ? { legal_name: c.legal } : {}),
        siret: number,
        vat_number: frenchVatNumber(number.slice(0, 9)),
        external_ref: c.ref,
      });
    }
    // A buyer of the first customer (Boulangerie Martin), who signs in to the storefront.
    const bakery = (await listAccounts(ctx, { limit: 1, external_ref: 'C-000101' })).data[0];
    if (bakery) {
      const password = demoPassword();
      const buyer = await createUser(ctx, {
        email: BUYER.email,
        displayName: BUYER.name,
        kind: 'buyer',
        password,
      });
      await attachBuyerToAccount(ctx, buyer.id, bakery.id);
      await assignRole(ctx, buyer.id, { role: 'buyer' });
      creds.logins.push({ tenant: 'acme', role: BUYER.role, email: BUYER.email, password });
    }
    await createAccount(ctx, {
      name: 'Bau Schmidt',
      legal_name: 'Bau Schmidt GmbH',
      country: 'DE',
      vat_number: 'DE129273398',
      external_ref: 'C-000105',
    });
  });

  await runAsTenant(db, { tenantId: acme.tenant.id, actor: systemActor('seed') }, (ctx) =>
    seedDemoCatalog(ctx),
  );
  // Storefronts (Acme's shop, the Distrib Pro white label), customer groups, prices and contracts.
  await runAsTenant(db, { tenantId: acme.tenant.id, actor: systemActor('seed') }, (ctx) =>
    seedDemoCommerce(ctx, objects),
  );
  // Two warehouses and the stock of every demo SKU (in stock, low, out with or without a delivery date).
  await runAsTenant(db, { tenantId: acme.tenant.id, actor: systemActor('seed') }, (ctx) =>
    seedDemoInventory(ctx),
  );
  await seedTrail(db, acme.tenant.id, acme.ownerId);

  const bricolesPassword = demoPassword();
  const bricoles = await createTenant(db, {
    name: 'Bricoles & Cie',
    slug: 'bricoles',
    domains: ['bricoles.localhost'],
    owner: { email: 'paul.girard@bricoles.example', displayName: 'Paul Girard', password: bricolesPassword },
  });
  creds.logins.push({
    tenant: 'bricoles',
    role: 'owner',
    email: 'paul.girard@bricoles.example',
    password: bricolesPassword,
  });
  creds.apiTokens.push({ tenant: 'bricoles', token: bricoles.ownerToken.token });
  await runAsTenant(db, { tenantId: bricoles.tenant.id, actor: systemActor('seed') }, (ctx) =>
    createAccount(ctx, { name: 'Quincaillerie Roux', siret: siret('85678901', '0001'), external_ref: 'Q-1' }),
  );

  writeDemoCredentials(dataDir, creds);
  return creds;
}

/**
 * A few days of ordinary life for the demo trail: the ERP connector (an API token) blocks an account
 * for unpaid invoices and is refused a change it has no right to; a reader's attempt is denied.
 */
async function seedTrail(db: Database, tenantId: string, ownerId: string): Promise<void> {
  const erp = await runAsTenant(db, { tenantId, actor: systemActor('seed') }, (ctx) =>
    createApiToken(ctx, {
      userId: ownerId,
      name: 'ERP connector (Sage X3)',
      scopes: ['accounts.account.read', 'accounts.account.write'],
    }),
  );
  const erpActor = {
    type: 'api_token' as const,
    id: erp.id,
    userId: ownerId,
    displayName: 'ERP connector (Sage X3)',
    permissions: new Set(['accounts.account.read', 'accounts.account.write']),
  };
  const origin = { ip: '10.20.0.15', userAgent: 'SageX3-Connector/4.2', requestId: 'req_seed_erp_sync' };
  await runAsTenant(db, { tenantId, actor: erpActor, ...origin }, async (ctx) => {
    const page = await listAccounts(ctx, { limit: 10, external_ref: 'C-000103' });
    const hotel = page.data[0];
    if (hotel) await updateAccount(ctx, hotel.id, { status: 'blocked' });
  });
  await auditAttempt(
    db,
    { tenantId, actor: erpActor, ...origin },
    {
      action: 'tenancy.tenant.update',
      resource: { type: 'tenant', id: tenantId },
      outcome: 'denied',
      reason: '403 forbidden: This action requires the permission tenancy.tenant.write.',
    },
  );
}

export function demoCredentialsPath(dataDir: string): string {
  return path.join(dataDir, 'demo-credentials.json');
}

function writeDemoCredentials(dataDir: string, creds: DemoCredentials): void {
  mkdirSync(dataDir, { recursive: true });
  const file = demoCredentialsPath(dataDir);
  writeFileSync(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function readDemoCredentials(dataDir: string): DemoCredentials | null {
  try {
    return JSON.parse(readFileSync(demoCredentialsPath(dataDir), 'utf8')) as DemoCredentials;
  } catch {
    return null;
  }
}
