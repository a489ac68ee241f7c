import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACTED_KEYS } from '../platform/logging/logger.ts';
import { DRIVERS, startTestApp, type TestApp, type TestTenant } from './harness.ts';

/**
 * What the logs keep: operators can follow every request by its ID, and nothing a client sends as a
 * credential or as personal data — Authorization, cookies, API keys, passwords, tokens, e-mail
 * addresses, phone numbers, names — ends up in a log line, whether the request succeeds, is refused
 * or fails.
 */

interface LogLine {
  level: number;
  msg?: string;
  reqId?: string;
  req?: unknown;
  res?: unknown;
  err?: unknown;
  [k: string]: unknown;
}

function captureStream() {
  const text: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text.push(String(chunk));
      done();
    },
  });
  return {
    stream,
    text: () => text.join(''),
    lines: (): LogLine[] =>
      text
        .join('')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as LogLine),
  };
}

/** The forms a value can take in a log line: as sent, URL-encoded, JSON-escaped. */
function formsOf(value: string): string[] {
  return [...new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)])];
}

async function until(condition: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

describe.each(DRIVERS)('logs keep credentials and personal data out, on %s', (driver) => {
  const log = captureStream();
  const run = randomBytes(5).toString('hex');
  const digits = String(Number.parseInt(run, 16)).padStart(8, '0').slice(-8);
  /** Values that must never reach a log line, by what they are. */
  const secret = {
    password: `Correct-Horse-${run}`,
    newPassword: `Battery-Staple-${run}`,
    bodyToken: `cpt_bodytoken${run}`,
    forgedBearer: `cpt_forged${run}0000000000`,
    basicCredentials: Buffer.from(`jeanne:Basic-${run}`).toString('base64'),
    basicPassword: `Basic-${run}`,
    cookie: `sid-${run}`,
    apiKey: `apikey-${run}`,
    clientSecret: `clientsecret-${run}`,
    email: `jeanne.martin.${run}@example.com`,
    ownerEmail: `claire.dubois.${run}@example.com`,
    failingOwnerEmail: `paul.leroy.${run}@example.com`,
    phone: `+33612${digits}`,
    iban: `FR7630006000011234567${digits}`,
    ownerName: `Claire Dubois ${run}`,
    totp: `${digits.slice(0, 6)}`,
  };
  /** Tokens known once the application runs: the caller's, the operator's, and one it issues. */
  const tokens: Record<string, string> = {};
  let t: TestApp;
  let tenant: TestTenant;
  /** The request IDs of the requests sent, as the responses echoed them. */
  const requestIds: string[] = [];

  beforeAll(async () => {
    t = await startTestApp(driver, { logStream: log.stream, config: { LOG_LEVEL: 'info' } });
    tenant = await t.newTenant('Journal SARL');
    tokens.tenantToken = tenant.token;
    tokens.operatorToken = t.operatorToken;

    let n = 0;
    const send = async (
      method: string,
      path: string,
      o: Parameters<TestApp['api']>[2] & { generatedId?: boolean } = {},
    ) => {
      n += 1;
      const headers = {
        ...(o.generatedId ? {} : { 'x-request-id': `log-${run}-${n}` }),
        ...(o.headers ?? {}),
      };
      const res = await t.api(method, path, { ...o, headers });
      const id = res.headers.get('x-request-id');
      expect(id, `${method} ${path} echoes its request ID`).toBeTruthy();
      if (!o.generatedId) expect(id).toBe(`log-${run}-${n}`);
      requestIds.push(id!);
      return res;
    };
    const credentialHeaders = {
      cookie: `session=${secret.cookie}; theme=dark`,
      'x-api-key': secret.apiKey,
    };

    // Refused by validation: credentials and personal data in unknown body fields.
    const refused = await send('POST', '/api/v1/accounts', {
      token: tenant.token,
      headers: credentialHeaders,
      body: {
        name: 'Boulangerie Martin',
        password: secret.password,
        new_password: secret.newPassword,
        token: secret.bodyToken,
        client_secret: secret.clientSecret,
        email: secret.email,
        phone: secret.phone,
        iban: secret.iban,
        totp: secret.totp,
      },
    });
    expect(refused.status).toBe(400);

    // Not even JSON, with a password inside.
    const malformed = await send('POST', '/api/v1/accounts', {
      token: tenant.token,
      rawBody: `{"name": "Boulangerie", "password": "${secret.password}"`,
    });
    expect(malformed.status).toBe(400);

    // Accepted, with credentials in headers.
    const created = await send('POST', '/api/v1/accounts', {
      token: tenant.token,
      headers: credentialHeaders,
      body: { name: 'Boulangerie Martin', external_ref: `C-${run}` },
    });
    expect(created.status).toBe(201);

    // Personal data and credentials in query strings: refused, and accepted as a search.
    const queryRefused = await send(
      'GET',
      `/api/v1/accounts?email=${encodeURIComponent(secret.email)}&token=${secret.bodyToken}&password=${encodeURIComponent(secret.password)}`,
      { token: tenant.token },
    );
    expect(queryRefused.status).toBe(400);
    const search = await send('GET', `/api/v1/accounts?name=${encodeURIComponent(secret.email)}`, {
      token: tenant.token,
    });
    expect(search.status).toBe(200);

    // Credentials that do not authenticate.
    expect((await send('GET', '/api/v1/accounts', { token: secret.forgedBearer })).status).toBe(401);
    expect(
      (
        await send('GET', '/api/v1/accounts', {
          headers: { authorization: `Basic ${secret.basicCredentials}` },
        })
      ).status,
    ).toBe(401);

    // A tenant created by an operator: the owner's e-mail and name in, a new API token out.
    const tenantCreated = await send('POST', '/api/v1/platform/tenants', {
      token: t.operatorToken,
      body: {
        name: 'Fromagerie Dubois',
        slug: `fromagerie-${run}`,
        owner: { email: secret.ownerEmail, display_name: secret.ownerName },
      },
    });
    expect(tenantCreated.status).toBe(201);
    tokens.issuedToken = tenantCreated.body.owner_api_token.token;

    // A request that fails inside the database (PostgreSQL refuses U+0000 in text), carrying an e-mail.
    const failing = await send('POST', '/api/v1/platform/tenants', {
      token: t.operatorToken,
      body: {
        name: 'Fromagerie Leroy',
        slug: `leroy-${run}`,
        owner: { email: secret.failingOwnerEmail, display_name: 'Paul\u0000Leroy' },
      },
    });
    expect(failing.status).toBeGreaterThanOrEqual(400);

    // A request ID generated by the server.
    expect((await send('GET', '/api/v1/tenant', { token: tenant.token, generatedId: true })).status).toBe(
      200,
    );

    await until(() =>
      requestIds.every((id) => log.lines().some((l) => l.reqId === id && l.msg === 'request completed')),
    );
  });
  afterAll(() => t.close());

  it('every request is logged under its request ID, from arrival to response', () => {
    const lines = log.lines();
    for (const id of requestIds) {
      const mine = lines.filter((l) => l.reqId === id);
      expect(
        mine.map((l) => l.msg),
        `log lines of request ${id}`,
      ).toEqual(expect.arrayContaining(['incoming request', 'request completed']));
    }
  });

  it('every line about a request carries its request ID', () => {
    const lines = log.lines();
    const aboutRequests = lines.filter(
      (l) => l.req !== undefined || l.res !== undefined || l.msg === 'unhandled error' || 'reqId' in l,
    );
    expect(aboutRequests.length).toBeGreaterThanOrEqual(requestIds.length * 2);
    const without = aboutRequests.filter((l) => typeof l.reqId !== 'string' || !requestIds.includes(l.reqId));
    expect(without).toEqual([]);
  });

  it('no credential, token or personal data sent or issued appears in any log line', () => {
    const text = log.text();
    expect(text).toContain('/api/v1/accounts'); // the capture works: requests are there
    expect(Object.keys(tokens)).toEqual(['tenantToken', 'operatorToken', 'issuedToken']);
    const leaked = Object.entries({ ...secret, ...tokens }).flatMap(([what, value]) =>
      formsOf(value)
        .filter((form) => text.includes(form))
        .map(
          (form) =>
            `${what}: ${form} in ${text
              .split('\n')
              .find((l) => l.includes(form))
              ?.slice(0, 400)}`,
        ),
    );
    expect(leaked).toEqual([]);
  });

  it('query strings are not logged (they may carry e-mails and searches)', () => {
    const urls = log
      .lines()
      .map((l) => (l.req as { url?: string } | undefined)?.url)
      .filter((u): u is string => typeof u === 'string');
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.filter((u) => u.includes('?'))).toEqual([]);
  });

  it('a database error the application logs does not carry the query parameters', async () => {
    // As the error handler logs an unexpected error: the failed query's parameters are request data.
    const email = `marie.curie.${run}@example.com`;
    const password = `Radium-${run}`;
    const err = await t.db.orm
      .execute(sql`insert into table_that_does_not_exist (email, password) values (${email}, ${password})`)
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeTruthy();
    const before = log.text().length;
    t.comptoir.app.log.error({ err }, 'unhandled error');
    const written = log.text().slice(before);
    expect(written).toContain('table_that_does_not_exist'); // the error itself is logged, usefully
    expect(written).not.toContain(email);
    expect(written).not.toContain(password);
  });

  it('the redaction list holds wherever the application logs an object, up to two levels deep', () => {
    const values = new Map<string, string>();
    const object = (depth: number) =>
      Object.fromEntries(
        REDACTED_KEYS.map((key) => {
          const value = `${key}-${depth}-${run}`;
          values.set(value, key);
          return [key, value];
        }),
      );
    const before = log.text().length;
    t.comptoir.app.log.info({ ...object(0), user: { ...object(1), profile: object(2) } }, 'redaction check');
    const written = log.text().slice(before);
    expect(written).toContain('redaction check');
    expect(written).toContain('[redacted]');
    expect([...values].filter(([value]) => written.includes(value)).map(([, key]) => key)).toEqual([]);
  });
});
