/**
 * A parked authorization request: what a waiting visitor's `/oidc/auth` asked for, sealed into
 * the URL of the waiting page instead of stored. Nothing of it is kept on the server while the
 * visitor waits; the provider sees the request only once the visitor is admitted (`park.ts`).
 *
 *   token = base64url( version(1) ‖ key id(4) ‖ iv(12) ‖ AES-256-GCM(payload) ‖ tag(16) )
 *   payload = JSON { c: client_id, q: the original query, b: browser binding, t: issued at }
 *
 * Encrypted, not only signed: `state`, `nonce`, the PKCE challenge and an `enqueue_token` would
 * otherwise be readable from any log or history that records the page's URL. The binding is an
 * HMAC of the visitor cookie's id: the same URL opened by another browser is refused. The AES
 * keys are derived from the cookie keys (`oidc.cookieKeys`, or the ones derived from the RS256
 * keys), a key of their own per cookie key: the first seals, every one opens, so a rotation
 * keeps parked requests until the old key leaves the list.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

const VERSION = 1;
const KID_BYTES = 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BINDING_BYTES = 12;
const HEADER = 1 + KID_BYTES + IV_BYTES;
const AAD = Buffer.from('anteroom-parked-request-v1');

/** Parked tokens are longer than any provider interaction uid (at most 64 characters). */
export const PARKED_TOKEN = /^[A-Za-z0-9_-]{65,16384}$/;

export interface ParkedRequest {
  clientId: string;
  /** The authorization request's query string, as the relying party sent it. */
  query: string;
  /** Epoch seconds. */
  issuedAt: number;
}

export type Unparked =
  | { kind: 'ok'; request: ParkedRequest }
  /** Not a token of ours, or changed since it was sealed. */
  | { kind: 'edited' }
  /** Sealed with a key no longer in the list (rotated out). */
  | { kind: 'unknown_key' }
  /** Sealed for another browser (another visitor cookie). */
  | { kind: 'other_browser' }
  /** Older than the longest wait inside one authorization request. */
  | { kind: 'expired' };

interface SealKey {
  kid: Buffer;
  aes: Buffer;
  bind: Buffer;
}

export interface ParkedRequestSealer {
  seal(request: ParkedRequest, visitorId: string): string;
  open(token: string, visitorId: string | null, now: number): Unparked;
  /**
   * A ticket saying "this browser was admitted as it viewed the waiting page of `token`", valid
   * until `until` (epoch seconds): the hand-over that follows need not read the admission again.
   */
  admittedTicket(token: string, visitorId: string, until: number): string;
  /** True when `ticket` is such a ticket for this token and browser, still valid at `now`. */
  admittedBy(ticket: string | null, token: string, visitorId: string, now: number): boolean;
  /** A value naming this browser's place (request id) in one event, signed. */
  placeValue(eventId: string, visitorId: string, requestId: string): string;
  /** The request id of a `placeValue` for this event and browser, or undefined. */
  placeOf(value: string | null, eventId: string, visitorId: string): string | undefined;
}

/** `keys`: the cookie keys, the one that signs first. `ttlSeconds`: how long a parked request lasts. */
export function parkedRequestSealer(keys: readonly string[], ttlSeconds: number): ParkedRequestSealer {
  const derived: SealKey[] = keys.map((key) => {
    const aes = createHmac('sha256', key).update('anteroom-parked-request-aes-v1').digest();
    const bind = createHmac('sha256', key).update('anteroom-parked-request-bind-v1').digest();
    return { kid: createHash('sha256').update(aes).digest().subarray(0, KID_BYTES), aes, bind };
  });
  const binding = (key: SealKey, visitorId: string) =>
    createHmac('sha256', key.bind).update(visitorId).digest().subarray(0, BINDING_BYTES);
  const ticketMac = (token: string, visitorId: string, until: number) =>
    createHmac('sha256', (derived[0] as SealKey).bind)
      .update(`admitted\n${until}\n${visitorId}\n${token}`)
      .digest()
      .subarray(0, 16);
  const placeMac = (eventId: string, visitorId: string, requestId: string) =>
    createHmac('sha256', (derived[0] as SealKey).bind)
      .update(`place\n${eventId}\n${visitorId}\n${requestId}`)
      .digest()
      .subarray(0, 16);
  return {
    placeValue(eventId, visitorId, requestId) {
      return `${requestId}.${placeMac(eventId, visitorId, requestId).toString('base64url')}`;
    },
    placeOf(value, eventId, visitorId) {
      const match = value === null ? null : /^([A-Za-z0-9-]{1,64})\.([A-Za-z0-9_-]{22})$/.exec(value);
      if (match === null) return undefined;
      const requestId = match[1] as string;
      const given = Buffer.from(match[2] as string, 'base64url');
      const expected = placeMac(eventId, visitorId, requestId);
      return given.length === expected.length && timingSafeEqual(given, expected) ? requestId : undefined;
    },
    admittedTicket(token, visitorId, until) {
      return `${until}.${ticketMac(token, visitorId, until).toString('base64url')}`;
    },
    admittedBy(ticket, token, visitorId, now) {
      const match = ticket === null ? null : /^(\d{1,12})\.([A-Za-z0-9_-]{22})$/.exec(ticket);
      if (match === null) return false;
      const until = Number(match[1]);
      if (now >= until) return false;
      const given = Buffer.from(match[2] as string, 'base64url');
      const expected = ticketMac(token, visitorId, until);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
    seal(request, visitorId) {
      const key = derived[0] as SealKey;
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key.aes, iv);
      cipher.setAAD(AAD);
      const payload = JSON.stringify({
        c: request.clientId,
        q: request.query,
        b: binding(key, visitorId).toString('base64url'),
        t: request.issuedAt,
      });
      const sealed = Buffer.concat([
        Buffer.from([VERSION]),
        key.kid,
        iv,
        cipher.update(payload, 'utf8'),
        cipher.final(),
        cipher.getAuthTag(),
      ]);
      return sealed.toString('base64url');
    },
    open(token, visitorId, now) {
      if (!PARKED_TOKEN.test(token)) return { kind: 'edited' };
      const raw = Buffer.from(token, 'base64url');
      if (raw.length <= HEADER + TAG_BYTES || raw[0] !== VERSION) return { kind: 'edited' };
      const kid = raw.subarray(1, 1 + KID_BYTES);
      const key = derived.find((candidate) => candidate.kid.equals(kid));
      if (key === undefined) return { kind: 'unknown_key' };
      let payload: { c?: unknown; q?: unknown; b?: unknown; t?: unknown };
      try {
        const decipher = createDecipheriv('aes-256-gcm', key.aes, raw.subarray(1 + KID_BYTES, HEADER));
        decipher.setAAD(AAD);
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        const plain = Buffer.concat([
          decipher.update(raw.subarray(HEADER, raw.length - TAG_BYTES)),
          decipher.final(),
        ]);
        payload = JSON.parse(plain.toString('utf8'));
      } catch {
        return { kind: 'edited' };
      }
      const { c, q, b, t } = payload;
      if (typeof c !== 'string' || typeof q !== 'string' || typeof b !== 'string' || typeof t !== 'number') {
        return { kind: 'edited' };
      }
      const expected = visitorId === null ? null : binding(key, visitorId);
      const given = Buffer.from(b, 'base64url');
      if (expected === null || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return { kind: 'other_browser' };
      }
      if (now >= t + ttlSeconds || t > now + 300) return { kind: 'expired' };
      return { kind: 'ok', request: { clientId: c, query: q, issuedAt: t } };
    },
  };
}
