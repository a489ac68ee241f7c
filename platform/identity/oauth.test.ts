import { createHash, generateKeyPairSync } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { decodeProtectedHeader, exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, startTestApp, type TestApp, type TestTenant, testConfig } from '../../test/harness.ts';
import { rows } from '../db/database.ts';
import { inSystemTransaction } from '../db/scope.ts';
import { advanceClock } from './clock.ts';
import { loadKek, rotateSigningKey } from './signing-keys.ts';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const b64 = (s: string) => Buffer.from(s).toString('base64url');

describe.each(DRIVERS)('service accounts and OAuth client credentials, on %s', (driver) => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let tokenEndpoint: string;

  beforeAll(async () => {
    t = await startTestApp(driver);
    a = await t.newTenant('Alpha Négoce');
    b = await t.newTenant('Beta Négoce');
    tokenEndpoint = (await t.api('GET', '/.well-known/oauth-authorization-server')).body.token_endpoint;
  });
  afterAll(() => t.close());

  const auditOf = async (tenantId: string, requestId: string | null) =>
    inSystemTransaction(t.db, async (tx) =>
      rows<{ action: string; outcome: string; resource_id: string | null; actor_type: string }>(
        await tx.execute(sql`select action, outcome, resource_id, actor_type from audit_events
                              where tenant_id = ${tenantId} and request_id = ${requestId} order by id`),
      ),
    );
  const newSa = async (tenant: TestTenant, permissions = ['accounts.account.read']) => {
    const res = await t.api('POST', '/api/v1/service-accounts', {
      token: tenant.token,
      body: { name: `SA ${Math.random().toString(36).slice(2)}`, permissions },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; permissions: string[] };
  };
  const newClient = async (
    tenant: TestTenant,
    saId: string,
    body: Record<string, unknown> = { name: 'c' },
  ) => {
    const res = await t.api('POST', `/api/v1/service-accounts/${saId}/oauth-clients`, {
      token: tenant.token,
      body,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { client_id: string; client_secret: string | null };
  };
  const tokenBy = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    t.api('POST', '/oauth/token', {
      rawBody: new URLSearchParams(form).toString(),
      headers: { ...FORM, ...headers },
    });
  const basic = (id: string, secret: string) => ({
    authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
  });

  it('manages service accounts with permissions from the catalogue, audited', async () => {
    const unknown = await t.api('POST', '/api/v1/service-accounts', {
      token: a.token,
      body: { name: 'bad', permissions: ['accounts.account.read', 'nope.nope.nope'] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0]).toMatchObject({ pointer: '/permissions/1' });
    const star = await t.api('POST', '/api/v1/service-accounts', {
      token: a.token,
      body: { name: 'star', permissions: ['*'] },
    });
    expect(star.status).toBe(400);
    const sa = await newSa(a);
    const got = await t.api('GET', `/api/v1/service-accounts/${sa.id}`, { token: a.token });
    expect(got.body).toMatchObject({ id: sa.id, status: 'active', permissions: ['accounts.account.read'] });
    const patch = await t.api('PATCH', `/api/v1/service-accounts/${sa.id}`, {
      token: a.token,
      body: { permissions: ['accounts.account.read', 'accounts.account.write'] },
    });
    expect(patch.status).toBe(200);
    expect(await auditOf(a.tenantId, patch.headers.get('x-request-id'))).toMatchObject([
      { action: 'identity.service_account.update', outcome: 'success', resource_id: sa.id },
    ]);
    const dup = await t.api('POST', '/api/v1/service-accounts', {
      token: a.token,
      body: { name: got.body.name, permissions: [] },
    });
    expect(dup.status).toBe(409);
    const list = await t.api('GET', '/api/v1/service-accounts', { token: a.token });
    expect(list.body.data.map((x: { id: string }) => x.id)).toContain(sa.id);
  });

  it('issues an access token for client_secret_post and client_secret_basic; the JWT works within its scopes', async () => {
    const sa = await newSa(a, ['accounts.account.read', 'accounts.account.write']);
    const client = await newClient(a, sa.id, { name: 'ERP', scopes: ['accounts.account.read'] });
    expect(client.client_secret).toMatch(/^cpc_[A-Za-z0-9_-]{43}$/);
    const stored = await inSystemTransaction(t.db, async (tx) =>
      rows<{ secret_hash: string }>(
        await tx.execute(sql`select secret_hash from oauth_clients where id = ${client.client_id}`),
      ),
    );
    expect(stored[0]!.secret_hash).toBe(createHash('sha256').update(client.client_secret!).digest('hex'));

    const post = await tokenBy({
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret!,
    });
    expect(post.status, JSON.stringify(post.body)).toBe(200);
    expect(post.headers.get('cache-control')).toBe('no-store');
    expect(post.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 600,
      scope: 'accounts.account.read',
    });
    expect(decodeProtectedHeader(post.body.access_token)).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    expect(await auditOf(a.tenantId, post.headers.get('x-request-id'))).toMatchObject([
      {
        action: 'identity.oauth.token_issued',
        outcome: 'success',
        resource_id: client.client_id,
        actor_type: 'service_account',
      },
    ]);

    const viaBasic = await tokenBy(
      { grant_type: 'client_credentials' },
      basic(client.client_id, client.client_secret!),
    );
    expect(viaBasic.status, JSON.stringify(viaBasic.body)).toBe(200);

    const jwt = viaBasic.body.access_token;
    expect((await t.api('GET', '/api/v1/accounts', { token: jwt })).status).toBe(200);
    // The client's scopes bound the token, although the account may write.
    const write = await t.api('POST', '/api/v1/accounts', { token: jwt, body: { name: 'Via JWT' } });
    expect(write.status).toBe(403);
    expect(await auditOf(a.tenantId, write.headers.get('x-request-id'))).toMatchObject([
      { action: 'accounts.account.create', outcome: 'denied', actor_type: 'service_account' },
    ]);
    // Asking for more than granted is invalid_scope (RFC 6749 §5.2), not problem+json.
    const more = await tokenBy({
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret!,
      scope: 'accounts.account.write',
    });
    expect(more.status).toBe(400);
    expect(more.body.error).toBe('invalid_scope');
  });

  it('refuses bad client authentication with RFC 6749 errors, auditing attempts on known clients', async () => {
    const sa = await newSa(a);
    const client = await newClient(a, sa.id);
    const wrong = await tokenBy({ grant_type: 'client_credentials' }, basic(client.client_id, 'cpc_wrong'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(wrong.headers.get('content-type')).toMatch(/^application\/json/);
    expect(wrong.body).toMatchObject({ error: 'invalid_client' });
    expect(await auditOf(a.tenantId, wrong.headers.get('x-request-id'))).toMatchObject([
      { action: 'identity.oauth.token_issued', outcome: 'failure', resource_id: client.client_id },
    ]);
    const unknown = await tokenBy({
      grant_type: 'client_credentials',
      client_id: 'cli_01jd5q6m3xf0k8y2v7r9t4w1zc',
      client_secret: 'cpc_x',
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error_description).toBe(wrong.body.error_description);
    expect(
      (await tokenBy({ grant_type: 'password' }, basic(client.client_id, client.client_secret!))).body.error,
    ).toBe('unsupported_grant_type');
    const json = await t.api('POST', '/oauth/token', { body: { grant_type: 'client_credentials' } });
    expect(json.status).toBe(400);
    expect(json.body.error).toBe('invalid_request');
    const twice = await t.api('POST', '/oauth/token', {
      rawBody: `grant_type=client_credentials&client_id=${client.client_id}&client_id=${client.client_id}&client_secret=x`,
      headers: FORM,
    });
    expect(twice.body.error).toBe('invalid_request');
  });

  it('private_key_jwt: a signed assertion gets a token; a replayed jti or a wrong audience does not', async () => {
    const sa = await newSa(a);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const client = await newClient(a, sa.id, { name: 'pkjwt', jwks: { keys: [jwk] } });
    expect(client.client_secret).toBeNull();
    const assertion = (claims: { aud?: string; jti?: string; exp?: number } = {}) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(client.client_id)
        .setSubject(client.client_id)
        .setAudience(claims.aud ?? tokenEndpoint)
        .setIssuedAt()
        .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 60)
        .setJti(claims.jti ?? crypto.randomUUID())
        .sign(privateKey);
    const form = async (a2: string) => ({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: a2,
    });
    const first = await assertion({ jti: 'once' });
    const ok = await tokenBy(await form(first));
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect((await t.api('GET', '/api/v1/accounts', { token: ok.body.access_token })).status).toBe(200);
    const replay = await tokenBy(await form(first));
    expect(replay.status).toBe(401);
    expect(replay.body.error).toBe('invalid_client');
    expect(await auditOf(a.tenantId, replay.headers.get('x-request-id'))).toMatchObject([
      { action: 'identity.oauth.token_issued', outcome: 'failure' },
    ]);
    const wrongAud = await tokenBy(
      await form(await assertion({ aud: 'https://elsewhere.example/oauth/token' })),
    );
    expect(wrongAud.body.error).toBe('invalid_client');
    const tooLong = await tokenBy(await form(await assertion({ exp: Math.floor(Date.now() / 1000) + 3600 })));
    expect(tooLong.body.error).toBe('invalid_client');
    // Signed by another key than the registered one.
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(client.client_id)
      .setSubject(client.client_id)
      .setAudience(tokenEndpoint)
      .setExpirationTime('1m')
      .setJti('forged')
      .sign(other);
    expect((await tokenBy(await form(forged))).body.error).toBe('invalid_client');
    // A secret is not accepted for a private_key_jwt client.
    expect(
      (
        await tokenBy({
          grant_type: 'client_credentials',
          client_id: client.client_id,
          client_secret: 'cpc_x',
        })
      ).status,
    ).toBe(401);
  });

  it('refuses access tokens with alg none, HS256 with the public key, a wrong key, a tampered payload, or expired', async () => {
    const sa = await newSa(a);
    const client = await newClient(a, sa.id);
    const ok = await tokenBy(
      { grant_type: 'client_credentials' },
      basic(client.client_id, client.client_secret!),
    );
    const jwt: string = ok.body.access_token;
    const [h, p, s] = jwt.split('.') as [string, string, string];
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const call = (token: string) => t.api('GET', '/api/v1/accounts', { token });
    expect((await call(jwt)).status).toBe(200);

    const none = `${b64(JSON.stringify({ ...header, alg: 'none' }))}.${p}.`;
    expect((await call(none)).status).toBe(401);
    // HS256 "signed" with the published public key as HMAC secret (algorithm confusion).
    const jwks = (await t.api('GET', '/.well-known/jwks.json')).body.keys;
    const pub = jwks.find((k: { kid: string }) => k.kid === header.kid);
    const hs = await new SignJWT(payload)
      .setProtectedHeader({ ...header, alg: 'HS256' })
      .sign(new TextEncoder().encode(JSON.stringify(pub)));
    expect((await call(hs)).status).toBe(401);
    const hsX = await new SignJWT(payload)
      .setProtectedHeader({ ...header, alg: 'HS256' })
      .sign(Buffer.from(pub.x, 'base64url'));
    expect((await call(hsX)).status).toBe(401);
    // Signed with a key of our own, under the real kid.
    const wrongKey = await new SignJWT(payload)
      .setProtectedHeader(header)
      .sign(generateKeyPairSync('ed25519').privateKey);
    expect((await call(wrongKey)).status).toBe(401);
    // Payload changed (wider scope, another tenant) with the original signature.
    const widened = b64(JSON.stringify({ ...payload, scope: 'accounts.account.write' }));
    expect((await call(`${h}.${widened}.${s}`)).status).toBe(401);
    const moved = b64(JSON.stringify({ ...payload, tenant: b.tenantId }));
    expect((await call(`${h}.${moved}.${s}`)).status).toBe(401);
    // Expired: 10 minutes later the same token is refused.
    const undo = advanceClock(11 * 60_000);
    try {
      expect((await call(jwt)).status).toBe(401);
    } finally {
      undo();
    }
    expect((await call(jwt)).status).toBe(200);
  });

  it('deactivating a service account kills its API tokens, its clients and its access tokens at once', async () => {
    const sa = await newSa(a);
    const client = await newClient(a, sa.id);
    const jwt = (
      await tokenBy({ grant_type: 'client_credentials' }, basic(client.client_id, client.client_secret!))
    ).body.access_token;
    const tok = await t.api('POST', '/api/v1/api-tokens', {
      token: a.token,
      body: { name: 'sa token', scopes: ['accounts.account.read'], service_account_id: sa.id },
    });
    expect(tok.status, JSON.stringify(tok.body)).toBe(201);
    expect(tok.body.service_account_id).toBe(sa.id);
    // Beyond the account's permissions: refused.
    const beyond = await t.api('POST', '/api/v1/api-tokens', {
      token: a.token,
      body: { name: 'too wide', scopes: ['accounts.account.write'], service_account_id: sa.id },
    });
    expect(beyond.status).toBe(403);
    expect((await t.api('GET', '/api/v1/accounts', { token: tok.body.token })).status).toBe(200);
    expect((await t.api('GET', '/api/v1/accounts', { token: jwt })).status).toBe(200);

    const off = await t.api('POST', `/api/v1/service-accounts/${sa.id}/deactivate`, { token: a.token });
    expect(off.status).toBe(200);
    expect(off.body.status).toBe('deactivated');
    expect(await auditOf(a.tenantId, off.headers.get('x-request-id'))).toMatchObject([
      { action: 'identity.service_account.deactivate', outcome: 'success', resource_id: sa.id },
    ]);
    expect((await t.api('GET', '/api/v1/accounts', { token: tok.body.token })).status).toBe(401);
    expect((await t.api('GET', '/api/v1/accounts', { token: jwt })).status).toBe(401);
    const again = await tokenBy(
      { grant_type: 'client_credentials' },
      basic(client.client_id, client.client_secret!),
    );
    expect(again.body.error).toBe('invalid_client');
  });

  it('a revoked client’s access tokens are refused at their next use', async () => {
    const sa = await newSa(a);
    const client = await newClient(a, sa.id);
    const jwt = (
      await tokenBy({ grant_type: 'client_credentials' }, basic(client.client_id, client.client_secret!))
    ).body.access_token;
    const del = await t.api('DELETE', `/api/v1/service-accounts/${sa.id}/oauth-clients/${client.client_id}`, {
      token: a.token,
    });
    expect(del.status).toBe(200);
    expect((await t.api('GET', '/api/v1/accounts', { token: jwt })).status).toBe(401);
  });

  it('rotates signing keys: old tokens verify until they expire, the JWKS lists both', async () => {
    const sa = await newSa(a);
    const client = await newClient(a, sa.id);
    const get = () =>
      tokenBy({ grant_type: 'client_credentials' }, basic(client.client_id, client.client_secret!));
    const before = (await get()).body.access_token;
    const oldKid = decodeProtectedHeader(before).kid;
    const newKid = await rotateSigningKey(t.db, {
      kek: loadKek(testConfig()),
      rotationDays: 30,
      accessTokenTtlS: 600,
    });
    expect(newKid).not.toBe(oldKid);
    const after = (await get()).body.access_token;
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    const kids = (await t.api('GET', '/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid);
    expect(kids).toEqual(expect.arrayContaining([oldKid, newKid]));
    expect((await t.api('GET', '/api/v1/accounts', { token: before })).status).toBe(200);
    expect((await t.api('GET', '/api/v1/accounts', { token: after })).status).toBe(200);
    // Once every token of the old key has expired, the old key leaves the JWKS and verifies nothing.
    const undo = advanceClock(11 * 60_000);
    try {
      const later = (await t.api('GET', '/.well-known/jwks.json')).body.keys.map(
        (k: { kid: string }) => k.kid,
      );
      expect(later).toEqual([newKid]);
    } finally {
      undo();
    }
    // The private keys are not in the database in clear.
    const stored = await inSystemTransaction(t.db, async (tx) =>
      rows<{ public_jwk: unknown; private_key_enc: string }>(
        await tx.execute(sql`select public_jwk, private_key_enc from oauth_signing_keys`),
      ),
    );
    for (const k of stored) {
      expect(JSON.stringify(k.public_jwk)).not.toMatch(/"d"/);
      expect(k.private_key_enc).not.toMatch(/BEGIN|MC4CAQAwBQYDK2Vw/);
    }
  });

  it('tenant B’s credentials never reach tenant A’s service accounts (404, like an unknown ID)', async () => {
    const saA = await newSa(a);
    const saB = await newSa(b);
    const clientB = await newClient(b, saB.id);
    const jwtB = (
      await tokenBy({ grant_type: 'client_credentials' }, basic(clientB.client_id, clientB.client_secret!))
    ).body.access_token;
    for (const token of [b.token]) {
      const get = await t.api('GET', `/api/v1/service-accounts/${saA.id}`, { token });
      expect(get.status).toBe(404);
      const patch = await t.api('PATCH', `/api/v1/service-accounts/${saA.id}`, {
        token,
        body: { name: 'hijack' },
      });
      expect(patch.status).toBe(404);
      const off = await t.api('POST', `/api/v1/service-accounts/${saA.id}/deactivate`, { token });
      expect(off.status).toBe(404);
      const cli = await t.api('POST', `/api/v1/service-accounts/${saA.id}/oauth-clients`, {
        token,
        body: { name: 'x' },
      });
      expect(cli.status).toBe(404);
      const tok = await t.api('POST', '/api/v1/api-tokens', {
        token,
        body: { name: 'x', scopes: ['accounts.account.read'], service_account_id: saA.id },
      });
      expect(tok.status).toBe(404);
      const list = await t.api('GET', '/api/v1/service-accounts', { token });
      expect(list.body.data.map((s: { id: string }) => s.id)).not.toContain(saA.id);
    }
    // B's JWT reads B's data only.
    await t.api('POST', '/api/v1/accounts', { token: a.token, body: { name: 'Alpha secret client' } });
    const seen = await t.api('GET', '/api/v1/accounts', { token: jwtB });
    expect(seen.status).toBe(200);
    expect(JSON.stringify(seen.body)).not.toContain('Alpha secret client');
    // A client_id of tenant B with tenant A's claim cannot exist: the database check ties client, account and tenant.
    expect(
      (await t.api('GET', `/api/v1/service-accounts/${saA.id}/oauth-clients`, { token: b.token })).status,
    ).toBe(404);
  });
});
