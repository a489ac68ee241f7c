import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The web app's production build, made by `npm start` when web/dist is missing or older than the
 * sources (so `npm ci && npm start` serves it on a fresh clone), and by `npm run web:build`.
 * Staleness is a hash of the sources and the lock file, kept in web/dist/.source-hash: a build is
 * skipped when nothing changed (a restart costs a few milliseconds).
 */

export const WEB_DIR = fileURLToPath(new URL('../web/', import.meta.url));
export const WEB_DIST = path.join(WEB_DIR, 'dist');
const HASH_FILE = '.source-hash';
const INPUTS = ['index.html', 'vite.config.ts', 'package.json', 'tsconfig.json', 'src', 'public'];

function filesOf(rel: string, out: string[]): void {
  const full = path.join(WEB_DIR, rel);
  if (!existsSync(full)) return;
  if (statSync(full).isDirectory()) {
    for (const name of readdirSync(full).sort()) filesOf(path.join(rel, name), out);
  } else if (!/\.test\.tsx?$/.test(rel)) out.push(rel);
}

/** Hash of everything the build reads: web sources, configuration and the root lock file. */
export function webSourceHash(): string {
  const hash = createHash('sha256');
  const files: string[] = [];
  for (const input of INPUTS) filesOf(input, files);
  for (const rel of files)
    hash
      .update(rel)
      .update('\0')
      .update(readFileSync(path.join(WEB_DIR, rel)));
  const lock = path.join(WEB_DIR, '..', 'package-lock.json');
  if (existsSync(lock)) hash.update(readFileSync(lock));
  return hash.digest('hex');
}

function builtHash(dir: string): string | null {
  const file = path.join(dir, HASH_FILE);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
}

export function webBuildIsCurrent(): boolean {
  return existsSync(path.join(WEB_DIST, 'index.html')) && builtHash(WEB_DIST) === webSourceHash();
}

/** The build in web/dist, if there is one: the source hash it was built from (null when unknown). */
export function webDistState(dir = WEB_DIST): { hash: string | null } | null {
  return existsSync(path.join(dir, 'index.html')) ? { hash: builtHash(dir) } : null;
}

/** What a start did about the web build: the hash of the sources it built (or found current), or why it failed. */
export type WebBuildOutcome = { built: boolean; hash: string } | Error;

/**
 * Whether a start serves web/dist, and the line to log about it. Whatever build is in web/dist is
 * served — the one this start just completed, or an earlier one when the build failed — even when
 * the sources changed while the build ran (someone editing web/, a slow machine): the start says so,
 * and the next start rebuilds. Only a missing web/dist leaves the API alone.
 */
export function webServingDecision(input: {
  /** NODE_ENV=production: no build at start, web/dist shipped beforehand. */
  production: boolean;
  /** null when no build was attempted (production). */
  outcome: WebBuildOutcome | null;
  /** webDistState() once the build settled. */
  dist: { hash: string | null } | null;
  /** The sources' hash once the build settled (null when not computed, in production). */
  sourceHash: string | null;
}): { serve: boolean; message?: string } {
  const { production, outcome, dist, sourceHash } = input;
  if (!dist) {
    const why =
      outcome instanceof Error
        ? outcome.message
        : production
          ? 'web/dist is missing (build it with npm run web:build)'
          : 'web/dist is missing';
    return { serve: false, message: `${why}: serving the API only` };
  }
  if (production) return { serve: true };
  if (outcome instanceof Error)
    return {
      serve: true,
      message: `${outcome.message}: serving the previous build of the web app (web/dist)`,
    };
  if (sourceHash !== null && dist.hash !== sourceHash)
    return {
      serve: true,
      message: `the web app's sources changed while Comptoir was starting: serving the build that just completed (sources ${short(dist.hash)}, now ${short(sourceHash)}); restart to rebuild`,
    };
  return { serve: true };
}

const short = (hash: string | null) => (hash ? hash.slice(0, 12) : 'unknown');

/**
 * Builds into a temporary folder, then swaps it in: a process serving the old build, or another
 * start building at the same moment, never sees a half-written web/dist.
 */
export async function buildWeb(): Promise<string> {
  const hash = webSourceHash();
  const require = createRequire(path.join(WEB_DIR, 'package.json'));
  const vitePkg = require.resolve('vite/package.json');
  const bin = path.join(path.dirname(vitePkg), 'bin', 'vite.js');
  const tmp = path.join(WEB_DIR, `dist.tmp-${process.pid}`);
  const child = spawn(process.execPath, [bin, 'build', '--logLevel', 'warn'], {
    cwd: WEB_DIR,
    env: { ...process.env, NODE_ENV: 'production', WEB_OUT_DIR: tmp },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`the web app build failed (vite exited with ${code})`);
  }
  writeFileSync(path.join(tmp, HASH_FILE), `${hash}\n`);
  if (builtHash(WEB_DIST) === hash) {
    rmSync(tmp, { recursive: true, force: true }); // another start built the same sources meanwhile
    return hash;
  }
  // The old build is moved aside before the new one is moved in: web/dist is missing only between
  // two renames, never for the time of a recursive delete.
  const old = path.join(WEB_DIR, `dist.old-${process.pid}`);
  if (existsSync(WEB_DIST)) renameSync(WEB_DIST, old);
  renameSync(tmp, WEB_DIST);
  rmSync(old, { recursive: true, force: true });
  return hash;
}

/** Builds when needed: whether it did, and the hash of the sources the build in web/dist is of. */
export async function ensureWebBuild(): Promise<{ built: boolean; hash: string }> {
  const current = webSourceHash();
  const dist = webDistState();
  if (dist && dist.hash === current) return { built: false, hash: current };
  return { built: true, hash: await buildWeb() };
}

// `npm run web:build`
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const t0 = Date.now();
  buildWeb().then(
    () => process.stdout.write(`web app built in ${Date.now() - t0} ms → ${WEB_DIST}\n`),
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
