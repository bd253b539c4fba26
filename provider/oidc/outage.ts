/**
 * Store outages inside oidc-provider. The queue store and the provider's adapter fail with
 * `StoreUnavailableError` (503); oidc-provider would render any error it does not know as a 500
 * `server_error`, or worse, show the error's sentence as an OAuth error code. Here such failures
 * become the OAuth error `temporarily_unavailable` with status 503 (RFC 6749 §4.1.2.1), so a
 * relying party gets a code it knows and `mount.ts` adds `Retry-After`.
 */
import { errors } from 'oidc-provider';
import { isServerFailure } from '../../queue-core/errors.ts';
import type { Adapter, AdapterFactory } from './adapters/types.ts';

export function toProviderError(error: unknown): unknown {
  if (!isServerFailure(error)) return error;
  const mapped = new errors.CustomOIDCProviderError(
    'temporarily_unavailable',
    'the waiting room is temporarily unavailable, retry shortly',
  );
  Object.assign(mapped, { status: 503, statusCode: 503, expose: true });
  return mapped;
}

/** Run `operation`, mapping a store outage to `temporarily_unavailable`. */
export async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw toProviderError(error);
  }
}

const METHODS = [
  'upsert',
  'find',
  'findByUid',
  'findByUserCode',
  'consume',
  'destroy',
  'revokeByGrantId',
] as const;

/** The same adapter, its outages mapped. */
export function guardAdapter(factory: AdapterFactory): AdapterFactory {
  return (model: string) => {
    const adapter = factory(model);
    const wrapped = {} as Record<(typeof METHODS)[number], unknown>;
    for (const method of METHODS) {
      const call = adapter[method] as (...args: unknown[]) => Promise<unknown>;
      wrapped[method] = (...args: unknown[]) => guarded(() => call.apply(adapter, args));
    }
    return wrapped as unknown as Adapter;
  };
}
