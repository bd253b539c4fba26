/**
 * HTML for server-rendered pages, escaped by construction: every value interpolated into the
 * `html` template tag is escaped unless it is already `SafeHtml` (the output of another `html`).
 */

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escape text for use in element content and in quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (char) => ENTITIES[char] ?? char);
}

/** Escape text for element content only (never an attribute): quotes stay as written. */
export function escapeText(value: string): string {
  return value.replace(/[&<>]/g, (char) => ENTITIES[char] ?? char);
}

/** A fragment of markup that is already safe to emit as is. */
export class SafeHtml {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** Template tag: `html\`<p>${text}</p>\`` escapes `text`; nested `html` fragments and arrays of them pass through. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i += 1) {
    out += render(values[i]) + (strings[i + 1] ?? '');
  }
  return new SafeHtml(out);
}

export interface PageShell {
  title: string;
  /** Main content. */
  body: SafeHtml;
  /** Script paths under /assets/ (deferred; no inline script anywhere), before the base path. */
  scripts?: string[];
  /** Absolute URLs of another origin's scripts (a captcha widget), loaded async; the page's CSP must allow them. */
  externalScripts?: string[];
  bodyClass?: string;
  /** Path prefix browsers reach us under (`/prod`; see `base-path.ts`), put before every asset URL. Default `''`. */
  basePath?: string;
  /** Language of the page (BCP 47). Default `en`. */
  lang?: string;
  /** Link `/assets/theme.css`, the operator's colours (public pages only). */
  theme?: boolean;
  /** `<meta name="description">`: what search results and link previews show. */
  description?: string;
  /**
   * Reload the page every so many seconds in a browser without JavaScript (a `<noscript>` meta
   * refresh: a `Refresh` header would also reload the pages the script keeps live).
   */
  noScriptRefreshSeconds?: number;
}

/** The whole document: language, viewport, our one stylesheet, no external asset. */
export function page(shell: PageShell): string {
  const base = shell.basePath ?? '';
  const scripts = [
    ...(shell.scripts ?? []).map((src) => html`<script src="${base}${src}" defer></script>`),
    ...(shell.externalScripts ?? []).map((src) => html`<script src="${src}" async defer></script>`),
  ];
  return html`<!doctype html>
<html lang="${shell.lang ?? 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
${shell.description === undefined ? '' : html`<meta name="description" content="${shell.description}">`}
${shell.noScriptRefreshSeconds === undefined ? '' : html`<noscript><meta http-equiv="refresh" content="${shell.noScriptRefreshSeconds}"></noscript>`}
<title>${shell.title}</title>
<link rel="icon" href="${base}/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${base}/assets/anteroom.css">
${shell.theme ? html`<link rel="stylesheet" href="${base}/assets/theme.css">` : ''}
${scripts}
</head>
<body${shell.bodyClass ? html` class="${shell.bodyClass}"` : ''}>
${shell.body}
</body>
</html>
`.value;
}
