/**
 * Sealed cookie values: a JSON payload with an expiry, encrypted and authenticated with
 * AES-256-GCM, so the browser carries the state but can neither read nor change it.
 *
 * The key is derived (HKDF-SHA256) from a secret. What is sealed is bound to a `purpose` (a flow
 * never opens as a session) and to a `context` (the issuer and client of one deployment: a
 * cookie of another site sharing the secret opens as nothing). Used by the site gate and by the
 * sample site.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export interface Sealer {
  /** A cookie-safe string (base64url) carrying `payload` until `ttlSeconds` from now. */
  seal(purpose: string, payload: object, ttlSeconds: number): string;
  /** The payload, or null when the value is missing, altered, sealed elsewhere, for another purpose or expired. */
  open(purpose: string, value: string | null | undefined): Record<string, unknown> | null;
}

export interface SealerOptions {
  /** Key material: the gate's `cookieSecret`; random bytes for a one-process site. */
  secret: string | Uint8Array;
  /** Binds every sealed value to one deployment (e.g. issuer and client id). */
  context?: string;
  /** Epoch seconds. */
  now?: () => number;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Far above any cookie (4 KB): longer input is refused before any work. */
const MAX_SEALED_LENGTH = 8192;

export function createSealer(options: SealerOptions): Sealer {
  const key = Buffer.from(hkdfSync('sha256', options.secret, 'anteroom/sealed-cookie', 'aes-256-gcm', 32));
  const context = options.context ?? '';
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const additionalData = (purpose: string) => Buffer.from(`${context}\u0000${purpose}`);

  return {
    seal(purpose, payload, ttlSeconds) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(additionalData(purpose));
      const plain = Buffer.from(JSON.stringify({ ...payload, exp: now() + Math.floor(ttlSeconds) }));
      return Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]).toString(
        'base64url',
      );
    },
    open(purpose, value) {
      if (typeof value !== 'string' || value.length > MAX_SEALED_LENGTH) return null;
      const bytes = Buffer.from(value, 'base64url');
      if (bytes.length <= IV_BYTES + TAG_BYTES) return null;
      let plain: Buffer;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
        decipher.setAAD(additionalData(purpose));
        decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
        plain = Buffer.concat([
          decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
          decipher.final(),
        ]);
      } catch {
        return null;
      }
      let payload: unknown;
      try {
        payload = JSON.parse(plain.toString('utf8'));
      } catch {
        return null;
      }
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return null;
      const record = payload as Record<string, unknown>;
      return typeof record['exp'] === 'number' && record['exp'] > now() ? record : null;
    },
  };
}
