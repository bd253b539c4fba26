/**
 * The relying parties Anteroom serves, from `oidc.clients[]` in the configuration.
 *
 * Validated strictly at start-up: an unknown or ill-typed field fails with a
 * `ValidationError` (code `invalid_oidc_client`) naming the client and the field, e.g.
 * `oidc.clients[1] ("shop").redirect_uris[0] must be an https URL`. Each client names the
 * event (waiting room) its visitors queue for.
 */
import { ValidationError } from '../../queue-core/errors.ts';
import { EVENT_ID_PATTERN } from '../../queue-core/event-settings.ts';

export const OIDC_CLIENT_ERROR = 'invalid_oidc_client';

export interface OidcClientConfig {
  clientId: string;
  /** Absent: a public client (PKCE required, no client authentication). */
  clientSecret: string | undefined;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  eventId: string;
  /** Issue refresh tokens (held to the admission window). */
  refresh: boolean;
  /** `aud` of the JWT access tokens; defaults to the event id (as admission tokens). */
  audience: string;
}

const FIELDS = [
  'client_id',
  'client_secret',
  'redirect_uris',
  'post_logout_redirect_uris',
  'event_id',
  'refresh',
  'audience',
] as const;

const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;
/** Shorter secrets are guessable; oidc-provider itself accepts anything. */
const MIN_SECRET_LENGTH = 16;

/** Parse `oidc.clients`. `knownEvents` (when given) must contain every `event_id`. */
export function parseOidcClients(raw: unknown, knownEvents?: readonly string[]): OidcClientConfig[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw invalid('oidc.clients', 'oidc.clients must be an array of clients');
  const clients = raw.map((item, index) => parseClient(item, index, knownEvents));
  const seen = new Map<string, number>();
  clients.forEach((client, index) => {
    const first = seen.get(client.clientId);
    if (first !== undefined) {
      const path = `oidc.clients[${index}].client_id`;
      throw invalid(path, `${path} "${client.clientId}" duplicates oidc.clients[${first}].client_id`);
    }
    seen.set(client.clientId, index);
  });
  return clients;
}

function parseClient(
  raw: unknown,
  index: number,
  knownEvents: readonly string[] | undefined,
): OidcClientConfig {
  const base = `oidc.clients[${index}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw invalid(base, `${base} must be an object`);
  const object = raw as Record<string, unknown>;
  const clientId = object['client_id'];
  if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) {
    throw invalid(
      `${base}.client_id`,
      `${base}.client_id must be 1–128 characters of A–Z, a–z, 0–9, ".", "_", "~" or "-"`,
    );
  }
  // From here on every message names the client too.
  const path = `${base} ("${clientId}")`;
  for (const key of Object.keys(object)) {
    if (!(FIELDS as readonly string[]).includes(key)) {
      throw invalid(`${base}.${key}`, `${path}.${key} is not a known field (expected ${FIELDS.join(', ')})`);
    }
  }
  const secret = object['client_secret'];
  if (secret !== undefined && (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH)) {
    throw invalid(
      `${base}.client_secret`,
      `${path}.client_secret must be a string of at least ${MIN_SECRET_LENGTH} characters (omit it for a public PKCE client)`,
    );
  }
  const eventId = object['event_id'];
  if (typeof eventId !== 'string' || !EVENT_ID_PATTERN.test(eventId)) {
    throw invalid(
      `${base}.event_id`,
      `${path}.event_id is required: the id of the event its visitors queue for`,
    );
  }
  if (knownEvents !== undefined && !knownEvents.includes(eventId)) {
    throw invalid(
      `${base}.event_id`,
      `${path}.event_id "${eventId}" is not a configured event (${knownEvents.join(', ')})`,
    );
  }
  const redirectUris = uriList(
    object['redirect_uris'],
    `${base}.redirect_uris`,
    `${path}.redirect_uris`,
    true,
  );
  const postLogout =
    object['post_logout_redirect_uris'] === undefined
      ? []
      : uriList(
          object['post_logout_redirect_uris'],
          `${base}.post_logout_redirect_uris`,
          `${path}.post_logout_redirect_uris`,
          false,
        );
  const refresh = object['refresh'];
  if (refresh !== undefined && typeof refresh !== 'boolean') {
    throw invalid(`${base}.refresh`, `${path}.refresh must be true or false`);
  }
  const audience = object['audience'];
  if (
    audience !== undefined &&
    (typeof audience !== 'string' || audience.length === 0 || audience.length > 512)
  ) {
    throw invalid(`${base}.audience`, `${path}.audience must be a non-empty string`);
  }
  return {
    clientId,
    clientSecret: secret as string | undefined,
    redirectUris,
    postLogoutRedirectUris: postLogout,
    eventId,
    refresh: refresh === true,
    audience: (audience as string | undefined) ?? eventId,
  };
}

function uriList(value: unknown, field: string, path: string, required: boolean): string[] {
  if (!Array.isArray(value) || (required && value.length === 0)) {
    throw invalid(field, `${path} must be a${required ? ' non-empty' : 'n'} array of URLs`);
  }
  return value.map((item, i) => {
    const at = `${path}[${i}]`;
    if (typeof item !== 'string') throw invalid(`${field}[${i}]`, `${at} must be a URL string`);
    const reason = redirectUriProblem(item);
    if (reason !== null) throw invalid(`${field}[${i}]`, `${at} ${reason}`);
    return item;
  });
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Exact https URLs only (http for loopback development); no fragment, no wildcard. */
export function redirectUriProblem(value: string): string | null {
  const url = URL.parse(value);
  if (url === null) return 'must be an absolute URL';
  if (url.hash !== '' || value.includes('#')) return 'must not contain a fragment';
  if (value.includes('*')) return 'must not contain a wildcard (redirect URIs are matched exactly)';
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return null;
  return 'must be an https URL (http is allowed for localhost only)';
}

function invalid(field: string, message: string): ValidationError {
  return new ValidationError(field, message, OIDC_CLIENT_ERROR);
}

/** The client metadata oidc-provider is given for one configured client. */
export function providerClientMetadata(client: OidcClientConfig): Record<string, unknown> {
  const grantTypes = client.refresh ? ['authorization_code', 'refresh_token'] : ['authorization_code'];
  const common = {
    client_id: client.clientId,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    response_types: ['code'],
    grant_types: grantTypes,
    id_token_signed_response_alg: 'RS256',
    // Only these scopes may be asked for; anything else is `invalid_scope`.
    scope: client.refresh ? 'openid waiting_room offline_access' : 'openid waiting_room',
  };
  if (client.clientSecret === undefined) {
    return { ...common, token_endpoint_auth_method: 'none' };
  }
  return { ...common, client_secret: client.clientSecret, token_endpoint_auth_method: 'client_secret_basic' };
}
