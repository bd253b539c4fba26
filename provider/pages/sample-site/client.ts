/**
 * The sample site's side of the authorization code flow, done by hand so every step is visible:
 * the authorization request (state, nonce, PKCE S256), the code exchange (client_secret_basic)
 * and the ID token checks (signature against the provider's keys, `iss`, `aud`, `nonce`).
 *
 * Endpoints are oidc-provider's default routes under the issuer (`/auth`, `/token`,
 * `/session/end`), which `provider/oidc/provider.ts` keeps.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createLocalJWKSet, type JWK, type JWTPayload, jwtVerify } from 'jose';
import { AnteroomError } from '../../../queue-core/errors.ts';

export interface RelyingParty {
  /** `<publicUrl>/oidc` */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** `<publicUrl>/sample-site/callback`, exactly as registered. */
  redirectUri: string;
  /** `<publicUrl>/sample-site/`, exactly as registered. */
  postLogoutRedirectUri: string;
  /** The provider's public signing keys (the key ring's JWKS), read at each check so a rotation is seen. */
  jwks: () => { keys: JWK[] };
}

/** What the browser carries (sealed) between the redirect out and the callback. */
export interface PendingFlow {
  state: string;
  nonce: string;
  verifier: string;
}

const random = () => randomBytes(32).toString('base64url');

export function newFlow(): PendingFlow {
  return { state: random(), nonce: random(), verifier: random() };
}

export function authorizationUrl(rp: RelyingParty, flow: PendingFlow): string {
  const url = new URL(`${rp.issuer}/auth`);
  url.search = new URLSearchParams({
    client_id: rp.clientId,
    redirect_uri: rp.redirectUri,
    response_type: 'code',
    scope: 'openid',
    state: flow.state,
    nonce: flow.nonce,
    code_challenge: createHash('sha256').update(flow.verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  return url.href;
}

/** RP-initiated logout back to the sample site (the provider asks the visitor to confirm). */
export function endSessionUrl(rp: RelyingParty): string {
  const url = new URL(`${rp.issuer}/session/end`);
  url.search = new URLSearchParams({
    client_id: rp.clientId,
    post_logout_redirect_uri: rp.postLogoutRedirectUri,
  }).toString();
  return url.href;
}

/**
 * Trade the code for tokens at `tokenEndpoint` (the issuer's, possibly reached over loopback)
 * and return the ID token.
 */
export async function redeemCode(
  rp: RelyingParty,
  tokenEndpoint: string,
  code: string,
  verifier: string,
): Promise<string> {
  const credentials = `${encodeURIComponent(rp.clientId)}:${encodeURIComponent(rp.clientSecret)}`;
  let response: Response;
  try {
    response = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: rp.redirectUri,
        code_verifier: verifier,
      }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new AnteroomError('sample_site_token_unreachable', 'The token endpoint could not be reached.', {
      status: 502,
      cause: error,
    });
  }
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (!response.ok || typeof body?.id_token !== 'string') {
    const reason = typeof body?.error === 'string' ? body.error : `HTTP ${response.status}`;
    throw new AnteroomError('sample_site_token_refused', `The provider refused the code (${reason}).`, {
      status: 502,
      expose: true,
    });
  }
  return body.id_token;
}

/** The ID token's claims once its signature, issuer, audience, lifetime and nonce check out. */
export async function verifyIdToken(rp: RelyingParty, idToken: string, nonce: string): Promise<JWTPayload> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, createLocalJWKSet(rp.jwks()), {
      issuer: rp.issuer,
      audience: rp.clientId,
      algorithms: ['RS256'],
    }));
  } catch (error) {
    throw new AnteroomError('sample_site_id_token_invalid', 'The ID token did not verify.', {
      status: 502,
      expose: true,
      cause: error,
    });
  }
  if (payload.nonce !== nonce) {
    throw new AnteroomError('sample_site_nonce_mismatch', 'The ID token was issued for another sign-in.', {
      status: 400,
    });
  }
  return payload;
}
