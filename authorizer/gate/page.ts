/**
 * The one page the gate renders itself: why a sign-in did not complete, and a way to start again.
 * Self-contained (no script, inline style, nothing fetched), since it may be served at the edge
 * while the origin and the waiting room are out of reach.
 */
import { ERRORS } from '../../queue-core/errors.ts';
import type { SignInFailure } from './failures.ts';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => ESCAPES[char] as string);

/** Security headers of every answer the gate writes itself. */
export const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

export function failurePage(code: SignInFailure, retryUrl: string): string {
  const text = ERRORS[code].message;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in did not complete</title>
<style>body{font:1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}a{color:#0b57d0}</style>
</head><body><main>
<h1>Sign-in did not complete</h1>
<p>${escapeHtml(text)}</p>
<p><a href="${escapeHtml(retryUrl)}">Start again</a></p>
<p><small>Code: <code>${escapeHtml(code)}</code></small></p>
</main></body></html>
`;
}
