import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryThrottle, RedisThrottle, type Throttle } from './throttle.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const made: Throttle[] = [];
afterAll(async () => {
  for (const t of made) await t.close();
});

const kinds: [string, (windowS: number) => Throttle][] = [
  ['memory', (w) => new MemoryThrottle(w)],
  // A unique prefix per run: runs never see each other's counts.
  ['redis', (w) => new RedisThrottle(REDIS_URL, w, `comptoir-test:${randomBytes(6).toString('hex')}:`)],
];

describe.each(kinds)('login throttle (%s)', (_name, make) => {
  it('counts failures per key, independently, and resets', async () => {
    const t = make(60);
    made.push(t);
    expect(await t.count('acct:a')).toBe(0);
    expect(await t.fail('acct:a')).toBe(1);
    expect(await t.fail('acct:a')).toBe(2);
    expect(await t.fail('ip:1.2.3.4')).toBe(1);
    expect(await t.count('acct:a')).toBe(2);
    expect(await t.retryAfter('acct:a')).toBeGreaterThan(0);
    expect(await t.retryAfter('acct:a')).toBeLessThanOrEqual(60);
    await t.reset('acct:a');
    expect(await t.count('acct:a')).toBe(0);
    expect(await t.count('ip:1.2.3.4')).toBe(1);
  });

  it('forgets failures when the window ends', async () => {
    const t = make(1);
    made.push(t);
    await t.fail('k');
    expect(await t.count('k')).toBe(1);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await t.count('k')).toBe(0);
  });

  it('counts concurrent failures exactly (atomic increments)', async () => {
    const t = make(60);
    made.push(t);
    await Promise.all(Array.from({ length: 50 }, () => t.fail('burst')));
    expect(await t.count('burst')).toBe(50);
  });
});

describe('two processes share the Redis counts', () => {
  it('a failure recorded by one replica is seen by another', async () => {
    const prefix = `comptoir-test:${randomBytes(6).toString('hex')}:`;
    const a = new RedisThrottle(REDIS_URL, 60, prefix);
    const b = new RedisThrottle(REDIS_URL, 60, prefix);
    made.push(a, b);
    await a.fail('shared');
    await b.fail('shared');
    expect(await a.count('shared')).toBe(2);
  });
});
