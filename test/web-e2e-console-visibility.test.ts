import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DemoCredentials } from '../src/seed.ts';
import {
  apiLogin,
  expectAccessible,
  launchBrowser,
  makeApi,
  openPage,
  screenshot,
  startApp,
  tearDown,
} from './e2e-harness.ts';
import { mailText, startSmtp } from './smtp-server.ts';

/**
 * Customer groups and visibility rules in the console (issue 7), in Debian's Chromium against the
 * app started as the README starts it:
 * the owner creates the group "Boulangeries", puts the demo buyer's company (Boulangerie Martin) in
 * it, and hides the category "Protection individuelle" from that group. The demo buyer, on the
 * merchant's shop, no longer finds the category nor its products (catalogue, search, by URL), while
 * a buyer of another company (Garage Dupont, invited for the test) still does. The owner deletes
 * the rule: the demo buyer sees the category again. axe-core on the new screens; screenshots in
 * test-results/screens/console-visibility-*.png.
 */

vi.setConfig({ testTimeout: 240_000, hookTimeout: 300_000 });

let base: string;
let acme: string;
let browser: Browser;
let creds: DemoCredentials;
const violations: string[] = [];
const api = makeApi(() => base);
let admin: Record<string, string>;
/** How long a screen may take to show what is awaited (2 cores shared by many processes). */
const SOON = { timeout: 20_000 };
const GROUP = 'Boulangeries';
const GROUP_CODE = 'boulangeries';
/** The group the owner creates (its ID, from the page's URL). */
let groupId: string;
const CATEGORY = 'Protection individuelle';
/** A product of that category (gloves), and how many products the category holds. */
let glove: { id: string; name: string };
let hiddenIds: Set<string>;
/** A buyer of Garage Dupont, not in the group. */
const other = { email: 'remi.dupont@garage-dupont.example', password: 'a long garage passphrase' };

let smtp: Awaited<ReturnType<typeof startSmtp>>;

const demoBuyer = () => {
  const b = creds.logins.find((l) => l.tenant === 'acme' && l.role.startsWith('buyer'));
  if (!b) throw new Error('no demo buyer');
  return b;
};
const owner = () => creds.logins.find((l) => l.tenant === 'acme' && l.role === 'owner')!;

/** GET from inside the page: same origin, the buyer's session cookie and the page's Host. */
async function pageGet<T>(page: Page, url: string): Promise<{ status: number; body: T }> {
  return (await page.evaluate(`(async () => {
    const res = await fetch(${JSON.stringify(url)}, { credentials: 'same-origin' });
    return { status: res.status, body: await res.json() };
  })()`)) as { status: number; body: T };
}

async function buyerSignIn(page: Page, who: { email: string; password: string }) {
  await page.goto(`${acme}/login`);
  await page.getByLabel('E-mail').fill(who.email);
  await page.getByLabel('Mot de passe').fill(who.password);
  await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
  await page.waitForURL(`${acme}/`);
  await page.getByTestId('buyer-welcome').waitFor();
}

/**
 * What a buyer sees of the protective equipment on the merchant's shop: the category in the tree,
 * the gloves in the search results (the screen and the API agree), the glove's page.
 */
async function seesProtectiveEquipment(page: Page, shot?: string): Promise<boolean> {
  await page.goto(`${acme}/catalog`);
  await expect.poll(() => page.getByTestId('catalog-hit').count(), SOON).toBeGreaterThan(0);
  await page.getByTestId('category-outillage').waitFor();
  const inTree = (await page.getByTestId('category-epi').count()) > 0;
  if (shot) await screenshot(page, `${shot}-catalog`);

  await page.goto(`${acme}/catalog?q=${encodeURIComponent('gants')}`);
  await expect
    .poll(
      async () =>
        (await page.getByTestId('catalog-hit').count()) + (await page.getByTestId('empty-state').count()),
      SOON,
    )
    .toBeGreaterThan(0);
  const onScreen = ((await page.locator('main').textContent()) ?? '').includes(glove.name);
  if (shot) await screenshot(page, `${shot}-search`);
  const search = await pageGet<{ total: number; data: { id: string }[]; facets?: unknown }>(
    page,
    '/api/v1/catalog/search?q=gants&limit=100&locale=fr',
  );
  expect(search.status).toBe(200);
  const found = search.body.data.filter((h) => hiddenIds.has(h.id)).length;
  const byId = await pageGet<unknown>(page, `/api/v1/catalog/products/${glove.id}?locale=fr`);

  // All the ways agree: either everything of the category is there, or nothing is.
  const seen = [inTree, onScreen, found > 0, byId.status === 200];
  expect(new Set(seen).size, `tree, screen, search, by ID: ${seen.join(', ')}`).toBe(1);
  if (!inTree) expect(byId.status).toBe(404);
  return inTree;
}

beforeAll(async () => {
  smtp = await startSmtp();
  const app = await startApp({ SMTP_URL: smtp.url, MAIL_FROM: 'Comptoir <no-reply@comptoir.test>' });
  base = app.base;
  creds = app.creds;
  acme = base.replace('//localhost', '//acme.localhost');
  admin = { authorization: `Bearer ${creds.apiTokens.find((t) => t.tenant === 'acme')!.token}` };

  // The category the rule will hide, and its products (the gloves are under it).
  const tree = (await api('GET', '/api/v1/catalog/categories/tree?locale=fr', { headers: admin })).body
    .data as { id: string; code: string }[];
  const epi = tree.find((c) => c.code === 'epi');
  expect(epi, 'the demo catalogue has protective equipment').toBeTruthy();
  const inEpi = (
    await api('GET', `/api/v1/catalog/search?category_id=${epi!.id}&limit=200&locale=fr`, { headers: admin })
  ).body.data as { id: string; name: string }[];
  hiddenIds = new Set(inEpi.map((p) => p.id));
  const gloves = (await api('GET', '/api/v1/catalog/search?q=gants&limit=1&locale=fr', { headers: admin }))
    .body.data as { id: string; name: string }[];
  glove = gloves[0]!;
  expect(hiddenIds.has(glove.id), 'the gloves are protective equipment').toBe(true);

  // A second buyer, of Garage Dupont: invited by mail as the merchant would, with the buyer role.
  const garage = (await api('GET', '/api/v1/accounts?external_ref=C-000102', { headers: admin })).body
    .data[0] as { id: string };
  const invited = (
    await api('POST', '/api/v1/users/invitations', {
      headers: admin,
      body: { email: other.email, kind: 'buyer', display_name: 'Rémi Dupont', account_id: garage.id },
    })
  ).body as { user_id: string };
  // (expect.poll works inside tests only.)
  const deadline = Date.now() + 30_000;
  while (!smtp.inbox.some((m) => m.to.includes(other.email)) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 200));
  const received = smtp.inbox.find((m) => m.to.includes(other.email));
  if (!received) throw new Error('the invitation mail did not arrive');
  const mail = mailText(received);
  const token = /code: ([A-Za-z0-9_-]{43})/.exec(mail)?.[1];
  expect(token, 'the invitation mail carries its code').toBeTruthy();
  await api('POST', '/api/v1/auth/invitations/accept', {
    body: { token, password: other.password, display_name: 'Rémi Dupont', tenant: 'acme' },
  });
  await api('POST', `/api/v1/users/${invited.user_id}/roles`, { headers: admin, body: { role: 'buyer' } });
  // Both buyers can sign in.
  for (const who of [demoBuyer(), other]) {
    const session = await apiLogin(api, who.email, who.password);
    await api('POST', '/api/v1/auth/logout', { headers: session });
  }
  browser = await launchBrowser();
});

afterAll(async () => {
  await tearDown(browser);
  await smtp?.close();
});

describe('customer groups and visibility rules, from the console to the storefront', () => {
  let staff: Page;
  let closeStaff: () => Promise<void>;

  it('staff create a group and put the demo buyer’s company in it; a wrong code is refused next to its field', async () => {
    const { context, page } = await openPage(browser, 'fr-FR', violations);
    staff = page;
    closeStaff = () => context.close();
    await page.goto(`${base}/console/login`);
    await page.getByLabel('E-mail').fill(owner().email);
    await page.locator('input[autocomplete="current-password"]').fill(owner().password);
    await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
    await page.waitForURL(`${base}/console`);

    await page.getByRole('link', { name: 'Groupes de clients', exact: true }).click();
    await page.waitForURL(`${base}/console/customer-groups`);
    await page.getByRole('heading', { name: 'Groupes de clients', level: 2 }).waitFor();
    // The demo's groups, with their member counts.
    await page.getByRole('link', { name: 'Grands comptes' }).waitFor();
    await page.mouse.move(0, 0);
    await expectAccessible(page, 'the customer groups');
    await screenshot(page, 'console-visibility-groups');

    await page.getByRole('button', { name: 'Créer un groupe' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/^Nom/).fill(GROUP);
    await dialog.getByLabel(/^Code/).fill('Boulangeries !');
    await dialog.getByRole('button', { name: 'Créer un groupe' }).click();
    // The API's refusal is shown under the field it names; nothing is created.
    await expect.poll(() => dialog.getByLabel(/^Code/).getAttribute('aria-invalid'), SOON).toBe('true');
    await expectAccessible(page, 'the group form with an error');
    await screenshot(page, 'console-visibility-group-error');
    await dialog.getByLabel(/^Code/).fill(GROUP_CODE);
    await dialog.getByRole('button', { name: 'Créer un groupe' }).click();
    await page.waitForURL(/\/console\/customer-groups\/cgrp_[0-9a-z]{26}$/);
    groupId = new URL(page.url()).pathname.split('/').pop()!;
    await page.getByRole('heading', { name: GROUP, level: 2 }).waitFor();

    // The account picker searches the accounts by the start of their name.
    const picker = page.getByRole('combobox', { name: /^Compte client à ajouter/ });
    await picker.fill('Boulan');
    await page.getByRole('option', { name: 'Boulangerie Martin' }).click();
    await page.getByRole('button', { name: 'Ajouter au groupe' }).click();
    const members = page.getByTestId('data-table');
    await expect.poll(() => members.textContent(), SOON).toContain('Boulangerie Martin');
    await page.getByRole('heading', { name: '1 membre', level: 3 }).waitFor();
    await page.mouse.move(0, 0);
    await expectAccessible(page, 'a customer group');
    await screenshot(page, 'console-visibility-group');

    const groups = (await api('GET', '/api/v1/customer-groups?limit=200', { headers: admin })).body.data as {
      code: string;
      member_count: number;
    }[];
    expect(groups.find((g) => g.code === GROUP_CODE)?.member_count).toBe(1);
    expect(groups.some((g) => g.code === 'Boulangeries !')).toBe(false);
  });

  it('staff hide a category from the group; the same rule twice is refused, clearly', async () => {
    const page = staff;
    await page.getByRole('link', { name: 'Règles de visibilité', exact: true }).click();
    await page.waitForURL(`${base}/console/visibility-rules`);
    // How rules combine, in one line.
    expect(await page.getByTestId('visibility-help').textContent()).toMatch(/compte l’emporte.*groupe/);
    // The demo's Distrib Pro rules are listed.
    await expect.poll(() => page.getByTestId('data-table').textContent(), SOON).toContain('Distrib Pro');
    await page.mouse.move(0, 0);
    await expectAccessible(page, 'the visibility rules');
    await screenshot(page, 'console-visibility-rules');

    const create = async () => {
      await page.getByRole('button', { name: 'Créer la règle' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('combobox', { name: /^Quel groupe/ }).click();
      await page.getByRole('option', { name: GROUP, exact: true }).click();
      await dialog.getByRole('combobox', { name: /^Quelle catégorie/ }).fill('Protection');
      await page.getByRole('option', { name: CATEGORY, exact: true }).click();
      // Hide (the default effect) — chosen explicitly.
      await dialog.getByText('Masquer', { exact: true }).click();
      await dialog.getByRole('button', { name: 'Créer la règle' }).click();
      return dialog;
    };
    const dialog = await create();
    await dialog.waitFor({ state: 'hidden' });
    // Filtered by the group: its one rule.
    await filterByGroup(page);
    const table = page.getByTestId('data-table');
    await expect.poll(() => table.locator('tbody tr').count(), SOON).toBe(1);
    await expect.poll(() => table.textContent(), SOON).toContain(CATEGORY);
    expect(await table.textContent()).toContain('Masquer');
    await screenshot(page, 'console-visibility-rule-created');

    // The same group and category again: the API's conflict, shown in the form.
    const again = await create();
    await expect
      .poll(() => again.getByTestId('form-error').textContent(), SOON)
      .toMatch(/already exists|existe/);
    await expectAccessible(page, 'the rule form with a refusal');
    await screenshot(page, 'console-visibility-rule-conflict');
    await page.keyboard.press('Escape');
    await again.waitFor({ state: 'hidden' });
    await expect.poll(() => table.locator('tbody tr').count(), SOON).toBe(1);
  });

  it('the buyer of the group no longer sees the category nor its products; another buyer still does', async () => {
    const martin = await openPage(browser, 'fr-FR', violations);
    await buyerSignIn(martin.page, demoBuyer());
    expect(await seesProtectiveEquipment(martin.page, 'console-visibility-buyer-hidden')).toBe(false);
    await martin.context.close();

    const dupont = await openPage(browser, 'fr-FR', violations);
    await buyerSignIn(dupont.page, other);
    expect(await seesProtectiveEquipment(dupont.page, 'console-visibility-other-buyer')).toBe(true);
    await dupont.context.close();
  });

  it('staff change the rule’s effect, then delete it after confirming; the buyer sees the category again', async () => {
    const page = staff;
    const table = page.getByTestId('data-table');
    const ruleOfGroup = async () =>
      (
        (
          await api('GET', '/api/v1/visibility-rules?subject_type=group&target_type=category&limit=200', {
            headers: admin,
          })
        ).body.data as { subject_id: string; effect: string }[]
      ).filter((r) => r.subject_id === groupId);
    // Only the effect of a rule changes (another subject or target is another rule).
    await page.getByRole('button', { name: 'Modifier la règle' }).click();
    const edit = page.getByRole('dialog');
    await edit.getByText('Afficher', { exact: true }).click();
    await expectAccessible(page, 'the rule’s effect');
    await edit.getByRole('button', { name: 'Enregistrer' }).click();
    await edit.waitFor({ state: 'hidden' });
    await expect.poll(() => table.textContent(), SOON).toContain('Afficher');
    expect((await ruleOfGroup()).map((r) => r.effect)).toEqual(['allow']);

    await page.getByRole('button', { name: 'Supprimer la règle' }).click();
    const confirm = page.getByRole('dialog');
    await confirm.getByText(CATEGORY).waitFor();
    await screenshot(page, 'console-visibility-rule-delete');
    await confirm.getByRole('button', { name: 'Supprimer', exact: true }).click();
    await confirm.waitFor({ state: 'hidden' });
    await expect.poll(() => table.locator('tbody tr').count(), SOON).toBe(0);
    await page.getByTestId('empty-state').waitFor();
    expect(await ruleOfGroup()).toEqual([]);
    await closeStaff();

    const martin = await openPage(browser, 'fr-FR', violations);
    await buyerSignIn(martin.page, demoBuyer());
    expect(await seesProtectiveEquipment(martin.page)).toBe(true);
    await martin.context.close();
  });

  it('no Content-Security-Policy violation and no script error', () => {
    expect(violations).toEqual([]);
  });
});

/** The rules list, narrowed to the rules of the new group. */
async function filterByGroup(page: Page) {
  const filters = page.locator('main');
  await filters.getByRole('combobox', { name: /^Règle pour/ }).click();
  await page.getByRole('option', { name: 'Groupe de clients', exact: true }).click();
  await filters.getByRole('combobox', { name: /^Quel groupe/ }).click();
  await page.getByRole('option', { name: GROUP, exact: true }).click();
}
