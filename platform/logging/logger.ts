import type { Writable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { type LoggerOptions, pino } from 'pino';

/**
 * Fields that never reach a log line: credentials, secrets and personal data. pino replaces them
 * with "[redacted]" wherever a log call passes them (nested one or two levels deep).
 */
export const REDACTED_KEYS = [
  'password',
  'newPassword',
  'new_password',
  'currentPassword',
  'current_password',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'secret',
  'client_secret',
  'apiKey',
  'api_key',
  'authorization',
  'cookie',
  'set-cookie',
  'email',
  'phone',
  'iban',
  'totp',
  'code',
  'recovery_code',
  'display_name',
  'first_name',
  'last_name',
  'secret_access_key',
  'private_key',
  'client_assertion',
];

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...REDACTED_KEYS,
  ...REDACTED_KEYS.map((k) => `*.${k}`),
  ...REDACTED_KEYS.map((k) => `*.*.${k}`),
];

/**
 * Errors without the data they carry: a failed query's parameters (Drizzle puts them in `params`,
 * and in `message` and `stack` as a `params: …` line) are request data — e-mails, names, secrets.
 */
function serializeError(err: Error): Record<string, unknown> {
  const out = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  const scrub = (text: unknown) =>
    typeof text === 'string' ? text.replace(/^params: .*$/gm, 'params: [redacted]') : text;
  delete out.params;
  delete out.detail; // PostgreSQL's detail quotes the offending values ("Key (email)=(…)")
  out.message = scrub(out.message);
  out.stack = scrub(out.stack);
  return out;
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'comptoir' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: {
      err: serializeError,
      // Method and route only: query strings may carry personal data (searches, e-mails).
      req: (req: FastifyRequest) => ({
        method: req.method,
        url: req.url.split('?')[0],
        route: req.routeOptions?.url,
        remoteAddress: req.ip,
      }),
    },
  };
}

export function createLogger(level: string, stream?: Writable) {
  return stream ? pino(loggerOptions(level), stream) : pino(loggerOptions(level));
}
