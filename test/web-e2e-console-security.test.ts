import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DemoCredentials } from '../src/seed.ts';
import { cleanEnv, run, TSX, tempDir } from './child-process.ts';
import {
  enrolTotp,
  expectAccessible,
  freePort,
  launchBrowser,
  makeApi,
  openPage,
  screenshot,
  startApp,
  tearDown,
  totp,
} from './e2e-harness.ts';
import { mailText, startSmtp } from './smtp-server.ts';

/**
 * The console's access screens as a merchant's administrators use them (issue 7), in Debian's
 * Chromium against the app started as the README starts it, with a real SMTP server for its mails and
 * a platform-operator token issued by the CLI before the start:
 *  (a) the owner invites a colleague and gives her the catalogue manager role; the invitation mail
 *      arrives; she opens its link, chooses her password, signs in and sees only the catalogue and
 *      price areas in the navigation;
 *  (b) separation of duties: the finance role for the sales administrator is refused (she prepares
 *      price lists, she may not approve them); a justified exception for 30 days, approved by the
 *      security administrator, lets the assignment through, until the exception's end;
 *  (c) an access review campaign: certified and revoked assignments, the revoked role gone from the
 *      auditor's page, the owner's own access certified by someone else, the campaign completed;
 *  (d) support access: a platform operator's request appears; the owner approves it (its duration
 *      gives its expiry), the operator reads the tenant's data; the owner revokes it and the
 *      operator is refused;
 *  (e) security settings: the MFA policy and the session timeout are saved and still there after a
 *      reload; a timeout out of range is refused under its field, and nothing is saved.
 * Axe check on each screen; screenshots in test-results/screens/console-security-*.
 */

vi.setConfig({ testTimeout: 240_000, hookTimeout: 300_000 });

let base: string;
let browser: Browser;
let creds: DemoCredentials;
let ownerSecret: string;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let operator: { id: string; token: string };
const violations: string[] = [];
const api = makeApi(() => base);
/** TOTP time steps already spent by the owner (a code is accepted once). */
const spentSteps = new Set<number>();
/** `expect.poll` with room for a busy machine (its default gives up after one second). */
const poll = <T>(fn: () => T | Promise<T>, opts: { timeout?: number } = {}) =>
  expect.poll(fn, { timeout: 15_000, ...opts });

const OPERATOR_NAME = 'Nadia (support Comptoir)';
const INVITEE = { email: 'emma.petit@acme-industrie.example', name: 'Emma Petit' };
const INVITEE_PASSWORD = 'les étagères du dépôt de Lyon';

const login = (role: string) => {
  const l = creds.logins.find((x) => x.tenant === 'acme' && x.role === role);
  if (!l) throw new Error(`no demo login for ${role}`);
  return l;
};

/** An owner's TOTP code of a time step not used yet (the current one, else the next). */
function ownerCode(): string {
  let step = Math.floor(Date.now() / 30_000);
  while (spentSteps.has(step)) step += 1;
  spentSteps.add(step);
  return totp(ownerSecret, step * 30_000);
}

async function signIn(page: Page, email: string, password: string, secret?: string) {
  await page.goto(`${base}/console/login`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
  if (secret) {
    await page.getByLabel('Code d’authentification').fill(ownerCode());
    await page.getByRole('button', { name: 'Vérifier' }).click();
  }
  await page.waitForURL(`${base}/console`);
}

/** Follows a navigation entry, then moves the pointer away (no hover state left for axe). */
async function go(page: Page, entry: string, path: string) {
  await page
    .getByRole('navigation', { name: 'Navigation principale' })
    .getByRole('link', { name: entry, exact: true })
    .click();
  await page.waitForURL(`${base}${path}`);
  await page.mouse.move(1279, 799);
}

/**
 * Waits for `done` after an action that may ask for a recent second factor (step-up): if the dialog
 * comes first, the owner answers it with a fresh code.
 */
async function answeringStepUp(page: Page, done: () => Promise<unknown>) {
  const stepUp = page.getByRole('dialog', { name: 'Confirmez votre identité' });
  const first = await Promise.race([
    done().then(
      () => 'done' as const,
      () => 'failed' as const,
    ),
    stepUp.waitFor({ timeout: 20_000 }).then(
      () => 'asked' as const,
      () => 'failed' as const,
    ),
  ]);
  if (first === 'asked') {
    await stepUp.getByLabel('Code d’authentification').fill(ownerCode());
    await stepUp.getByRole('button', { name: 'Vérifier' }).click();
  }
  await done();
}

/** Picks `option` in a Mantine select (typing first for a searchable one with many options). */
async function choose(select: Locator, option: string, type = false) {
  await select.click();
  if (type) await select.fill(option);
  await select.page().getByRole('option', { name: option, exact: true }).click();
}

/** The text of a `datetime-local` input, `days` from now (the browser's time zone is this machine's). */
function localInFuture(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

beforeAll(async () => {
  smtp = await startSmtp();
  // The platform's operator token is issued by the CLI (there is no HTTP route for it), on the data
  // directory the app then starts on.
  const dataDir = tempDir();
  const env = cleanEnv({ DATA_DIR: dataDir });
  const migrated = await run([TSX, 'src/cli.ts', 'migrate'], env, 200_000);
  expect(migrated.code, migrated.stderr).toBe(0);
  const issued = await run([TSX, 'src/cli.ts', 'operator:token:create', '--name', OPERATOR_NAME], env);
  expect(issued.code, issued.stderr).toBe(0);
  operator = JSON.parse(issued.stdout.slice(0, issued.stdout.lastIndexOf('}') + 1));
  // PUBLIC_URL follows PORT: the invitation mail's link is then the page's origin.
  const app = await startApp({
    DATA_DIR: dataDir,
    PORT: String(await freePort()),
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Acme Industrie <no-reply@acme-industrie.example>',
  });
  base = app.base;
  creds = app.creds;
  const owner = login('owner');
  ownerSecret = await enrolTotp(api, owner.email, owner.password);
  // enrolTotp confirmed with the previous step's code.
  spentSteps.add(Math.floor(Date.now() / 30_000) - 1);
  browser = await launchBrowser();
});

afterAll(async () => {
  await tearDown(browser);
  await smtp?.close();
});

describe('console: the access screens, journey by journey', () => {
  let page: Page;
  /** The security administrator, in a browser of her own (four-eyes decisions). */
  let secPage: Page;

  it('(a) the owner invites a colleague with a role; she accepts by mail and sees only what the role allows', async () => {
    const owner = login('owner');
    page = (await openPage(browser, 'fr-FR', violations)).page;
    await signIn(page, owner.email, owner.password, ownerSecret);

    await go(page, 'Utilisateurs', '/console/users');
    await page.getByRole('button', { name: 'Inviter un utilisateur' }).click();
    const dialog = page.getByRole('dialog', { name: 'Inviter un utilisateur' });
    await dialog.getByRole('textbox', { name: 'E-mail' }).fill(INVITEE.email);
    await dialog.getByRole('textbox', { name: 'Nom' }).fill(INVITEE.name);
    await expectAccessible(page, 'the invitation dialog');
    await screenshot(page, 'console-security-invite');
    await dialog.getByRole('button', { name: 'Envoyer l’invitation' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const users = page.getByTestId('data-table');
    await poll(() => users.locator('tr', { hasText: INVITEE.email }).textContent()).toContain(
      'Invitation en attente',
    );

    // Her role, on her page (an invited user can hold roles before she first signs in).
    await users.getByRole('link', { name: INVITEE.name }).click();
    await page.waitForURL(/\/console\/users\/usr_/);
    await choose(page.getByRole('combobox', { name: /^Rôle/ }), 'Catalogue manager');
    await page.getByRole('button', { name: 'Attribuer', exact: true }).click();
    await poll(() => page.getByTestId('assignments-table').textContent()).toContain('Catalogue manager');

    // The mail, as the SMTP server received it; its link opens the invitation page.
    await poll(() => smtp.inbox.filter((m) => m.to.includes(INVITEE.email)).length, { timeout: 30_000 }).toBe(
      1,
    );
    const mail = mailText(smtp.inbox.find((m) => m.to.includes(INVITEE.email))!);
    expect(mail).toMatch(/^Subject: You are invited to Acme Industrie/m);
    const link = /(http:\/\/\S+\/invitations\/accept\?tenant=acme&token=[A-Za-z0-9_-]+)/.exec(mail)?.[1];
    expect(link, 'the invitation mail carries a link to the app').toBeDefined();
    expect(link!.startsWith(`${base}/`)).toBe(true);

    const invitee = (await openPage(browser, 'fr-FR', violations)).page;
    await invitee.goto(link!);
    await invitee.getByRole('heading', { name: 'Rejoindre l’équipe' }).waitFor();
    await expectAccessible(invitee, 'the invitation page');
    await screenshot(invitee, 'console-security-accept-invitation');
    const form = invitee.getByRole('form', { name: 'Rejoindre l’équipe' });
    await form.getByRole('textbox', { name: 'Votre nom' }).fill(INVITEE.name);
    // A common password is refused under its field (the API's words); the link still works afterwards.
    await form.getByLabel(/^Mot de passe/).fill('password1234');
    await form.getByLabel('Confirmez le mot de passe').fill('password1234');
    await form.getByRole('button', { name: 'Enregistrer mon mot de passe' }).click();
    await poll(() => form.textContent()).toMatch(/too common/);
    await form.getByLabel(/^Mot de passe/).fill(INVITEE_PASSWORD);
    await form.getByLabel('Confirmez le mot de passe').fill(INVITEE_PASSWORD);
    await form.getByRole('button', { name: 'Enregistrer mon mot de passe' }).click();
    await invitee.getByTestId('invitation-accepted').waitFor();
    await invitee.getByRole('link', { name: 'Se connecter à la console' }).click();
    await invitee.waitForURL(`${base}/console/login`);
    await invitee.getByLabel('E-mail').fill(INVITEE.email);
    await invitee.getByLabel('Mot de passe').fill(INVITEE_PASSWORD);
    await invitee.getByRole('button', { name: 'Se connecter', exact: true }).click();
    await invitee.waitForURL(`${base}/console`);

    // The navigation offers the catalogue and prices (read), not the administration areas.
    const nav = invitee.getByRole('navigation', { name: 'Navigation principale' });
    const entries = () => nav.getByRole('link').allTextContents();
    await poll(async () => {
      const e = await entries();
      return e.includes('Produits') && !e.includes('Utilisateurs');
    }).toBe(true);
    const shown = await entries();
    expect(shown).toEqual(
      expect.arrayContaining(['Accueil', 'Produits', 'Catégories', 'Listes de prix', 'Ma sécurité']),
    );
    for (const hidden of [
      'Comptes clients',
      'Utilisateurs',
      'Rôles',
      'Séparation des tâches',
      'Revue des accès',
      'Accès du support',
      'Paramètres de sécurité',
      'Journal d’audit',
    ])
      expect(shown, `${hidden} is not offered to a catalogue manager`).not.toContain(hidden);
    await screenshot(invitee, 'console-security-invitee-home');
    await invitee.context().close();

    // The owner's list no longer says the invitation is pending.
    await page.getByRole('link', { name: '← Tous les utilisateurs' }).click();
    await poll(() =>
      page.getByTestId('data-table').locator('tr', { hasText: INVITEE.email }).textContent(),
    ).not.toContain('Invitation en attente');
  });

  it('(b) separation of duties: a conflicting role is refused, then allowed by a justified, time-limited exception', async () => {
    await page.goto(`${base}/console`); // from the console's home, whatever the last journey left open
    const sales = login('sales administration');
    await go(page, 'Séparation des tâches', '/console/sod');
    const rules = page.getByRole('table', { name: 'Règles de conflit' });
    await poll(() => rules.textContent()).toContain('pricing.price_list.approve');
    await poll(() => rules.textContent()).toContain('pricing.price_list.write');
    await expectAccessible(page, 'the separation of duties page');
    await screenshot(page, 'console-security-sod');

    // The finance role would let the person who prepares price lists approve them.
    await go(page, 'Utilisateurs', '/console/users');
    await page.getByTestId('data-table').getByRole('link', { name: 'Sophie Laurent' }).click();
    await page.waitForURL(/\/console\/users\/usr_/);
    const sophieUrl = page.url();
    await poll(() => page.getByTestId('assignments-table').textContent()).toContain('Sales administrator');
    const role = page.getByRole('combobox', { name: /^Rôle/ });
    await choose(role, 'Finance / billing administrator');
    await page.getByRole('button', { name: 'Attribuer', exact: true }).click();
    // Refused: what to do, above the form; the conflicting pair, under the role field.
    const refusal = page.getByTestId('form-error');
    await poll(() => refusal.textContent()).toMatch(/^Séparation des tâches : ce rôle donnerait/);
    expect(await page.getByRole('form', { name: 'Attribuer un rôle' }).textContent()).toContain(
      'would give pricing.price_list.approve together with pricing.price_list.write',
    );
    expect(await role.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('assignments-table').textContent()).not.toContain('Finance');
    await screenshot(page, 'console-security-sod-refused');

    // The exception: who, which pair, why, until when (30 days).
    await go(page, 'Séparation des tâches', '/console/sod');
    const ask = page.getByRole('form', { name: 'Demander une exception' });
    await choose(ask.getByRole('combobox', { name: /^Utilisateur/ }), `Sophie Laurent (${sales.email})`);
    await ask.getByLabel(/^Expire le/).fill(localInFuture(30));
    await choose(ask.getByRole('combobox', { name: /^Permission/ }), 'pricing.price_list.approve', true);
    await choose(ask.getByRole('combobox', { name: /^En conflit avec/ }), 'pricing.price_list.write', true);
    await ask
      .getByRole('textbox', { name: /^Justification/ })
      .fill(
        'Intérim de Marc Dubois pendant son congé : Sophie approuve les listes de prix, contrôle mensuel par la direction financière.',
      );
    await ask.getByRole('button', { name: 'Demander', exact: true }).click();
    const exceptions = page.getByRole('table', { name: 'Exceptions' });
    await poll(() => exceptions.textContent()).toContain('En attente d’approbation');

    // Four eyes: the security administrator approves it, in her own session.
    const security = login('security admin');
    secPage = (await openPage(browser, 'fr-FR', violations)).page;
    await signIn(secPage, security.email, security.password);
    await go(secPage, 'Séparation des tâches', '/console/sod');
    await secPage.getByRole('button', { name: 'Approuver l’exception pour Sophie Laurent' }).click();
    await poll(() => secPage.getByRole('table', { name: 'Exceptions' }).textContent()).toContain('Approuvée');

    // Now the assignment goes through, and ends with the exception.
    await page.goto(sophieUrl);
    await choose(page.getByRole('combobox', { name: /^Rôle/ }), 'Finance / billing administrator');
    await page.getByRole('button', { name: 'Attribuer', exact: true }).click();
    const finance = page
      .getByTestId('assignments-table')
      .locator('tr', { hasText: 'Finance / billing administrator' });
    await poll(() => finance.textContent()).toContain('Exception SdT');
    expect(await finance.textContent()).not.toContain('Sans expiration');
    await screenshot(page, 'console-security-sod-exception-used');

    // The exception is listed, approved, with its justification and its end.
    await go(page, 'Séparation des tâches', '/console/sod');
    const row = page.getByRole('table', { name: 'Exceptions' }).locator('tr', { hasText: 'Sophie Laurent' });
    await poll(() => row.textContent()).toContain('Approuvée');
    expect(await row.textContent()).toContain('Intérim de Marc Dubois');
    expect(await row.textContent()).toContain('pricing.price_list.approve + pricing.price_list.write');
  });

  it('(c) an access review campaign: certify, revoke, and the campaign completes', async () => {
    await page.goto(`${base}/console`); // from the console's home, whatever the last journey left open
    const auditor = login('auditor');
    await go(page, 'Revue des accès', '/console/access-review');
    const start = page.getByRole('form', { name: 'Lancer une campagne de revue' });
    await start.getByRole('textbox', { name: 'Nom de la campagne' }).fill('Revue du 4e trimestre');
    await start.getByRole('button', { name: 'Lancer', exact: true }).click();
    await page.getByRole('link', { name: 'Revue du 4e trimestre' }).click();
    await page.waitForURL(/\/console\/access-review\/[a-z]+_/);
    const campaignUrl = page.url();
    const items = page.getByTestId('campaign-items');
    await poll(() => items.textContent()).toContain(auditor.email);
    await expectAccessible(page, 'the campaign page');
    await screenshot(page, 'console-security-campaign');

    // Certify one, revoke another (the auditor's role).
    await page.getByRole('button', { name: 'Certifier l’accès de Julien Bernard' }).click();
    await poll(() => items.locator('tr', { hasText: 'Julien Bernard' }).textContent()).toContain('Certifiée');
    await page.getByRole('button', { name: 'Révoquer l’accès de Nathalie Roux' }).click();
    const confirm = page.getByRole('dialog', { name: 'Révoquer l’accès de Nathalie Roux ?' });
    await confirm.getByRole('button', { name: 'Révoquer', exact: true }).click();
    await confirm.waitFor({ state: 'hidden' });
    await poll(() => items.locator('tr', { hasText: 'Nathalie Roux' }).textContent()).toContain('Révoquée');

    // The rest are certified; nobody reviews their own access: the owner's own is left to another admin.
    const others = page.getByRole('button', { name: /^Certifier l’accès de (?!Claire Martin)/ });
    for (let left = await others.count(); left > 0; left = await others.count()) {
      await others.first().click();
      await poll(() => others.count()).toBeLessThan(left);
    }
    await secPage.goto(campaignUrl);
    await secPage.getByRole('button', { name: 'Certifier l’accès de Claire Martin' }).click();
    await poll(() => secPage.getByText('Terminée').count()).toBeGreaterThan(0);
    await secPage.context().close();

    await page.reload();
    await poll(() => page.getByText('Terminée').count()).toBeGreaterThan(0);
    await screenshot(page, 'console-security-campaign-complete');
    await page.getByRole('link', { name: '← Revue des accès' }).click();
    const campaigns = page.getByRole('table', { name: 'Campagnes' });
    await poll(() => campaigns.locator('tr', { hasText: 'Revue du 4e trimestre' }).textContent()).toContain(
      'Terminée',
    );
    await poll(() => page.getByTestId('review-status').textContent()).toContain('Revue des accès à jour');

    // The auditor lost the role: her page lists no active assignment; the revoked one on demand.
    await go(page, 'Utilisateurs', '/console/users');
    await page.getByTestId('data-table').getByRole('link', { name: 'Nathalie Roux' }).click();
    await page.waitForURL(/\/console\/users\/usr_/);
    await page.getByText('Aucun rôle attribué').waitFor();
    await page.getByRole('switch', { name: 'Afficher les expirées et révoquées' }).check();
    await poll(() =>
      page.getByTestId('assignments-table').locator('tr', { hasText: 'Auditor' }).textContent(),
    ).toContain('Révoquée');
    await screenshot(page, 'console-security-revoked');
  });

  it('(d) support access: an operator’s request is approved for its duration, used, then revoked', async () => {
    await page.goto(`${base}/console`); // from the console's home, whatever the last journey left open
    // The operator, on the platform API: finds the tenant and asks for 4 hours of read access.
    const asOperator = { authorization: `Bearer ${operator.token}` };
    const tenants = await api('GET', '/api/v1/platform/tenants', { headers: asOperator });
    const acme = (tenants.body.data as { id: string; slug: string }[]).find((x) => x.slug === 'acme')!;
    const asked = await api('POST', `/api/v1/platform/tenants/${acme.id}/support-requests`, {
      headers: asOperator,
      body: { reason: 'Ticket #4821 : l’import de la liste de prix échoue', duration_hours: 4 },
    });
    const requestId = asked.body.support_request.id as string;
    const withGrant = { ...asOperator, 'comptoir-support-grant': requestId };
    const readAccounts = () =>
      fetch(`${base}/api/v1/accounts?limit=1`, { headers: withGrant }).then((r) => r.status);
    expect(await readAccounts(), 'nothing is granted before the approval').not.toBe(200);

    await go(page, 'Accès du support', '/console/support-access');
    const table = page.getByRole('table', { name: 'Accès du support' });
    const row = table.locator('tr', { hasText: OPERATOR_NAME });
    await poll(() => row.textContent()).toContain('Ticket #4821');
    expect(await row.textContent()).toContain('Pour 4 h');
    expect(await row.textContent()).toContain('En attente');
    await expectAccessible(page, 'the support access page');
    await screenshot(page, 'console-security-support-pending');

    const approvedAt = Date.now();
    await row.getByRole('button', { name: `Approuver la demande de ${OPERATOR_NAME}` }).click();
    await answeringStepUp(page, () =>
      poll(() => row.textContent(), { timeout: 15_000 }).toContain('Accordé'),
    );
    expect(await row.textContent()).toMatch(/Jusqu’au .*\d/);
    const [view] = (
      await api('GET', `/api/v1/platform/tenants/${acme.id}/support-requests`, { headers: asOperator })
    ).body.data as { id: string; expires_at: string }[];
    const hours = (new Date(view!.expires_at).getTime() - approvedAt) / 3_600_000;
    expect(hours).toBeGreaterThan(3.9);
    expect(hours).toBeLessThan(4.1);
    expect(await readAccounts(), 'the operator reads the tenant under the grant').toBe(200);
    await screenshot(page, 'console-security-support-active');

    await row.getByRole('button', { name: 'Révoquer', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: 'Révoquer cet accès ?' });
    await confirm.getByRole('button', { name: 'Révoquer', exact: true }).click();
    await confirm.waitFor({ state: 'hidden' });
    await poll(() => row.textContent()).toContain('Révoqué');
    expect(await readAccounts(), 'a revoked grant is refused at once').not.toBe(200);
  });

  it('(e) security settings: the MFA policy and session timeout persist; an out-of-range timeout is refused under its field', async () => {
    await page.goto(`${base}/console`); // from the console's home, whatever the last journey left open
    await go(page, 'Paramètres de sécurité', '/console/security-settings');
    const form = page.getByRole('form', { name: 'Paramètres de sécurité' });
    const mfa = form.getByRole('combobox', { name: /^Authentification multifacteur/ });
    const idle = form.getByRole('textbox', { name: /^Expiration d’une session inactive/ });
    await poll(() => idle.inputValue()).toBe('1800');
    await expectAccessible(page, 'the security settings page');
    await choose(mfa, 'Obligatoire pour les administrateurs');
    await idle.fill('3600');
    await form.getByRole('button', { name: 'Enregistrer' }).click();
    await answeringStepUp(page, () =>
      page.getByText('Paramètres de sécurité enregistrés').waitFor({ timeout: 15_000 }),
    );

    await page.reload();
    await poll(() => idle.inputValue()).toBe('3600');
    expect(await mfa.inputValue()).toBe('Obligatoire pour les administrateurs');
    const ownerToken = creds.apiTokens.find((x) => x.tenant === 'acme')!.token;
    const saved = await api('GET', '/api/v1/security-settings', {
      headers: { authorization: `Bearer ${ownerToken}` },
    });
    expect(saved.body).toMatchObject({ mfa_policy: 'required_for_admins', session_idle_timeout_s: 3600 });

    // Out of range (below 5 minutes): the API's refusal is shown under the field, nothing is saved.
    await idle.fill('60');
    await form.getByRole('button', { name: 'Enregistrer' }).click();
    await answeringStepUp(page, () =>
      poll(() => idle.getAttribute('aria-invalid'), { timeout: 15_000 }).toBe('true'),
    );
    const describedBy = (await idle.getAttribute('aria-describedby')) ?? '';
    const messages = await Promise.all(
      describedBy
        .split(/\s+/)
        .filter(Boolean)
        .map((id) => page.locator(`[id="${id}"]`).textContent()),
    );
    expect(messages.join(' ')).toMatch(/300/);
    await screenshot(page, 'console-security-settings-error');
    await page.reload();
    await poll(() => idle.inputValue()).toBe('3600');
  });

  it('(f) a forgotten password: the link on the login page, the reset mail, a new password, signed in with it', async () => {
    const { page } = await openPage(browser, 'fr-FR', violations);
    await page.goto(`${base}/console/login`);
    await page.getByRole('link', { name: 'Mot de passe oublié ?' }).click();
    await page.waitForURL(/\/password-reset/);
    const ask = page.getByRole('form', { name: 'Réinitialiser votre mot de passe' });
    await ask.getByRole('textbox', { name: 'E-mail' }).fill(INVITEE.email);
    await expectAccessible(page, 'the password-reset request page');
    await ask.getByRole('button', { name: 'Envoyer le lien' }).click();
    await page.getByTestId('reset-mail-sent').waitFor();

    const resetMail = () =>
      smtp.inbox.find((m) => m.to.includes(INVITEE.email) && /reset your password/.test(mailText(m)));
    await poll(() => resetMail() !== undefined, { timeout: 30_000 }).toBe(true);
    const link = /(http:\/\/\S+\/password-reset\?tenant=acme&token=[A-Za-z0-9_-]+)/.exec(
      mailText(resetMail()!),
    )?.[1];
    expect(link, 'the reset mail carries a link to the app').toBeDefined();
    await page.goto(link!);
    const form = page.getByRole('form', { name: 'Réinitialiser votre mot de passe' });
    const fresh = 'la grue du quai numéro sept';
    await form.getByLabel('Nouveau mot de passe').fill(fresh);
    await form.getByLabel('Confirmez le mot de passe').fill(fresh);
    await expectAccessible(page, 'the new-password page');
    await screenshot(page, 'console-security-password-reset');
    await form.getByRole('button', { name: 'Enregistrer le nouveau mot de passe' }).click();
    await page.getByTestId('password-reset-done').waitFor();

    // The old password no longer works; the new one does.
    await expect(
      api('POST', '/api/v1/auth/login', { body: { email: INVITEE.email, password: INVITEE_PASSWORD } }),
    ).rejects.toThrow(/: 401 /);
    await page.getByRole('link', { name: 'Se connecter à la console' }).click();
    await page.waitForURL(`${base}/console/login`);
    await page.getByLabel('E-mail').fill(INVITEE.email);
    await page.getByLabel('Mot de passe').fill(fresh);
    await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
    await page.waitForURL(`${base}/console`);
  });

  it('no Content-Security-Policy violation and no script error', () => {
    expect(violations).toEqual([]);
  });
});
