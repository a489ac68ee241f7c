import { request as httpRequest } from 'node:http';
import { Ajv } from 'ajv';
import addFormatsImport, { type FormatsPlugin } from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiResponse,
  DRIVERS,
  startTestApp,
  type TestApp,
  type TestTenant,
  testConfig,
} from './harness.ts';

/**
 * Bad input, swept over every operation of the running application's OpenAPI document (not a
 * hand-written list): a route added tomorrow is covered without touching this file. Whatever an
 * integrator gets wrong — JSON, types, unknown fields, size, media type, identifiers, cursors — the
 * answer is a 4xx `application/problem+json` document that says what is wrong, never a 500.
 */

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = ((addFormatsImport as unknown as { default?: FormatsPlugin }).default ??
  addFormatsImport) as unknown as FormatsPlugin;

/** JSON read from the wire (the OpenAPI document, problem bodies), walked dynamically. */
// biome-ignore lint/suspicious/noExplicitAny: the one escape hatch for JSON of unknown shape
type Json = any;
type Schema = Record<string, Json>;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  example?: unknown;
  schema?: Schema;
}

interface Operation {
  method: string;
  /** The OpenAPI path template, e.g. `/api/v1/accounts/{account_id}`. */
  template: string;
  operationId: string;
  permission: string;
  parameters: Parameter[];
  /** The JSON request body schema, if the operation takes one. */
  body: Schema | undefined;
}

interface OpenApiDoc {
  paths: Record<string, Record<string, Json>>;
  components?: { schemas?: Record<string, Schema> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function operationsOf(doc: OpenApiDoc): Operation[] {
  const out: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      out.push({
        method: method.toUpperCase(),
        template,
        operationId: op.operationId ?? `${method.toUpperCase()} ${template}`,
        permission: op['x-permission'],
        parameters: [...(item.parameters ?? []), ...(op.parameters ?? [])],
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return out;
}

function resolve(doc: OpenApiDoc, schema: Schema): Schema {
  let s = schema;
  for (let i = 0; i < 10 && typeof s?.$ref === 'string'; i++) {
    const name = /^#\/components\/schemas\/(.+)$/.exec(s.$ref)?.[1];
    const target = name ? doc.components?.schemas?.[name] : undefined;
    if (!target) throw new Error(`unresolvable $ref ${s.$ref}`);
    s = target;
  }
  return s;
}

/** The JSON types a schema accepts (`integer` counts as `number`); null when it accepts anything. */
function acceptedTypes(doc: OpenApiDoc, schema: Schema): Set<string> | null {
  const s = resolve(doc, schema);
  const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if ('const' in s) return new Set([jsonType(s.const)]);
  if (Array.isArray(s.enum)) return new Set(s.enum.map(jsonType));
  const branches: Schema[] | undefined = s.anyOf ?? s.oneOf;
  if (branches) {
    const all = new Set<string>();
    for (const b of branches) {
      const t = acceptedTypes(doc, b);
      if (!t) return null;
      for (const x of t) all.add(x);
    }
    return all;
  }
  if (s.type === undefined) return null;
  const types = (Array.isArray(s.type) ? s.type : [s.type]) as string[];
  return new Set(types.map((t) => (t === 'integer' ? 'number' : t)));
}

const WRONG_VALUES: [string, unknown][] = [
  ['number', 12345],
  ['string', 'not-the-right-type'],
  ['boolean', true],
  ['object', { nested: true }],
  ['array', ['x']],
];

/** A value of a JSON type the schema does not accept, or undefined if it accepts every type. */
function wrongTypeFor(doc: OpenApiDoc, schema: Schema): unknown {
  const accepted = acceptedTypes(doc, schema);
  if (!accepted) return undefined;
  return WRONG_VALUES.find(([type]) => !accepted.has(type))?.[1];
}

const STRING_CANDIDATES = ['sample', 'sample-1', 'FR', 'fr', 'Sample text', '12345678901234', 'example.com'];

/**
 * A value the schema accepts, from its `examples` where it has some. Used as the valid background
 * against which one field at a time is made wrong, so that every error reported is about that field.
 */
function sampleOf(doc: OpenApiDoc, schema: Schema): unknown {
  const s = resolve(doc, schema);
  if ('const' in s) return s.const;
  if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  if ('example' in s) return s.example;
  if ('default' in s) return s.default;
  if (Array.isArray(s.enum)) return s.enum[0];
  const branches: Schema[] | undefined = s.anyOf ?? s.oneOf;
  if (branches) {
    const nonNull = branches.find((b) => resolve(doc, b).type !== 'null');
    return nonNull ? sampleOf(doc, nonNull) : null;
  }
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const props: Record<string, Schema> = s.properties ?? {};
      const out: Record<string, unknown> = {};
      for (const key of (s.required ?? []) as string[]) if (props[key]) out[key] = sampleOf(doc, props[key]);
      for (const key of Object.keys(props)) {
        if (Object.keys(out).length >= (s.minProperties ?? 0)) break;
        if (!(key in out)) out[key] = sampleOf(doc, props[key]!);
      }
      return out;
    }
    case 'array':
      return Array.from({ length: s.minItems ?? 0 }, () => sampleOf(doc, s.items ?? {}));
    case 'integer':
    case 'number':
      return s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1);
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'string': {
      if (s.format === 'email') return 'buyer@example.com';
      if (s.format === 'date-time') return '2026-11-23T09:30:00.000Z';
      if (s.format === 'date') return '2026-11-23';
      if (s.format === 'uri') return 'https://example.com/';
      const fits = (v: string) =>
        (!s.pattern || new RegExp(s.pattern, 'u').test(v)) &&
        v.length >= (s.minLength ?? 0) &&
        v.length <= (s.maxLength ?? Number.POSITIVE_INFINITY);
      return STRING_CANDIDATES.find(fits) ?? 'x'.repeat(Math.max(1, s.minLength ?? 1));
    }
    default:
      return 'sample';
  }
}

function validatorFor(doc: OpenApiDoc) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return (schema: Schema, value: unknown) => {
    const validate = ajv.compile({ ...schema, components: doc.components ?? {} });
    return validate(value) ? null : JSON.stringify(validate.errors);
  };
}

const escapePointer = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** Every object in a sample body (the root and objects nested through `properties`), with its pointer. */
function objectsOf(
  doc: OpenApiDoc,
  schema: Schema,
  pointer = '',
): { pointer: string; path: string[]; schema: Schema }[] {
  const s = resolve(doc, schema);
  if (s.type !== 'object') return [];
  const out = [{ pointer, path: pointer ? pointer.slice(1).split('/') : [], schema: s }];
  for (const [key, prop] of Object.entries<Schema>(s.properties ?? {})) {
    out.push(...objectsOf(doc, prop, `${pointer}/${escapePointer(key)}`));
  }
  return out;
}

function withValue(body: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(body) as Record<string, Json>;
  let target = copy;
  for (const key of path.slice(0, -1)) {
    target[key] ??= {};
    target = target[key];
  }
  target[path[path.length - 1]!] = value;
  return copy;
}

/**
 * The sample with every object along `path` present: an optional object the sample left out is filled
 * with its own sample, so that a change deep inside it is the only thing wrong with the body.
 */
function completeAlong(doc: OpenApiDoc, schema: Schema, sample: unknown, path: string[]): unknown {
  const copy = structuredClone(sample) as Record<string, Json>;
  let s = resolve(doc, schema);
  let target = copy;
  for (const key of path) {
    const child = resolve(doc, s.properties?.[key] ?? {});
    if (target[key] === undefined) target[key] = sampleOf(doc, child) as Json;
    target = target[key];
    s = child;
  }
  return copy;
}

function getAt(body: unknown, path: string[]): unknown {
  return path.reduce<Json>((v, k) => v?.[k], body);
}

function isIdParameter(p: Parameter): string | null {
  const m = /^\^([a-z][a-z0-9]*)_/.exec(p.schema?.pattern ?? '');
  return m ? m[1]! : null;
}

function exampleOf(doc: OpenApiDoc, p: Parameter): string {
  return String(p.example ?? p.schema?.examples?.[0] ?? sampleOf(doc, p.schema ?? { type: 'string' }));
}

/** The path with every parameter filled in: `overrides` raw (already encoded), the rest from examples. */
function pathFor(doc: OpenApiDoc, op: Operation, overrides: Record<string, string> = {}): string {
  return op.template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    if (name in overrides) return overrides[name]!;
    const p = op.parameters.find((x) => x.in === 'path' && x.name === name);
    return encodeURIComponent(p ? exampleOf(doc, p) : 'sample');
  });
}

/** A JSON object's text with one more member, written as raw JSON text. */
function withRawField(objectJson: string, key: string, rawValue: string): string {
  const head = objectJson.slice(0, -1);
  return `${head}${head === '{' ? '' : ','}${JSON.stringify(key)}:${rawValue}}`;
}

const b64 = (s: string) => Buffer.from(s).toString('base64url');

describe.each(DRIVERS)('bad input on every operation of the OpenAPI document, on %s', (driver) => {
  let t: TestApp;
  let tenant: TestTenant;
  let doc: OpenApiDoc;
  let ops: Operation[];
  const bodyLimit = testConfig().bodyLimitBytes;

  beforeAll(async () => {
    t = await startTestApp(driver);
    tenant = await t.newTenant('Bad Input SARL');
    const res = await t.api('GET', '/openapi.json');
    expect(res.status).toBe(200);
    doc = res.body;
    ops = operationsOf(doc);
  });
  afterAll(() => t.close());

  const tokenFor = (op: Operation): string | null =>
    op.permission === 'public'
      ? null
      : op.permission?.startsWith('platform.')
        ? t.operatorToken
        : tenant.token;

  const bodyOps = () => ops.filter((op) => op.body);

  /** A request description for the report: `createAccount POST /api/v1/accounts — unknown field /x`. */
  const label = (op: Operation, what: string) => `${op.operationId} ${op.method} ${op.template} — ${what}`;

  /**
   * Everything wrong with a response that should be a problem document of `expected` status(es),
   * as readable lines; an empty list means the response is right.
   */
  function problemViolations(
    res: ApiResponse,
    what: string,
    expected: number[],
    check?: (body: Json) => string | null,
  ): string[] {
    const issues: string[] = [];
    if (res.status >= 500) issues.push(`a ${res.status} for a client mistake`);
    else if (!expected.includes(res.status)) issues.push(`expected ${expected.join(' or ')}`);
    const b = res.body;
    if (!/^application\/problem\+json(;|$)/.test(res.headers.get('content-type') ?? '')) {
      issues.push('not application/problem+json');
    } else {
      if (typeof b?.type !== 'string' || !/^\/problems\/[a-z-]+$/.test(b.type)) issues.push('no type');
      if (typeof b?.title !== 'string' || !b.title) issues.push('no title');
      if (b?.status !== res.status) issues.push(`status ${b?.status} is not the HTTP status`);
      if (typeof b?.request_id !== 'string' || !b.request_id) issues.push('no request_id');
      else if (b.request_id !== res.headers.get('x-request-id'))
        issues.push('request_id is not the X-Request-Id');
      if (!issues.length) {
        const extra = check?.(b);
        if (extra) issues.push(extra);
      }
    }
    if (!issues.length) return [];
    const got = `${res.status} ${res.headers.get('content-type')} ${JSON.stringify(b).slice(0, 240)}`;
    return [`${what}: ${issues.join('; ')} — got ${got}`];
  }

  /** The check that `errors[]` names exactly the field at `pointer` (in `part`), and nothing else. */
  const namesOnly =
    (part: string, pointer: string) =>
    (b: Json): string | null => {
      const errors: { in?: string; pointer?: string }[] = Array.isArray(b?.errors) ? b.errors : [];
      if (!errors.some((e) => e.in === part && e.pointer === pointer))
        return `errors[] does not name ${part} ${pointer}`;
      const others = errors.filter(
        (e) => e.in !== part || (e.pointer !== pointer && !e.pointer?.startsWith(`${pointer}/`)),
      );
      return others.length ? `errors[] also names ${JSON.stringify(others)}` : null;
    };

  /** The check that `errors[]` names the field (other errors allowed). */
  const names =
    (part: string, pointer: string) =>
    (b: Json): string | null =>
      Array.isArray(b?.errors) && b.errors.some((e: Json) => e.in === part && e.pointer === pointer)
        ? null
        : `errors[] does not name ${part} ${pointer}`;

  const ofType =
    (...types: string[]) =>
    (b: Json): string | null =>
      types.some((x) => b?.type === `/problems/${x}`)
        ? null
        : `type is not ${types.map((x) => `/problems/${x}`).join(' or ')}`;

  const both =
    (...checks: ((b: Json) => string | null)[]) =>
    (b: Json) =>
      checks.map((c) => c(b)).find((r) => r) ?? null;

  const send = (op: Operation, o: Parameters<TestApp['api']>[2] & { path?: string } = {}) =>
    t.api(op.method, o.path ?? pathFor(doc, op), { token: tokenFor(op), ...o });

  /**
   * The path of an operation on `/collection/{id}` with the ID of a resource that exists: the first
   * one its collection lists, or one created with a valid body through the collection's POST.
   */
  async function existingPathFor(op: Operation): Promise<string | null> {
    const m = /^(.*)\/\{([^}]+)\}$/.exec(op.template);
    if (!m || m[1]!.includes('{')) return null;
    const [, parent, name] = m as unknown as [string, string, string];
    const list = ops.find((o) => o.method === 'GET' && o.template === parent);
    const listed = list ? await send(list, { path: parent }) : null;
    let id: unknown = listed?.status === 200 ? listed.body?.data?.[0]?.id : undefined;
    const create = ops.find((o) => o.method === 'POST' && o.template === parent && o.body);
    if (typeof id !== 'string' && create) {
      const created = await send(create, { path: parent, body: sampleOf(doc, create.body!) });
      id = created.status < 300 ? created.body?.id : undefined;
    }
    return typeof id === 'string' ? pathFor(doc, op, { [name]: encodeURIComponent(id) }) : null;
  }

  it('finds the operations to sweep in the document', () => {
    // Guards the sweep itself: an empty or unreadable document would make every check below vacuous.
    expect(ops.length).toBeGreaterThan(0);
    expect(bodyOps().length).toBeGreaterThan(0);
    expect(ops.some((op) => op.parameters.some((p) => p.in === 'path' && isIdParameter(p)))).toBe(true);
    expect(ops.some((op) => op.parameters.some((p) => p.in === 'query' && p.name === 'cursor'))).toBe(true);
  });

  it('the valid background body of every operation is accepted by its own schema', () => {
    // Each check below changes one thing in a valid body; this proves the body is valid to start with.
    const validate = validatorFor(doc);
    const invalid = bodyOps()
      .map((op) => [op.operationId, validate(op.body!, sampleOf(doc, op.body!))] as const)
      .filter(([, errors]) => errors)
      .map(
        ([id, errors]) =>
          `${id}: cannot build a valid sample body (add \`examples\` to the schema): ${errors}`,
      );
    expect(invalid).toEqual([]);
  });

  it('a body that is not JSON is a 400 malformed-json problem', async () => {
    const bad = [
      '{"name": ',
      '{name: "Martin"}',
      "{'name': 'Martin'}",
      '{"name": "Martin",}',
      'nul',
      '',
      '\u0000',
    ];
    const violations: string[] = [];
    for (const op of bodyOps()) {
      for (const raw of bad) {
        const res = await send(op, { rawBody: raw });
        violations.push(
          ...problemViolations(
            res,
            label(op, `body ${JSON.stringify(raw)}`),
            [400],
            ofType('malformed-json'),
          ),
        );
      }
    }
    expect(violations).toEqual([]);
  });

  it('JSON that tries to pollute prototypes is refused with a 400', async () => {
    const violations: string[] = [];
    for (const op of bodyOps()) {
      const sample = JSON.stringify(sampleOf(doc, op.body!));
      for (const raw of [
        withRawField(sample, '__proto__', '{"is_admin":true}'),
        withRawField(sample, 'constructor', '{"prototype":{"is_admin":true}}'),
      ]) {
        const res = await send(op, { rawBody: raw });
        violations.push(...problemViolations(res, label(op, `body ${raw}`), [400]));
      }
    }
    expect(violations).toEqual([]);
  });

  it('deeply nested JSON is refused with a 400, not a stack overflow', async () => {
    const depth = 50_000;
    const violations: string[] = [];
    for (const op of bodyOps()) {
      const sample = sampleOf(doc, op.body!) as Record<string, unknown>;
      const field = Object.keys(sample)[0] ?? 'unexpected_field';
      const rest = JSON.stringify({ ...sample, [field]: undefined });
      // In a known field of the body, which no schema nests that deep.
      for (const nested of [
        '['.repeat(depth) + ']'.repeat(depth),
        `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
      ]) {
        const res = await send(op, { rawBody: withRawField(rest, field, nested) });
        violations.push(...problemViolations(res, label(op, `${depth} levels of nesting`), [400]));
      }
    }
    expect(violations).toEqual([]);
  });

  it('a JSON body that is not an object is a 400 naming the body', async () => {
    const violations: string[] = [];
    for (const op of bodyOps()) {
      for (const raw of ['null', '[]', '"Martin"', '42', 'true']) {
        const res = await send(op, { rawBody: raw });
        violations.push(
          ...problemViolations(
            res,
            label(op, `body ${raw}`),
            [400],
            both(ofType('validation-error'), names('body', '/')),
          ),
        );
      }
    }
    expect(violations).toEqual([]);
  });

  it('a field of the wrong type is a 400 whose errors[].pointer names that field, and only it', async () => {
    const violations: string[] = [];
    let checked = 0;
    for (const op of bodyOps()) {
      const sample = sampleOf(doc, op.body!);
      for (const obj of objectsOf(doc, op.body!)) {
        for (const [key, prop] of Object.entries<Schema>(obj.schema.properties ?? {})) {
          const wrong = wrongTypeFor(doc, prop);
          if (wrong === undefined) continue;
          const pointer = `${obj.pointer}/${escapePointer(key)}`;
          const body = withValue(completeAlong(doc, op.body!, sample, obj.path), [...obj.path, key], wrong);
          const res = await send(op, { body });
          checked += 1;
          violations.push(
            ...problemViolations(
              res,
              label(op, `${pointer} = ${JSON.stringify(wrong)}`),
              [400],
              both(ofType('validation-error'), namesOnly('body', pointer)),
            ),
          );
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
    expect(violations).toEqual([]);
  });

  it('an unknown field, at the top or in a nested object, is a 400 naming it', async () => {
    const violations: string[] = [];
    for (const op of bodyOps()) {
      const sample = sampleOf(doc, op.body!);
      for (const obj of objectsOf(doc, op.body!)) {
        if (obj.path.length && typeof getAt(sample, obj.path) !== 'object') continue;
        // A map documented as open (any key matching its patternProperties, e.g. WebAuthn's
        // clientExtensionResults) has no unknown fields by definition.
        const extra = obj.schema.additionalProperties;
        if ((obj.schema.patternProperties && extra !== false) || (extra && typeof extra === 'object'))
          continue;
        const pointer = `${obj.pointer}/unexpected_field`;
        const res = await send(op, {
          body: withValue(sample, [...obj.path, 'unexpected_field'], 'surprise'),
        });
        violations.push(
          ...problemViolations(
            res,
            label(op, `unknown field ${pointer}`),
            [400],
            both(ofType('validation-error'), namesOnly('body', pointer)),
          ),
        );
      }
    }
    expect(violations).toEqual([]);
  });

  it('a text field containing a NUL character is a 400 naming the field, not a database error', async () => {
    // PostgreSQL cannot store U+0000 in text: the request must be refused before it reaches the database.
    const violations: string[] = [];
    for (const op of bodyOps()) {
      const sample = sampleOf(doc, op.body!);
      // A change to a resource must reach a resource that exists, or it stops at the 404.
      // Nested resources (…/{product_id}/variants) fall back to an example ID: the refusal must come
      // from the edge, before any look-up, so it is a 400 naming the field either way.
      const path = (op.template.includes('{') ? await existingPathFor(op) : null) ?? pathFor(doc, op);
      for (const obj of objectsOf(doc, op.body!)) {
        if (obj.path.length && typeof getAt(sample, obj.path) !== 'object') continue;
        for (const [key, prop] of Object.entries<Schema>(obj.schema.properties ?? {})) {
          if (
            !acceptedTypes(doc, prop)?.has('string') ||
            resolve(doc, prop).format ||
            resolve(doc, prop).pattern
          )
            continue;
          const pointer = `${obj.pointer}/${escapePointer(key)}`;
          const res = await send(op, {
            path,
            body: withValue(sample, [...obj.path, key], 'Zoé\u0000Martin'),
          });
          violations.push(
            ...problemViolations(res, label(op, `${pointer} with U+0000`), [400], names('body', pointer)),
          );
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it(`a body above the configured limit is a 413 problem, with or without Content-Length`, async () => {
    const violations: string[] = [];
    for (const op of bodyOps()) {
      const json = JSON.stringify(sampleOf(doc, op.body!));
      // Valid JSON padded with whitespace: only its size is wrong.
      const tooLarge = json + ' '.repeat(bodyLimit + 1 - Buffer.byteLength(json));
      const res = await send(op, { rawBody: tooLarge });
      violations.push(
        ...problemViolations(res, label(op, `${bodyLimit + 1} bytes`), [413], ofType('payload-too-large')),
      );

      // Chunked transfer: the server only learns the size while reading.
      const chunk = ' '.repeat(64 * 1024);
      const chunks = Math.ceil((bodyLimit + 1) / chunk.length);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          const enc = new TextEncoder();
          controller.enqueue(enc.encode(json.slice(0, -1)));
          for (let i = 0; i < chunks; i++) controller.enqueue(enc.encode(chunk));
          controller.enqueue(enc.encode('}'));
          controller.close();
        },
      });
      const token = tokenFor(op);
      const raw = await fetch(t.url + pathFor(doc, op), {
        method: op.method,
        body: stream,
        duplex: 'half',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      } as RequestInit);
      const text = await raw.text();
      const chunked: ApiResponse = { status: raw.status, headers: raw.headers, body: text };
      try {
        chunked.body = JSON.parse(text);
      } catch {}
      violations.push(
        ...problemViolations(
          chunked,
          label(op, 'chunked body above the limit'),
          [413],
          ofType('payload-too-large'),
        ),
      );
    }
    expect(violations).toEqual([]);
  });

  it('a body of exactly the configured limit is not refused for its size', async () => {
    for (const op of bodyOps()) {
      const json = JSON.stringify(sampleOf(doc, op.body!));
      const res = await send(op, { rawBody: json + ' '.repeat(bodyLimit - Buffer.byteLength(json)) });
      expect(res.status, label(op, `${bodyLimit} bytes`)).not.toBe(413);
      expect(res.status, label(op, `${bodyLimit} bytes`)).toBeLessThan(500);
    }
  });

  it('a body that is not application/json is a 415 problem', async () => {
    const types = [
      'text/plain',
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=comptoir',
      'application/xml',
      'text/csv',
      'application/jsonx',
    ];
    const violations: string[] = [];
    for (const op of bodyOps()) {
      const json = JSON.stringify(sampleOf(doc, op.body!));
      for (const type of types) {
        const res = await send(op, { rawBody: json, headers: { 'content-type': type } });
        violations.push(
          ...problemViolations(
            res,
            label(op, `Content-Type ${type}`),
            [415],
            ofType('unsupported-media-type'),
          ),
        );
      }
      // A body with no Content-Type at all (fetch would add text/plain, so use node:http).
      const token = tokenFor(op);
      const res = await new Promise<ApiResponse>((done, fail) => {
        const req = httpRequest(
          t.url + pathFor(doc, op),
          {
            method: op.method,
            headers: {
              'content-length': Buffer.byteLength(json),
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
          },
          (r) => {
            let text = '';
            r.setEncoding('utf8');
            r.on('data', (c) => {
              text += c;
            });
            r.on('end', () => {
              let body: unknown = text;
              try {
                body = JSON.parse(text);
              } catch {}
              done({
                status: r.statusCode ?? 0,
                headers: new Headers(r.headers as Record<string, string>),
                body,
              });
            });
          },
        );
        req.on('error', fail);
        req.end(json);
      });
      violations.push(
        ...problemViolations(res, label(op, 'no Content-Type'), [415], ofType('unsupported-media-type')),
      );
    }
    expect(violations).toEqual([]);
  });

  it('an invalid identifier in the path is a 400 naming the parameter or a 404, never a 500', async () => {
    const violations: string[] = [];
    let checked = 0;
    for (const op of ops) {
      for (const p of op.parameters.filter((x) => x.in === 'path')) {
        const prefix = isIdParameter(p);
        if (!prefix) continue;
        const example = exampleOf(doc, p);
        const suffix = example.slice(prefix.length + 1);
        const invalid = [
          'not-an-id',
          `${prefix === 'usr' ? 'tok' : 'usr'}_${suffix}`, // an ID of another resource type
          `${prefix}_${suffix.toUpperCase()}`,
          `${prefix}_${suffix.slice(0, -1)}`,
          `${example}0`,
          `${prefix}_8${suffix.slice(1)}`, // beyond the 128-bit range of a TypeID
          `${prefix}_${suffix.slice(0, -1)}u`, // u is not in the Crockford alphabet
          encodeURIComponent("' or '1'='1"),
          `${prefix}_%00`,
          encodeURIComponent('../../etc/passwd'),
          encodeURIComponent('💥'),
          '12345',
        ];
        // Refused by the router before any route (so before any parameter) is known: a problem
        // document all the same, but it cannot name the parameter.
        const unroutable = [
          '%', // not valid percent-encoding
          `${prefix}_%E0%A4%A`,
          'a'.repeat(300), // beyond the router's parameter length
        ];
        const body = op.body ? sampleOf(doc, op.body) : undefined;
        for (const value of [...invalid, ...unroutable]) {
          const res = await send(op, { path: pathFor(doc, op, { [p.name]: value }), body });
          checked += 1;
          violations.push(
            ...problemViolations(res, label(op, `${p.name} = ${value.slice(0, 40)}`), [400, 404], (b) =>
              b.status === 404
                ? ofType('not-found')(b)
                : unroutable.includes(value)
                  ? ofType('validation-error')(b)
                  : both(ofType('validation-error'), names('params', `/${p.name}`))(b),
            ),
          );
        }
        // Well-formed but unknown: the documented 404 (with the query parameters the operation requires).
        const query = op.parameters
          .filter((x) => x.in === 'query' && x.required)
          .map((x) => `${x.name}=${encodeURIComponent(exampleOf(doc, x))}`)
          .join('&');
        const res = await send(op, { body, path: `${pathFor(doc, op)}${query ? `?${query}` : ''}` });
        violations.push(
          ...problemViolations(res, label(op, `unknown ${p.name}`), [404], ofType('not-found')),
        );
      }
    }
    expect(checked).toBeGreaterThan(0);
    expect(violations).toEqual([]);
  });

  it('a garbage cursor is a 400 naming cursor', async () => {
    const garbage = [
      'garbage',
      encodeURIComponent('!!!'),
      b64('not json'),
      b64('null'),
      b64('{}'),
      b64('{"k":[]}'),
      b64('{"k":"acct"}'),
      b64('{"k":[{"id":1}]}'),
      b64('{"k":["a","b","c"]}'),
      b64(JSON.stringify({ k: ['x'.repeat(300)] })),
      'A'.repeat(600),
      encodeURIComponent('eyJrIjpbImEiXX0='), // base64 with padding, not base64url
    ];
    const violations: string[] = [];
    let checked = 0;
    for (const op of ops.filter((o) => o.parameters.some((p) => p.in === 'query' && p.name === 'cursor'))) {
      for (const cursor of [...garbage.map((c) => `cursor=${c}`), 'cursor=a&cursor=b']) {
        const res = await send(op, { path: `${pathFor(doc, op)}?${cursor}` });
        checked += 1;
        violations.push(
          ...problemViolations(
            res,
            label(op, cursor.slice(0, 60)),
            [400],
            both(ofType('invalid-cursor', 'validation-error'), names('query', '/cursor')),
          ),
        );
      }
    }
    expect(checked).toBeGreaterThan(0);
    expect(violations).toEqual([]);
  });

  it('a query parameter out of its schema is a 400 naming it', async () => {
    const violations: string[] = [];
    let checked = 0;
    for (const op of ops) {
      for (const p of op.parameters.filter((x) => x.in === 'query' && x.name !== 'cursor' && x.schema)) {
        const s = resolve(doc, p.schema!);
        const accepted = acceptedTypes(doc, s);
        const values: string[] = [];
        if (accepted?.has('number') && !accepted.has('string')) values.push('abc', '1.5', '1e400');
        if (typeof s.minimum === 'number') values.push(String(s.minimum - 1));
        if (typeof s.maximum === 'number') values.push(String(s.maximum + 1));
        if (typeof s.maxLength === 'number') values.push('x'.repeat(s.maxLength + 1));
        if (typeof s.minLength === 'number' && s.minLength > 0) values.push('');
        const branches: Schema[] = s.anyOf ?? s.oneOf ?? [s];
        if (branches.every((b) => Array.isArray(resolve(doc, b).enum) || 'const' in resolve(doc, b)))
          values.push('no-such-value');
        if (accepted?.has('string') && !s.pattern && !s.format && !values.includes('no-such-value'))
          values.push('Zo%C3%A9%00Martin'); // a NUL character cannot be searched for in PostgreSQL
        for (const value of values) {
          const res = await send(op, { path: `${pathFor(doc, op)}?${p.name}=${value}` });
          checked += 1;
          violations.push(
            ...problemViolations(
              res,
              label(op, `?${p.name}=${value.slice(0, 40)}`),
              [400],
              both(ofType('validation-error'), names('query', `/${p.name}`)),
            ),
          );
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
    expect(violations).toEqual([]);
  });

  it('every operation refuses a request without a token as a problem, unless it is public', async () => {
    const violations: string[] = [];
    for (const op of ops.filter((o) => o.permission !== 'public')) {
      const res = await t.api(op.method, pathFor(doc, op), {
        token: null,
        ...(op.body ? { body: sampleOf(doc, op.body) } : {}),
      });
      violations.push(...problemViolations(res, label(op, 'no token'), [401], ofType('unauthenticated')));
      const forged = await t.api(op.method, pathFor(doc, op), {
        token: 'cpt_forged0000000000000000000000000000',
        ...(op.body ? { body: sampleOf(doc, op.body) } : {}),
      });
      violations.push(
        ...problemViolations(forged, label(op, 'forged token'), [401], ofType('unauthenticated')),
      );
    }
    expect(violations).toEqual([]);
  });
});
