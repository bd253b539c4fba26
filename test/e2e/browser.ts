/**
 * A minimal browser for relying-party tests: top-level navigations (GET) over node:http with
 * a browser's fetch metadata, a cookie jar, and no automatic redirects.
 *
 * Not fetch(): undici always sends `Sec-Fetch-Mode: cors`, and relying parties such as
 * mod_auth_openidc answer such requests 401 instead of redirecting them to the provider.
 */
import { request } from 'node:http';

export interface Page {
  url: URL;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The redirect target, resolved against `url`, or null. */
  location: URL | null;
  body: string;
  header(name: string): string | null;
}

interface Cookie {
  host: string;
  path: string;
  name: string;
  value: string;
}

const NAVIGATION = {
  Accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
  'Sec-Fetch-Mode': 'navigate',
  'Sec-Fetch-Dest': 'document',
  'Sec-Fetch-Site': 'none',
  'User-Agent': 'anteroom-e2e/1 (like a browser)',
};

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  return requestPath.startsWith(cookiePath.endsWith('/') ? cookiePath : `${cookiePath}/`);
}

export class NavigatingBrowser {
  /** Keyed by host (no port: browsers share cookies across ports), path and name. */
  readonly cookies = new Map<string, Cookie>();

  cookieHeader(url: URL): string {
    return [...this.cookies.values()]
      .filter((cookie) => cookie.host === url.hostname && pathMatches(url.pathname, cookie.path))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  store(url: URL, setCookie: string[]): void {
    for (const line of setCookie) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = false;
      for (const attribute of attributes) {
        const [key = '', val = ''] = attribute.split('=');
        const lowered = key.toLowerCase();
        if (lowered === 'path') path = val;
        if (lowered === 'max-age' && Number(val) <= 0) expired = true;
        if (lowered === 'expires' && Date.parse(val) < Date.now()) expired = true;
      }
      const key = `${url.hostname};${path};${name}`;
      if (expired || value === '') this.cookies.delete(key);
      else this.cookies.set(key, { host: url.hostname, path, name, value });
    }
  }

  /** One GET navigation; redirects are returned, not followed. */
  navigate(target: string | URL): Promise<Page> {
    const url = new URL(target);
    const headers: Record<string, string> = { ...NAVIGATION };
    const cookie = this.cookieHeader(url);
    if (cookie !== '') headers.Cookie = cookie;
    return new Promise((resolve, reject) => {
      // A connection per navigation, like the server under test expects (it keeps none alive).
      const req = request(url, { method: 'GET', headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          this.store(url, res.headers['set-cookie'] ?? []);
          const location = res.headers.location;
          resolve({
            url,
            status: res.statusCode ?? 0,
            headers: res.headers,
            location: location === undefined ? null : new URL(location, url),
            body: Buffer.concat(chunks).toString('utf8'),
            header(name) {
              const value = res.headers[name.toLowerCase()];
              return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
            },
          });
        });
      });
      req.on('error', reject);
      req.end();
    });
  }
}
