/**
 * A local HTTP server that answers as the captcha providers' siteverify endpoints do. The real
 * providers (Cloudflare Turnstile, hCaptcha, Google reCAPTCHA) are out of reach here (no
 * internet), so this stands in for them, with their documented behaviour: a form POST of
 * `secret`, `response` and optionally `remoteip` (and `sitekey` for hCaptcha); the answer
 * `{"success": true|false, "error-codes": [...]}`; a token is good once (a second use answers
 * `timeout-or-duplicate`), and a wrong secret `invalid-input-secret`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SiteverifyCall {
  secret: string | null;
  response: string | null;
  remoteip: string | null;
  sitekey: string | null;
}

export interface FakeSiteverify {
  url: string;
  /** Every call received, oldest first. */
  calls: SiteverifyCall[];
  /** Make `token` good (once). */
  grant(token: string): void;
  close(): Promise<void>;
}

export async function startSiteverify(secret: string): Promise<FakeSiteverify> {
  const granted = new Set<string>();
  const calls: SiteverifyCall[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const call: SiteverifyCall = {
        secret: form.get('secret'),
        response: form.get('response'),
        remoteip: form.get('remoteip'),
        sitekey: form.get('sitekey'),
      };
      calls.push(call);
      let answer: { success: boolean; 'error-codes': string[] };
      if (req.method !== 'POST' || !/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) {
        answer = { success: false, 'error-codes': ['bad-request'] };
      } else if (call.secret !== secret) {
        answer = { success: false, 'error-codes': ['invalid-input-secret'] };
      } else if (call.response === null || !granted.has(call.response)) {
        answer = { success: false, 'error-codes': ['timeout-or-duplicate'] };
      } else {
        granted.delete(call.response);
        answer = { success: true, 'error-codes': [] };
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/siteverify`,
    calls,
    grant: (token) => granted.add(token),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
