import { performance } from 'node:perf_hooks';
import { loadAuditKeys } from '../platform/audit/keys.ts';
import { ConfigError, loadConfig } from '../platform/config/config.ts';
import { onSignals } from '../platform/http/lifecycle.ts';

/** `npm start`: migrate, seed the demo tenant on an empty database, serve, print where and how to log in. */
async function main(): Promise<void> {
  const t0 = performance.now();
  const config = loadConfig();
  // Key files are configuration too: a bad one stops the start before the database is touched.
  const auditKeys = loadAuditKeys(config);
  // The application is loaded only once the configuration is known good: a bad value fails in a blink.
  const [{ buildApp, mediaStore }, { migrateConfigured, openConfiguredDatabase }, seed, web] =
    await Promise.all([
      import('./app.ts'),
      import('./bootstrap.ts'),
      import('./seed.ts'),
      import('./web-build.ts'),
    ]);
  // The web app is built (when its sources changed) while the database migrates and seeds; a
  // production deployment ships web/dist built beforehand (docs/web.md).
  const production = config.nodeEnv === 'production';
  const webBuild = production ? Promise.resolve(null) : web.ensureWebBuild().catch((err: Error) => err);
  const { demoCredentialsPath, isEmpty, readDemoCredentials, seedDemo } = seed;
  const db = await openConfiguredDatabase(config);
  const applied = await migrateConfigured(config, db);
  if (config.seedDemo && (await isEmpty(db))) {
    // The demo storefronts' logos go to the media store the app serves them from.
    const objects = mediaStore(config);
    await seedDemo(db, config.dataDir, objects);
    objects.close?.();
  }
  // Whatever build is in web/dist is served, even when web/ changed while it was being built.
  const outcome = await webBuild;
  const { serve: serveWeb, message: webMessage } = web.webServingDecision({
    production,
    outcome,
    dist: web.webDistState(),
    sourceHash: production ? null : web.webSourceHash(),
  });
  if (webMessage) process.stderr.write(`${webMessage}\n`);
  const webDist = web.WEB_DIST;
  const comptoir = await buildApp({ config, db, auditKeys, ...(serveWeb ? { webDist } : {}) });
  comptoir.startWorkers();
  await comptoir.app.listen({ port: config.port, host: config.host });
  onSignals(() => comptoir.stop());

  const address = comptoir.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const base = config.publicUrl.replace(`:${config.port}`, `:${port}`);
  const lines = [
    '',
    `Comptoir is ready in ${Math.round(performance.now() - t0)} ms (${db.driver === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL'}${applied.length ? `, applied ${applied.length} migration(s)` : ', no pending migrations'}).`,
    ...(serveWeb ? [`  Web app        ${base}/  (console: ${base}/console)`] : []),
    `  API            ${base}/api/v1`,
    `  API reference  ${base}/docs`,
    `  OpenAPI        ${base}/openapi.json`,
    `  Health         ${base}/healthz  ${base}/readyz`,
  ];
  const demo = config.seedDemo ? readDemoCredentials(config.dataDir) : null;
  if (demo) {
    lines.push(
      '',
      `Demo logins (generated for this installation; also in ${demoCredentialsPath(config.dataDir)}):`,
    );
    const roleWidth = Math.max(...demo.logins.map((l) => l.role.length));
    for (const l of demo.logins)
      lines.push(`  ${l.tenant.padEnd(9)} ${l.role.padEnd(roleWidth)}  ${l.email}  ${l.password}`);
    if (serveWeb) {
      // The demo's hosts (src/seed.ts): *.localhost reaches this machine in every current browser.
      const on = (host: string, p: string) => `${base.replace(/\/\/[^/:]+/, `//${host}`)}${p}`.padEnd(40);
      lines.push(
        '',
        'Explore the demo in a browser (French or English: the FR/EN switch at the top of every page):',
        `  Staff console     ${on('localhost', '/console')} an acme staff login above (the owner sees every screen)`,
        `  Acme's shop       ${on('acme.localhost', '/')} the acme buyer login above`,
        `  Distrib Pro shop  ${on('distrib.localhost', '/')} the same buyer (a distributor's white-label shop)`,
        `  Bricoles console  ${on('bricoles.localhost', '/console')} the bricoles owner login (another tenant)`,
      );
    }
    lines.push('', 'Demo API tokens (Authorization: Bearer …):');
    for (const t of demo.apiTokens) lines.push(`  ${t.tenant.padEnd(9)} ${t.token}`);
    lines.push(
      '',
      `Try: curl -H "Authorization: Bearer ${demo.apiTokens[0]?.token}" ${base}/api/v1/accounts`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  process.stderr.write(`Comptoir failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
