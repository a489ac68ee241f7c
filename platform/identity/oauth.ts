import { randomUUID, timingSafeEqual } from 'node:crypto';
import { sql } from 'drizzle-orm';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import { audit, auditAttempt } from '../audit/record.ts';
import { type Actor, runAsTenant } from '../context.ts';
import { type Database, rows } from '../db/database.ts';
import { inSystemTransaction } from '../db/scope.ts';
import { isId } from '../ids.ts';
import { type Principal, parseTextArray } from './authenticate.ts';
import { identityClock } from './clock.ts';
import { intersectPermissions } from './machine-permissions.ts';
import { ASSERTION_ALGS, hashClientSecret } from './service-accounts.ts';
import {
  CLOCK_TOLERANCE_S,
  currentSigningKey,
  type SigningSettings,
  verificationKey,
} from './signing-keys.ts';

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4) for machine clients, and the access tokens it issues:
 * JWTs (RFC 9068 profile, `typ: at+jwt`) signed with the platform's rotating EdDSA key, published at
 * /.well-known/jwks.json. Client authentication: `client_secret_basic`, `client_secret_post`, or
 * `private_key_jwt` (RFC 7523: iss = sub = client_id, aud = the token endpoint, exp, single-use jti).
 */
export interface OAuthSettings {
  /** `iss` of access tokens: the deployment's public URL. */
  issuer: string;
  /** `aud` of access tokens: this API. */
  audience: string;
  /** The token endpoint's URL: the only `aud` a client assertion may carry. */
  tokenEndpoint: string;
  accessTokenTtlS: number;
}

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** A client assertion may not live longer than this (its jti is remembered until it expires). */
const MAX_ASSERTION_LIFETIME_S = 600;
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

export function settingsFrom(config: { publicUrl: string; oauthAccessTokenTtlS: number }): OAuthSettings {
  return {
    issuer: config.publicUrl,
    audience: `${config.publicUrl}/api`,
    tokenEndpoint: `${config.publicUrl}/oauth/token`,
    accessTokenTtlS: config.oauthAccessTokenTtlS,
  };
}

export function looksLikeJwt(value: string): boolean {
  return JWT_SHAPE.test(value);
}

// ---- Verification of access tokens (every request that carries one) --------------------------------

/**
 * Resolves an access token to a principal, or null. Signature (EdDSA only: `alg: none`, HS256 with
 * the public key as secret, or any other algorithm are refused before any key is used), key known and
 * not retired beyond a token lifetime, `typ`, issuer, audience, expiry; then the database, on every
 * request: the client is not revoked, its service account active, the tenant active. The principal's
 * permissions are the token's scopes ∩ the client's scopes ∩ the account's current permissions.
 */
export async function verifyAccessToken(
  db: Database,
  token: string,
  s: OAuthSettings,
): Promise<Principal | null> {
  let kid: unknown;
  try {
    const header = decodeProtectedHeader(token);
    if (header.alg !== 'EdDSA') return null;
    kid = header.kid;
  } catch {
    return null;
  }
  if (typeof kid !== 'string' || kid.length > 100) return null;
  const key = await verificationKey(db, kid, s);
  if (!key) return null;
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, key, {
      algorithms: ['EdDSA'],
      typ: 'at+jwt',
      issuer: s.issuer,
      audience: s.audience,
      currentDate: identityClock.now(),
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ['exp', 'iat', 'jti', 'sub', 'tenant', 'client_id', 'scope'],
    }));
  } catch {
    return null;
  }
  const { sub, tenant, client_id: clientId, scope } = claims as Record<string, unknown>;
  if (
    typeof sub !== 'string' ||
    typeof tenant !== 'string' ||
    typeof clientId !== 'string' ||
    typeof scope !== 'string'
  )
    return null;
  const [row] = await inSystemTransaction(db, async (tx) =>
    rows<{ name: string; permissions: string[] | string; scopes: string[] | string }>(
      await tx.execute(sql`
        select sa.name, sa.permissions, c.scopes
          from oauth_clients c
          join service_accounts sa on sa.tenant_id = c.tenant_id and sa.id = c.service_account_id
          join tenants n on n.id = c.tenant_id
         where c.tenant_id = ${tenant} and c.id = ${clientId} and c.service_account_id = ${sub}
           and c.revoked_at is null and sa.status = 'active' and n.status = 'active'`),
    ),
  );
  if (!row) return null;
  const allowed = intersectPermissions(parseTextArray(row.permissions), parseTextArray(row.scopes));
  return {
    kind: 'tenant',
    tenantId: tenant,
    actor: {
      type: 'service_account',
      id: sub,
      userId: null,
      displayName: `${row.name} (OAuth client ${clientId})`,
      permissions: intersectPermissions(scope.split(' ').filter(Boolean), allowed),
    },
  };
}

// ---- The token endpoint -------------------------------------------------------------------------------

export interface TokenRequest {
  /** The parsed form, or null when the body was not application/x-www-form-urlencoded. */
  form: Record<string, string> | null;
  /** A parameter that appeared more than once (RFC 6749 §3.2: refused). */
  repeated: string | null;
  authorization: string | undefined;
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}

export interface TokenResponse {
  status: number;
  body: Record<string, unknown>;
  /** Set on 401 when the client used HTTP Basic (RFC 6749 §5.2). */
  wwwAuthenticate?: string;
}

const oauthError = (status: number, error: string, description: string, basic = false): TokenResponse => ({
  status,
  body: { error, error_description: description },
  ...(status === 401 && basic ? { wwwAuthenticate: 'Basic realm="comptoir", charset="UTF-8"' } : {}),
});

interface ClientRecord {
  tenant_id: string;
  id: string;
  service_account_id: string;
  auth_method: 'client_secret' | 'private_key_jwt';
  secret_hash: string | null;
  jwks: { keys: Record<string, unknown>[] } | string | null;
  scopes: string[] | string;
  revoked_at: Date | string | null;
  sa_name: string;
  sa_status: string;
  sa_permissions: string[] | string;
  tenant_status: string;
}

/** Found before the tenant is known: the system role reads the client's verification material only. */
async function findClient(db: Database, clientId: string): Promise<ClientRecord | null> {
  if (!isId('cli', clientId)) return null;
  const found = await inSystemTransaction(db, async (tx) =>
    rows<ClientRecord>(
      await tx.execute(sql`
        select c.tenant_id, c.id, c.service_account_id, c.auth_method, c.secret_hash, c.jwks, c.scopes, c.revoked_at,
               sa.name as sa_name, sa.status as sa_status, sa.permissions as sa_permissions, n.status as tenant_status
          from oauth_clients c
          join service_accounts sa on sa.tenant_id = c.tenant_id and sa.id = c.service_account_id
          join tenants n on n.id = c.tenant_id
         where c.id = ${clientId}`),
    ),
  );
  return found.length === 1 ? found[0]! : null;
}

const DUMMY_HASH = hashClientSecret('cpc_not-a-client');

function secretMatches(secret: string, storedHex: string | null): boolean {
  const given = Buffer.from(hashClientSecret(secret), 'hex');
  const stored = Buffer.from(storedHex ?? DUMMY_HASH, 'hex');
  return stored.length === given.length && timingSafeEqual(given, stored) && storedHex !== null;
}

function decodeBasic(header: string): { id: string; secret: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!m) return null;
  const raw = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = raw.indexOf(':');
  if (colon < 0) return null;
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
    const dec = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '));
    return { id: dec(raw.slice(0, colon)), secret: dec(raw.slice(colon + 1)) };
  } catch {
    return null;
  }
}

/**
 * Handles `POST /oauth/token`. Answers follow RFC 6749 §5.1/§5.2 (never problem+json). A failed
 * authentication of a known client is recorded in its tenant's audit trail (`failure`); an unknown
 * client_id has no tenant to record it in, and gets exactly the same answer.
 */
export async function handleTokenRequest(
  db: Database,
  s: OAuthSettings,
  signing: () => SigningSettings,
  r: TokenRequest,
): Promise<TokenResponse> {
  const form = r.form;
  if (!form)
    return oauthError(
      400,
      'invalid_request',
      'The body must be application/x-www-form-urlencoded (RFC 6749).',
    );
  if (r.repeated) return oauthError(400, 'invalid_request', `The parameter ${r.repeated} is repeated.`);
  if (!form.grant_type) return oauthError(400, 'invalid_request', 'grant_type is required.');
  if (form.grant_type !== 'client_credentials')
    return oauthError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported.');

  const basic = r.authorization !== undefined && /^Basic\s/i.test(r.authorization);
  const methods = [basic, form.client_secret !== undefined, form.client_assertion !== undefined].filter(
    Boolean,
  );
  if (methods.length > 1)
    return oauthError(400, 'invalid_request', 'Use exactly one client authentication method.', basic);
  if (methods.length === 0 || (r.authorization !== undefined && !basic))
    return oauthError(401, 'invalid_client', 'Client authentication is required.', basic);

  let clientId: string;
  let method: 'client_secret' | 'private_key_jwt';
  let secret = '';
  if (basic) {
    const creds = decodeBasic(r.authorization!);
    if (!creds) return oauthError(401, 'invalid_client', 'The Basic credentials are malformed.', true);
    if (form.client_id !== undefined && form.client_id !== creds.id)
      return oauthError(400, 'invalid_request', 'client_id differs from the authenticated client.', true);
    clientId = creds.id;
    secret = creds.secret;
    method = 'client_secret';
  } else if (form.client_secret !== undefined) {
    if (!form.client_id) return oauthError(400, 'invalid_request', 'client_id is required.');
    clientId = form.client_id;
    secret = form.client_secret;
    method = 'client_secret';
  } else {
    if (form.client_assertion_type !== ASSERTION_TYPE)
      return oauthError(400, 'invalid_request', `client_assertion_type must be ${ASSERTION_TYPE}.`);
    let iss: unknown;
    try {
      iss = decodeJwt(form.client_assertion!).iss;
    } catch {
      return oauthError(401, 'invalid_client', 'The client assertion is not a JWT.');
    }
    if (typeof iss !== 'string') return oauthError(401, 'invalid_client', 'The client assertion has no iss.');
    if (form.client_id !== undefined && form.client_id !== iss)
      return oauthError(400, 'invalid_request', 'client_id differs from the assertion issuer.');
    clientId = iss;
    method = 'private_key_jwt';
  }

  const client = await findClient(db, clientId);
  const refuse = async (reason: string): Promise<TokenResponse> => {
    if (client) {
      await auditAttempt(
        db,
        { tenantId: client.tenant_id, actor: null, requestId: r.requestId, ip: r.ip, userAgent: r.userAgent },
        {
          action: 'identity.oauth.token_issued',
          resource: { type: 'oauth_client', id: client.id },
          outcome: 'failure',
          reason,
          metadata: { auth_method: method, service_account_id: client.service_account_id },
        },
      );
    }
    // The same answer whatever the reason: nothing tells a prober which part was wrong.
    return oauthError(401, 'invalid_client', 'Client authentication failed.', basic);
  };
  if (!client) {
    if (method === 'client_secret') secretMatches(secret, null); // comparable timing for unknown clients
    return refuse('unknown client');
  }
  if (client.auth_method !== method) return refuse(`the client authenticates with ${client.auth_method}`);

  let assertionJti: { jti: string; exp: number } | null = null;
  if (method === 'client_secret') {
    if (!secretMatches(secret, client.secret_hash)) return refuse('wrong client secret');
  } else {
    const jwks = typeof client.jwks === 'string' ? JSON.parse(client.jwks) : client.jwks;
    try {
      const { payload } = await jwtVerify(form.client_assertion!, createLocalJWKSet(jwks), {
        algorithms: ASSERTION_ALGS,
        issuer: client.id,
        subject: client.id,
        audience: s.tokenEndpoint,
        currentDate: identityClock.now(),
        clockTolerance: CLOCK_TOLERANCE_S,
        requiredClaims: ['exp', 'jti'],
      });
      const nowS = Math.floor(identityClock.now().getTime() / 1000);
      if (typeof payload.jti !== 'string' || payload.jti.length > 200)
        return refuse('assertion jti is not valid');
      if (payload.exp! - nowS > MAX_ASSERTION_LIFETIME_S)
        return refuse('assertion expires too far in the future');
      assertionJti = { jti: payload.jti, exp: payload.exp! };
    } catch (err) {
      return refuse(`client assertion refused: ${(err as { code?: string }).code ?? 'invalid'}`);
    }
  }
  // Authenticated; the credential must still be usable.
  if (client.revoked_at) return refuse('the client is revoked');
  if (client.sa_status !== 'active') return refuse('the service account is deactivated');
  if (client.tenant_status !== 'active') return refuse('the tenant is suspended');

  const allowed = intersectPermissions(parseTextArray(client.scopes), parseTextArray(client.sa_permissions));
  const requested = form.scope === undefined ? null : form.scope.split(' ').filter(Boolean);
  const granted = requested ?? [...allowed].sort();
  const beyond = granted.filter((g) => !allowed.has(g));
  if (beyond.length || granted.length === 0) {
    await auditAttempt(
      db,
      {
        tenantId: client.tenant_id,
        actor: saActor(client),
        requestId: r.requestId,
        ip: r.ip,
        userAgent: r.userAgent,
      },
      {
        action: 'identity.oauth.token_issued',
        resource: { type: 'oauth_client', id: client.id },
        outcome: 'denied',
        reason: beyond.length ? `scope beyond the client's grant: ${beyond.join(' ')}` : 'no scope to grant',
      },
    );
    return oauthError(
      400,
      'invalid_scope',
      beyond.length
        ? `Not granted to this client: ${beyond.join(' ')}.`
        : 'The client has no scope to grant.',
    );
  }

  const { kid, privateKey } = await currentSigningKey(db, signing());
  const now = identityClock.now();
  const iat = Math.floor(now.getTime() / 1000);
  const jti = randomUUID();
  const scope = granted.join(' ');
  const accessToken = await new SignJWT({ tenant: client.tenant_id, client_id: client.id, scope })
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
    .setIssuer(s.issuer)
    .setSubject(client.service_account_id)
    .setAudience(s.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + s.accessTokenTtlS)
    .setJti(jti)
    .sign(privateKey);

  const replayed = await runAsTenant(
    db,
    {
      tenantId: client.tenant_id,
      actor: saActor(client),
      requestId: r.requestId,
      ip: r.ip,
      userAgent: r.userAgent,
    },
    async (ctx) => {
      if (assertionJti) {
        await ctx.tx.execute(sql`delete from oauth_assertion_jtis where tenant_id = ${ctx.tenantId}
                                  and client_id = ${client.id} and expires_at < ${now.toISOString()}`);
        const fresh = rows(
          await ctx.tx.execute(sql`
            insert into oauth_assertion_jtis (tenant_id, client_id, jti, expires_at)
            values (${ctx.tenantId}, ${client.id}, ${assertionJti.jti}, ${new Date(assertionJti.exp * 1000).toISOString()})
            on conflict do nothing returning jti`),
        );
        if (fresh.length === 0) return true;
      }
      await ctx.tx.execute(sql`update oauth_clients set last_used_at = ${now.toISOString()}
                                where tenant_id = ${ctx.tenantId} and id = ${client.id}`);
      await audit(ctx, {
        action: 'identity.oauth.token_issued',
        resource: { type: 'oauth_client', id: client.id },
        metadata: {
          jti,
          kid,
          scope,
          auth_method: method,
          expires_at: new Date((iat + s.accessTokenTtlS) * 1000).toISOString(),
        },
      });
      return false;
    },
  );
  if (replayed) return refuse('client assertion replayed (jti already used)');
  return {
    status: 200,
    body: { access_token: accessToken, token_type: 'Bearer', expires_in: s.accessTokenTtlS, scope },
  };
}

function saActor(client: ClientRecord): Actor {
  return {
    type: 'service_account',
    id: client.service_account_id,
    userId: null,
    displayName: `${client.sa_name} (OAuth client ${client.id})`,
    permissions: new Set(),
  };
}
