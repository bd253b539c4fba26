/**
 * A failure as a page, for the waiting page and the OIDC waiting page alike: a visitor never
 * sees JSON or a stack trace. An outage or a rate limit gets the retry page with `Retry-After`,
 * a refused request the API's own sentence (in English: what went wrong is worth more than a
 * vaguer translation), anything else a generic error page.
 */
import type Koa from 'koa';
import { AnteroomError } from '../../../queue-core/errors.ts';
import { sendPage } from '../headers.ts';
import { fill, type PageText } from './messages.ts';
import { renderProblemPage } from './render.ts';

/** Sends the page; true when the error was unexpected (a bug: the caller logs it). */
export function sendProblemPage(
  ctx: Koa.Context,
  error: unknown,
  page: { text: PageText; retryHref: string; basePath: string },
): boolean {
  const { text, retryHref, basePath } = page;
  const { messages } = text;
  const send = (status: number, title: string, lead: string) =>
    sendPage(ctx, status, renderProblemPage(title, lead, retryHref, basePath, text));
  if (error instanceof AnteroomError && error.retryAfter !== undefined) {
    ctx.set('Retry-After', String(error.retryAfter));
    const lead = `${messages.problemWaitText} ${fill(messages.problemRetryIn, { n: error.retryAfter })}`;
    send(error.status, messages.problemWaitTitle, lead);
    return false;
  }
  if (error instanceof AnteroomError && error.expose) {
    send(error.status, messages.problemFailedTitle, error.message);
    return false;
  }
  send(500, messages.problemErrorTitle, messages.problemErrorText);
  return true;
}
