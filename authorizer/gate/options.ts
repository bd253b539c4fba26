/**
 * The site gate's configuration (API.md §8), its defaults (documented once, here) and its
 * validation: a bad setting fails when the gate is created, naming the field, never at the first
 * visitor.
 */
import { ValidationError } from '../../queue-core/errors.ts';

export interface GateConfig {
  /** Anteroom's issuer, `<publicUrl>/oidc`. */
  issuer: string;
  /** The Anteroom client (`oidc.clients[]`) this site signs in as. */
  clientId: string;
  clientSecret: string;
  /** Seals the gate's cookies; at least 32 characters, the same on every instance of the site. */
  cookieSecret: string;
  /** Where Anteroom sends the visitor back; `<baseUrl><callbackPath>` is the registered redirect URI. */
  callbackPath?: string;
  /** Ends the site's session, then the provider's (RP-initiated logout). */
  signOutPath?: string;
  /** The site's external URL (scheme, host and any path prefix). Default `https://<Host header>`. */
  baseUrl?: string;
  /** Path prefixes that need a session. Default `["/"]`: the whole site. */
  protect?: string[];
  /** Path prefixes that never need one (inside `protect`: assets, health checks). Default none. */
  publicPaths?: string[];
  /**
   * Ask Anteroom's userinfo endpoint every this many seconds whether a visitor's admission is
   * still live, so a session ended through `update_session` ends here too. Default 0: never (the
   * session then lasts until the admission window ends).
   */
  recheckSeconds?: number;
  /**
   * Where the provider sends the visitor after sign-out: a URL registered in the client's
   * `post_logout_redirect_uris`. Default none: the provider's own "signed out" page.
   */
  postLogoutRedirectUri?: string;
  /** The fetch used to reach Anteroom. Default: the global fetch. */
  fetch?: typeof fetch;
  /** The clock, in milliseconds since the epoch. Default `Date.now`. For tests. */
  now?: () => number;
  /** Where one line per failed sign-in goes. Default: JSON on stderr. */
  log?: (entry: GateLogEntry) => void;
}

export interface GateLogEntry {
  level: 'warn' | 'error';
  msg: string;
  code: string;
  detail?: string;
}

export interface ResolvedGateConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  cookieSecret: string;
  callbackPath: string;
  signOutPath: string;
  baseUrl: string | undefined;
  protect: string[];
  publicPaths: string[];
  recheckMs: number;
  postLogoutRedirectUri: string | undefined;
  fetch: typeof fetch;
  now: () => number;
  log: (entry: GateLogEntry) => void;
}

/** The keys of the JSON configuration (what `anteroom-edge.json` may hold). */
export const GATE_CONFIG_KEYS = [
  'issuer',
  'clientId',
  'clientSecret',
  'cookieSecret',
  'callbackPath',
  'signOutPath',
  'baseUrl',
  'protect',
  'publicPaths',
  'recheckSeconds',
  'postLogoutRedirectUri',
] as const;

const KNOWN_KEYS = new Set<string>([...GATE_CONFIG_KEYS, 'fetch', 'now', 'log']);

export const GATE_DEFAULTS = {
  callbackPath: '/_anteroom/callback',
  signOutPath: '/_anteroom/sign-out',
  protect: ['/'],
  publicPaths: [] as string[],
  recheckSeconds: 0,
} as const;

export const MIN_COOKIE_SECRET_LENGTH = 32;
/** Plain http is only for a provider or site on this machine (development, tests). */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function fail(field: string, message: string): never {
  throw new ValidationError(field, message, 'invalid_gate_config');
}

function text(config: Record<string, unknown>, field: string): string {
  const value = config[field];
  if (typeof value !== 'string' || value.trim() === '') fail(field, `${field} must be a non-empty string.`);
  return value.trim();
}

/** An absolute https URL (http for loopback hosts), without query, fragment or credentials. */
function secureUrl(field: string, value: unknown): URL {
  const url = typeof value === 'string' ? URL.parse(value) : null;
  if (url === null) fail(field, `${field} must be an absolute URL.`);
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  if (!secure) fail(field, `${field} must be an https URL (http is allowed for localhost only).`);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    fail(field, `${field} must have no query, fragment or credentials.`);
  }
  return url;
}

/** A base URL: paths are appended to it, so it keeps no trailing slash. */
function baseUrl(field: string, value: unknown): string {
  return secureUrl(field, value).href.replace(/\/+$/, '');
}

/** A path that starts with one `/` and holds nothing a cookie, a header or a redirect would trip on. */
function path(field: string, value: unknown): string {
  if (typeof value !== 'string' || !/^\/(?!\/)[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(value)) {
    fail(field, `${field} must be a path starting with "/".`);
  }
  return value;
}

function paths(field: string, value: unknown, fallback: readonly string[]): string[] {
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value)) fail(field, `${field} must be a list of path prefixes.`);
  return value.map((item, index) => path(`${field}[${index}]`, item));
}

function seconds(field: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 86_400) {
    fail(field, `${field} must be a whole number of seconds from 0 to 86400.`);
  }
  return value;
}

function defaultLog(entry: GateLogEntry): void {
  console.error(JSON.stringify({ ...entry, component: 'anteroom-gate' }));
}

export function resolveGateConfig(config: GateConfig): ResolvedGateConfig {
  if (typeof config !== 'object' || config === null) fail('config', 'The gate configuration is required.');
  const raw = config as unknown as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.has(key))
      fail(key, `${key} is not a gate setting (expected ${GATE_CONFIG_KEYS.join(', ')}).`);
  }
  const cookieSecret = raw['cookieSecret'];
  if (typeof cookieSecret !== 'string' || cookieSecret.length < MIN_COOKIE_SECRET_LENGTH) {
    fail('cookieSecret', `cookieSecret must be at least ${MIN_COOKIE_SECRET_LENGTH} characters.`);
  }
  const callbackPath = path('callbackPath', config.callbackPath ?? GATE_DEFAULTS.callbackPath);
  const signOutPath = path('signOutPath', config.signOutPath ?? GATE_DEFAULTS.signOutPath);
  if (callbackPath === signOutPath) fail('signOutPath', 'signOutPath must differ from callbackPath.');
  const postLogout = config.postLogoutRedirectUri;
  return {
    issuer: baseUrl('issuer', text(raw, 'issuer')),
    clientId: text(raw, 'clientId'),
    clientSecret: text(raw, 'clientSecret'),
    cookieSecret,
    callbackPath,
    signOutPath,
    baseUrl: config.baseUrl === undefined ? undefined : baseUrl('baseUrl', config.baseUrl),
    protect: paths('protect', config.protect, GATE_DEFAULTS.protect),
    publicPaths: paths('publicPaths', config.publicPaths, GATE_DEFAULTS.publicPaths),
    recheckMs: 1000 * seconds('recheckSeconds', config.recheckSeconds, GATE_DEFAULTS.recheckSeconds),
    // Sent as given: the provider compares it with the registered URI character for character.
    postLogoutRedirectUri:
      postLogout === undefined ? undefined : secureUrl('postLogoutRedirectUri', postLogout) && postLogout,
    fetch: config.fetch ?? globalThis.fetch,
    now: config.now ?? Date.now,
    log: config.log ?? defaultLog,
  };
}
