/**
 * AWS Lambda entry points (API.md §4): `publicHandler` (public queue API, pages, OIDC) and
 * `adminHandler` (private admin API) for API Gateway REST (payload 1.0) and HTTP API (2.0)
 * events, and `scheduledHandler` for the EventBridge schedule (inlet ticks, expiry, status
 * events, metrics). Configuration comes from the environment (`provider/lambda/env.ts`);
 * clients are created once per container, on the first invocation.
 *
 * When Lambda names the handler it will invoke (`_HANDLER`, `index.publicHandler`), the secrets
 * the environment names are requested at import, in one `BatchGetSecretValue` call, and the
 * handler's container, Redis connection and app are built while the runtime waits for the event
 * (`LambdaHandlers.warm`); the invocation shares that build. Without `_HANDLER` (tests, a local
 * import) nothing starts before the first invocation.
 */
import { createLambdaHandlers } from './lambda/handlers.ts';
import { directBatchRead, directSecretsManager, SecretPrefetch } from './lambda/secrets.ts';

const env = process.env;
const warming = Boolean(env._HANDLER);
const handlers = createLambdaHandlers({
  env,
  ...(warming
    ? {
        secretPrefetch: new SecretPrefetch(
          directSecretsManager(env),
          SecretPrefetch.idsOf(env),
          directBatchRead(env),
        ),
      }
    : {}),
});
if (warming) void handlers.warm(env._HANDLER);

export const publicHandler = handlers.publicHandler;
export const adminHandler = handlers.adminHandler;
export const scheduledHandler = handlers.scheduledHandler;
