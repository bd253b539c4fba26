/**
 * The OIDC provider's view of the key ring. oidc-provider takes private JWKs (its `jwks`
 * option) and signs with the first key of an algorithm, and takes its keys only when it is
 * built: so the RS256 key that signs now comes first, then the other RS256 keys (still
 * published for verification), then the rest; and a version string tells the OIDC middleware
 * when to build a new provider (`provider/oidc/index.ts`).
 */
import type { JWK } from 'jose';
import { OIDC_ALGORITHM, privateFields, type StoredKey } from './document.ts';

/** Private JWKs in the order oidc-provider wants them: `signer` first. */
export function oidcJwksOf(keys: readonly StoredKey[], signer: StoredKey): JWK[] {
  const rank = (key: StoredKey): number =>
    key === signer ? 0 : (key.alg === OIDC_ALGORITHM ? 1 : 3) + (key.status === 'active' ? 0 : 1);
  return [...keys]
    .sort((a, b) => rank(a) - rank(b) || b.createdAt - a.createdAt)
    .map((key) => ({ ...privateFields(key), kid: key.kid, alg: key.alg, use: 'sig' }));
}

/** Changes whenever `oidcJwksOf` may: the keys changed (`revision`), or another key signs. */
export function oidcKeysVersionOf(revision: number, signer: StoredKey): string {
  return `${revision}:${signer.kid}`;
}
