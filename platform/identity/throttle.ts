import { Redis } from 'ioredis';

/**
 * Counts failures per key in fixed windows (login failures per account and per IP). In memory for one
 * process, or in Redis when REDIS_URL is set, so that every replica sees the same counts.
 */
export interface Throttle {
  /** How many failures `key` has in its current window. */
  count(key: string): Promise<number>;
  /** Records one failure; returns the new count. */
  fail(key: string): Promise<number>;
  reset(key: string): Promise<void>;
  /** Seconds until the window of `key` ends (for Retry-After). */
  retryAfter(key: string): Promise<number>;
  close(): Promise<void>;
}

export class MemoryThrottle implements Throttle {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  constructor(
    private readonly windowS: number,
    private readonly now: () => number = Date.now,
  ) {}

  private current(key: string) {
    const w = this.windows.get(key);
    if (w && w.resetAt > this.now()) return w;
    if (w) this.windows.delete(key);
    return null;
  }
  async count(key: string) {
    return this.current(key)?.count ?? 0;
  }
  async fail(key: string) {
    const w = this.current(key) ?? { count: 0, resetAt: this.now() + this.windowS * 1000 };
    w.count += 1;
    this.windows.set(key, w);
    // Bound the memory a flood of distinct keys can take: drop expired windows now and then.
    if (this.windows.size > 100_000) for (const k of this.windows.keys()) this.current(k);
    return w.count;
  }
  async reset(key: string) {
    this.windows.delete(key);
  }
  async retryAfter(key: string) {
    const w = this.current(key);
    return w ? Math.max(1, Math.ceil((w.resetAt - this.now()) / 1000)) : 0;
  }
  async close() {}
}

/** INCR and set the window's expiry on the first failure, atomically. */
const FAIL_SCRIPT = `local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return c`;

export class RedisThrottle implements Throttle {
  private readonly redis: Redis;
  constructor(
    url: string,
    private readonly windowS: number,
    /** Namespaces the keys (several deployments or test runs on one Redis). */
    private readonly prefix = 'comptoir:throttle:',
  ) {
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    // Connection errors surface on each command; an idle error event must not crash the process.
    this.redis.on('error', () => {});
  }
  private k(key: string) {
    return this.prefix + key;
  }
  async count(key: string) {
    return Number((await this.redis.get(this.k(key))) ?? 0);
  }
  async fail(key: string) {
    return Number(await this.redis.eval(FAIL_SCRIPT, 1, this.k(key), String(this.windowS)));
  }
  async reset(key: string) {
    await this.redis.del(this.k(key));
  }
  async retryAfter(key: string) {
    const ttl = await this.redis.ttl(this.k(key));
    return ttl > 0 ? ttl : 0;
  }
  async close() {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

export const LOGIN_WINDOW_S = 15 * 60;

export function createThrottle(redisUrl: string | null, windowS = LOGIN_WINDOW_S, prefix?: string): Throttle {
  return redisUrl ? new RedisThrottle(redisUrl, windowS, prefix) : new MemoryThrottle(windowS);
}
