/**
 * What the gate knows of Anteroom's provider: its discovery document, fetched once and kept for
 * the life of the process (a failed fetch is retried, at most once a second), and its JWKS,
 * cached and refetched when an ID token names an unknown `kid` (`../jwks.ts`).
 */
import { createRemoteKeySet, type KeyLookup } from '../jwks.ts';
import { ASYMMETRIC_ALGORITHMS } from '../options.ts';
import { SignInError } from './failures.ts';

export interface ProviderMetadata {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userinfoEndpoint: string | undefined;
  endSessionEndpoint: string | undefined;
  /** ID token algorithms the provider announces, asymmetric ones only. */
  idTokenAlgorithms: string[];
  keys: KeyLookup;
}

export interface DiscoveryOptions {
  issuer: string;
  fetch: typeof fetch;
  now: () => number;
  timeoutMs: number;
}

const RETRY_AFTER_FAILURE_MS = 1000;
const JWKS_COOLDOWN_MS = 30_000;
const JWKS_MAX_AGE_MS = 600_000;

function endpoint(document: Record<string, unknown>, name: string, required: true): string;
function endpoint(document: Record<string, unknown>, name: string, required: false): string | undefined;
function endpoint(document: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = document[name];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || URL.parse(value) === null) {
    throw new SignInError('provider_unavailable', `discovery has no usable ${name}`);
  }
  return value;
}

function parse(document: unknown, options: DiscoveryOptions): ProviderMetadata {
  if (typeof document !== 'object' || document === null) {
    throw new SignInError('provider_unavailable', 'discovery is not a JSON object');
  }
  const record = document as Record<string, unknown>;
  // OpenID Connect Discovery §4.3: the document must name exactly the issuer it was fetched for.
  if (record['issuer'] !== options.issuer) {
    throw new SignInError('provider_unavailable', `discovery names issuer ${String(record['issuer'])}`);
  }
  const announced = record['id_token_signing_alg_values_supported'];
  const idTokenAlgorithms = (Array.isArray(announced) ? announced : ['RS256']).filter(
    (alg): alg is string => typeof alg === 'string' && ASYMMETRIC_ALGORITHMS.has(alg),
  );
  if (idTokenAlgorithms.length === 0) {
    throw new SignInError('provider_unavailable', 'discovery announces no asymmetric ID token algorithm');
  }
  return {
    authorizationEndpoint: endpoint(record, 'authorization_endpoint', true),
    tokenEndpoint: endpoint(record, 'token_endpoint', true),
    userinfoEndpoint: endpoint(record, 'userinfo_endpoint', false),
    endSessionEndpoint: endpoint(record, 'end_session_endpoint', false),
    idTokenAlgorithms,
    keys: createRemoteKeySet({
      url: endpoint(record, 'jwks_uri', true),
      cooldownMs: JWKS_COOLDOWN_MS,
      cacheMaxAgeMs: JWKS_MAX_AGE_MS,
      timeoutMs: options.timeoutMs,
      fetch: options.fetch,
      now: options.now,
    }),
  };
}

/** The provider's metadata, fetched on first use; concurrent first callers share one request. */
export function createDiscovery(options: DiscoveryOptions): () => Promise<ProviderMetadata> {
  const url = `${options.issuer}/.well-known/openid-configuration`;
  let metadata: ProviderMetadata | undefined;
  let pending: Promise<ProviderMetadata> | undefined;
  let failedAt = Number.NEGATIVE_INFINITY;

  async function load(): Promise<ProviderMetadata> {
    let response: Response;
    try {
      response = await options.fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (cause) {
      throw new SignInError('provider_unavailable', `discovery unreachable: ${String(cause)}`, cause);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new SignInError('provider_unavailable', `discovery answered ${response.status}`);
    }
    const document = await response.json().catch(() => null);
    return parse(document, options);
  }

  return function discover(): Promise<ProviderMetadata> {
    if (metadata !== undefined) return Promise.resolve(metadata);
    if (pending !== undefined) return pending;
    if (options.now() - failedAt < RETRY_AFTER_FAILURE_MS) {
      return Promise.reject(new SignInError('provider_unavailable', 'discovery failed moments ago'));
    }
    pending = load().then(
      (loaded) => {
        metadata = loaded;
        pending = undefined;
        return loaded;
      },
      (error: unknown) => {
        failedAt = options.now();
        pending = undefined;
        throw error;
      },
    );
    return pending;
  };
}
