import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { webDistState, webServingDecision } from './web-build.ts';

/**
 * What a start serves once the web build settled (src/main.ts): the build that is there, even when
 * the sources changed meanwhile — the start used to come up without the web app then.
 */
describe('webServingDecision', () => {
  const built = { built: true, hash: 'a'.repeat(64) };

  it('serves the build that just completed, silently, when the sources did not change', () => {
    expect(
      webServingDecision({
        production: false,
        outcome: built,
        dist: { hash: built.hash },
        sourceHash: built.hash,
      }),
    ).toEqual({ serve: true });
  });

  it('still serves it when the sources changed during the build, and says so', () => {
    const decision = webServingDecision({
      production: false,
      outcome: built,
      dist: { hash: built.hash },
      sourceHash: 'b'.repeat(64),
    });
    expect(decision.serve).toBe(true);
    expect(decision.message).toMatch(/sources changed while Comptoir was starting: serving the build/);
    expect(decision.message).toContain('aaaaaaaaaaaa');
    expect(decision.message).toContain('bbbbbbbbbbbb');
  });

  it('serves the previous build when the build failed, and says so', () => {
    const decision = webServingDecision({
      production: false,
      outcome: new Error('the web app build failed (vite exited with 1)'),
      dist: { hash: 'c'.repeat(64) },
      sourceHash: built.hash,
    });
    expect(decision).toEqual({
      serve: true,
      message:
        'the web app build failed (vite exited with 1): serving the previous build of the web app (web/dist)',
    });
  });

  it('serves the API only when there is no build at all', () => {
    expect(
      webServingDecision({
        production: false,
        outcome: new Error('the web app build failed (vite exited with 1)'),
        dist: null,
        sourceHash: built.hash,
      }),
    ).toEqual({
      serve: false,
      message: 'the web app build failed (vite exited with 1): serving the API only',
    });
    expect(
      webServingDecision({ production: true, outcome: null, dist: null, sourceHash: null }),
    ).toMatchObject({
      serve: false,
      message: expect.stringMatching(/web\/dist is missing/),
    });
  });

  it('in production, serves the shipped web/dist without comparing hashes', () => {
    expect(
      webServingDecision({ production: true, outcome: null, dist: { hash: null }, sourceHash: null }),
    ).toEqual({
      serve: true,
    });
  });
});

describe('webDistState', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'comptoir-web-dist-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is null without index.html, else the hash the build recorded (null when none)', () => {
    const dist = path.join(dir, 'dist');
    mkdirSync(dist);
    expect(webDistState(dist)).toBeNull();
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html>');
    expect(webDistState(dist)).toEqual({ hash: null });
    writeFileSync(path.join(dist, '.source-hash'), `${'d'.repeat(64)}\n`);
    expect(webDistState(dist)).toEqual({ hash: 'd'.repeat(64) });
  });
});
