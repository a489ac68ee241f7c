import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { notFoundHandler } from './errors.ts';
import type { App } from './server.ts';

/**
 * Serves the built web app (web/dist, `npm run web:build`) from the API process, under `/`:
 *
 * * `/assets/*` — Vite's content-hashed files: cached for a year, immutable.
 * * any other GET that a browser navigates to (Accept: text/html), outside `/api/` — index.html, so
 *   that the app's own router shows the page (SPA fallback); never cached, and sent with a
 *   per-response nonce for the few `<style>` elements Mantine writes (theme variables), so the
 *   Content-Security-Policy needs no 'unsafe-inline', for scripts or styles (docs/web.md).
 * * everything else keeps the API's answers: an unknown path is still a 404 problem.
 *
 * Files are read once at start-up (a few hundred kB) and kept gzipped as well.
 */

interface StaticFile {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};
const COMPRESSIBLE = /^(text\/|application\/(json|manifest)|image\/svg)/;

/** The policy of the app's HTML: only the app's own scripts, styles and API; styles with this nonce. */
export function webContentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function load(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (sub: string) => {
    for (const name of readdirSync(path.join(dir, sub))) {
      const rel = path.posix.join(sub, name);
      const full = path.join(dir, rel);
      if (statSync(full).isDirectory()) walk(rel);
      else {
        const type = TYPES[path.extname(name)] ?? 'application/octet-stream';
        const body = readFileSync(full);
        const gzip = COMPRESSIBLE.test(type) && body.length > 1024 ? gzipSync(body) : null;
        files.set(`/${rel}`, { body, gzip, type });
      }
    }
  };
  walk('');
  return files;
}

function send(req: FastifyRequest, reply: FastifyReply, file: StaticFile, cache: string) {
  reply.header('content-type', file.type).header('cache-control', cache).header('vary', 'accept-encoding');
  const accepts = String(req.headers['accept-encoding'] ?? '');
  if (file.gzip && /\bgzip\b/.test(accepts)) {
    reply.header('content-encoding', 'gzip');
    return reply.send(file.gzip);
  }
  return reply.send(file.body);
}

/** True when the built app is there to serve. */
export function webAppBuilt(distDir: string): boolean {
  return existsSync(path.join(distDir, 'index.html'));
}

export function registerWebApp(app: App, distDir: string): void {
  const files = load(distDir);
  const index = files.get('/index.html')!.body.toString('utf8');
  const route = { schema: { hide: true, 'x-permission': 'public' } } as const;

  const sendIndex = (reply: FastifyReply) => {
    const nonce = randomBytes(16).toString('base64');
    const html = index.replace('<head>', `<head>\n    <meta name="csp-nonce" content="${nonce}" />`);
    return reply
      .header('content-security-policy', webContentSecurityPolicy(nonce))
      .header('cache-control', 'no-cache, no-store, must-revalidate')
      .type('text/html; charset=utf-8')
      .send(html);
  };

  app.get('/assets/*', route, async (req, reply) => {
    const file = files.get(req.url.split('?')[0]!);
    if (!file) return notFoundHandler(req, reply);
    return send(req, reply, file, 'public, max-age=31536000, immutable');
  });
  app.get('/*', route, async (req, reply) => {
    const pathname = req.url.split('?')[0]!;
    if (pathname === '/index.html') return sendIndex(reply);
    const file = files.get(pathname);
    if (file) return send(req, reply, file, 'public, max-age=3600');
    const wantsHtml = String(req.headers.accept ?? '').includes('text/html');
    if (pathname.startsWith('/api/') || !wantsHtml) return notFoundHandler(req, reply);
    return sendIndex(reply);
  });
  app.get('/', route, async (_req, reply) => sendIndex(reply));
}
