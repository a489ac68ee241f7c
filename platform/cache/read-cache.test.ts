import { describe, expect, it } from 'vitest';
import type { Ctx } from '../context.ts';
import type { Database, ListenHandlers } from '../db/database.ts';
import { cachedRead, startReadCache, TenantReadCache } from './read-cache.ts';

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

describe('reads through the cache (cachedRead)', () => {
  /** A database that only listens: notifications are sent by the test (`notify`). */
  const listening = async () => {
    let handlers: ListenHandlers | undefined;
    const db = {
      async listen(_channel: string, h: ListenHandlers) {
        handlers = h;
        h.state(true);
        return async () => {};
      },
    } as unknown as Database;
    const stop = await startReadCache(db, { maxEntries: 100, ttlMs: 60_000 });
    const ctx = (tenantId: string) => ({ db, tenantId, readOnly: true }) as unknown as Ctx;
    return { ctx, notify: (tenantId: string) => handlers!.message(tenantId), stop };
  };
  /** A load that waits for `release()`, counting its runs. */
  const gate = <T>(value: T) => {
    let runs = 0;
    let open!: () => void;
    const opened = new Promise<void>((r) => {
      open = r;
    });
    return {
      load: async () => {
        runs++;
        await opened;
        return value;
      },
      release: () => open(),
      runs: () => runs,
    };
  };

  it('runs one load for readers of the same key at the same time, and keeps its result', async () => {
    const c = await listening();
    const g = gate({ page: 1 });
    const readers = Array.from({ length: 8 }, () => cachedRead(c.ctx('ten_a'), 'k', g.load));
    await new Promise((r) => setTimeout(r, 10));
    expect(g.runs()).toBe(1);
    g.release();
    const got = await Promise.all(readers);
    expect(got.every((v) => v === got[0])).toBe(true);
    expect(await cachedRead(c.ctx('ten_a'), 'k', g.load)).toBe(got[0]);
    expect(g.runs()).toBe(1);
    // Another tenant's same key is its own load.
    const other = gate({ page: 2 });
    other.release();
    expect(await cachedRead(c.ctx('ten_b'), 'k', other.load)).toEqual({ page: 2 });
    await c.stop();
  });

  it('a reader arriving after a notified change does not join a load begun before it', async () => {
    const c = await listening();
    const before = gate('before the change');
    const first = cachedRead(c.ctx('ten_a'), 'k', before.load);
    await new Promise((r) => setTimeout(r, 5));
    c.notify('ten_a');
    const after = gate('after the change');
    after.release();
    expect(await cachedRead(c.ctx('ten_a'), 'k', after.load)).toBe('after the change');
    before.release();
    expect(await first).toBe('before the change');
    // What was read before the change is never stored; what was read after it is.
    const again = gate('read again');
    again.release();
    expect(await cachedRead(c.ctx('ten_a'), 'k', again.load)).toBe('after the change');
    expect(again.runs()).toBe(0);
    await c.stop();
  });

  it('when the shared load fails, a reader that joined it loads on its own', async () => {
    const c = await listening();
    let fail!: (e: Error) => void;
    const failing = () =>
      new Promise<string>((_, reject) => {
        fail = reject;
      });
    const owner = cachedRead(c.ctx('ten_a'), 'k', failing);
    const joinerLoad = gate('its own');
    joinerLoad.release();
    const joiner = cachedRead(c.ctx('ten_a'), 'k', joinerLoad.load);
    await new Promise((r) => setTimeout(r, 5));
    expect(joinerLoad.runs()).toBe(0);
    fail(new Error('statement timeout'));
    await expect(owner).rejects.toThrow('statement timeout');
    expect(await joiner).toBe('its own');
    expect(joinerLoad.runs()).toBe(1);
    await c.stop();
  });
});
