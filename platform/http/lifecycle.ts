import type { FastifyInstance } from 'fastify';
import type { ServerState } from './server.ts';

export interface ShutdownOptions {
  /** Wait this long after readiness turns false before closing the listener (load balancer catch-up). */
  drainDelayMs: number;
  /** Give up on in-flight requests after this long. */
  graceMs: number;
  /** Closes what the server used (dispatcher, database) once HTTP is closed. */
  release: () => Promise<void>;
}

/**
 * Graceful shutdown: readiness turns false at once, then the listener stops accepting connections,
 * in-flight requests finish (Fastify's close waits for them; idle keep-alive sockets are closed), then
 * the dispatcher and database are released. Returns the exit code: 0, or 1 if the grace period ran out.
 */
export async function shutdown(
  app: FastifyInstance,
  state: ServerState,
  opts: ShutdownOptions,
): Promise<number> {
  state.ready = false;
  if (opts.drainDelayMs > 0) await new Promise((r) => setTimeout(r, opts.drainDelayMs));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), opts.graceMs);
  });
  const outcome = await Promise.race([app.close().then(() => 'closed' as const), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    app.log.warn({ graceMs: opts.graceMs }, 'shutdown grace period elapsed with requests still in flight');
    app.server.closeAllConnections();
  }
  await opts.release();
  return outcome === 'closed' ? 0 : 1;
}

/** Installs SIGTERM/SIGINT handlers that shut down once and exit with the result. */
export function onSignals(run: () => Promise<number>): void {
  let started = false;
  const handler = (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    process.stderr.write(`${signal} received: draining in-flight requests, then exiting.\n`);
    run().then(
      (code) => process.exit(code),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
