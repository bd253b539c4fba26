/**
 * The checks in front of the OpenID Connect provider on the requests that make it store
 * state: an authorization request (`/auth`) stores an interaction holding its parameters, a
 * logout page (`/session/end`) a session. Both are open to anyone, so without a bound one
 * client could fill the store the queue needs. Before the provider runs:
 *
 *   checkParameterSizes  each parameter, and the whole query, within AUTHORIZE_PARAMETER_LIMITS
 *                        (400 `invalid_request` page otherwise)
 *   takeClientBudget     one request of the client's budget (`limits.authorizePerClientPerMinute`,
 *                        kept in the queue store so every process shares it): 429 page with
 *                        `Retry-After` once it is spent
 *
 * A refused request reaches neither the provider nor its store.
 */
import type Koa from 'koa';
import { AUTHORIZE_PARAMETER_LIMITS } from '../../queue-core/defaults.ts';
import { AnteroomError, rateLimitedError } from '../../queue-core/errors.ts';
import type { AppDeps } from '../apps/deps.ts';
import { publicUrlPath, requestBasePath } from '../pages/base-path.ts';
import { pageTextOf } from '../pages/headers.ts';
import { sendProblemPage } from '../pages/waiting/problem.ts';
import { renderError } from './provider.ts';

/** Provider paths (below the mount) whose requests store new provider state. */
const STATE_CREATING_PATHS = new Set(['/auth', '/session/end']);

type Limited = keyof typeof AUTHORIZE_PARAMETER_LIMITS;

function limitOf(name: string): number {
  return name in AUTHORIZE_PARAMETER_LIMITS && name !== 'query'
    ? AUTHORIZE_PARAMETER_LIMITS[name as Limited]
    : AUTHORIZE_PARAMETER_LIMITS.other;
}

/** The first parameter that is too long, as the sentence the page shows; null when all fit. */
export function oversizedParameter(querystring: string): string | null {
  if (querystring.length > AUTHORIZE_PARAMETER_LIMITS.query) {
    return `the request's parameters are longer than ${AUTHORIZE_PARAMETER_LIMITS.query} characters`;
  }
  for (const [name, value] of new URLSearchParams(querystring)) {
    const limit = limitOf(name);
    if (value.length > limit) return `${name.slice(0, 64)} is longer than ${limit} characters`;
  }
  return null;
}

export interface StateGuardDeps {
  budget: AppDeps['authorizeBudget'];
  config: Pick<AppDeps['config'], 'publicUrl' | 'pages'>;
  /** Path of the issuer as the browser sees it (`/oidc`, `/prod/oidc`). */
  issuerPath: string;
}

/**
 * What the checks found: `pass` (one request of the budget taken), a parameter too long (nothing
 * taken), or the budget refused (spent, or the store is down).
 */
export type GuardOutcome =
  | { kind: 'pass' }
  | { kind: 'oversized'; description: string }
  | { kind: 'refused'; refusal: AnteroomError };

/**
 * The checks of a state-creating request, without answering it: the Koa guard below and
 * `anteroom serve`'s fast path for `/auth` (`index.ts`) both run them through this.
 */
export async function checkProviderState(
  budget: AppDeps['authorizeBudget'],
  querystring: string,
  client: string,
): Promise<GuardOutcome> {
  const oversized = oversizedParameter(querystring);
  if (oversized !== null) return { kind: 'oversized', description: oversized };
  try {
    const retryAfter = await budget.take(client);
    if (retryAfter > 0) {
      return {
        kind: 'refused',
        refusal: rateLimitedError(retryAfter, 'Too many sign-in requests from this client'),
      };
    }
  } catch (error) {
    // The store is down: the provider could not have saved the request either; a retry page.
    if (error instanceof AnteroomError) return { kind: 'refused', refusal: error };
    throw error;
  }
  return { kind: 'pass' };
}

/**
 * True when the request was refused (the answer is written); false lets it through. `checked`:
 * what the fast path already found for this request (its budget is not taken twice).
 */
export function stateGuard(
  deps: StateGuardDeps,
): (ctx: Koa.Context, rest: string, checked?: GuardOutcome) => Promise<boolean> {
  const publicBasePath = publicUrlPath(deps.config.publicUrl);
  return async function guardProviderState(ctx, rest, checked) {
    if (!STATE_CREATING_PATHS.has(rest)) return false;
    const outcome = checked ?? (await checkProviderState(deps.budget, ctx.querystring, ctx.ip));
    if (outcome.kind === 'pass') return false;
    const basePath = requestBasePath(ctx, publicBasePath);
    if (outcome.kind === 'oversized') {
      ctx.status = 400;
      await renderError(ctx, { error: 'invalid_request', error_description: outcome.description }, basePath);
      return true;
    }
    const { refusal } = outcome;
    const retryHref = `${deps.issuerPath}${rest}${ctx.querystring ? `?${ctx.querystring}` : ''}`;
    sendProblemPage(ctx, refusal, { text: pageTextOf(ctx, deps.config.pages), retryHref, basePath });
    return true;
  };
}
