import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '../config/config.ts';
import { ephemeralSecretBox, type SecretBox } from '../crypto/secrets.ts';
import type { Database } from '../db/database.ts';
import type { WorkerLogger } from '../jobs/polling-worker.ts';
import { MailSender } from '../mail/sender.ts';
import { mfaRoutes } from './mfa-routes.ts';
import { IDENTITY_PERMISSIONS, identityRoutes } from './routes.ts';
import { createThrottle } from './throttle.ts';

export { IDENTITY_PERMISSIONS };

/**
 * Identity wiring for the application: password login, sessions, users, invitations and reset
 * routes, the login throttle (Redis when REDIS_URL is set) and the mail sender.
 */
export function createIdentity(
  db: Database,
  config: Config,
  logger?: WorkerLogger,
  /** Seals TOTP secrets; without one (tools), a process-lifetime key. */
  secrets: SecretBox = ephemeralSecretBox(),
) {
  const throttle = createThrottle(config.redisUrl, undefined, `${config.redisKeyPrefix}throttle:`);
  const mailer = new MailSender(db, {
    smtpUrl: config.smtpUrl,
    from: config.mailFrom,
    pollMs: config.outboxPollMs,
    ...(logger ? { logger } : {}),
  });
  return {
    permissions: IDENTITY_PERMISSIONS,
    // One plugin context: the MFA routes share the identity schemas and the request decoration.
    routes: (async (app, opts) => {
      await identityRoutes({ db, config, throttle })(app, opts);
      await mfaRoutes({ db, config, throttle, secrets })(app, opts);
    }) as FastifyPluginAsyncTypebox,
    throttle,
    mailer,
    async stop() {
      await mailer.stop();
      await throttle.close();
    },
  };
}
