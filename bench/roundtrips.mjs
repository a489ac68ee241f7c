// Preloaded into the benchmarked server (`node --import`): counts the round trips to PostgreSQL
// (calls of pg.Client#query: one message each, whatever the number of statements in it) and writes
// the running total to $BENCH_RT_FILE five times a second. The background pollers (outbox, audit
// sealer) are counted too: a few dozen per run.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const file = process.env.BENCH_RT_FILE;
if (file) {
  const pg = createRequire(`${process.cwd()}/package.json`)('pg');
  let n = 0;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (...args) {
    n++;
    return query.apply(this, args);
  };
  setInterval(() => writeFileSync(file, String(n)), 200).unref();
}
