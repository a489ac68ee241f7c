import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DemoCredentials } from '../src/seed.ts';
import { type Child, ROOT } from './child-process.ts';
import {
  expectAccessible,
  launchBrowser,
  makeApi,
  openPage,
  screenshot,
  startApp,
  tearDown,
} from './e2e-harness.ts';

/**
 * The web app in English (the journeys mostly run in French), in Debian's Chromium against the app
 * started as the README starts it: the main console pages and the storefront's catalogue and product
 * page, in English then French, fail if any visible text or label is a raw i18n key (a key the
 * translations miss shows as itself, e.g. `console.nav.home`); axe-core at a tablet viewport
 * (768×1024) on the storefront catalogue and the console products list. On the way, the navigation
 * marks exactly one entry as the current page (not the area's home as well; the catalogue for `?q=`).
 */

vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

let _child: Child;
let base: string;
let browser: Browser;
let creds: DemoCredentials;
const violations: string[] = [];

const TABLET = { width: 768, height: 1024 };
const CONSOLE_PAGES = [
  '/console',
  '/console/accounts',
  '/console/products',
  '/console/categories',
  '/console/brands',
  '/console/families',
  '/console/price-lists',
  '/console/price-changes',
  '/console/group-discounts',
  '/console/promotions',
  '/console/customer-groups',
  '/console/visibility-rules',
  '/console/users',
  '/console/roles',
  '/console/sod',
  '/console/access-review',
  '/console/support-access',
  '/console/security-settings',
  '/console/audit',
  '/console/security',
];

/** The translations' sections (`console`, `catalog`…): a raw key is one of their paths, e.g. `console.nav.home`. */
const en = JSON.parse(readFileSync(path.join(ROOT, 'web/src/i18n/en.json'), 'utf8')) as Record<
  string,
  unknown
>;
const RAW_KEY = /^[a-z]+(\.[a-zA-Z_]+)+$/;
/** Data that looks like a key: the permission catalogue (`catalog.product.read`, shown on the roles page). */
const dataTexts = new Set<string>();
/** A text is a raw key when it looks like one and its parent path is a section of the translations. */
function isRawKey(text: string): boolean {
  if (!RAW_KEY.test(text) || dataTexts.has(text)) return false;
  let node: unknown = en;
  for (const part of text.split('.').slice(0, -1)) {
    if (typeof node !== 'object' || node === null || !(part in node)) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'object' && node !== null;
}

/** Every visible text node (outside `<code>`), and the labels assistive technology reads, of the page. */
async function visibleTexts(page: Page): Promise<string[]> {
  return (await page.evaluate(`(() => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = n.textContent.trim();
      // <code> shows identifiers verbatim (audit actions, permissions): data, not translated text.
      if (text && n.parentElement && n.parentElement.checkVisibility() && !n.parentElement.closest('code'))
        out.push(text);
    }
    for (const el of document.querySelectorAll('[aria-label], [placeholder], [title]'))
      for (const a of ['aria-label', 'placeholder', 'title']) {
        const v = el.getAttribute(a);
        if (v) out.push(v.trim());
      }
    out.push(document.title);
    return out;
  })()`)) as string[];
}

/** The page has settled (its chunk and data loaded): no request for a moment, no loader shown. */
async function settled(page: Page) {
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await page.locator('main').waitFor();
  await expect
    .poll(() => page.locator('main .mantine-Loader-root, main .mantine-Skeleton-root').count(), {
      timeout: 15_000,
    })
    .toBe(0);
}

async function expectNoRawKeys(page: Page, label: string) {
  await settled(page);
  const raw = (await visibleTexts(page)).filter(isRawKey);
  expect(raw, `raw i18n keys on ${label}`).toEqual([]);
}

/** The navigation entries shown as the current page (highlighted, aria-current). */
function currentNav(page: Page): Promise<(string | null)[]> {
  return page
    .locator('nav a[data-active], nav a[aria-current="page"]')
    .evaluateAll((links) => links.map((a) => a.getAttribute('href')));
}

async function switchLanguage(page: Page, to: 'EN' | 'FR') {
  await page.locator('label', { hasText: new RegExp(`^${to}$`) }).click(); // the SegmentedControl's label
  await expect.poll(() => page.evaluate('document.documentElement.lang')).toBe(to.toLowerCase());
}

const login = (match: (l: DemoCredentials['logins'][number]) => boolean) => {
  const l = creds.logins.find((x) => x.tenant === 'acme' && match(x));
  if (!l) throw new Error('no such demo login');
  return l;
};

async function signIn(page: Page, url: string, who: { email: string; password: string }) {
  await page.goto(`${url}/login`);
  await page.getByLabel('E-mail').fill(who.email);
  await page.locator('input[type=password]').fill(who.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

beforeAll(async () => {
  const app = await startApp();
  _child = app.child;
  base = app.base;
  creds = app.creds;
  const token = creds.apiTokens.find((t) => t.tenant === 'acme')!.token;
  const permissions = (
    await makeApi(() => base)('GET', '/api/v1/permissions', { headers: { authorization: `Bearer ${token}` } })
  ).body.data as { name: string }[];
  for (const p of permissions) dataTexts.add(p.name);
  expect(dataTexts.size).toBeGreaterThan(0);
  browser = await launchBrowser();
});

afterAll(() => tearDown(browser));

describe('the web app in English and French: no raw i18n key, accessible on a tablet', () => {
  it('the console: every main page, the product editor; the products list on a tablet', async () => {
    const { context, page } = await openPage(browser, 'en-US', violations);
    // The demo owner has no second factor enrolled: the password alone signs in.
    await signIn(
      page,
      `${base}/console`,
      login((l) => l.role === 'owner'),
    );
    await page.waitForURL(`${base}/console`);
    for (const language of ['EN', 'FR'] as const) {
      await switchLanguage(page, language);
      for (const url of CONSOLE_PAGES) {
        await page.locator(`nav a[href="${url}"]`).click();
        await page.waitForURL(`${base}${url}`);
        await expectNoRawKeys(page, `${url} (${language})`);
        expect(await currentNav(page), `the current navigation entry on ${url}`).toEqual([url]);
        // The pointer is still on the link just clicked: its hover colours must keep the contrast.
        if (url === '/console/products' && language === 'EN')
          await expectAccessible(page, 'the products list, the pointer on its navigation link');
      }
      // The heaviest page: the product editor, from the list.
      await page.locator('nav a[href="/console/products"]').click();
      await page.getByTestId('data-table').locator('tbody a').first().click();
      await page.waitForURL(/\/console\/products\/[^/]+$/);
      await expectNoRawKeys(page, `the product editor (${language})`);
    }
    await switchLanguage(page, 'EN');
    await page.setViewportSize(TABLET);
    await page.goto(`${base}/console/products`);
    await expect.poll(() => page.getByTestId('data-table').locator('tbody tr').count()).toBeGreaterThan(0);
    await settled(page);
    await expectAccessible(page, 'the console products list at 768×1024');
    await screenshot(page, 'tablet-console-products-en');
    await context.close();
  });

  it('the storefront: catalogue and product page; the catalogue on a tablet', async () => {
    const shop = base.replace('//localhost', '//acme.localhost');
    const { context, page } = await openPage(browser, 'en-US', violations);
    await signIn(
      page,
      shop,
      login((l) => l.role.startsWith('buyer')),
    );
    await page.waitForURL(`${shop}/`);
    await page.getByTestId('buyer-welcome').waitFor();
    for (const language of ['EN', 'FR'] as const) {
      await switchLanguage(page, language);
      await expectNoRawKeys(page, `the storefront home (${language})`);
      await page.locator('nav a[href="/catalog"]').click();
      await page.waitForURL(`${shop}/catalog`);
      await expectNoRawKeys(page, `the catalogue (${language})`);
      await page.locator('main a[href^="/products/"]').first().click();
      await page.waitForURL(/\/products\/[^/]+$/);
      await expectNoRawKeys(page, `the product page (${language})`);
    }
    // Search results are the catalogue too; the home entry is current only on the home page.
    await page.goto(`${shop}/catalog?q=vis`);
    await settled(page);
    expect(await currentNav(page)).toEqual(['/catalog']);
    await switchLanguage(page, 'EN');
    await page.setViewportSize(TABLET);
    await page.goto(`${shop}/catalog`);
    await page.locator('main a[href^="/products/"]').first().waitFor();
    await settled(page);
    await expectAccessible(page, 'the storefront catalogue at 768×1024');
    await screenshot(page, 'tablet-storefront-catalog-en');
    await context.close();
  });

  it('no Content-Security-Policy violation and no script error on any page', () => {
    expect(violations).toEqual([]);
  });
});
