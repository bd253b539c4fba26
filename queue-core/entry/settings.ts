/**
 * The event settings of API.md section 6 that decide who gets a place: `challenge` and
 * `enqueueToken`. Parsed as part of an event by
 * `event-settings.ts` (same rules: an unknown or ill-typed field names its full path); each is
 * absent when not given, and `null` removes it in a `PUT /events/{id}` patch.
 *
 * `challenge.secret` is the server key of the siteverify call: `redactEvent` is the event as the
 * admin API, the dashboard and the audit log show it, without it.
 */
import { ENTRY_LIMITS } from '../defaults.ts';
import { ValidationError } from '../errors.ts';
import { fieldPath, fieldRules, type RawObject } from '../fields.ts';
import type {
  ChallengeSettings,
  EnqueueTokenSettings,
  EventSettings,
  SiteverifyChallengeSettings,
  SiteverifyProvider,
} from '../types.ts';

export const ENTRY_FIELDS = ['challenge', 'enqueueToken'] as const;

type EntrySettings = Pick<EventSettings, 'challenge' | 'enqueueToken'>;

export const SITEVERIFY_PROVIDERS: readonly SiteverifyProvider[] = ['turnstile', 'hcaptcha', 'recaptcha'];

const rules = fieldRules((field, message) => new ValidationError(field, message, 'invalid_event_settings'));
/** A widget key goes into the page: the characters the three providers' keys are made of. */
const SITEKEY = /^[A-Za-z0-9_.-]{1,200}$/;
const ISSUER_MAX = 512;
const SECRET_MAX = 512;
const AUDIENCE_MAX = 512;

/** The entry fields of one raw event object. */
export function parseEntrySettings(object: RawObject, path: string): EntrySettings {
  const challenge = parseChallenge(object['challenge'], fieldPath(path, 'challenge'));
  const enqueueToken = parseEnqueueToken(object['enqueueToken'], fieldPath(path, 'enqueueToken'));
  return {
    ...(challenge === undefined ? {} : { challenge }),
    ...(enqueueToken === undefined ? {} : { enqueueToken }),
  };
}

/**
 * A `challenge` patch over the current one: a siteverify patch of the same provider without a
 * `secret` keeps the current secret (the admin API never shows it, so a settings round trip
 * cannot carry it back).
 */
export function mergeChallenge(base: ChallengeSettings | undefined, patch: unknown): unknown {
  if (base?.type !== 'siteverify' || patch === null || typeof patch !== 'object') return patch;
  const object = patch as RawObject;
  const sameProvider =
    (object['type'] ?? base.type) === base.type && (object['provider'] ?? base.provider) === base.provider;
  return sameProvider && object['secret'] === undefined ? { ...base, ...object, secret: base.secret } : patch;
}

/** The event without what must never be shown (the siteverify secret). */
export function redactEvent(event: EventSettings): EventSettings {
  if (event.challenge?.type !== 'siteverify') return event;
  const { secret: _secret, ...shown } = event.challenge;
  return { ...event, challenge: shown as SiteverifyChallengeSettings };
}

/** Is a new visitor of this event screened (`QueueStore.screenVisitor`) before a place? */
export function screensVisitors(event: EventSettings): boolean {
  return event.challenge !== undefined || event.enqueueToken !== undefined;
}

function parseChallenge(value: unknown, path: string): ChallengeSettings | undefined {
  if (value === undefined || value === null) return undefined;
  const object = rules.object(value, path);
  const type = rules.oneOf(rules.required(object['type'], fieldPath(path, 'type')), fieldPath(path, 'type'), [
    'pow',
    'siteverify',
  ] as const);
  if (type === 'pow') {
    rules.onlyKeys(object, path, ['type', 'difficulty']);
    const difficultyPath = fieldPath(path, 'difficulty');
    return {
      type,
      difficulty: rules.integer(
        rules.required(object['difficulty'], difficultyPath),
        difficultyPath,
        ENTRY_LIMITS.powDifficulty.min,
        ENTRY_LIMITS.powDifficulty.max,
        ' (bits)',
      ),
    };
  }
  rules.onlyKeys(object, path, ['type', 'provider', 'sitekey', 'secret', 'url']);
  const field = (key: string) => fieldPath(path, key);
  const url =
    object['url'] === undefined || object['url'] === null ? undefined : httpUrl(object['url'], field('url'));
  return {
    type,
    provider: rules.oneOf(
      rules.required(object['provider'], field('provider')),
      field('provider'),
      SITEVERIFY_PROVIDERS,
    ),
    sitekey: rules.matches(
      rules.required(object['sitekey'], field('sitekey')),
      field('sitekey'),
      SITEKEY,
      '1–200 characters of A–Z, a–z, 0–9, "_", "." or "-"',
    ),
    secret: text(rules.required(object['secret'], field('secret')), field('secret'), SECRET_MAX),
    ...(url === undefined ? {} : { url }),
  };
}

function parseEnqueueToken(value: unknown, path: string): EnqueueTokenSettings | undefined {
  if (value === undefined || value === null) return undefined;
  const object = rules.onlyKeys(rules.object(value, path), path, ['issuer', 'jwksUrl', 'jwks', 'audience']);
  const field = (key: string) => fieldPath(path, key);
  const issuer = text(rules.required(object['issuer'], field('issuer')), field('issuer'), ISSUER_MAX);
  const hasUrl = object['jwksUrl'] !== undefined && object['jwksUrl'] !== null;
  const hasKeys = object['jwks'] !== undefined && object['jwks'] !== null;
  if (hasUrl === hasKeys) {
    throw rules.fail(path, `${path} needs exactly one of jwksUrl and jwks (the site's public keys)`);
  }
  const audience =
    object['audience'] === undefined || object['audience'] === null
      ? undefined
      : text(object['audience'], field('audience'), AUDIENCE_MAX);
  return {
    issuer,
    ...(hasUrl
      ? { jwksUrl: httpUrl(object['jwksUrl'], field('jwksUrl')) }
      : { jwks: parseJwks(object['jwks'], field('jwks')) }),
    ...(audience === undefined ? {} : { audience }),
  };
}

/** Public keys only: a JWKS with 1–20 keys, none carrying a private member. */
function parseJwks(value: unknown, path: string): { keys: RawObject[] } {
  const object = rules.onlyKeys(rules.object(value, path), path, ['keys']);
  const keys = object['keys'];
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > ENTRY_LIMITS.jwksKeys) {
    throw rules.fail(
      fieldPath(path, 'keys'),
      `${fieldPath(path, 'keys')} must list 1–${ENTRY_LIMITS.jwksKeys} public keys`,
    );
  }
  return {
    keys: keys.map((key, index) => {
      const keyPath = `${fieldPath(path, 'keys')}[${index}]`;
      const jwk = rules.object(key, keyPath);
      rules.string(jwk['kty'], fieldPath(keyPath, 'kty'));
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
        if (jwk[secret] !== undefined) {
          throw rules.fail(
            keyPath,
            `${keyPath} must be a public key (it carries the private member "${secret}")`,
          );
        }
      }
      return { ...jwk };
    }),
  };
}

/** Text of 1–`max` characters without control characters. */
function text(value: unknown, path: string, max: number): string {
  const string = rules.string(value, path);
  if (string.length > max || /\p{Cc}/u.test(string)) {
    throw rules.fail(path, `${path} must be 1–${max} characters without control characters`);
  }
  return string;
}

function httpUrl(value: unknown, path: string): string {
  const string = text(value, path, 2048);
  let url: URL;
  try {
    url = new URL(string);
  } catch {
    throw rules.fail(path, `${path} must be an absolute http(s) URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw rules.fail(path, `${path} must be an absolute http(s) URL`);
  }
  return url.href;
}
