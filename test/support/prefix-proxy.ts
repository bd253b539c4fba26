/**
 * A reverse proxy mounting an upstream server under a path prefix, as an nginx `location /queue/`
 * with `proxy_pass http://upstream/` does: it strips the prefix, refuses (404) anything outside
 * it and counts those refusals, and with `forwardedPrefix` tells the upstream the prefix in
 * `X-Forwarded-Prefix`.
 */
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';

export interface PrefixProxy {
  /** `http://127.0.0.1:<port><prefix>` */
  base: string;
  server: Server;
  /** Requests refused because their path was outside the prefix. */
  outside: string[];
  close(): Promise<void>;
}

export async function startPrefixProxy(
  prefix: string,
  upstreamPort: number,
  options: { forwardedPrefix?: boolean } = {},
): Promise<PrefixProxy> {
  const outside: string[] = [];
  const server = createServer((req, res) => {
    if (!req.url?.startsWith(`${prefix}/`)) {
      outside.push(req.url ?? '');
      res.writeHead(404).end();
      return;
    }
    const headers = { ...req.headers };
    if (options.forwardedPrefix) headers['x-forwarded-prefix'] = prefix;
    const upstream = request(
      {
        host: '127.0.0.1',
        port: upstreamPort,
        path: req.url.slice(prefix.length),
        method: req.method,
        headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as { port: number };
  return {
    base: `http://127.0.0.1:${address.port}${prefix}`,
    server,
    outside,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
