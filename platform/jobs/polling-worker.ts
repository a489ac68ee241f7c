import type { EventEmitter } from 'node:events';

/** The part of a pino/Fastify logger background workers use. */
export interface WorkerLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Runs `step` repeatedly while it reports work done, every `pollMs`, and at once when `signal` is
 * emitted on `signals` (after a commit that created work). One step at a time per process; several
 * processes coordinate through the database (row locks), not through this class.
 */
export class PollingWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private readonly onSignal = () => this.kick();

  constructor(
    private readonly name: string,
    private readonly step: () => Promise<number>,
    private readonly opts: { pollMs: number; signals: EventEmitter; signal: string; logger?: WorkerLogger },
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.opts.signals.on(this.opts.signal, this.onSignal);
    this.timer = setInterval(() => this.kick(), this.opts.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Stops polling and waits for the step in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.opts.signals.off(this.opts.signal, this.onSignal);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Runs steps until one does nothing (tests, CLI); returns the work done. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.step();
      if (n === 0) return total;
      total += n;
    }
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          while (!this.stopped && (await this.step()) > 0) {}
        } catch (err) {
          this.opts.logger?.error({ err, worker: this.name }, `${this.name} failed`);
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
  }
}
