import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import * as OTPAuth from 'otpauth';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { DemoCredentials } from '../src/seed.ts';
import {
  type Child,
  cleanEnv,
  killAll,
  ROOT,
  removeTempDirs,
  start,
  stopAll,
  TSX,
  tempDir,
} from './child-process.ts';

/**
 * What the end-to-end journeys share (test/web-e2e*.test.ts): the app started as the README starts
 * it, Debian's Chromium driven by Playwright, an API helper, TOTP codes, screenshots and the axe check.
 */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots of the main screens: test artefacts (ignored by git). */
export const SCREENS = path.join(ROOT, 'test-results', 'screens');
export const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const totp = (secret: string, at = Date.now()) =>
  new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({
    timestamp: at,
  });

export type ApiOptions = { body?: unknown; headers?: Record<string, string> };
// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes, read by the tests
type Json = any;
export type ApiCall = (
  method: string,
  url: string,
  opts?: ApiOptions,
) => Promise<{ res: Response; body: Json }>;

/** A JSON API caller against the app at `base()`: throws on a non-2xx answer. */
export function makeApi(base: () => string): ApiCall {
  return async (method, url, opts = {}) => {
    const res = await fetch(`${base()}${url}`, {
      method,
      headers: {
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...opts.headers,
      },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
    const text = await res.text();
    const body = text ? JSON.parse(text) : null;
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return { res, body };
  };
}

/** Signs in through the API: the headers of that session (cookie and CSRF token) for later calls. */
export async function apiLogin(
  api: ApiCall,
  email: string,
  password: string,
): Promise<Record<string, string>> {
  const { res, body } = await api('POST', '/api/v1/auth/login', { body: { email, password } });
  return {
    cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!,
    'x-csrf-token': body.csrf_token as string,
  };
}

/** Enrols TOTP for a user through the API (the demo has no factor enrolled); returns the secret. */
export async function enrolTotp(api: ApiCall, email: string, password: string): Promise<string> {
  const session = await apiLogin(api, email, password);
  const start = await api('POST', '/api/v1/auth/mfa/totp', { headers: session });
  const secret = start.body.secret as string;
  // The previous period's code (accepted once), so that the browser's login uses the current one.
  // On a busy machine the request can cross into the next period, where that code is too old: once
  // more with the code of the period before the new one.
  const confirm = () =>
    api('POST', '/api/v1/auth/mfa/totp/confirm', {
      headers: session,
      body: { code: totp(secret, Date.now() - 30_000) },
    });
  await confirm().catch((err: Error) => {
    if (!/ 400 .*not the current code/.test(err.message)) throw err;
    return confirm();
  });
  await api('POST', '/api/v1/auth/logout', { headers: session });
  return secret;
}

/**
 * Starts the app as the README does (fresh DATA_DIR, PORT=0 unless `env` says otherwise — a
 * DATA_DIR given in `env` is one the test prepared, e.g. with the CLI); resolves once the web app is
 * served.
 */
export async function startApp(env: Record<string, string> = {}): Promise<{
  child: Child;
  base: string;
  dataDir: string;
  creds: DemoCredentials;
}> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (see .ci/run)`);
  mkdirSync(SCREENS, { recursive: true });
  const dataDir = env.DATA_DIR ?? tempDir();
  const child = start([TSX, 'src/main.ts'], cleanEnv({ DATA_DIR: dataDir, PORT: '0', ...env }));
  // The ready banner, up to its last line (Health).
  const ready = await child.waitFor(/^Comptoir is ready[\s\S]*?^ {2}Health .*$/m, 200_000);
  const banner = /^ {2}Web app {8}(http:\/\/localhost:\d+)\//m.exec(ready[0]);
  // The start serves the build it just made, even when web/ changed meanwhile (it says so): only a
  // failed first build leaves the API alone.
  if (!banner) throw new Error(`the web app is not served (did its build fail?):\n${ready[0]}`);
  const creds = JSON.parse(
    readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8'),
  ) as DemoCredentials;
  return { child, base: banner[1]!, dataDir, creds };
}

/**
 * A free TCP port, for a journey that needs PUBLIC_URL to be the page's origin (PUBLIC_URL follows
 * PORT, and links in mails, WebAuthn origins are built from it): `startApp({ PORT })`.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, 'localhost', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

/**
 * A fresh browser context and page in a language; Content-Security-Policy violations and script
 * errors are pushed to `violations` (the journeys expect none).
 */
export async function openPage(
  browser: Browser,
  locale: string,
  violations: string[],
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (/Content.Security.Policy/i.test(msg.text())) violations.push(msg.text());
  });
  page.on('pageerror', (err) => violations.push(`page error: ${err.message}`));
  return { context, page };
}

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: path.join(SCREENS, `${name}.png`), fullPage: true });
}

/** No serious or critical WCAG 2 A/AA violation (axe-core). */
export async function expectAccessible(page: Page, label: string) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
  const bad = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad, `accessibility of ${label}`).toEqual([]);
}

/** After a journey file: the browser closed, the app stopped (killed if it lingers), its DATA_DIR removed. */
export async function tearDown(browser: Browser | undefined): Promise<void> {
  await browser?.close();
  await stopAll();
  await killAll();
  removeTempDirs();
}
