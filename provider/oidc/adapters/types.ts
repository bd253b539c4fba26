/**
 * The storage contract of oidc-provider (interactions, sessions, grants, codes, tokens), as
 * every Anteroom adapter implements it, plus the clock the adapters share.
 *
 * Every adapter hides a record once its `expiresIn` has passed by its own clock, whatever the
 * backing store's garbage collection does (DynamoDB's TTL deletes up to days late), and makes
 * `consume` atomic: of two concurrent consumers of one code exactly one succeeds; the other
 * gets `invalid_grant`. One contract suite (`test/provider/oidc/adapter-contract.ts`) runs
 * against every adapter.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';

export type { Adapter, AdapterPayload };

/** Builds the adapter of one oidc-provider model (`Session`, `AccessToken`, …). */
export type AdapterFactory = (model: string) => Adapter;

/** Epoch seconds; injectable so the contract suite controls expiry without sleeping. */
export type Clock = () => number;

export const systemClock: Clock = () => Math.floor(Date.now() / 1000);

/** Models whose records are looked up by `grantId` when a grant is revoked. */
export const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

/** The second consumer of a code (or a consumer of a code already gone) loses. */
export function alreadyConsumed(): Error {
  return new errors.InvalidGrant('grant already consumed');
}

/** Absolute expiry (epoch seconds) of a record stored now with `expiresIn` seconds; undefined = none. */
export function expiryOf(now: number, expiresIn: number | undefined): number | undefined {
  return expiresIn === undefined || !Number.isFinite(expiresIn)
    ? undefined
    : now + Math.max(0, Math.ceil(expiresIn));
}
