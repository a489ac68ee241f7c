import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAsTenant } from '../../platform/context.ts';
import { auditOf } from '../../platform/identity/testing.ts';
import { createApiToken } from '../../platform/identity/users.ts';
import { DRIVERS, requestWithHost, startTestApp, type TestApp, type TestTenant } from '../../test/harness.ts';
import { LOGO_MAX_BYTES, logoObjectKey, sniffLogoType, svgActiveContent } from './logo.ts';

const svg = (name: string, colour: string) =>
  Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="160" height="40" viewBox="0 0 160 40"><rect width="40" height="40" rx="6" fill="${colour}"/><text x="48" y="27" font-family="sans-serif" font-size="18">${name}</text></svg>\n`,
  );
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('IHDR a signed png body \u0000\u00ff', 'latin1'),
]);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('what a logo may be (pure)', () => {
  it('recognises PNG, JPEG, WebP by their first bytes and SVG by its first element; nothing else', () => {
    expect(sniffLogoType(PNG)).toBe('image/png');
    expect(sniffLogoType(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffLogoType(Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 ', 'latin1'))).toBe('image/webp');
    expect(sniffLogoType(svg('Acme', '#1f4e79'))).toBe('image/svg+xml');
    expect(sniffLogoType(Buffer.from('\uFEFF<!-- logo --><!DOCTYPE svg><svg viewBox="0 0 1 1"></svg>'))).toBe(
      'image/svg+xml',
    );
    expect(sniffLogoType(Buffer.from('<html><svg></svg></html>'))).toBeNull();
    expect(sniffLogoType(Buffer.from('GIF89a......'))).toBeNull();
    expect(sniffLogoType(Buffer.from('%PDF-1.7\n'))).toBeNull();
    expect(sniffLogoType(Buffer.alloc(0))).toBeNull();
  });

  it('finds what would make an SVG active: script, event handlers, javascript: links, foreignObject, entities', () => {
    expect(svgActiveContent(svg('Acme', '#000000').toString())).toBeNull();
    expect(svgActiveContent('<svg><script>alert(1)</script></svg>')).toMatch(/script/);
    expect(svgActiveContent('<svg onload="alert(1)"></svg>')).toMatch(/event handler/);
    expect(svgActiveContent('<svg><a href="javascript:alert(1)">x</a></svg>')).toMatch(/javascript/);
    expect(svgActiveContent('<svg><foreignObject><div/></foreignObject></svg>')).toMatch(/foreignObject/);
    expect(svgActiveContent('<!DOCTYPE svg [<!ENTITY x "y">]><svg/>')).toMatch(/entity/);
  });
});

describe.each(DRIVERS)('storefront logos, on %s', (driver) => {
  let t: TestApp;
  let dir: string;
  let acme: TestTenant;
  let rival: TestTenant;
  let merchant: string;
  let distrib: string;
  let rivalShop: string;

  const put = (id: string, body: Buffer, type: string, token = acme.token) =>
    fetch(`${t.url}/api/v1/storefronts/${id}/logo`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body,
    });
  const api = (tenant: TestTenant, method: string, p: string, body?: unknown) =>
    t.api(method, p, { token: tenant.token, ...(body !== undefined ? { body } : {}) });
  const publicLogo = (host: string, headers: Record<string, string> = {}) =>
    requestWithHost(t.url, host, '/api/v1/public/storefront/logo', headers);
  const publicShop = async (host: string) => {
    const res = await requestWithHost(t.url, host, '/api/v1/public/storefront');
    return { status: res.status, body: JSON.parse(res.body.toString()) };
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'comptoir-logo-'));
    t = await startTestApp(driver, { config: { MEDIA_DIR: dir } });
    acme = await t.newTenant('Acme Industrie');
    rival = await t.newTenant('Rival Négoce');
    const shop = async (tenant: TestTenant, code: string, name: string, host: string) => {
      const res = await api(tenant, 'POST', '/api/v1/storefronts', { code, name, domains: [host] });
      if (res.status !== 201) throw new Error(JSON.stringify(res.body));
      return res.body.id as string;
    };
    merchant = await shop(acme, 'acme-pro', 'Acme Industrie — boutique pro', 'acme.localhost');
    distrib = await shop(acme, 'distrib-pro', 'Distrib Pro', 'distrib.localhost');
    rivalShop = await shop(rival, 'rival', 'Rival Négoce', 'rival.localhost');
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the distributor’s shop shows its own logo: uploaded, audited, served on its host with its type, nosniff, ETag and a CSP for SVG', async () => {
    const logo = svg('Distrib Pro', '#2e7d32');
    const res = await put(distrib, logo, 'image/svg+xml');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      logo: Record<string, unknown> | null;
      theme: { logo_object_key: string | null };
    };
    expect(body.logo).toMatchObject({
      content_type: 'image/svg+xml',
      size_bytes: logo.length,
      checksum_sha256: sha(logo),
    });
    expect(body.theme.logo_object_key).toBe(logoObjectKey(acme.tenantId, distrib));
    expect((await auditOf(t, acme.tenantId, 'storefronts.storefront_logo.upload')).at(-1)).toMatchObject({
      outcome: 'success',
      resource_id: distrib,
    });

    const shop = await publicShop('distrib.localhost');
    expect(shop.body.theme.logo_url).toBe(`/api/v1/public/storefront/logo?v=${sha(logo).slice(0, 16)}`);
    const served = await requestWithHost(t.url, 'distrib.localhost:3000', shop.body.theme.logo_url);
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toBe('image/svg+xml');
    expect(served.headers['x-content-type-options']).toBe('nosniff');
    expect(served.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'");
    expect(served.headers.etag).toBe(`"${sha(logo)}"`);
    expect(served.body.equals(logo)).toBe(true);
    const again = await publicLogo('distrib.localhost', { 'if-none-match': `"${sha(logo)}"` });
    expect(again.status).toBe(304);

    // The merchant's shop has none yet: its name is shown, and the logo URL is a 404 problem.
    expect((await publicShop('acme.localhost')).body.theme.logo_url).toBeNull();
    const none = await publicLogo('acme.localhost');
    expect(none.status).toBe(404);
    expect(String(none.headers['content-type'])).toMatch(/problem\+json/);

    // Then it gets its own (a PNG): each host serves its storefront's logo.
    expect((await put(merchant, PNG, 'image/png')).status).toBe(200);
    const acmeLogo = await publicLogo('acme.localhost');
    expect(acmeLogo.headers['content-type']).toBe('image/png');
    expect(acmeLogo.body.equals(PNG)).toBe(true);
    expect((await publicLogo('distrib.localhost')).body.equals(logo)).toBe(true);

    // Staff see it in the console through the storefront's own URL.
    const staff = await fetch(`${t.url}/api/v1/storefronts/${distrib}/logo`, {
      headers: { authorization: `Bearer ${acme.token}` },
    });
    expect(staff.status).toBe(200);
    expect(Buffer.from(await staff.arrayBuffer()).equals(logo)).toBe(true);
  });

  it('a new upload replaces the logo (new ETag, new URL); removing it brings the name back, audited, and deletes the file', async () => {
    const first = svg('Distrib', '#111111');
    const second = svg('Distrib Pro 2027', '#2e7d32');
    await put(distrib, first, 'image/svg+xml');
    const before = (await publicShop('distrib.localhost')).body.theme.logo_url;
    expect((await put(distrib, second, 'image/svg+xml')).status).toBe(200);
    const after = (await publicShop('distrib.localhost')).body.theme.logo_url;
    expect(after).not.toBe(before);
    const served = await publicLogo('distrib.localhost', { 'if-none-match': `"${sha(first)}"` });
    expect(served.status).toBe(200);
    expect(served.body.equals(second)).toBe(true);

    const file = path.join(dir, logoObjectKey(acme.tenantId, distrib));
    expect(existsSync(file)).toBe(true);
    const removed = await api(acme, 'DELETE', `/api/v1/storefronts/${distrib}/logo`);
    expect(removed.status).toBe(200);
    expect(removed.body.logo).toBeNull();
    expect(removed.body.theme.logo_object_key).toBeNull();
    expect((await auditOf(t, acme.tenantId, 'storefronts.storefront_logo.delete')).at(-1)).toMatchObject({
      outcome: 'success',
      resource_id: distrib,
    });
    expect(existsSync(file)).toBe(false);
    expect((await publicShop('distrib.localhost')).body.theme.logo_url).toBeNull();
    expect((await publicLogo('distrib.localhost')).status).toBe(404);
    // Nothing left to remove.
    expect((await api(acme, 'DELETE', `/api/v1/storefronts/${distrib}/logo`)).status).toBe(404);
    // The merchant's logo is untouched.
    expect((await publicLogo('acme.localhost')).body.equals(PNG)).toBe(true);
  });

  it('refuses what is not a logo: another type or a lie about it (415), too large (413), an SVG with script (422) — and keeps the logo', async () => {
    const kept = svg('Acme', '#1f4e79');
    expect((await put(merchant, kept, 'image/svg+xml')).status).toBe(200);
    const refused = async (res: Response, status: number) => {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      return (await res.json()) as { detail: string; errors?: { pointer: string }[] };
    };
    await refused(await put(merchant, Buffer.from('GIF89a......'), 'image/gif'), 415);
    const lie = await refused(await put(merchant, PNG, 'image/svg+xml'), 415);
    expect(lie.detail).toContain('image/png');
    expect(lie.errors?.map((e) => e.pointer)).toEqual(['/content-type']);
    await refused(await put(merchant, Buffer.from('<html>hello</html>'), 'image/svg+xml'), 415);
    await refused(await put(merchant, Buffer.alloc(0), 'image/png'), 415);
    const json = await api(acme, 'PUT', `/api/v1/storefronts/${merchant}/logo`, { logo: 'please' });
    expect(json.status).toBe(415);
    await refused(await put(merchant, Buffer.concat([PNG, Buffer.alloc(LOGO_MAX_BYTES)]), 'image/png'), 413);
    const script = await refused(
      await put(
        merchant,
        Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'),
        'image/svg+xml',
      ),
      422,
    );
    expect(script.detail).toContain('<script>');
    await refused(
      await put(
        merchant,
        Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        'image/svg+xml',
      ),
      422,
    );
    expect((await put('sf_00000000000000000000000000', kept, 'image/svg+xml')).status).toBe(404);
    expect((await put('not-an-id', kept, 'image/svg+xml')).status).toBe(400);
    // The theme's key cannot be pointed elsewhere by an update either.
    const pointed = await api(acme, 'PATCH', `/api/v1/storefronts/${merchant}`, {
      theme: { logo_object_key: logoObjectKey(rival.tenantId, rivalShop) },
    });
    expect(pointed.status).toBe(400);
    expect(pointed.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual([
      '/theme/logo_object_key',
    ]);
    // Sending the current theme back (as an editor does) is fine.
    const current = await api(acme, 'GET', `/api/v1/storefronts/${merchant}`);
    expect(
      (await api(acme, 'PATCH', `/api/v1/storefronts/${merchant}`, { theme: current.body.theme })).status,
    ).toBe(200);

    const served = await publicLogo('acme.localhost');
    expect(served.body.equals(kept)).toBe(true);
    expect((await auditOf(t, acme.tenantId, 'storefronts.storefront_logo.upload')).at(-1)).toMatchObject({
      outcome: 'failure',
    });
  });

  it('one tenant can neither set, remove nor read another’s logo, and a host never serves another tenant’s logo', async () => {
    const own = svg('Rival', '#8a1c1c');
    expect((await put(rivalShop, own, 'image/svg+xml')).status).toBe(404); // acme's token, rival's storefront
    expect((await put(merchant, own, 'image/svg+xml', rival.token)).status).toBe(404);
    expect((await api(rival, 'DELETE', `/api/v1/storefronts/${merchant}/logo`)).status).toBe(404);
    expect((await api(rival, 'GET', `/api/v1/storefronts/${merchant}/logo`)).status).toBe(404);
    expect((await publicLogo('rival.localhost')).status).toBe(404);
    expect((await put(rivalShop, own, 'image/svg+xml', rival.token)).status).toBe(200);
    const rivalServed = await publicLogo('rival.localhost');
    expect(rivalServed.body.equals(own)).toBe(true);
    expect((await publicLogo('acme.localhost')).body.equals(own)).toBe(false);
    expect((await publicLogo(`unknown.localhost`)).status).toBe(404);
  });

  it('uploading needs the permission to change storefronts; reading it in the console the permission to see them', async () => {
    const token = (scopes: string[]) =>
      runAsTenant(
        t.db,
        { tenantId: acme.tenantId },
        async (ctx) =>
          (await createApiToken(ctx, { userId: acme.ownerId, name: scopes.join(' '), scopes })).token,
      );
    const reader = await token(['storefronts.storefront.read']);
    const denied = await put(merchant, svg('Nope', '#000000'), 'image/svg+xml', reader);
    expect(denied.status).toBe(403);
    expect((await t.api('DELETE', `/api/v1/storefronts/${merchant}/logo`, { token: reader })).status).toBe(
      403,
    );
    expect((await auditOf(t, acme.tenantId, 'storefronts.storefront_logo.upload')).at(-1)).toMatchObject({
      outcome: 'denied',
    });
    const seen = await fetch(`${t.url}/api/v1/storefronts/${merchant}/logo`, {
      headers: { authorization: `Bearer ${reader}` },
    });
    expect(seen.status).toBe(200);
    const writer = await token(['storefronts.storefront.write']);
    expect((await put(merchant, svg('Acme', '#1f4e79'), 'image/svg+xml', writer)).status).toBe(200);
  });

  it('an inactive storefront serves no logo', async () => {
    expect((await put(distrib, svg('Distrib Pro', '#2e7d32'), 'image/svg+xml')).status).toBe(200);
    await api(acme, 'PATCH', `/api/v1/storefronts/${distrib}`, { status: 'inactive' });
    expect((await publicLogo('distrib.localhost')).status).toBe(404);
    await api(acme, 'PATCH', `/api/v1/storefronts/${distrib}`, { status: 'active' });
    expect((await publicLogo('distrib.localhost')).status).toBe(200);
  });
});
