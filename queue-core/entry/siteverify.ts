/**
 * The siteverify call of a captcha widget (Cloudflare Turnstile, hCaptcha and reCAPTCHA share
 * it): the widget's token, the server `secret` and the visitor's address posted as a form; the
 * answer's `success` says whether the token is good. Each provider accepts a token once.
 */
import { ENTRY_DEFAULTS } from '../defaults.ts';
import type { SiteverifyChallengeSettings } from '../types.ts';

export type SiteverifyVerdict = 'passed' | 'failed' | 'unavailable';

/** The longest widget token passed on (providers' tokens are about 2 KB at most). */
const MAX_TOKEN_LENGTH = 8192;

export async function siteverify(
  settings: SiteverifyChallengeSettings,
  token: string,
  remoteIp: string | undefined,
): Promise<SiteverifyVerdict> {
  if (token.length > MAX_TOKEN_LENGTH) return 'failed';
  const form = new URLSearchParams({ secret: settings.secret, response: token });
  if (remoteIp !== undefined) form.set('remoteip', remoteIp);
  // hCaptcha checks the token was made for this sitekey when it is given.
  if (settings.provider === 'hcaptcha') form.set('sitekey', settings.sitekey);
  let answer: unknown;
  try {
    const response = await fetch(settings.url ?? ENTRY_DEFAULTS.siteverifyUrls[settings.provider], {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form,
      redirect: 'error',
      signal: AbortSignal.timeout(ENTRY_DEFAULTS.verifyTimeoutMs),
    });
    if (!response.ok) return 'unavailable';
    answer = await response.json();
  } catch {
    return 'unavailable';
  }
  if (
    typeof answer !== 'object' ||
    answer === null ||
    typeof (answer as { success?: unknown }).success !== 'boolean'
  )
    return 'unavailable';
  return (answer as { success: boolean }).success ? 'passed' : 'failed';
}
