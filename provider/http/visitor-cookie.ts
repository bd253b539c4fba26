/**
 * The visitor cookie's value, issued and signed by the server: `<visitor id>.<mac>`, where the
 * visitor id is 128 random bits (32 hex digits) and the mac its 128-bit tag (base64url) under a
 * key derived from a cookie key (`queue-core/block-mac.ts`: every new visitor's enqueue signs
 * one). A value the server did not sign (made up, edited, unsigned from an older version,
 * signed by a key that left the ring) counts as no cookie: the visitor gets a new one. So a
 * client cannot pick another visitor's id and be handed that visitor's place.
 *
 * The tag keys are derived from the provider's cookie keys (`oidc.cookieKeys`, else derived from
 * the ring's RS256 keys, which every instance shares): no second secret to distribute. The key
 * that signs OIDC cookies signs visitor cookies; every cookie key verifies, so a rotation keeps
 * the visitors' cookies until the old key leaves the ring. Recomputed when the ring's OIDC keys
 * change (a reload or a rotation seen by this process).
 */
import { randomFillSync, timingSafeEqual } from 'node:crypto';
import { BLOCK_BYTES, BlockMac, blockKey } from '../../queue-core/block-mac.ts';
import { OIDC_ALGORITHM } from '../../queue-core/signing-keys/document.ts';
import type { KeyRing } from '../../queue-core/signing-keys/key-ring.ts';
import type { AnteroomConfig } from '../config/server-config.ts';
import { resolveCookieKeys } from '../oidc/cookie-keys.ts';

const VISITOR_ID = /^[0-9a-f]{32}$/;
const MAC = /^[A-Za-z0-9_-]{22}$/;
/** New visitor ids signed together (`issue`). */
const SIGNED_BATCH = 64;

export interface VisitorCookieSigner {
  /** A new visitor id and the cookie value carrying it. */
  issue(): { id: string; value: string };
  /** The visitor id a cookie value carries, or null when the server did not sign it. */
  verify(value: string | null | undefined): string | null;
}

/** Signs with `keys[0]`, verifies with any of `keys` (each at least 32 characters). */
export function visitorCookieSigner(keys: () => readonly string[]): VisitorCookieSigner {
  let source: readonly string[] | null = null;
  let macs: BlockMac[] = [];
  const current = (): BlockMac[] => {
    const now = keys();
    if (now !== source) {
      source = now;
      // A key of its own for visitor cookies: a visitor mac is never an OIDC cookie signature.
      macs = now.map((key) => new BlockMac(blockKey(key, 'anteroom-visitor-cookie-v2')));
    }
    return macs;
  };
  const mac = (signer: BlockMac, id: string) => signer.tag(Buffer.from(id, 'hex'));
  // New visitors' ids are drawn and signed SIGNED_BATCH at a time (one cipher call for all of
  // them, which a busy enqueue path notices); a batch is for the signer it was made with.
  let batch: { signer: BlockMac; ids: string[]; values: string[] } | null = null;
  const nextSigned = (): { id: string; value: string } => {
    const signer = current()[0] as BlockMac;
    if (batch === null || batch.signer !== signer || batch.ids.length === 0) {
      const random = randomFillSync(Buffer.alloc(SIGNED_BATCH * BLOCK_BYTES));
      const tags = signer.tags(random);
      const ids: string[] = [];
      const values: string[] = [];
      for (let at = random.length - BLOCK_BYTES; at >= 0; at -= BLOCK_BYTES) {
        const id = random.toString('hex', at, at + BLOCK_BYTES);
        ids.push(id);
        values.push(`${id}.${tags.toString('base64url', at, at + BLOCK_BYTES)}`);
      }
      batch = { signer, ids, values };
    }
    return { id: batch.ids.pop() as string, value: batch.values.pop() as string };
  };
  return {
    issue: nextSigned,
    verify(value) {
      if (!value) return null;
      const dot = value.indexOf('.');
      const id = value.slice(0, dot);
      const given = value.slice(dot + 1);
      if (dot < 0 || !VISITOR_ID.test(id) || !MAC.test(given)) return null;
      const presented = Buffer.from(given, 'base64url');
      for (const signer of current()) {
        if (timingSafeEqual(presented, mac(signer, id))) return id;
      }
      return null;
    },
  };
}

/** The signer of a server: the provider's cookie keys as `createOidcMiddleware` resolves them. */
export function serverVisitorCookieSigner(
  config: Pick<AnteroomConfig, 'oidc'>,
  keys: Pick<KeyRing, 'oidcJwks' | 'oidcKeysVersion' | 'summary'>,
): VisitorCookieSigner {
  return visitorCookieSigner(serverCookieKeys(config, keys));
}

/**
 * The provider's cookie keys as `createOidcMiddleware` resolves them, the same list until they
 * change (visitor cookies and place receipts are signed with them).
 */
export function serverCookieKeys(
  config: Pick<AnteroomConfig, 'oidc'>,
  keys: Pick<KeyRing, 'oidcJwks' | 'oidcKeysVersion' | 'summary'>,
): () => readonly string[] {
  let version: string | null = null;
  let list: readonly string[] = [];
  return () => {
    const now = keys.oidcKeysVersion();
    if (now !== version) {
      const oldest = keys
        .summary()
        .filter((key) => key.alg === OIDC_ALGORITHM)
        .at(-1);
      list = resolveCookieKeys(config.oidc.cookieKeys, keys.oidcJwks(), oldest?.kid).keys;
      version = now;
    }
    return list;
  };
}
