import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DemoCredentials } from '../src/seed.ts';
import { type Child, cleanEnv, ROOT, start, TSX, tempDir } from './child-process.ts';
import {
  CHROMIUM,
  enrolTotp as enrolTotpWith,
  expectAccessible,
  FLAGS,
  makeApi,
  openPage,
  SCREENS,
  screenshot,
  tearDown,
  totp,
} from './e2e-harness.ts';

/**
 * The web app in a real browser — Debian's Chromium (/usr/bin/chromium, `.ci/run` installs it),
 * driven by Playwright — against the app started as the README starts it (`tsx src/main.ts`, which
 * builds the web app when its sources changed). Screenshots go to test-results/screens/ (ignored by
 * git); the production build's first-load figures to test-results/web-figures.json.
 */

vi.setConfig({ testTimeout: 120_000, hookTimeout: 240_000 });

let child: Child;
let base: string;
let browser: Browser;
let creds: DemoCredentials;
let totpSecret: string;
const cspViolations: string[] = [];

const login = (role: string) => {
  const l = creds.logins.find((x) => x.tenant === 'acme' && x.role === role);
  if (!l) throw new Error(`no demo login for ${role}`);
  return l;
};
const api = makeApi(() => base);
const enrolTotp = (email: string, password: string) => enrolTotpWith(api, email, password);
const newPage = (locale: string) => openPage(browser, locale, cspViolations);

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (see .ci/run)`);
  mkdirSync(SCREENS, { recursive: true });
  const dataDir = tempDir();
  child = start([TSX, 'src/main.ts'], cleanEnv({ DATA_DIR: dataDir, PORT: '0' }));
  const banner = await child.waitFor(/^ {2}Web app {8}(http:\/\/localhost:\d+)\//m, 200_000);
  base = banner[1]!;
  creds = JSON.parse(readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8')) as DemoCredentials;
  const owner = login('owner');
  totpSecret = await enrolTotp(owner.email, owner.password);
  // A storefront of its own, with its name and colour, on e2e-shop.localhost (Chromium resolves
  // *.localhost to this machine).
  const token = creds.apiTokens.find((t) => t.tenant === 'acme')!.token;
  await api('POST', '/api/v1/storefronts', {
    headers: { authorization: `Bearer ${token}` },
    body: {
      code: 'e2e-shop',
      name: 'Atelier E2E',
      domains: ['e2e-shop.localhost'],
      theme: { colors: { primary: '#8a1c1c' } },
    },
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
});

afterAll(() => tearDown(browser));

describe('the web app in Chromium', () => {
  it('serves the production build with a strict CSP, long-cached assets and the SPA fallback', async () => {
    const html = await fetch(`${base}/console/audit`, { headers: { accept: 'text/html' } });
    expect(html.status).toBe(200);
    expect(html.headers.get('cache-control')).toContain('no-cache');
    const csp = html.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toMatch(/style-src 'self' 'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    const page = await html.text();
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(page)?.[1];
    const js = await fetch(`${base}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    // The API keeps its own answers: an unknown API path is a 404 problem, not the app.
    const missing = await fetch(`${base}/api/v1/nope`, { headers: { accept: 'text/html' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
  });

  it('first load of the console login page (production build, localhost)', async () => {
    const { context, page } = await newPage('fr-FR');
    const t0 = Date.now();
    await page.goto(`${base}/console/login`);
    await page.getByRole('button', { name: 'Se connecter', exact: true }).waitFor();
    const interactiveMs = Date.now() - t0;
    // Evaluated in the page (the root tsconfig has no DOM types).
    const nav = (await page.evaluate(`(() => {
      const n = performance.getEntriesByType('navigation')[0];
      const bytes = performance.getEntriesByType('resource').reduce((sum, r) => sum + r.transferSize, n.transferSize);
      return { domContentLoadedMs: Math.round(n.domContentLoadedEventEnd), loadMs: Math.round(n.loadEventEnd), bytes };
    })()`)) as { domContentLoadedMs: number; loadMs: number; bytes: number };
    const figures = { ...nav, loginFormVisibleMs: interactiveMs };
    writeFileSync(
      path.join(ROOT, 'test-results', 'web-figures.json'),
      `${JSON.stringify(figures, null, 2)}\n`,
    );
    process.stdout.write(`web app first load: ${JSON.stringify(figures)}\n`);
    expect(nav.loadMs).toBeGreaterThan(0);
    await expectAccessible(page, 'the login page');
    await screenshot(page, 'console-login');
    await context.close();
  });

  it('(a) a staff admin logs in with password and TOTP and sees the catalogue health', async () => {
    const owner = login('owner');
    const { context, page } = await newPage('fr-FR');
    await page.goto(`${base}/console`);
    await page.waitForURL(/\/console\/login/);
    await page.getByLabel('E-mail').fill(owner.email);
    await page.getByLabel('Mot de passe').fill(owner.password);
    await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
    await page.getByLabel('Code d’authentification').fill(totp(totpSecret));
    await page.getByRole('button', { name: 'Vérifier' }).click();
    await page.waitForURL(`${base}/console`);
    await expect.poll(() => page.getByTestId('health-products').textContent()).toMatch(/^\d+$/);
    expect(Number(await page.getByTestId('health-products').textContent())).toBeGreaterThan(0);
    await expect.poll(() => page.getByRole('heading', { name: 'Santé du catalogue' }).count()).toBe(1);
    await expectAccessible(page, 'the console home');
    await screenshot(page, 'console-home');

    // The same screen in English.
    await page.locator('label', { hasText: /^EN$/ }).click(); // the SegmentedControl's visible label
    await expect.poll(() => page.getByRole('heading', { name: 'Catalogue health' }).count()).toBe(1);
    await screenshot(page, 'console-home-en');

    // (f-lite) the audit viewer shows that login, filtered by actor.
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await page.waitForURL(`${base}/console/audit`);
    await page.getByRole('combobox', { name: 'Actor' }).fill(owner.email.split('@')[0]!);
    await page.getByRole('option').first().click();
    await page.getByRole('textbox', { name: 'Action' }).fill('identity.login');
    const table = page.getByTestId('data-table');
    // The table shows the filtered page once the filters settled (debounced): only logins of that actor.
    expect(await page.getByRole('combobox', { name: 'Actor' }).inputValue()).toContain(owner.email);
    await expect
      .poll(
        async () => {
          const rows = await table.locator('tbody tr').allTextContents();
          return rows.length > 0 && rows.every((r) => r.includes('identity.login'));
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    await expect.poll(() => page.getByTestId('audit-chain').textContent()).toMatch(/intact/);
    await screenshot(page, 'console-audit');

    // The worked example of the DataTable: customer accounts.
    await page.getByRole('link', { name: 'Customer accounts' }).click();
    // Poll the new table's text: right after the click the audit table may still be on screen.
    await page.waitForURL(`${base}/console/accounts`);
    await expect
      .poll(() => page.getByTestId('data-table').textContent(), { timeout: 15_000 })
      .toContain('Boulangerie Martin');
    await screenshot(page, 'console-accounts');

    // The user's security page: sessions, TOTP active.
    await page.getByRole('link', { name: 'My security' }).click();
    await expect.poll(() => page.getByTestId('totp-status').textContent()).toBe('Active');
    await screenshot(page, 'console-security');
    await context.close();
  });

  it('storefront: a buyer logs in and sees the shop themed by its storefront', async () => {
    const buyer = creds.logins.find((l) => l.tenant === 'acme' && l.role.startsWith('buyer'))!;
    const { context, page } = await newPage('fr-FR');
    const shop = base.replace('//localhost', '//e2e-shop.localhost');
    await page.goto(`${shop}/`);
    await expect.poll(() => page.getByTestId('shop-name').textContent()).toBe('Atelier E2E');
    await expectAccessible(page, 'the storefront home');
    await page.getByRole('link', { name: 'Se connecter' }).click();
    await page.getByLabel('E-mail').fill(buyer.email);
    await page.getByLabel('Mot de passe').fill(buyer.password);
    await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
    await page.waitForURL(`${shop}/`);
    await page.getByTestId('buyer-welcome').waitFor();
    // The storefront's primary colour is the theme's.
    const colour = await page.evaluate(
      `getComputedStyle(document.querySelector('[data-testid="shop-logo"]').firstElementChild).backgroundColor`,
    );
    expect(colour).toBe('rgb(138, 28, 28)');
    await expectAccessible(page, 'the storefront home, signed in');
    await screenshot(page, 'storefront-home');
    // A buyer is not staff: the console sends them back to the shop.
    await page.goto(`${shop}/console`);
    await expect
      .poll(async () => `${new URL(page.url()).pathname} ${await page.locator('main').textContent()}`)
      .toMatch(/^\/ /);
    await context.close();
  });

  it('no Content-Security-Policy violation and no script error on any page', () => {
    expect(cspViolations).toEqual([]);
  });
});
