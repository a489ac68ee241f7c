import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
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
 * The storefronts console (issue 7), in Debian's Chromium against the app started as the README starts
 * it: the demo owner opens Storefronts, gives the distributor's white-label shop (Distrib Pro,
 * distrib.localhost) a new primary colour and a new logo; the distributor's shop then shows that logo
 * and colour, while the merchant's shop (acme.localhost) keeps its own. Screenshots in
 * test-results/screens/console-storefronts-*.
 */

vi.setConfig({ testTimeout: 180_000, hookTimeout: 240_000 });

let _child: Child;
let base: string;
let acme: string;
let distrib: string;
let browser: Browser;
let creds: DemoCredentials;
const violations: string[] = [];
const api = makeApi(() => base);
let admin: Record<string, string>;

/** A PNG of one colour, `width` × `height`, encoded here (signature, IHDR, IDAT, IEND; CRC-32 by hand). */
function solidPng(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = table[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits per channel, RGB, no interlace
  const row = Buffer.concat([
    Buffer.from([0]),
    Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat()),
  ]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An `<img>`, as the page evaluates it (the tests are compiled without the DOM's types). */
type Img = { complete: boolean; naturalWidth: number };

/** What a shop's header shows: the logo's text alternative, natural width and URL; the brand colour. */
async function shopBrand(page: Page) {
  const logo = page.getByTestId('shop-logo-image');
  await logo.waitFor();
  await expect
    .poll(() =>
      logo.evaluate((img) => (img as unknown as Img).complete && (img as unknown as Img).naturalWidth),
    )
    .toBeGreaterThan(0);
  await page.locator('main a.mantine-Button-root').first().waitFor();
  return {
    alt: await logo.getAttribute('alt'),
    src: (await logo.getAttribute('src')) ?? '',
    naturalWidth: await logo.evaluate((img) => (img as unknown as Img).naturalWidth),
    colour: await page.evaluate(
      `getComputedStyle(document.querySelector('main a.mantine-Button-root')).backgroundColor`,
    ),
  };
}

beforeAll(async () => {
  const app = await startApp();
  _child = app.child;
  base = app.base;
  creds = app.creds;
  acme = base.replace('//localhost', '//acme.localhost');
  distrib = base.replace('//localhost', '//distrib.localhost');
  admin = { authorization: `Bearer ${creds.apiTokens.find((t) => t.tenant === 'acme')!.token}` };
  browser = await launchBrowser();
});

afterAll(() => tearDown(browser));

describe('console: storefronts, colours and logos', () => {
  it('staff give the distributor’s shop a new colour and logo; its shop shows them, the merchant’s keeps its own', async () => {
    const t0 = Date.now();
    const owner = creds.logins.find((l) => l.tenant === 'acme' && l.role === 'owner')!;
    const logo = solidPng(96, 32, [0x8e, 0x24, 0xaa]);
    const version = createHash('sha256').update(logo).digest('hex').slice(0, 16);

    // 1. The owner signs in to the console and opens Storefronts from the navigation.
    const { context, page } = await openPage(browser, 'fr-FR', violations);
    await page.goto(`${base}/console/login`);
    await page.getByLabel('E-mail').fill(owner.email);
    await page.getByLabel('Mot de passe').fill(owner.password);
    await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
    await page.waitForURL(`${base}/console`);
    await page.getByRole('link', { name: 'Boutiques', exact: true }).click();
    await page.waitForURL(`${base}/console/storefronts`);
    const table = page.getByRole('table', { name: 'Boutiques' });
    await table.getByRole('link', { name: 'Distrib Pro' }).waitFor();
    await expect.poll(() => table.getByRole('row').filter({ hasText: 'distrib.localhost' }).count()).toBe(1);
    expect(await table.getByRole('row').filter({ hasText: 'acme.localhost' }).textContent()).toContain('EUR');
    await expectAccessible(page, 'the storefronts list');
    await screenshot(page, 'console-storefronts-list');

    // 2. The distributor's storefront: the demo logo in the preview, a new primary colour.
    await table.getByRole('link', { name: 'Distrib Pro' }).click();
    await page.getByRole('heading', { name: 'Distrib Pro', level: 2 }).waitFor();
    const preview = page.getByTestId('storefront-logo-preview');
    await expect
      .poll(() => preview.evaluate((img) => (img as unknown as Img).naturalWidth))
      .toBeGreaterThan(0);
    const colour = page.getByLabel('Couleur principale');
    expect(await colour.inputValue()).toBe('#2e7d32');
    await colour.fill('#8e24aa');
    await colour.press('Escape');
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await page.getByText('Boutique Distrib Pro enregistrée').waitFor();
    const storefronts = (await api('GET', '/api/v1/storefronts?limit=50', { headers: admin })).body.data as {
      id: string;
      code: string;
      theme: { colors: Record<string, string> };
      logo: { checksum_sha256: string } | null;
    }[];
    const saved = storefronts.find((s) => s.code === 'distrib-pro')!;
    expect(saved.theme.colors).toMatchObject({ primary: '#8e24aa', accent: '#212121' });

    // 3. A new logo, uploaded from a file: the preview shows it.
    await page.locator('input[type="file"]').setInputFiles({
      name: 'distrib-pro.png',
      mimeType: 'image/png',
      buffer: logo,
    });
    await page.getByRole('button', { name: 'Remplacer le logo' }).click();
    await page.getByText('Logo envoyé').waitFor();
    await expect.poll(() => preview.getAttribute('src')).toContain(`v=${version}`);
    await expect.poll(() => preview.evaluate((img) => (img as unknown as Img).naturalWidth)).toBe(96);
    await expectAccessible(page, 'the storefront editor');
    await screenshot(page, 'console-storefronts-editor');
    await context.close();

    // 4. The distributor's shop shows the new logo (named by the shop) and colour…
    const shop = await openPage(browser, 'fr-FR', violations);
    await shop.page.goto(`${distrib}/`);
    const distribBrand = await shopBrand(shop.page);
    expect(distribBrand).toMatchObject({ alt: 'Distrib Pro', naturalWidth: 96, colour: 'rgb(142, 36, 170)' });
    expect(distribBrand.src).toContain(`v=${version}`);
    await expectAccessible(shop.page, 'the distributor’s shop with its logo');
    await screenshot(shop.page, 'console-storefronts-distrib-shop');
    await shop.context.close();

    // 5. …while the merchant's shop keeps its own logo (the demo's SVG, 220 px wide) and colour.
    const merchant = await openPage(browser, 'fr-FR', violations);
    await merchant.page.goto(`${acme}/`);
    const acmeBrand = await shopBrand(merchant.page);
    expect(acmeBrand).toMatchObject({
      alt: 'Acme Industrie — boutique pro',
      naturalWidth: 220,
      colour: 'rgb(31, 78, 121)',
    });
    expect(acmeBrand.src).not.toBe(distribBrand.src);
    expect(
      await merchant.page.evaluate(
        async (src) => (await fetch(src)).headers.get('content-type'),
        acmeBrand.src,
      ),
    ).toBe('image/svg+xml');
    await screenshot(merchant.page, 'console-storefronts-acme-shop');
    await merchant.context.close();

    expect(violations).toEqual([]);
    process.stdout.write(`storefronts console journey: ${Date.now() - t0} ms\n`);
  });
});
