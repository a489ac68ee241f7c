import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';

/**
 * The web app's API client is typed from the committed openapi.json: web/src/api/schema.d.ts must
 * be what `npm run web:client` generates from it now (CI fails on a stale client).
 */
const root = path.resolve(import.meta.dirname, '..');
const dir = mkdtempSync(path.join(tmpdir(), 'comptoir-client-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('web/src/api/schema.d.ts is generated from the committed openapi.json (npm run web:client)', () => {
  const require = createRequire(path.join(root, 'web', 'package.json'));
  const bin = path.join(path.dirname(require.resolve('openapi-typescript/package.json')), 'bin', 'cli.js');
  const out = path.join(dir, 'schema.d.ts');
  execFileSync(process.execPath, [bin, '../openapi.json', '-o', out], {
    cwd: path.join(root, 'web'),
    stdio: 'pipe',
  });
  const committed = readFileSync(path.join(root, 'web', 'src', 'api', 'schema.d.ts'), 'utf8');
  expect(committed === readFileSync(out, 'utf8'), 'stale: run `npm run web:client`').toBe(true);
});
