// Prints a PostgreSQL URL for the integration tests when a server answers on 127.0.0.1, else nothing.
// Used by .ci/run: the tests then run on PGlite and on that server.
import pg from 'pg';

const candidates = [
  process.env.TEST_DATABASE_URL,
  'postgres://postgres@127.0.0.1:5432/postgres',
  `postgres://${process.env.USER ?? 'root'}@127.0.0.1:5432/postgres`,
].filter(Boolean);

for (const url of candidates) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    // The tests create and drop a database per file, and roles: the user must be allowed to.
    const { rows } = await client.query(
      'select rolsuper or rolcreatedb as ok from pg_roles where rolname = current_user',
    );
    await client.end();
    if (rows[0]?.ok) {
      process.stdout.write(url);
      process.exit(0);
    }
  } catch {
    await client.end().catch(() => {});
  }
}
