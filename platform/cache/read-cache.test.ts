import { describe, expect, it } from 'vitest';
import { TenantReadCache } from './read-cache.ts';

const live = (opts: { maxEntries?: number; ttlMs?: number; now?: () => number } = {}) => {
  const c = new TenantReadCache({
    maxEntries: opts.maxEntries ?? 100,
    ttlMs: opts.ttlMs ?? 60_000,
    now: opts.now,
  });
  c.setLive(true);
  return c;
};

describe('the read cache (rules)', () => {
  it('answers what was stored for a tenant, and nothing for another tenant', () => {
    const c = live();
    c.store(c.stamp('ten_a'), 'product:1', { name: 'Perceuse' });
    expect(c.get('ten_a', 'product:1')).toEqual({ name: 'Perceuse' });
    expect(c.get('ten_b', 'product:1')).toBeUndefined();
  });

  it("a change notified for a tenant drops that tenant's entries only", () => {
    const c = live();
    c.store(c.stamp('ten_a'), 'k', 1);
    c.store(c.stamp('ten_b'), 'k', 2);
    c.invalidate('ten_a');
    expect(c.get('ten_a', 'k')).toBeUndefined();
    expect(c.get('ten_b', 'k')).toBe(2);
    c.invalidate('*');
    expect(c.get('ten_b', 'k')).toBeUndefined();
  });

  it('a result read before a change is not stored after the change was notified', () => {
    const c = live();
    const before = c.stamp('ten_a'); // the reader starts…
    c.invalidate('ten_a'); // …a change commits and is notified meanwhile…
    c.store(before, 'k', 'stale'); // …the reader's (possibly older) result is refused.
    expect(c.get('ten_a', 'k')).toBeUndefined();
    c.store(c.stamp('ten_a'), 'k', 'fresh');
    expect(c.get('ten_a', 'k')).toBe('fresh');
  });

  it('is off while the notifications are not listened to, and forgets everything when they stop or resume', () => {
    const c = live();
    c.store(c.stamp('ten_a'), 'k', 1);
    const during = c.stamp('ten_a');
    c.setLive(false);
    expect(c.stamp('ten_a')).toBeNull();
    expect(c.get('ten_a', 'k')).toBeUndefined();
    c.store(during, 'k', 2);
    c.setLive(true);
    expect(c.get('ten_a', 'k')).toBeUndefined();
    c.store(during, 'k', 3); // a stamp from before the reconnection is worthless
    expect(c.get('ten_a', 'k')).toBeUndefined();
  });

  it('keeps at most maxEntries, dropping the least recently used; entries expire', () => {
    let now = 0;
    const c = live({ maxEntries: 2, ttlMs: 1000, now: () => now });
    c.store(c.stamp('t'), 'a', 1);
    c.store(c.stamp('t'), 'b', 2);
    expect(c.get('t', 'a')).toBe(1); // a is now the most recent
    c.store(c.stamp('t'), 'c', 3);
    expect(c.get('t', 'b')).toBeUndefined();
    expect(c.get('t', 'a')).toBe(1);
    expect(c.size).toBe(2);
    now = 1000;
    expect(c.get('t', 'a')).toBeUndefined();
  });

  it('a read that finds its tenant as it reads (authentication) is stored only if that tenant did not change meanwhile', () => {
    const c = live();
    const before = c.stampAny();
    c.invalidate('ten_b'); // another tenant's change does not matter…
    c.storeAs(before, 'ten_a', 'auth', 'a');
    expect(c.get('ten_a', 'auth')).toBe('a');
    const again = c.stampAny();
    c.invalidate('ten_a'); // …the tenant's own change does.
    c.storeAs(again, 'ten_a', 'auth2', 'stale');
    expect(c.get('ten_a', 'auth2')).toBeUndefined();
    expect(c.get('ten_a', 'auth')).toBeUndefined();
    const lost = c.stampAny();
    c.setLive(false);
    c.setLive(true);
    c.storeAs(lost, 'ten_c', 'auth', 'x'); // a stamp from before a reconnection is worthless
    expect(c.get('ten_c', 'auth')).toBeUndefined();
    // A stamp of one tenant is not a stamp of every tenant.
    c.storeAs(c.stamp('ten_a'), 'ten_a', 'auth3', 'y');
    expect(c.get('ten_a', 'auth3')).toBeUndefined();
  });

  it('weighs entries: a heavy one (a search page) pushes out as many light ones, and one heavier than the whole cache is not kept', () => {
    const c = live({ maxEntries: 10 });
    for (let i = 0; i < 10; i++) c.store(c.stamp('t'), `p${i}`, i);
    expect(c.units).toBe(10);
    c.store(c.stamp('t'), 'page', 'search page', 4);
    expect(c.get('t', 'page')).toBe('search page');
    expect(c.size).toBe(7); // p0–p3 went
    expect(c.units).toBe(10);
    expect(c.get('t', 'p3')).toBeUndefined();
    expect(c.get('t', 'p4')).toBe(4);
    c.store(c.stamp('t'), 'huge', 'x', 11);
    expect(c.get('t', 'huge')).toBeUndefined();
    expect(c.units).toBe(10);
    c.invalidate('*');
    expect(c.units).toBe(0);
  });
});
