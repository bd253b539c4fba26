/**
 * AWS Lambda entry points (API.md §4): `publicHandler` (public queue API, pages, OIDC) and
 * `adminHandler` (private admin API) for API Gateway REST (payload 1.0) and HTTP API (2.0)
 * events, and `scheduledHandler` for the EventBridge schedule (inlet ticks, expiry, status
 * events, metrics). Configuration comes from the environment (`provider/lambda/env.ts`);
 * clients are created once per container, on the first invocation.
 *
 * This module is small on purpose: the handlers' code (`lambda/handlers.ts`: the store, ioredis,
 * the logger, the apps) is imported after it. When Lambda names the handler it will invoke
 * (`_HANDLER`, `index.publicHandler`), the secrets the environment names are requested first,
 * in one `BatchGetSecretValue` call, and that import runs while they are on the way; the handlers then build the container, the
 * Redis connection and the app before the event arrives (`LambdaHandlers.warm`). Without
 * `_HANDLER` (tests, a local import) nothing starts before the first invocation.
 */
import type { LambdaHandlers } from './lambda/handlers.ts';
import { directBatchRead, directSecretsManager, SecretPrefetch } from './lambda/secrets.ts';

const env = process.env;
const warming = Boolean(env._HANDLER);
const secretPrefetch = warming
  ? new SecretPrefetch(directSecretsManager(env), SecretPrefetch.idsOf(env), directBatchRead(env))
  : undefined;

let loading: Promise<LambdaHandlers> | null = null;
function handlers(): Promise<LambdaHandlers> {
  if (loading === null) {
    const attempt = import('./lambda/handlers.ts').then(({ createLambdaHandlers }) =>
      createLambdaHandlers({ env, ...(secretPrefetch ? { secretPrefetch } : {}) }),
    );
    loading = attempt;
    attempt.catch(() => {
      if (loading === attempt) loading = null;
    });
  }
  return loading;
}
if (warming) {
  handlers().then(
    (ready) => ready.warm(env._HANDLER),
    () => {},
  );
}

export const publicHandler: LambdaHandlers['publicHandler'] = async (event, context) =>
  (await handlers()).publicHandler(event, context);
export const adminHandler: LambdaHandlers['adminHandler'] = async (event, context) =>
  (await handlers()).adminHandler(event, context);
export const scheduledHandler: LambdaHandlers['scheduledHandler'] = async (event, context) =>
  (await handlers()).scheduledHandler(event, context);
