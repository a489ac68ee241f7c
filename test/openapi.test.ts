import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, startTestApp, type TestApp } from './harness.ts';

/**
 * The OpenAPI 3.1 document is the integrators' contract: every operation is named, described,
 * grouped, states the permission it needs and the shapes it takes and returns; and the copy
 * committed as openapi.json (what integrators and client generators read) is the running code's.
 */

/** JSON read from the wire (the OpenAPI document), walked dynamically. */
// biome-ignore lint/suspicious/noExplicitAny: the one escape hatch for JSON of unknown shape
type Json = any;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const COMMITTED = new URL('../openapi.json', import.meta.url);

interface Op {
  label: string;
  method: string;
  path: string;
  op: Record<string, Json>;
  pathItem: Record<string, Json>;
}

function operationsOf(doc: Json): Op[] {
  const out: Op[] = [];
  for (const [path, item] of Object.entries<Record<string, Json>>(doc.paths ?? {})) {
    for (const method of METHODS) {
      if (item[method]) {
        out.push({
          label: `${method.toUpperCase()} ${path}`,
          method,
          path,
          op: item[method],
          pathItem: item,
        });
      }
    }
  }
  return out;
}

describe.each(DRIVERS)('the OpenAPI contract, on %s', (driver) => {
  let t: TestApp;
  let doc: Json;
  let ops: Op[];

  beforeAll(async () => {
    // `npm run openapi` (src/cli.ts openapi:write) documents the server as http://localhost:3000:
    // the same setting here, so that the two documents can be compared as they are.
    t = await startTestApp(driver, { config: { PUBLIC_URL: 'http://localhost:3000' } });
    const res = await t.api('GET', '/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
    ops = operationsOf(doc);
  });
  afterAll(() => t.close());

  it('is an OpenAPI 3.1 document with operations', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info?.title).toBeTruthy();
    expect(doc.info?.version).toBeTruthy();
    expect(ops.length).toBeGreaterThan(0);
  });

  it('every operation has a unique operationId, a summary and at least one tag', () => {
    const missing: string[] = [];
    const seen = new Map<string, string>();
    for (const { label, op } of ops) {
      if (typeof op.operationId !== 'string' || !op.operationId.trim())
        missing.push(`${label}: no operationId`);
      else if (seen.has(op.operationId))
        missing.push(`${label}: operationId ${op.operationId} is also used by ${seen.get(op.operationId)}`);
      else seen.set(op.operationId, label);
      if (typeof op.summary !== 'string' || !op.summary.trim()) missing.push(`${label}: no summary`);
      if (
        !Array.isArray(op.tags) ||
        !op.tags.length ||
        !op.tags.every((x: unknown) => typeof x === 'string' && x)
      )
        missing.push(`${label}: no tag`);
    }
    expect(missing).toEqual([]);
  });

  it('every operation states the permission it requires in x-permission, from the catalogue', async () => {
    const owner = await t.newTenant('OpenAPI Contract');
    const catalogue = await t.api('GET', '/api/v1/permissions', { token: owner.token });
    expect(catalogue.status).toBe(200);
    const known = new Set<string>([
      'public',
      'authenticated',
      ...catalogue.body.data.map((p: { name: string }) => p.name),
    ]);
    const wrong: string[] = [];
    for (const { label, op } of ops) {
      const permission = op['x-permission'];
      if (typeof permission !== 'string' || !permission) wrong.push(`${label}: no x-permission`);
      else if (!known.has(permission))
        wrong.push(`${label}: x-permission ${permission} is not in the catalogue`);
      // A public operation says so to client generators: no security requirement.
      else if (permission === 'public' && !(Array.isArray(op.security) && op.security.length === 0))
        wrong.push(`${label}: public, but does not declare security: []`);
      else if (permission !== 'public' && Array.isArray(op.security) && op.security.length === 0)
        wrong.push(`${label}: requires ${permission}, but declares no security`);
    }
    expect(wrong).toEqual([]);
  });

  it('x-read-only marks a POST that changes nothing: never another method, never with an x-action', () => {
    const wrong = ops
      .filter(({ op }) => op['x-read-only'] !== undefined)
      .filter(({ label, op }) => op['x-read-only'] !== true || !label.startsWith('POST ') || op['x-action'])
      .map(({ label }) => label);
    expect(wrong).toEqual([]);
  });

  it('every operation documents its success response schema and its problem responses', () => {
    const wrong: string[] = [];
    for (const { label, op } of ops) {
      const responses = Object.entries<Record<string, Json>>(op.responses ?? {});
      const success = responses.filter(([code]) => /^2(\d\d|XX)$/.test(code));
      if (!success.length) wrong.push(`${label}: no 2xx response`);
      for (const [code, r] of success) {
        if (code === '204') continue;
        // JSON, except a file download, which documents its media types with a binary schema.
        const binary = Object.values<Json>(r.content ?? {}).some((c) => c?.schema?.format === 'binary');
        if (!r.content?.['application/json']?.schema && !binary)
          wrong.push(`${label}: response ${code} has no application/json schema`);
      }
      const clientError = op.responses?.['4XX'];
      if (!clientError?.content?.['application/problem+json']?.schema)
        wrong.push(`${label}: no 4XX application/problem+json response`);
    }
    expect(wrong).toEqual([]);
  });

  it('every PUT and PATCH, and every POST that takes a body, documents a required request body schema', () => {
    const wrong: string[] = [];
    for (const { label, method, op } of ops) {
      if (!['post', 'put', 'patch'].includes(method)) continue;
      // A POST without a body is an action on a resource (…/deactivate, logout); it says so by having none.
      if (method === 'post' && op.requestBody === undefined) continue;
      const content = op.requestBody?.content ?? {};
      // JSON everywhere, except where a standard fixes the encoding (OAuth's token endpoint: RFC 6749).
      // …and a file upload, whose raw bytes are documented per media type with a binary schema.
      const schema =
        content['application/json']?.schema ??
        content['application/x-www-form-urlencoded']?.schema ??
        Object.values<Json>(content).find((c) => c?.schema?.format === 'binary')?.schema;
      if (!schema) wrong.push(`${label}: no request body schema`);
      else if (op.requestBody.required !== true) wrong.push(`${label}: request body not marked required`);
    }
    expect(wrong).toEqual([]);
  });

  it('every path parameter is declared, required and has a schema', () => {
    const wrong: string[] = [];
    for (const { label, path, op, pathItem } of ops) {
      const declared = [...(pathItem.parameters ?? []), ...(op.parameters ?? [])].filter(
        (p) => p.in === 'path',
      );
      const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const name of inTemplate) {
        const p = declared.find((x) => x.name === name);
        if (!p) wrong.push(`${label}: path parameter ${name} is not declared`);
        else if (p.required !== true || !p.schema)
          wrong.push(`${label}: path parameter ${name} is not required or has no schema`);
      }
      for (const p of declared)
        if (!inTemplate.includes(p.name))
          wrong.push(`${label}: declares path parameter ${p.name} not in the path`);
    }
    expect(wrong).toEqual([]);
  });

  it('every $ref points at a schema the document defines', () => {
    const dangling = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)]
      .map((m) => m[1]!)
      .filter((ref) => {
        const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1];
        return !name || !doc.components?.schemas?.[name];
      });
    expect(dangling).toEqual([]);
  });

  it('the committed openapi.json is the document of the running code', () => {
    const committed = JSON.parse(readFileSync(COMMITTED, 'utf8'));
    const live = JSON.parse(JSON.stringify(doc));
    expect(live, 'openapi.json is stale: run npm run openapi').toEqual(committed);
  });
});
