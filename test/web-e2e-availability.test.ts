import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DemoCredentials } from '../src/seed.ts';
import type { Child } from './child-process.ts';
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
 * Availability (issue 7), in Debian's Chromium against the app started as the README starts it, on
 * the demo's stock (modules/inventory/demo.ts: quantities shown to buyers, 12 days' lead time):
 * - the demo buyer, on acme.localhost, opens a product in stock and sees its badge and quantity, then
 *   asks for more than there is and is told how many now and when the rest comes; a product out of
 *   stock shows its badge and when it is expected;
 * - a catalogue manager sees the warehouses in the console and changes a variant's stock in the
 *   product editor's stock tab; the buyer's page follows.
 * axe-core on the product page, the warehouses screen and the stock tab.
 */

vi.setConfig({ testTimeout: 180_000, hookTimeout: 240_000 });

let _child: Child;
let base: string;
let acme: string;
let browser: Browser;
let creds: DemoCredentials;
const violations: string[] = [];
const api = makeApi(() => base);
let admin: Record<string, string>;

type Availability = {
  variant_id: string;
  sku: string;
  status: string;
  available_quantity: string | null;
  restock_date: string | null;
  lead_time_days: number | null;
};
/** A product whose first variant is in stock, and one whose first variant has none. */
let inStock: { productId: string; variant: Availability };
let outOfStock: { productId: string; variant: Availability };

const login = (role: string) => {
  const l = creds.logins.find((x) => x.tenant === 'acme' && x.role.startsWith(role));
  if (!l) throw new Error(`no demo ${role}`);
  return l;
};

async function signInShop(page: Page) {
  const b = login('buyer');
  await page.goto(`${acme}/login`);
  await page.getByLabel('E-mail').fill(b.email);
  await page.getByLabel('Mot de passe').fill(b.password);
  await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
  await page.waitForURL(`${acme}/`);
  await page.getByTestId('buyer-welcome').waitFor();
}

const frenchNumber = (page: Page, n: string) =>
  page.evaluate(
    `new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 4 }).format(${Number(n)})`,
  ) as Promise<string>;
const normalise = (s: string | null) => (s ?? '').replace(/\s/g, ' ');

beforeAll(async () => {
  const app = await startApp();
  _child = app.child;
  base = app.base;
  creds = app.creds;
  acme = base.replace('//localhost', '//acme.localhost');
  admin = { authorization: `Bearer ${creds.apiTokens.find((t) => t.tenant === 'acme')!.token}` };
  // Active products, in order, until one of each kind is found (the demo's stock derives from the SKU).
  const products = (await api('GET', '/api/v1/catalog/products?status=active&limit=200', { headers: admin }))
    .body.data as { id: string; variants: { id: string; position: number }[] }[];
  for (const p of products) {
    if (inStock && outOfStock) break;
    const first = [...p.variants].sort((a, b) => a.position - b.position)[0];
    if (!first) continue;
    const a = (await api('GET', `/api/v1/catalog/products/${p.id}/availability`, { headers: admin }))
      .body as {
      variants: Availability[];
    };
    const v = a.variants.find((x) => x.variant_id === first.id)!;
    if (!inStock && v.status === 'in_stock') inStock = { productId: p.id, variant: v };
    if (!outOfStock && (v.status === 'out_of_stock' || v.status === 'on_order'))
      outOfStock = { productId: p.id, variant: v };
  }
  expect(inStock, 'a demo product in stock').toBeTruthy();
  expect(outOfStock, 'a demo product out of stock').toBeTruthy();
  browser = await launchBrowser();
});

afterAll(() => tearDown(browser));

describe('availability in Chromium', () => {
  it('a buyer sees whether a product is in stock, how many, and when the rest comes', async () => {
    const { context, page } = await openPage(browser, 'fr-FR', violations);
    await signInShop(page);
    await page.goto(`${acme}/products/${inStock.productId}`);
    const box = page.getByTestId('availability');
    await box.waitFor();
    expect(await box.getByTestId('availability-badge').getAttribute('data-status')).toBe('in_stock');
    expect(await box.getByTestId('availability-badge').textContent()).toBe('En stock');
    const available = inStock.variant.available_quantity!;
    expect(normalise(await box.getByTestId('availability-summary').textContent())).toBe(
      `${normalise(await frenchNumber(page, available))} disponible(s)`,
    );
    // More than there is: part now, the rest with the next delivery or in the default lead time.
    const wanted = String(Number(available) + 500);
    await page.getByLabel('Quantité', { exact: true }).fill(wanted);
    const request = box.getByTestId('availability-request');
    await expect
      .poll(async () => normalise(await request.textContent()), { timeout: 15_000 })
      .toMatch(
        new RegExp(
          `^${normalise(await frenchNumber(page, available))} disponible\\(s\\) maintenant, les ${normalise(await frenchNumber(page, '500'))} autres (le |sous 12 jours)`,
        ),
      );
    await expectAccessible(page, 'the product page with its availability');
    await screenshot(page, 'availability-in-stock');

    await page.goto(`${acme}/products/${outOfStock.productId}`);
    await box.waitFor();
    const badge = box.getByTestId('availability-badge');
    expect(await badge.getAttribute('data-status')).toBe(outOfStock.variant.status);
    expect(await badge.textContent()).toBe(
      outOfStock.variant.status === 'on_order' ? 'En réapprovisionnement' : 'Rupture de stock',
    );
    expect(normalise(await box.getByTestId('availability-summary').textContent())).toMatch(
      outOfStock.variant.restock_date ? / le \d{1,2} [a-zéû.]+ \d{4}$/ : /sous 12 jours$/,
    );
    await screenshot(page, 'availability-out-of-stock');
    await context.close();
  });

  it("a catalogue manager sees the warehouses and sets a variant's stock; the buyer's page follows", async () => {
    const manager = login('catalogue manager');
    const { context, page } = await openPage(browser, 'fr-FR', violations);
    await page.goto(`${base}/console/login`);
    await page.getByLabel('E-mail').fill(manager.email);
    await page.getByLabel('Mot de passe').fill(manager.password);
    await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
    await page.waitForURL(`${base}/console`);
    await page.getByRole('link', { name: 'Entrepôts', exact: true }).click();
    await page.waitForURL(`${base}/console/warehouses`);
    const table = page.getByTestId('data-table');
    await expect.poll(() => table.textContent()).toMatch(/Entrepôt de Lyon/);
    expect(await table.textContent()).toMatch(/Plateforme Île-de-France/);
    await page.getByRole('radio', { name: 'Les quantités disponibles' }).waitFor();
    await page.mouse.move(0, 0);
    await expectAccessible(page, 'the warehouses');
    await screenshot(page, 'console-warehouses');

    // The out-of-stock variant gets 40 units in Lyon, from the product editor's stock tab.
    await page.goto(`${base}/console/products/${outOfStock.productId}`);
    await page.getByRole('tab', { name: 'Stock' }).click();
    const card = page.getByTestId(`stock-${outOfStock.variant.sku}`);
    await card.waitFor();
    await card.getByRole('button', { name: `Modifier le stock de ${outOfStock.variant.sku}` }).click();
    const onHand = page.getByLabel(/^En stock — Entrepôt de Lyon/);
    await onHand.fill('40');
    await expect.poll(() => onHand.inputValue()).toBe('40');
    await page.getByRole('button', { name: 'Enregistrer le stock' }).click();
    try {
      await page.getByRole('dialog').waitFor({ state: 'hidden' });
    } catch (err) {
      await screenshot(page, 'console-stock-save-failed');
      throw new Error(`the stock was not saved: ${await page.getByRole('dialog').textContent()}`, {
        cause: err,
      });
    }
    await expect
      .poll(() => card.getByTestId('availability-badge').getAttribute('data-status'))
      .toBe('in_stock');
    await expectAccessible(page, 'the stock tab');
    await screenshot(page, 'console-stock-tab');
    const variantId = outOfStock.variant.variant_id;
    const stock = (await api('GET', `/api/v1/inventory/variants/${variantId}/stock`, { headers: admin }))
      .body as {
      levels: { warehouse_code: string; on_hand: string }[];
    };
    expect(stock.levels.find((l) => l.warehouse_code === 'LYON')?.on_hand).toBe('40');
    await context.close();

    const shop = await openPage(browser, 'fr-FR', violations);
    await signInShop(shop.page);
    await shop.page.goto(`${acme}/products/${outOfStock.productId}`);
    await expect
      .poll(() => shop.page.getByTestId('availability-badge').first().getAttribute('data-status'))
      .toBe('in_stock');
    await shop.context.close();
  });

  it('no CSP violation and no script error', () => {
    expect(violations).toEqual([]);
  });
});
