/**
 * Which request paths need a session. A prefix matches itself and what lies below it on a segment
 * boundary: `/shop` covers `/shop` and `/shop/cart`, not `/shopping`; a prefix ending in `/`
 * covers everything that starts with it.
 *
 * The decision errs towards protecting: a path is public only when it is public both as sent and
 * once percent-decoded and rid of dot segments (`/assets/%2e%2e/shop`, `/assets%2F..%2Fshop`),
 * since the origin behind the gate may normalise it either way.
 */

export function underPrefix(path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return prefix.endsWith('/') || path.length === prefix.length || path[prefix.length] === '/';
}

const anyUnder = (path: string, prefixes: readonly string[]) =>
  prefixes.some((prefix) => underPrefix(path, prefix));

/** Dot segments resolved, as a URL parser (and most origins) would. */
function withoutDotSegments(path: string): string {
  return URL.parse(path, 'http://gate.invalid')?.pathname ?? path;
}

/** The forms a path may take at the origin; null when it cannot be decoded (then it is protected). */
function forms(path: string): string[] | null {
  const resolved = withoutDotSegments(path);
  if (!path.includes('%')) return resolved === path ? [path] : [path, resolved];
  let decoded: string;
  try {
    decoded = decodeURIComponent(resolved);
  } catch {
    return null;
  }
  return [path, resolved, decoded, withoutDotSegments(decoded.replaceAll('\\', '/'))];
}

export function createPathPolicy(protect: readonly string[], publicPaths: readonly string[]) {
  const protectedAs = (path: string) => anyUnder(path, protect) && !anyUnder(path, publicPaths);
  return function needsSession(path: string): boolean {
    const candidates = forms(path);
    return candidates === null || candidates.some(protectedAs);
  };
}
