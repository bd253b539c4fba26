/**
 * The captcha widgets a siteverify entry challenge shows on the join form (API.md section 6):
 * the provider's script, the element it renders into, the form field its token arrives in, and
 * the sources the page's Content-Security-Policy must allow for it. Only the pages of such an
 * event load the script and widen their policy; every other page keeps `'self'` alone.
 */
import type Koa from 'koa';
import type { EventSettings, SiteverifyChallengeSettings } from '../../../queue-core/types.ts';
import { readBodyText } from '../../http/body.ts';

export type WidgetProvider = SiteverifyChallengeSettings['provider'];

export interface Widget {
  /** The provider's widget script (loaded async, from the provider). */
  script: string;
  /** The class of the element the script renders the widget into (`data-sitekey` on it). */
  className: string;
  /** The form field the widget fills with its token. */
  responseField: string;
  /** CSP sources the widget needs, per directive (the providers' published lists). */
  sources: { script: string[]; frame: string[]; connect: string[]; style: string[] };
}

export const WIDGETS: Readonly<Record<WidgetProvider, Widget>> = Object.freeze({
  turnstile: {
    script: 'https://challenges.cloudflare.com/turnstile/v0/api.js',
    className: 'cf-turnstile',
    responseField: 'cf-turnstile-response',
    sources: {
      script: ['https://challenges.cloudflare.com'],
      frame: ['https://challenges.cloudflare.com'],
      connect: [],
      style: [],
    },
  },
  hcaptcha: {
    script: 'https://js.hcaptcha.com/1/api.js',
    className: 'h-captcha',
    responseField: 'h-captcha-response',
    sources: {
      script: ['https://hcaptcha.com', 'https://*.hcaptcha.com'],
      frame: ['https://hcaptcha.com', 'https://*.hcaptcha.com'],
      connect: ['https://hcaptcha.com', 'https://*.hcaptcha.com'],
      style: ['https://hcaptcha.com', 'https://*.hcaptcha.com'],
    },
  },
  recaptcha: {
    script: 'https://www.google.com/recaptcha/api.js',
    className: 'g-recaptcha',
    responseField: 'g-recaptcha-response',
    sources: {
      script: ['https://www.google.com/recaptcha/', 'https://www.gstatic.com/recaptcha/'],
      frame: ['https://www.google.com/recaptcha/', 'https://recaptcha.google.com/recaptcha/'],
      connect: [],
      style: [],
    },
  },
});

/** The join form's field carrying a proof of work's `<prefix>:<nonce>`. */
export const POW_FIELD = 'challenge';

/** The form field that carries the answer to an event's challenge. */
export function answerFieldOf(challenge: { type: 'pow' } | { type: 'siteverify'; provider: string }): string {
  if (challenge.type === 'pow') return POW_FIELD;
  return WIDGETS[challenge.provider as WidgetProvider]?.responseField ?? POW_FIELD;
}

/**
 * The answer to the event's entry challenge in a form post (`challenge` for a proof of work, the
 * widget's own field for a captcha), or undefined. The body is read only for such events.
 */
export async function challengeAnswerOf(ctx: Koa.Context, event: EventSettings): Promise<string | undefined> {
  if (event.challenge === undefined || !ctx.is('application/x-www-form-urlencoded')) return undefined;
  const form = new URLSearchParams(await readBodyText(ctx.req));
  return form.get(answerFieldOf(event.challenge)) ?? undefined;
}
