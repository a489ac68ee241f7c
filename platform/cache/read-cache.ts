import type { Ctx } from '../context.ts';
import type { Database } from '../db/database.ts';

/**
 * A per-process cache of read results (the product page, a buyer's visibility rules), kept exact by
 * the database itself: triggers on every table such a result is read from call
 * `pg_notify('comptoir_read_cache', <tenant ID>)` (migration 0019); the notification is delivered
 * when the writing transaction commits, to every server process listening on the channel, and
 * drops that tenant's entries. While the listening connection is down (or before it is up) the
 * cache is off: nothing is read from it or stored in it, and it is emptied when the connection
 * comes back, since notifications may have been missed in between.
 *
 * Races: a reader takes a `Stamp` before its own transaction starts and stores its result only if
 * no notification for that tenant arrived since — so a result read from a snapshot older than a
 * committed change is never stored after that change's notification. Between a commit and the
 * delivery of its notification (milliseconds), a cached read answers as a request made just before
 * the commit would have. Entries also expire after `ttlMs` (a bound, not the mechanism).
 *
 * Only reads outside any write may use it: a service that wrote in its transaction must read its own
 * writes from the database (the notification comes only at commit).
 */
export interface ReadCache {
  /** Taken before reading: `store` keeps the result only if the tenant did not change since. */
  stamp(tenantId: string): Stamp | null;
  get<T>(tenantId: string, key: string): T | undefined;
  /** `units`: what the entry weighs against `maxEntries` (1 by default; a search page weighs more). */
  store<T>(stamp: Stamp | null, key: string, value: T, units?: number): void;
  /**
   * For reads that find their tenant only as they read (authentication): a stamp of every tenant,
   * then `storeAs` keeps the result only if that tenant did not change since the stamp.
   */
  stampAny(): Stamp | null;
  storeAs<T>(stamp: Stamp | null, tenantId: string, key: string, value: T): void;
  /** Drops a tenant's entries ('*': every tenant's). */
  invalidate(tenantId: string): void;
  readonly size: number;
  /** The weight of the entries held (≤ maxEntries). */
  readonly units: number;
  readonly live: boolean;
}

export interface Stamp {
  /** '' for a stamp of every tenant (`stampAny`). */
  readonly tenantId: string;
  readonly generation: number;
  readonly epoch: number;
  /** The count of invalidations received when the stamp was taken. */
  readonly seq: number;
}

interface Entry {
  value: unknown;
  units: number;
  generation: number;
  epoch: number;
  expires: number;
}

export const READ_CACHE_CHANNEL = 'comptoir_read_cache';

export class TenantReadCache implements ReadCache {
  /** Bumped when everything is dropped (a lost connection, '*'). */
  private epoch = 0;
  private readonly generations = new Map<string, number>();
  /** Invalidations received so far, and the count at each tenant's last one. */
  private seq = 0;
  private readonly lastChange = new Map<string, number>();
  /** Insertion order = least recently used first. */
  private readonly entries = new Map<string, Entry>();
  private held = 0;
  live = false;

  constructor(
    private readonly opts: { maxEntries: number; ttlMs: number; now?: () => number } = {
      maxEntries: 5000,
      ttlMs: 300_000,
    },
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get units(): number {
    return this.held;
  }

  private drop(k: string): void {
    const e = this.entries.get(k);
    if (!e) return;
    this.held -= e.units;
    this.entries.delete(k);
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  stamp(tenantId: string): Stamp | null {
    if (!this.live) return null;
    return { tenantId, generation: this.generations.get(tenantId) ?? 0, epoch: this.epoch, seq: this.seq };
  }

  stampAny(): Stamp | null {
    if (!this.live) return null;
    return { tenantId: '', generation: 0, epoch: this.epoch, seq: this.seq };
  }

  storeAs<T>(stamp: Stamp | null, tenantId: string, key: string, value: T): void {
    if (stamp?.tenantId !== '' || !this.live || stamp.epoch !== this.epoch) return;
    // The tenant changed after the stamp: the result may predate the change.
    if ((this.lastChange.get(tenantId) ?? 0) > stamp.seq) return;
    this.store(
      { tenantId, generation: this.generations.get(tenantId) ?? 0, epoch: stamp.epoch, seq: stamp.seq },
      key,
      value,
    );
  }

  get<T>(tenantId: string, key: string): T | undefined {
    if (!this.live) return undefined;
    const k = `${tenantId}\u0000${key}`;
    const e = this.entries.get(k);
    if (!e) return undefined;
    if (
      e.epoch !== this.epoch ||
      e.generation !== (this.generations.get(tenantId) ?? 0) ||
      e.expires <= this.now()
    ) {
      this.drop(k);
      return undefined;
    }
    // Most recently used last.
    this.entries.delete(k);
    this.entries.set(k, e);
    return e.value as T;
  }

  store<T>(stamp: Stamp | null, key: string, value: T, units = 1): void {
    if (!stamp || !this.live) return;
    if (stamp.epoch !== this.epoch || stamp.generation !== (this.generations.get(stamp.tenantId) ?? 0))
      return;
    if (units > this.opts.maxEntries) return;
    const k = `${stamp.tenantId}\u0000${key}`;
    this.drop(k);
    this.entries.set(k, {
      value,
      units,
      generation: stamp.generation,
      epoch: stamp.epoch,
      expires: this.now() + this.opts.ttlMs,
    });
    this.held += units;
    while (this.held > this.opts.maxEntries) {
      this.drop(this.entries.keys().next().value as string);
    }
  }

  invalidate(tenantId: string): void {
    if (tenantId === '*' || tenantId === '') {
      this.epoch++;
      this.entries.clear();
      this.held = 0;
      return;
    }
    this.generations.set(tenantId, (this.generations.get(tenantId) ?? 0) + 1);
    this.lastChange.set(tenantId, ++this.seq);
  }

  /** The listening connection is up (true) or lost (false): either way, forget everything. */
  setLive(live: boolean): void {
    this.invalidate('*');
    this.live = live;
  }
}

const caches = new WeakMap<Database, TenantReadCache>();

/** The read cache of this database, or null while it is off (no listener: every read goes to the database). */
export function readCacheOf(db: Database): ReadCache | null {
  const c = caches.get(db);
  return c?.live ? c : null;
}

/**
 * Starts listening for invalidations on `db` and attaches its read cache. Returns a function that
 * stops listening (the cache is then off).
 */
export async function startReadCache(
  db: Database,
  opts: { maxEntries: number; ttlMs: number; onError?: (err: Error) => void },
): Promise<() => Promise<void>> {
  const cache = new TenantReadCache({ maxEntries: opts.maxEntries, ttlMs: opts.ttlMs });
  caches.set(db, cache);
  const stop = await db.listen(READ_CACHE_CHANNEL, {
    message: (payload) => cache.invalidate(payload),
    state: (up) => cache.setLive(up),
    ...(opts.onError ? { error: opts.onError } : {}),
  });
  return async () => {
    cache.setLive(false);
    caches.delete(db);
    await stop();
  };
}

/**
 * `load()`'s result, from the read cache when `ctx` is a read-only request (`ctx.readOnly`) and the
 * cache is on, else from the database. `key` must say everything the result depends on besides the
 * tenant, and every table `load` reads must notify (migration 0019). The cached value is shared by
 * every later reader: never mutate it.
 */
export async function cachedRead<T>(
  ctx: Ctx,
  key: string,
  load: () => Promise<T>,
  /** What the result weighs against READ_CACHE_MAX_ENTRIES (1: a product; more for a search page). */
  units = 1,
): Promise<T> {
  return cachedReadWhile(ctx, key, load, () => true, units);
}

/**
 * `cachedRead` for a result that also depends on time: one that is not `fresh` (for this request) is
 * read again, and a freshly read one is kept only if `fresh` says it is (a result valid only until a
 * price list starts, say, carries its own bounds).
 *
 * **One load per key at a time** (single flight): a reader that finds the same key being loaded by
 * another request joins that load instead of running its own — after a catalogue import, eight
 * buyers opening the same category page pay for one search, not eight. It joins only if no change
 * of the tenant was notified since that load began (same stamp): a request that starts after a
 * notified change never gets a result read before it. If the shared load fails, the joiner loads
 * on its own, so each request meets its own errors.
 */
export async function cachedReadWhile<T>(
  ctx: Ctx,
  key: string,
  load: () => Promise<T>,
  fresh: (value: T) => boolean,
  units = 1,
): Promise<T> {
  const cache = ctx.readOnly ? readCacheOf(ctx.db) : null;
  if (!cache) return load();
  const hit = cache.get<{ value: T }>(ctx.tenantId, key);
  if (hit && fresh(hit.value)) return hit.value;
  const stamp = cache.stamp(ctx.tenantId);
  let flights = inFlight.get(cache);
  if (!flights) {
    flights = new Map();
    inFlight.set(cache, flights);
  }
  const name = `${ctx.tenantId}\u0000${key}`;
  const joined = flights.get(name);
  if (joined && stamp && sameStamp(joined.stamp, stamp)) {
    try {
      const value = (await joined.value) as T;
      if (fresh(value)) return value;
    } catch {
      // Its error belongs to the request that ran it: this one loads on its own.
    }
    return load();
  }
  const value = load();
  const flight = { stamp, value };
  if (stamp) flights.set(name, flight);
  try {
    const v = await value;
    if (fresh(v)) cache.store(stamp, key, { value: v }, units);
    return v;
  } finally {
    if (flights.get(name) === flight) flights.delete(name);
  }
}

/** The loads running now, per cache, by tenant and key (`cachedReadWhile`). */
const inFlight = new WeakMap<ReadCache, Map<string, { stamp: Stamp | null; value: Promise<unknown> }>>();

const sameStamp = (a: Stamp | null, b: Stamp) =>
  a !== null && a.tenantId === b.tenantId && a.generation === b.generation && a.epoch === b.epoch;
