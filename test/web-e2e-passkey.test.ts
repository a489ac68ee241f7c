import { createServer } from 'node:net';
import type { Browser, CDPSession, Page } from 'playwright-core';
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
 * Passkeys in a real browser (issue 7, item 3: login with password, TOTP and passkey), in Debian's
 * Chromium with its virtual authenticator (Chrome DevTools Protocol, `WebAuthn.*`: a platform
 * authenticator with resident keys and user verification), against the app started as the README
 * starts it. A staff user with TOTP logs in with password + TOTP, registers a passkey on the security
 * page and sees it listed; logs out and back in with password + the passkey as second factor; logs out
 * and back in with the passkey alone; once the session's second factor is older than the tenant's
 * step-up age, removing the passkey asks for a step-up, answered with the passkey. Axe check on the
 * security page with the passkey listed; screenshots in test-results/screens/passkey-*.
 *
 * WebAuthn needs the page's origin to be one the server expects (WEBAUTHN_ORIGINS, by default
 * PUBLIC_URL's origin, and PUBLIC_URL follows PORT): the app is started on a free port chosen here
 * rather than PORT=0, so that `http://localhost:<port>` is both the page's origin and the expected one.
 */

vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

const STEP_UP_MAX_AGE_S = 60; // the smallest the tenant settings allow
const KEY_NAME = 'Clé E2E du portable';

let _child: Child;
let base: string;
let browser: Browser;
let creds: DemoCredentials;
let totpSecret: string;
const violations: string[] = [];
const api = makeApi(() => base);

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, 'localhost', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

const user = () => {
  const l = creds.logins.find((x) => x.tenant === 'acme' && x.role === 'auditor');
  if (!l) throw new Error('no demo login for the auditor');
  return l;
};

const token = () => creds.apiTokens.find((t) => t.tenant === 'acme')!.token;

beforeAll(async () => {
  const started = await startApp({ PORT: String(await freePort()) });
  _child = started.child;
  base = started.base;
  creds = started.creds;
  totpSecret = await enrolTotp(api, user().email, user().password);
  // A step-up is then needed one minute after the last second factor (the default is 15 minutes).
  await api('PATCH', '/api/v1/security-settings', {
    headers: { authorization: `Bearer ${token()}` },
    body: { step_up_max_age_s: STEP_UP_MAX_AGE_S },
  });
  browser = await launchBrowser();
});

afterAll(() => tearDown(browser));

async function passwordStep(page: Page) {
  await page.goto(`${base}/console/login`);
  await page.getByLabel('E-mail').fill(user().email);
  await page.getByRole('textbox', { name: 'Password' }).fill(user().password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function logOut(page: Page) {
  await page.getByTestId('user-menu').click();
  await page.getByRole('menuitem', { name: 'Log out' }).click();
  await page.waitForURL(/\/console\/login/);
}

/** The passkey list, or the toasts shown instead (a failure's message makes the assertion's). */
async function listedOrToasts(page: Page): Promise<string> {
  const list = page.getByTestId('passkey-list');
  if (await list.count()) return (await list.textContent()) ?? '';
  return `toasts: ${(await page.getByRole('alert').allTextContents()).join(' | ')}`;
}

async function credentials(cdp: CDPSession, authenticatorId: string) {
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  return credentials;
}

describe('passkeys in Chromium (virtual authenticator)', () => {
  it('registers a passkey, signs in with it as second factor and alone, steps up with it, removes it', async () => {
    const { context, page } = await openPage(browser, 'en-US', violations);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });

    // 1. Password + TOTP, then the security page.
    await passwordStep(page);
    await page.getByLabel('Authentication code').fill(totp(totpSecret));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${base}/console`);
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Security' }).click();
    await page.waitForURL(/\/console\/security$/);
    await expect.poll(() => page.getByTestId('totp-status').textContent()).toBe('Active');

    // 2. Register a passkey, named; it is listed, and the authenticator holds a discoverable credential.
    await page.getByLabel('Name of the new key').fill(KEY_NAME);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    const listed = page.getByTestId('passkey-list');
    await expect.poll(() => listedOrToasts(page), { timeout: 15_000 }).toContain(KEY_NAME);
    const held = await credentials(cdp, authenticatorId);
    expect(held).toHaveLength(1);
    expect(held[0]!.isResidentCredential).toBe(true);
    const session = await page.evaluate('fetch("/api/v1/auth/mfa").then((r) => r.json())');
    expect(session).toMatchObject({ totp: 'active', webauthn_credentials: 1 });
    await expectAccessible(page, 'the security page with a passkey');
    await screenshot(page, 'passkey-security');

    // 3. Log out; password, then the passkey as the second factor.
    await logOut(page);
    await passwordStep(page);
    await page.getByRole('button', { name: 'Use a security key' }).click();
    await page.waitForURL(`${base}/console`);
    await expect.poll(async () => (await credentials(cdp, authenticatorId))[0]!.signCount).toBeGreaterThan(0);

    // 4. Log out; the passkey alone (discoverable credential, user verification).
    await logOut(page);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL(`${base}/console`);
    await expect.poll(() => page.getByTestId('user-menu').textContent()).toContain('Nathalie Roux');
    const loggedInAt = Date.now();
    await screenshot(page, 'passkey-console');

    // 5. Once this session's second factor is older than the step-up age, removing the passkey asks
    //    for a step-up, answered with the passkey; then it is gone.
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Security' }).click();
    await expect.poll(() => listed.textContent()).toContain(KEY_NAME);
    await page.waitForTimeout(Math.max(0, loggedInAt + (STEP_UP_MAX_AGE_S + 2) * 1000 - Date.now()));
    await listed.getByRole('button', { name: 'Remove' }).click();
    await page
      .getByRole('dialog', { name: 'Remove this passkey?' })
      .getByRole('button', { name: 'Remove' })
      .click();
    const stepUp = page.getByRole('dialog', { name: 'Confirm it is you' });
    await stepUp.waitFor();
    await screenshot(page, 'passkey-step-up');
    await stepUp.getByRole('button', { name: 'Use a passkey' }).click();
    await expect.poll(() => page.getByText('No passkey yet.').count(), { timeout: 15_000 }).toBe(1);
    const after = await page.evaluate('fetch("/api/v1/auth/mfa").then((r) => r.json())');
    expect(after).toMatchObject({ totp: 'active', webauthn_credentials: 0 });

    // The audit trail tells the factors apart: a passkey login, a step-up by WebAuthn, the removal.
    const events = async (action: string) =>
      (
        await api('GET', `/api/v1/audit/events?action=${action}&limit=50`, {
          headers: { authorization: `Bearer ${token()}` },
        })
      ).body.data as { outcome: string; metadata: Record<string, unknown> }[];
    expect((await events('identity.login')).some((e) => e.metadata.method === 'passkey')).toBe(true);
    expect(
      (await events('identity.session.step_up')).map((e) => [e.outcome, e.metadata.method]),
    ).toContainEqual(['success', 'webauthn']);
    expect((await events('identity.mfa.webauthn.remove')).map((e) => e.outcome)).toContain('success');
    await context.close();
  });

  it('no Content-Security-Policy violation and no script error', () => {
    expect(violations).toEqual([]);
  });
});
