/**
 * The sample site's cookies: a JSON payload and its HMAC-SHA256, both base64url, so the browser
 * carries the state but cannot change it. The key is generated when the site is built, so the
 * cookies of one process mean nothing to another (the sample site is a one-process demo).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Sealer {
  /** `purpose` is part of what is signed: a flow cookie never passes as a session. */
  seal(purpose: string, payload: object, ttlSeconds: number): string;
  /** The payload, or null when the value is missing, altered, for another purpose or expired. */
  open(purpose: string, value: string | null): Record<string, unknown> | null;
}

export function createSealer(now: () => number = () => Math.floor(Date.now() / 1000)): Sealer {
  const key = randomBytes(32);
  const mac = (purpose: string, body: string) =>
    createHmac('sha256', key).update(`${purpose}.${body}`).digest();
  return {
    seal(purpose, payload, ttlSeconds) {
      const body = Buffer.from(JSON.stringify({ ...payload, exp: now() + ttlSeconds })).toString('base64url');
      return `${body}.${mac(purpose, body).toString('base64url')}`;
    },
    open(purpose, value) {
      if (value === null) return null;
      const [body = '', signature = '', ...rest] = value.split('.');
      if (rest.length > 0) return null;
      const expected = mac(purpose, body);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      let payload: unknown;
      try {
        payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
      } catch {
        return null;
      }
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return null;
      const record = payload as Record<string, unknown>;
      return typeof record.exp === 'number' && record.exp > now() ? record : null;
    },
  };
}

/** One cookie's value from a `Cookie` header, or null. */
export function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure over https, scoped to `path`; maxAge 0 deletes. */
export function cookieHeader(
  name: string,
  value: string,
  options: { path: string; maxAge: number; secure: boolean },
): string {
  const secure = options.secure ? '; Secure' : '';
  return `${name}=${value}; Path=${options.path}; Max-Age=${options.maxAge}; HttpOnly; SameSite=Lax${secure}`;
}
