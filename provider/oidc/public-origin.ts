/**
 * The provider sees every request as addressed to `publicUrl`. oidc-provider builds the URLs of
 * discovery, redirects and the resume step from the request's scheme and host, and marks its
 * cookies `Secure` only on a request it sees as https: behind a proxy that ends TLS (and without
 * `trustProxy`) its session and interaction cookies went out without `Secure`, and any `Host`
 * header chose the URLs discovery advertised. Here the scheme and host come from `publicUrl`
 * (sent to the provider, which trusts them, as `X-Forwarded-Proto` and `-Host`), never from the
 * client, and its client address is the one the outer app resolved.
 */
import type { IncomingMessage } from 'node:http';

const PINNED = ['x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-for'] as const;

/** Runs `fn` with `req` seen as a request to `publicUrl` from `clientAddress`; the headers are restored after. */
export function asPublicOrigin<T>(
  req: IncomingMessage,
  publicUrl: URL,
  clientAddress: string,
  fn: () => T,
): T {
  const saved = PINNED.map((name) => req.headers[name]);
  req.headers['x-forwarded-proto'] = publicUrl.protocol.slice(0, -1);
  req.headers['x-forwarded-host'] = publicUrl.host;
  req.headers['x-forwarded-for'] = clientAddress || '0.0.0.0';
  const restore = () => {
    for (const [index, name] of PINNED.entries()) {
      const value = saved[index];
      if (value === undefined) delete req.headers[name];
      else req.headers[name] = value as string;
    }
  };
  let result: T;
  try {
    result = fn();
  } catch (error) {
    restore();
    throw error;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}
