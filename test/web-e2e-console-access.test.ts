import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DemoCredentials } from '../src/seed.ts';
import type { Child } from './child-process.ts';
import {
  enrolTotp,
  expectAccessible,
  launchBrowser,
  makeApi,
  openPage,
  screenshot,
  startApp,
  tearDown,
  totp,
} from './e2e-harness.ts';

/**
 * Journeys (e) and (f) of the web app (issue 7), in Debian's Chromium against the app started as the
 * README starts it: (e) the owner creates a custom role from the permission catalogue, assigns it to
 * a user, exports the access review as CSV and finds the assignment in the downloaded file; (f) the
 * audit viewer, filtered by that admin, shows those three events and an intact chain. Axe check on
 * the users, roles and audit pages; screenshots in test-results/screens/console-access-*.
 */

vi.setConfig({ testTimeout: 180_000, hookTimeout: 240_000 });

let _child: Child;
let base: string;
let browser: Browser;
let creds: DemoCredentials;
let totpSecret: string;
const violations: string[] = [];
const api = makeApi(() => base);

const ROLE_NAME = 'Lecteur catalogue E2E';
const ROLE_KEY = 'lecteur_catalogue_e2e';

const login = (role: string) => {
  const l = creds.logins.find((x) => x.tenant === 'acme' && x.role === role);
  if (!l) throw new Error(`no demo login for ${role}`);
  return l;
};

/** The owner signs in to the console with password and TOTP (French, the default language). */
async function signInOwner(page: Page) {
  const owner = login('owner');
  await page.goto(`${base}/console/login`);
  await page.getByLabel('E-mail').fill(owner.email);
  await page.getByLabel('Mot de passe').fill(owner.password);
  await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
  await page.getByLabel('Code d’authentification').fill(totp(totpSecret));
  await page.getByRole('button', { name: 'Vérifier' }).click();
  await page.waitForURL(`${base}/console`);
}

beforeAll(async () => {
  const app = await startApp();
  _child = app.child;
  base = app.base;
  creds = app.creds;
  const owner = login('owner');
  totpSecret = await enrolTotp(api, owner.email, owner.password);
  browser = await launchBrowser();
});

afterAll(() => tearDown(browser));

describe('console: identity, access and security', () => {
  let page: Page;

  it('(e) an admin creates a custom role, assigns it, exports the access review as CSV and finds the assignment', async () => {
    const t0 = Date.now();
    const auditor = login('auditor');
    const opened = await openPage(browser, 'fr-FR', violations);
    page = opened.page;
    await signInOwner(page);

    // Roles: the predefined ones are listed; a custom role from the permission catalogue.
    await page.getByRole('link', { name: 'Rôles', exact: true }).click();
    await page.waitForURL(`${base}/console/roles`);
    await expect.poll(() => page.getByTestId('roles-table').textContent()).toContain('owner');
    await page.mouse.move(1279, 799); // no hover state on the link just clicked
    await expectAccessible(page, 'the roles page');
    await screenshot(page, 'console-access-roles');
    await page.getByRole('button', { name: 'Nouveau rôle personnalisé' }).click();
    const dialog = page.getByRole('dialog', { name: 'Nouveau rôle personnalisé' });
    await dialog.getByRole('textbox', { name: 'Nom' }).fill(ROLE_NAME);
    expect(await dialog.getByRole('textbox', { name: 'Clé' }).inputValue()).toBe(ROLE_KEY);
    // Grouped by module: each module is a fieldset.
    await dialog.getByRole('group', { name: 'Module catalog' }).waitFor();
    await dialog.getByRole('checkbox', { name: 'catalog.product.read', exact: true }).check();
    await dialog.getByRole('checkbox', { name: 'pricing.price.read', exact: true }).check();
    await screenshot(page, 'console-access-role-create');
    await dialog.getByRole('button', { name: 'Créer le rôle' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => page.getByTestId('roles-table').textContent()).toContain(ROLE_KEY);

    // Users: the list, then the auditor's page, where the role is assigned.
    await page.getByRole('link', { name: 'Utilisateurs', exact: true }).click();
    await page.waitForURL(`${base}/console/users`);
    const users = page.getByTestId('data-table');
    await expect.poll(() => users.textContent()).toContain(auditor.email);
    await page.mouse.move(1279, 799); // no hover state on the link just clicked
    await expectAccessible(page, 'the users page');
    await screenshot(page, 'console-access-users');
    await users.getByRole('link', { name: 'Nathalie Roux' }).click();
    await page.waitForURL(/\/console\/users\/usr_/);
    await expect.poll(() => page.getByTestId('assignments-table').textContent()).toContain('Auditor');
    await page.getByRole('combobox', { name: /^Rôle/ }).click();
    await page.getByRole('option', { name: `${ROLE_NAME} (Personnalisé)` }).click();
    await page.getByRole('button', { name: 'Attribuer', exact: true }).click();
    await expect.poll(() => page.getByTestId('assignments-table').textContent()).toContain(ROLE_NAME);
    await screenshot(page, 'console-access-assignments');

    // Access review: the CSV export, read from the downloaded file.
    await page.getByRole('link', { name: 'Revue des accès', exact: true }).click();
    await page.waitForURL(`${base}/console/access-review`);
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Exporter en CSV' }).click();
    // A sensitive read: if the second factor is no longer recent, the step-up dialog asks for it.
    const stepUp = page.getByRole('dialog', { name: 'Confirmez votre identité' });
    const file = await Promise.race([
      download,
      stepUp.waitFor().then(async () => {
        await stepUp.getByLabel('Code d’authentification').fill(totp(totpSecret, Date.now() + 30_000));
        await stepUp.getByRole('button', { name: 'Vérifier' }).click();
        return download;
      }),
    ]);
    expect(file.suggestedFilename()).toMatch(/^access-review-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync((await file.path())!, 'utf8');
    const line = csv.split(/\r?\n/).find((l) => l.includes(auditor.email));
    expect(line, 'the auditor is in the access review').toBeDefined();
    expect(line).toContain(ROLE_KEY);
    expect(line).toContain('catalog.product.read');
    await screenshot(page, 'console-access-review');
    process.stdout.write(`journey (e): ${Date.now() - t0} ms\n`);
  });

  it('(f) the audit viewer shows those events, filtered by the admin as actor', async () => {
    const t0 = Date.now();
    const owner = login('owner');
    await page.getByRole('link', { name: 'Journal d’audit' }).click();
    await page.waitForURL(`${base}/console/audit`);
    await page.getByRole('combobox', { name: 'Auteur' }).fill(owner.email.split('@')[0]!);
    await page.getByRole('option').first().click();
    expect(await page.getByRole('combobox', { name: 'Auteur' }).inputValue()).toContain(owner.email);
    await page.getByRole('textbox', { name: 'Action' }).fill('access.*');
    const table = page.getByTestId('data-table');
    const expected = ['access.role.create', 'access.role_assignment.create', 'access.access_review.export'];
    await expect
      .poll(
        async () => {
          const rows = await table.locator('tbody tr').allTextContents();
          return (
            rows.length > 0 &&
            rows.every((r) => r.includes('access.') && r.includes('Claire Martin')) &&
            expected.every((a) => rows.some((r) => r.includes(a)))
          );
        },
        { timeout: 20_000 },
      )
      .toBe(true);
    await expect.poll(() => page.getByTestId('audit-chain').textContent()).toMatch(/intègre/);
    await page.getByTestId('audit-export').waitFor();
    await page.mouse.move(1279, 799); // no hover state on the link just clicked
    await expectAccessible(page, 'the audit page');
    await screenshot(page, 'console-access-audit');
    await page.context().close();
    process.stdout.write(`journey (f): ${Date.now() - t0} ms\n`);
  });

  it('no Content-Security-Policy violation and no script error', () => {
    expect(violations).toEqual([]);
  });
});
