/**
 * The admin API's credentials in the configuration: bearer keys (`adminKeys`, env
 * `ANTEROOM_ADMIN_KEY`) and AWS SigV4 key pairs (`adminSigV4Keys`, env
 * `ANTEROOM_ADMIN_SIGV4_KEYS` as `id:secret,id:secret`), the latter so that the AWS solution's
 * control panel and `awscurl` scripts sign their calls as they did against API Gateway.
 * Every secret must pass the strength rule of `key-strength.ts`; an error names the field and
 * never repeats the secret.
 */
import { ADMIN_SCOPES, type AdminScope, isAdminScope, type ScopedAdminKey } from '../http/admin-scopes.ts';
import { weakSecretProblem } from './key-strength.ts';

export interface AdminSigV4Key {
  /** Public identifier the signer sends in its credential scope (`AKIA…` style; not a secret). */
  accessKeyId: string;
  secretAccessKey: string;
  /** Regions the signature's credential scope may name; null: any. */
  regions: readonly string[] | null;
}

/** Builds the caller's error type (`ConfigError`) for a field. */
export type FieldError = (field: string, message: string) => Error;

const ACCESS_KEY_ID = /^[A-Za-z0-9_-]{1,128}$/;
const REGION = /^[a-z0-9-]{1,32}$/;

function secret(value: unknown, field: string, fail: FieldError): string {
  if (typeof value !== 'string' || value.length === 0) throw fail(field, 'must be a non-empty string');
  const problem = weakSecretProblem(value);
  if (problem !== null) throw fail(field, problem);
  return value;
}

/** `adminKeys`: a non-empty array of bearer keys, each strong enough. */
export function parseAdminKeys(value: unknown, field: string, fail: FieldError): string[] {
  if (!Array.isArray(value) || value.length === 0) throw fail(field, 'must be a non-empty array');
  return value.map((key, index) => secret(key, `${field}[${index}]`, fail));
}

/**
 * `adminKeys` of the configuration file: each entry a key for every call, or `{"key", "scopes"}`
 * (API.md section 7): a key limited to the calls of its scopes, e.g. `["origin_health"]` for an
 * origin that pushes its health and must not be able to reset the event.
 */
export function parseAdminKeyEntries(
  value: unknown,
  field: string,
  fail: FieldError,
): { keys: string[]; scoped: ScopedAdminKey[] } {
  if (!Array.isArray(value) || value.length === 0) throw fail(field, 'must be a non-empty array');
  const keys: string[] = [];
  const scoped: ScopedAdminKey[] = [];
  value.forEach((entry, index) => {
    const path = `${field}[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      keys.push(secret(entry, path, fail));
      return;
    }
    const raw = entry as Record<string, unknown>;
    for (const key of Object.keys(raw)) {
      if (key !== 'key' && key !== 'scopes')
        throw fail(`${path}.${key}`, 'unknown key (allowed: key, scopes)');
    }
    const key = secret(raw['key'], `${path}.key`, fail);
    if (raw['scopes'] === undefined) keys.push(key);
    else scoped.push({ key, scopes: scopes(raw['scopes'], `${path}.scopes`, fail) });
  });
  return { keys, scoped };
}

function scopes(value: unknown, field: string, fail: FieldError): AdminScope[] {
  const known = Object.keys(ADMIN_SCOPES).join(', ');
  if (!Array.isArray(value) || value.length === 0) {
    throw fail(field, `must be a non-empty array of ${known} (leave it out for every call)`);
  }
  return value.map((scope, index) => {
    if (!isAdminScope(scope)) throw fail(`${field}[${index}]`, `must be one of ${known}`);
    return scope;
  });
}

/** `adminSigV4Keys`: `[{"accessKeyId", "secretAccessKey", "regions"?}]`, ids unique. */
export function parseSigV4Keys(value: unknown, field: string, fail: FieldError): AdminSigV4Key[] {
  if (!Array.isArray(value)) throw fail(field, 'must be an array');
  const keys = value.map((entry, index) => sigV4Key(entry, `${field}[${index}]`, fail));
  keys.forEach((key, index) => {
    if (keys.findIndex((other) => other.accessKeyId === key.accessKeyId) !== index) {
      throw fail(`${field}[${index}].accessKeyId`, `${key.accessKeyId} is listed twice`);
    }
  });
  return keys;
}

function sigV4Key(entry: unknown, field: string, fail: FieldError): AdminSigV4Key {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw fail(field, 'must be an object {"accessKeyId", "secretAccessKey", "regions"?}');
  }
  const raw = entry as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!['accessKeyId', 'secretAccessKey', 'regions'].includes(key)) {
      throw fail(`${field}.${key}`, 'unknown key (allowed: accessKeyId, secretAccessKey, regions)');
    }
  }
  if (typeof raw.accessKeyId !== 'string' || !ACCESS_KEY_ID.test(raw.accessKeyId)) {
    throw fail(`${field}.accessKeyId`, 'must be 1 to 128 letters, digits, "_" or "-"');
  }
  return {
    accessKeyId: raw.accessKeyId,
    secretAccessKey: secret(raw.secretAccessKey, `${field}.secretAccessKey`, fail),
    regions: raw.regions === undefined ? null : regions(raw.regions, `${field}.regions`, fail),
  };
}

function regions(value: unknown, field: string, fail: FieldError): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw fail(field, 'must be a non-empty array of region names (leave it out to accept any region)');
  }
  return value.map((region, index) => {
    if (typeof region !== 'string' || !REGION.test(region)) {
      throw fail(`${field}[${index}]`, 'must be a region name such as "eu-west-1"');
    }
    return region;
  });
}

/** `ANTEROOM_ADMIN_SIGV4_KEYS`: `id:secret,id:secret` (any region). */
export function parseSigV4KeysEnv(value: string, name: string, fail: FieldError): AdminSigV4Key[] {
  const entries = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item, index) => {
      const colon = item.indexOf(':');
      if (colon < 1) throw fail(`${name}[${index}]`, 'must be accessKeyId:secretAccessKey');
      return { accessKeyId: item.slice(0, colon), secretAccessKey: item.slice(colon + 1) };
    });
  return parseSigV4Keys(entries, name, fail);
}
