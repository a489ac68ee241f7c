import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Helpers for the tests that run Comptoir as an operator does: a real child process started from the
 * repository root, seen only through its output, its exit code and the network.
 */

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The `tsx` of `npm start` (`tsx src/main.ts`) and `npm run cli` (`tsx src/cli.ts`), without npm around it. */
export const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/** Every variable Comptoir reads (as named in config.ts): none may leak from the environment running the tests. */
const CONFIG_VARIABLES = new Set([
  'NODE_ENV',
  ...[
    ...readFileSync(path.join(ROOT, 'platform/config/config.ts'), 'utf8').matchAll(
      /\benv, '([A-Z][A-Z0-9_]*)'/g,
    ),
  ].map((m) => m[1]!),
]);

/** The test process's environment without Comptoir's variables, plus `vars`. */
export function cleanEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!CONFIG_VARIABLES.has(k)) env[k] = v;
  }
  return { ...env, ...vars };
}

const tempDirs: string[] = [];

/** A fresh temporary directory, removed by `removeTempDirs()`. */
export function tempDir(prefix = 'comptoir-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  proc: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Settles when the process has exited (the exit code, or the signal that ended it). */
  exited: Promise<Exit>;
  /** Resolves with the first match of `re` in stdout; rejects if the process exits first or on timeout. */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** Sends `signal` to the process itself (as an orchestrator does). */
  signal(signal: NodeJS.Signals): void;
}

const running = new Set<Child>();

/**
 * Starts `args` (e.g. [TSX, 'src/main.ts']) with node, from the repository root, in its own process
 * group so that `killAll()` also reaches what it started.
 */
export function start(args: string[], env: NodeJS.ProcessEnv): Child {
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  proc.stdout!.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
  });
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  const exited = new Promise<Exit>((resolve) => {
    proc.on('close', (code, signal) => resolve({ code, signal }));
  });
  const child: Child = {
    proc,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    waitFor(re, timeoutMs) {
      return new Promise((resolve, reject) => {
        const onData = () => {
          const m = re.exec(stdout);
          if (m) {
            done();
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${re} after ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          proc.stdout!.off('data', onData);
        };
        proc.stdout!.on('data', onData);
        exited.then((e) => {
          done();
          reject(
            new Error(`exited (${e.code ?? e.signal}) before ${re}\nstdout:\n${stdout}\nstderr:\n${stderr}`),
          );
        });
        onData();
      });
    },
    signal(sig) {
      proc.kill(sig);
    },
  };
  running.add(child);
  exited.then(() => running.delete(child));
  return child;
}

/** Runs to completion: exit code and output. Fails the test if it takes longer than `timeoutMs`. */
export async function run(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = start(args, env);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`${args.join(' ')} still running after ${timeoutMs} ms\n${child.stderr}`));
    }, timeoutMs);
  });
  try {
    const { code } = await Promise.race([child.exited, timeout]);
    return { code, stdout: child.stdout, stderr: child.stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for the exit, at most `timeoutMs`; null if the process is still running then. */
export async function exitWithin(child: Child, timeoutMs: number): Promise<Exit | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  try {
    return await Promise.race([child.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

function killGroup(child: Child): void {
  try {
    if (child.proc.pid) process.kill(-child.proc.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Makes sure `child` is gone before the next test uses its data directory: SIGTERM, then SIGKILL
 * (its process group) if it is still running after `graceMs`.
 */
export async function ensureStopped(child: Child, graceMs = 30_000): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.signal('SIGTERM');
  if (!(await exitWithin(child, graceMs))) {
    killGroup(child);
    await child.exited;
  }
}

/** `ensureStopped` for every child still running (an afterEach of tests that share a data directory). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((c) => ensureStopped(c)));
}

/** Kills (process group, SIGKILL) every child these helpers started that is still running. */
export async function killAll(): Promise<void> {
  const left = [...running];
  for (const child of left) killGroup(child);
  await Promise.all(left.map((c) => c.exited));
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One request on a new TCP connection (no keep-alive pool), so that "the listener refuses new
 * connections" is what is observed. Rejects with the socket error (ECONNREFUSED, ECONNRESET…).
 */
export function request(
  url: string,
  opts: { headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (s: string) => {
        body += s;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
      res.on('aborted', () => reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
    });
    req.on('error', reject);
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error(`timeout: GET ${url}`)));
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
