import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ROOT_DIR } from '../paths.js';

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ico': 'image/x-icon', '.map': 'application/json',
};

interface Asset { body: Buffer; type: string; etag: string }

/** CSS without the @font-face rules that load fonts from another origin. */
export function withoutRemoteFonts(css: string): string {
  return css.replace(/@font-face\{[^}]*url\(https?:[^}]*\}/g, '');
}

/** The files under /assets: nhsuk-frontend's compiled CSS, JS and images, and the app's own two files. Read once, at start. */
export function assetTable(): Map<string, Asset> {
  const nhs = join(ROOT_DIR, 'node_modules', 'nhsuk-frontend', 'dist', 'nhsuk');
  const own = join(ROOT_DIR, 'src', 'web', 'assets');
  const files: [string, string][] = [
    ['/assets/nhsuk-frontend.min.css', join(nhs, 'nhsuk-frontend.min.css')],
    ['/assets/nhsuk-frontend.min.js', join(nhs, 'nhsuk-frontend.min.js')],
    ['/assets/onestory.css', join(own, 'onestory.css')],
    ['/assets/onestory.js', join(own, 'onestory.js')],
    ...readdirSync(join(nhs, 'assets', 'images')).map((f): [string, string] => [`/assets/images/${f}`, join(nhs, 'assets', 'images', f)]),
  ];
  const table = new Map<string, Asset>();
  for (const [url, file] of files) {
    let body = readFileSync(file);
    // nhsuk-frontend's CSS loads the Frutiger web fonts from assets.nhs.uk, which the pages' CSP
    // (default-src 'self') refuses, with a console error per font on every page. The fonts are
    // licensed for NHS.UK, not ours to serve: drop the @font-face rules, and the stack falls back to Arial.
    if (url === '/assets/nhsuk-frontend.min.css') body = Buffer.from(withoutRemoteFonts(body.toString('utf8')));
    table.set(url, { body, type: TYPES[extname(file)] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return table;
}

/**
 * GET /assets/*: only the files in the table (no path from the request ever reaches the file
 * system), cached by browsers for an hour and revalidated by ETag. Static files touch no record or
 * identity, so they leave no AuditEvent.
 */
export async function staticRoutes(app: FastifyInstance): Promise<void> {
  const table = assetTable();
  app.get('/favicon.ico', { config: { audit: false } }, async (_req, reply) => reply.code(301).header('location', '/assets/images/favicon.ico').send());
  app.get('/assets/*', { config: { audit: false } }, async (req, reply) => {
    const asset = table.get(req.url.split('?')[0]);
    if (!asset) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
    reply.header('cache-control', 'public, max-age=3600').header('etag', asset.etag).header('x-content-type-options', 'nosniff');
    if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  });
}
