/**
 * Static assets of the pages (`provider/pages/assets/`), read once at start-up and served
 * from memory with an ETag, so a reload costs a 304 and no disk read.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type Koa from 'koa';
import { setSecurityHeaders } from './headers.ts';

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function asset(name: string, body: Buffer): Asset {
  const extension = name.slice(name.lastIndexOf('.') + 1);
  const type = TYPES[extension];
  if (type === undefined) throw new Error(`no content type for asset ${name}`);
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, type, etag };
}

/**
 * Serve `GET|HEAD /assets/<name>` for exactly the listed files, and the `generated` ones (name →
 * content, made at start-up from the configuration); anything else passes on.
 */
export function serveAssets(
  names: readonly string[],
  generated: Readonly<Record<string, string>> = {},
): Koa.Middleware {
  const assets = new Map([
    ...names.map((name): [string, Asset] => [
      `/assets/${name}`,
      asset(name, readFileSync(new URL(`./assets/${name}`, import.meta.url))),
    ]),
    ...Object.entries(generated).map(([name, text]): [string, Asset] => [
      `/assets/${name}`,
      asset(name, Buffer.from(text)),
    ]),
  ]);
  return async function serveAsset(ctx, next) {
    const asset = ctx.method === 'GET' || ctx.method === 'HEAD' ? assets.get(ctx.path) : undefined;
    if (asset === undefined) return next();
    setSecurityHeaders(ctx);
    // Short freshness: names are not content-hashed, so an upgrade must reach browsers soon.
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.set('ETag', asset.etag);
    if (ctx.get('If-None-Match') === asset.etag) {
      ctx.status = 304;
      return;
    }
    ctx.status = 200;
    ctx.type = asset.type;
    ctx.body = asset.body;
  };
}
