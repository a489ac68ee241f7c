import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import { Page, PageQuery } from '../http/pagination.ts';
import { Nullable } from '../http/schemas.ts';
import { inTenant } from '../http/tenant-handler.ts';
import { IdSchema } from '../ids.ts';
import { type Catalogue, issueApiToken, listApiTokens, revokeApiToken } from './api-tokens.ts';
import { ASSERTION_TYPE, handleTokenRequest, settingsFrom } from './oauth.ts';
import {
  createOAuthClient,
  createServiceAccount,
  deactivateServiceAccount,
  getServiceAccount,
  listOAuthClients,
  listServiceAccounts,
  revokeOAuthClient,
  updateServiceAccount,
} from './service-accounts.ts';
import { loadKek, publishedKeys, type SigningSettings } from './signing-keys.ts';

const When = (description?: string) =>
  Type.String({ format: 'date-time', ...(description ? { description } : {}) });
const PermissionName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^(\\*|[a-z][a-z_]*\\.[a-z][a-z_]*\\.[a-z][a-z_]*)$',
});

export const ApiTokenSchema = Type.Object(
  {
    id: IdSchema('tok'),
    name: Type.String(),
    token_hint: Type.String({ description: 'Last 4 characters of the secret, to recognise it' }),
    scopes: Type.Array(Type.String(), { description: "Permissions granted; '*' = all of the owner's" }),
    user_id: Nullable(Type.String({ description: 'Owner, when a user owns it' })),
    service_account_id: Nullable(Type.String({ description: 'Owner, when a service account owns it' })),
    created_by: Nullable(Type.String({ description: 'Actor that created it' })),
    created_at: When(),
    expires_at: Nullable(When()),
    last_used_at: Nullable(When('Refreshed at most once a minute')),
    last_used_ip: Nullable(Type.String()),
    revoked_at: Nullable(When()),
  },
  { $id: 'ApiToken', title: 'API token' },
);

const IssuedApiToken = Type.Intersect(
  [
    Type.Ref('ApiToken'),
    Type.Object({
      token: Type.String({ description: 'The secret (`cpt_…`), shown this once: only its hash is kept' }),
    }),
  ],
  { title: 'API token, with its secret' },
);

export const ServiceAccountSchema = Type.Object(
  {
    id: IdSchema('sa'),
    name: Type.String(),
    description: Nullable(Type.String()),
    permissions: Type.Array(Type.String(), {
      description: 'Catalogue permissions (GET /api/v1/permissions)',
    }),
    status: Type.Union([Type.Literal('active'), Type.Literal('deactivated')]),
    created_by: Nullable(Type.String()),
    created_at: When(),
    updated_at: When(),
    deactivated_at: Nullable(When()),
  },
  { $id: 'ServiceAccount', title: 'Service account' },
);

const Jwks = Type.Object(
  {
    keys: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, maxItems: 5 }),
  },
  { additionalProperties: false, description: 'Public keys (JWK Set, RFC 7517) that sign client assertions' },
);

export const OAuthClientSchema = Type.Object(
  {
    client_id: IdSchema('cli'),
    service_account_id: IdSchema('sa'),
    name: Type.String(),
    auth_method: Type.Union([Type.Literal('client_secret'), Type.Literal('private_key_jwt')], {
      description: '`client_secret`: client_secret_basic or client_secret_post; `private_key_jwt`: RFC 7523',
    }),
    secret_hint: Nullable(Type.String({ description: 'Last 4 characters of the secret' })),
    jwks: Nullable(Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) })),
    scopes: Type.Array(Type.String(), { description: 'The most an access token of this client may carry' }),
    created_by: Nullable(Type.String()),
    created_at: When(),
    last_used_at: Nullable(When()),
    revoked_at: Nullable(When()),
  },
  { $id: 'OAuthClient', title: 'OAuth client' },
);

const OAuthError = Type.Object(
  {
    error: Type.String({
      description:
        'RFC 6749 §5.2: invalid_request, invalid_client, invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope',
    }),
    error_description: Type.Optional(Type.String()),
  },
  { title: 'OAuth error (RFC 6749 §5.2)' },
);

const TokenParams = Type.Object({ token_id: IdSchema('tok') });
const SaParams = Type.Object({ service_account_id: IdSchema('sa') });
const ClientParams = Type.Object({ service_account_id: IdSchema('sa'), client_id: IdSchema('cli') });

/** Parses a form body, remembering a repeated parameter (refused by RFC 6749 §3.2). */
function parseForm(raw: string): { form: Record<string, string>; repeated: string | null } {
  const form: Record<string, string> = {};
  let repeated: string | null = null;
  for (const [k, v] of new URLSearchParams(raw)) {
    if (k in form) repeated ??= k;
    form[k] = v;
  }
  return { form, repeated };
}

/**
 * API tokens, service accounts, OAuth clients, the OAuth token endpoint, the JWKS and the
 * authorization server metadata (RFC 8414).
 */
export function machineIdentityRoutes({
  db,
  config,
  catalogue,
}: {
  db: Database;
  config: Config;
  catalogue: Catalogue;
}): FastifyPluginAsyncTypebox {
  const oauth = settingsFrom(config);
  let signing: SigningSettings | null = null;
  // The key-encryption key is read at the first issuance only (openapi:write needs none).
  const signingSettings = (): SigningSettings =>
    (signing ??= {
      kek: loadKek(config),
      rotationDays: config.oauthSigningKeyRotationDays,
      accessTokenTtlS: config.oauthAccessTokenTtlS,
    });

  return async (app) => {
    app.addSchema(ApiTokenSchema);
    app.addSchema(ServiceAccountSchema);
    app.addSchema(OAuthClientSchema);
    const tokenTags = ['API tokens'];
    const saTags = ['Service accounts'];
    const oauthTags = ['OAuth'];

    // ---- API tokens ----
    app.post(
      '/api/v1/api-tokens',
      {
        schema: {
          operationId: 'createApiToken',
          summary: 'Create an API token',
          description:
            "For the caller, or (with `iam.service_account.manage`) for a service account. Scopes must be held by the owner and by the caller. Expiry defaults to the tenant's `token_default_ttl_days` and may not exceed `token_max_ttl_days`. The secret is in the response only. A sensitive action: needs a recent second factor for people signed in with a session.",
          tags: tokenTags,
          'x-permission': 'iam.api_token.write',
          'x-action': 'identity.api_token.create',
          body: Type.Object(
            {
              name: Type.String({ minLength: 1, maxLength: 100, examples: ['ERP nightly sync'] }),
              scopes: Type.Array(PermissionName, {
                minItems: 1,
                maxItems: 200,
                examples: [['accounts.account.read']],
              }),
              expires_at: Type.Optional(When('At most token_max_ttl_days from now')),
              service_account_id: Type.Optional(IdSchema('sa')),
            },
            { additionalProperties: false },
          ),
          response: { 201: IssuedApiToken },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => issueApiToken(ctx, req.body, catalogue));
      },
    );

    app.get(
      '/api/v1/api-tokens',
      {
        schema: {
          operationId: 'listApiTokens',
          summary: 'List API tokens',
          description:
            "The caller's own tokens; with `iam.api_token.manage` every token of the tenant, with `iam.service_account.manage` also the service accounts' tokens. Never the secrets.",
          tags: tokenTags,
          'x-permission': 'authenticated',
          querystring: Type.Object(
            {
              ...PageQuery,
              service_account_id: Type.Optional(IdSchema('sa')),
              user_id: Type.Optional(IdSchema('usr')),
              include_revoked: Type.Optional(Type.Boolean({ default: true })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Page(Type.Ref('ApiToken'), 'ApiToken') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => listApiTokens(ctx, { ...req.query, limit: req.query.limit ?? 50 })),
    );

    app.delete(
      '/api/v1/api-tokens/:token_id',
      {
        schema: {
          operationId: 'revokeApiToken',
          summary: 'Revoke an API token',
          description: 'Effective at the next request. One’s own token; any with `iam.api_token.manage`.',
          tags: tokenTags,
          'x-permission': 'iam.api_token.write',
          'x-action': 'identity.api_token.revoke',
          params: TokenParams,
          response: { 200: Type.Ref('ApiToken') },
        },
      },
      async (req, reply) => inTenant(db, req, reply, (ctx) => revokeApiToken(ctx, req.params.token_id)),
    );

    // ---- Service accounts ----
    const SaFields = {
      name: Type.String({ minLength: 1, maxLength: 100, examples: ['SAP connector'] }),
      description: Nullable(Type.String({ maxLength: 1000 })),
      permissions: Type.Array(PermissionName, { maxItems: 200, examples: [['accounts.account.read']] }),
    };
    app.post(
      '/api/v1/service-accounts',
      {
        schema: {
          operationId: 'createServiceAccount',
          summary: 'Create a service account',
          description:
            'A non-human identity with its own permissions (catalogue names, none you do not hold).',
          tags: saTags,
          'x-permission': 'iam.service_account.manage',
          'x-action': 'identity.service_account.create',
          body: Type.Object(
            {
              name: SaFields.name,
              description: Type.Optional(SaFields.description),
              permissions: SaFields.permissions,
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Ref('ServiceAccount') },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) => createServiceAccount(ctx, req.body, catalogue));
      },
    );

    app.get(
      '/api/v1/service-accounts',
      {
        schema: {
          operationId: 'listServiceAccounts',
          summary: 'List service accounts',
          tags: saTags,
          'x-permission': 'iam.service_account.read',
          querystring: Type.Object(
            {
              ...PageQuery,
              status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('deactivated')])),
            },
            { additionalProperties: false },
          ),
          response: { 200: Page(Type.Ref('ServiceAccount'), 'ServiceAccount') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          listServiceAccounts(ctx, { ...req.query, limit: req.query.limit ?? 50 }),
        ),
    );

    app.get(
      '/api/v1/service-accounts/:service_account_id',
      {
        schema: {
          operationId: 'getServiceAccount',
          summary: 'Get a service account',
          tags: saTags,
          'x-permission': 'iam.service_account.read',
          params: SaParams,
          response: { 200: Type.Ref('ServiceAccount') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => getServiceAccount(ctx, req.params.service_account_id)),
    );

    app.patch(
      '/api/v1/service-accounts/:service_account_id',
      {
        schema: {
          operationId: 'updateServiceAccount',
          summary: 'Update a service account',
          description:
            'Changed permissions apply at the next request of each of its tokens (a token never holds more than its account).',
          tags: saTags,
          'x-permission': 'iam.service_account.manage',
          'x-action': 'identity.service_account.update',
          params: SaParams,
          body: Type.Partial(Type.Object(SaFields), { additionalProperties: false, minProperties: 1 }),
          response: { 200: Type.Ref('ServiceAccount') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          updateServiceAccount(ctx, req.params.service_account_id, req.body, catalogue),
        ),
    );

    app.post(
      '/api/v1/service-accounts/:service_account_id/deactivate',
      {
        schema: {
          operationId: 'deactivateServiceAccount',
          summary: 'Deactivate a service account',
          description:
            'Revokes its API tokens and OAuth clients in the same transaction: the next request with any of its credentials, including access tokens already issued, gets a 401.',
          tags: saTags,
          'x-permission': 'iam.service_account.manage',
          'x-action': 'identity.service_account.deactivate',
          params: SaParams,
          response: { 200: Type.Ref('ServiceAccount') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => deactivateServiceAccount(ctx, req.params.service_account_id)),
    );

    // ---- OAuth clients ----
    app.post(
      '/api/v1/service-accounts/:service_account_id/oauth-clients',
      {
        schema: {
          operationId: 'createOAuthClient',
          summary: 'Register an OAuth client for a service account',
          description:
            'Without `jwks`: a client secret (`cpc_…`), shown once, for client_secret_basic or client_secret_post. With `jwks`: private_key_jwt (RFC 7523), no secret. `scopes` default to all of the account’s permissions.',
          tags: saTags,
          'x-permission': 'iam.service_account.manage',
          'x-action': 'identity.oauth_client.create',
          params: SaParams,
          body: Type.Object(
            {
              name: Type.String({ minLength: 1, maxLength: 100, examples: ['SAP production'] }),
              scopes: Type.Optional(Type.Array(PermissionName, { minItems: 1, maxItems: 200 })),
              jwks: Type.Optional(Jwks),
            },
            { additionalProperties: false },
          ),
          response: {
            201: Type.Intersect([
              Type.Ref('OAuthClient'),
              Type.Object({
                client_secret: Nullable(
                  Type.String({ description: 'Shown this once (client_secret clients)' }),
                ),
              }),
            ]),
          },
        },
      },
      async (req, reply) => {
        reply.code(201);
        return inTenant(db, req, reply, (ctx) =>
          createOAuthClient(ctx, req.params.service_account_id, req.body, catalogue),
        );
      },
    );

    app.get(
      '/api/v1/service-accounts/:service_account_id/oauth-clients',
      {
        schema: {
          operationId: 'listOAuthClients',
          summary: 'List the OAuth clients of a service account',
          tags: saTags,
          'x-permission': 'iam.service_account.read',
          params: SaParams,
          response: { 200: Type.Object({ data: Type.Array(Type.Ref('OAuthClient')) }) },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) => listOAuthClients(ctx, req.params.service_account_id)),
    );

    app.delete(
      '/api/v1/service-accounts/:service_account_id/oauth-clients/:client_id',
      {
        schema: {
          operationId: 'revokeOAuthClient',
          summary: 'Revoke an OAuth client',
          description: 'No new access token; those already issued are refused at their next use.',
          tags: saTags,
          'x-permission': 'iam.service_account.manage',
          'x-action': 'identity.oauth_client.revoke',
          params: ClientParams,
          response: { 200: Type.Ref('OAuthClient') },
        },
      },
      async (req, reply) =>
        inTenant(db, req, reply, (ctx) =>
          revokeOAuthClient(ctx, req.params.service_account_id, req.params.client_id),
        ),
    );

    // ---- OAuth 2.0 authorization server (client credentials only) ----
    await app.register(async (oauthApp) => {
      // Form bodies are parsed here, for this route only; the rest of the API stays JSON-only.
      oauthApp.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string', bodyLimit: 16_384 },
        (_req, body, done) => done(null, parseForm(String(body))),
      );
      oauthApp.post(
        '/oauth/token',
        {
          attachValidation: true,
          // Errors of this endpoint follow RFC 6749 §5.2, not problem+json.
          errorHandler: (_err, _req, reply) =>
            reply
              .code(400)
              .header('cache-control', 'no-store')
              .send({ error: 'invalid_request', error_description: 'The request could not be read.' }),
          schema: {
            operationId: 'requestOAuthToken',
            summary: 'OAuth 2.0 token endpoint (client credentials)',
            description: `RFC 6749 §4.4. \`application/x-www-form-urlencoded\`. Client authentication: HTTP Basic (client_secret_basic), \`client_id\` + \`client_secret\` in the body (client_secret_post), or \`client_assertion_type=${ASSERTION_TYPE}\` + \`client_assertion\` (private_key_jwt, RFC 7523: iss = sub = client_id, aud = this endpoint's URL, exp within 10 minutes, jti used once). Returns a signed JWT access token (EdDSA, \`typ: at+jwt\`) valid ${config.oauthAccessTokenTtlS} s, to send as \`Authorization: Bearer …\`. Errors are RFC 6749 §5.2 JSON.`,
            tags: oauthTags,
            security: [],
            consumes: ['application/x-www-form-urlencoded'],
            'x-permission': 'public',
            'x-action': 'identity.oauth.token_issued',
            'x-own-authorization': true,
            body: Type.Object({
              grant_type: Type.Literal('client_credentials'),
              scope: Type.Optional(
                Type.String({ description: 'Space-separated permissions; default: all granted' }),
              ),
              client_id: Type.Optional(Type.String()),
              client_secret: Type.Optional(Type.String()),
              client_assertion_type: Type.Optional(Type.Literal(ASSERTION_TYPE)),
              client_assertion: Type.Optional(Type.String()),
            }),
            response: {
              200: Type.Object({
                access_token: Type.String(),
                token_type: Type.Literal('Bearer'),
                expires_in: Type.Integer(),
                scope: Type.String(),
              }),
              400: OAuthError,
              401: OAuthError,
            },
          },
        },
        async (req, reply) => {
          const parsed = req.body as unknown;
          const ok =
            typeof parsed === 'object' && parsed !== null && 'form' in parsed && 'repeated' in parsed
              ? (parsed as ReturnType<typeof parseForm>)
              : null;
          const res = await handleTokenRequest(db, oauth, signingSettings, {
            form: ok?.form ?? null,
            repeated: ok?.repeated ?? null,
            authorization: req.headers.authorization,
            ip: req.ip ?? null,
            userAgent: req.headers['user-agent']?.slice(0, 512) ?? null,
            requestId: req.id,
          });
          reply
            .code(res.status as 200 | 400 | 401)
            .header('cache-control', 'no-store')
            .header('pragma', 'no-cache');
          if (res.wwwAuthenticate) reply.header('www-authenticate', res.wwwAuthenticate);
          return res.body;
        },
      );
    });

    app.get(
      '/.well-known/jwks.json',
      {
        schema: {
          operationId: 'getJwks',
          summary: 'Public keys that sign access tokens (JWKS)',
          description:
            'The signing key and the retired ones whose tokens may still be valid. Cache for a few minutes at most.',
          tags: oauthTags,
          security: [],
          'x-permission': 'public',
          response: { 200: Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) }) },
        },
      },
      async (_req, reply) => {
        reply.header('cache-control', 'public, max-age=300');
        return { keys: await publishedKeys(db, { accessTokenTtlS: config.oauthAccessTokenTtlS }) };
      },
    );

    app.get(
      '/.well-known/oauth-authorization-server',
      {
        schema: {
          operationId: 'getOAuthServerMetadata',
          summary: 'OAuth 2.0 authorization server metadata (RFC 8414)',
          tags: oauthTags,
          security: [],
          'x-permission': 'public',
          response: { 200: Type.Record(Type.String(), Type.Unknown()) },
        },
      },
      async () => ({
        issuer: oauth.issuer,
        token_endpoint: oauth.tokenEndpoint,
        jwks_uri: `${oauth.issuer}/.well-known/jwks.json`,
        grant_types_supported: ['client_credentials'],
        response_types_supported: ['token'],
        token_endpoint_auth_methods_supported: [
          'client_secret_basic',
          'client_secret_post',
          'private_key_jwt',
        ],
        token_endpoint_auth_signing_alg_values_supported: ['EdDSA', 'ES256', 'ES384', 'PS256', 'RS256'],
        scopes_supported: catalogueNames(catalogue),
        service_documentation: `${oauth.issuer}/docs`,
      }),
    );
  };
}

function catalogueNames(catalogue: Catalogue): string[] {
  return catalogue
    .list()
    .map((p) => p.name)
    .filter((n) => !n.startsWith('platform.'));
}
