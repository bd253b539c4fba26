/**
 * A relying party's side of the authorization code flow: the authorization request (state,
 * nonce, PKCE S256), the code exchange (client_secret_basic), the ID token checks (signature
 * against the provider's keys with the announced algorithms only, `iss`, `aud`, `azp`, `nonce`,
 * `exp`, `nbf`) and the RP-initiated logout URL. Shared by the site gate and the sample site.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { type KeyLookup, verifyJwt } from '../jws.ts';
import { SignInError } from './failures.ts';

export interface Client {
  clientId: string;
  clientSecret: string;
  /** Exactly as registered. */
  redirectUri: string;
}

/** What the browser carries (sealed) between the redirect out and the callback. */
export interface PendingFlow {
  state: string;
  nonce: string;
  verifier: string;
}

export interface TokenSet {
  idToken: string;
  accessToken: string | undefined;
  /** Seconds the access token lives, when the provider says. */
  expiresIn: number | undefined;
}

const random = () => randomBytes(32).toString('base64url');

export function newFlow(): PendingFlow {
  return { state: random(), nonce: random(), verifier: random() };
}

export function authorizationUrl(endpoint: string, client: Omit<Client, 'clientSecret'>, flow: PendingFlow) {
  const url = new URL(endpoint);
  url.search = new URLSearchParams({
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    response_type: 'code',
    scope: 'openid',
    state: flow.state,
    nonce: flow.nonce,
    code_challenge: createHash('sha256').update(flow.verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  return url.href;
}

/** RP-initiated logout; without a registered return URI the provider shows its own page. */
export function endSessionUrl(endpoint: string, clientId: string, postLogoutRedirectUri?: string): string {
  const url = new URL(endpoint);
  url.searchParams.set('client_id', clientId);
  if (postLogoutRedirectUri !== undefined)
    url.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri);
  return url.href;
}

/** RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and base64-encoded. */
function basicCredentials(client: Client): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return Buffer.from(`${encode(client.clientId)}:${encode(client.clientSecret)}`).toString('base64');
}

/** Trade the code for tokens. Throws a SignInError: 400 refused code, 502 refused client, 503 unreachable. */
export async function redeemCode(
  tokenEndpoint: string,
  client: Client,
  grant: { code: string; verifier: string },
  transport: { fetch: typeof fetch; timeoutMs: number },
): Promise<TokenSet> {
  let response: Response;
  try {
    response = await transport.fetch(tokenEndpoint, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${basicCredentials(client)}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: grant.code,
        redirect_uri: client.redirectUri,
        code_verifier: grant.verifier,
      }),
      signal: AbortSignal.timeout(transport.timeoutMs),
    });
  } catch (cause) {
    throw new SignInError('provider_unavailable', `token endpoint unreachable: ${String(cause)}`, cause);
  }
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  const error = typeof body?.['error'] === 'string' ? body['error'] : `HTTP ${response.status}`;
  if (response.status >= 500) throw new SignInError('provider_unavailable', `token endpoint: ${error}`);
  if (error === 'invalid_client' || error === 'unauthorized_client') {
    throw new SignInError('client_rejected', `token endpoint: ${error}`);
  }
  if (!response.ok) throw new SignInError('code_rejected', `token endpoint: ${error}`);
  const idToken = body?.['id_token'];
  if (typeof idToken !== 'string')
    throw new SignInError('id_token_invalid', 'no id_token in the token response');
  const accessToken = body?.['access_token'];
  const expiresIn = body?.['expires_in'];
  return {
    idToken,
    accessToken: typeof accessToken === 'string' ? accessToken : undefined,
    expiresIn: typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : undefined,
  };
}

/** The ID token's claims once signature, issuer, audience, lifetime and nonce check out (else 401). */
export async function verifyIdToken(
  idToken: string,
  expected: { issuer: string; clientId: string; nonce: string; algorithms: string[]; nowMs?: number },
  keys: KeyLookup,
): Promise<JWTPayload> {
  let payload: JWTPayload;
  try {
    payload = await verifyJwt(idToken, keys, {
      issuer: [expected.issuer],
      audience: [expected.clientId],
      algorithms: new Set(expected.algorithms),
      requiredClaims: ['sub', 'exp', 'iat'],
      clockToleranceSeconds: 5,
      nowMs: expected.nowMs ?? Date.now(),
    });
  } catch (cause) {
    throw new SignInError('id_token_invalid', `ID token: ${String(cause)}`, cause);
  }
  // OpenID Connect Core §3.1.3.7: with several audiences, `azp` must name this client.
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload['azp'] !== expected.clientId) {
    throw new SignInError('id_token_invalid', 'ID token has several audiences and another azp');
  }
  if (payload['nonce'] !== expected.nonce) {
    throw new SignInError('id_token_invalid', 'ID token nonce does not match this sign-in');
  }
  return payload;
}
