/**
 * Where an admitted visitor goes next. A `return_url` query parameter may name it, but only
 * on this site (a relative path, or an absolute URL on the public origin): the waiting room
 * must never become an open redirect.
 */

const DEFAULT_ONWARD = '/';

export function safeReturnUrl(raw: unknown, publicUrl: string): string | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048) return null;
  // Control characters and backslashes make browsers disagree about what a URL means.
  if ([...raw].some((char) => char === '\\' || char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f))
    return null;
  if (raw.startsWith('/')) return raw.startsWith('//') ? null : raw;
  try {
    const url = new URL(raw);
    return url.origin === new URL(publicUrl).origin ? url.href : null;
  } catch {
    return null;
  }
}

export function onwardUrl(returnUrl: string | null): string {
  return returnUrl ?? DEFAULT_ONWARD;
}
