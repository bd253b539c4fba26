/**
 * Reading a `Cookie` header and writing `Set-Cookie` values. Shared by the site gate and the
 * sample site.
 */

/** One cookie's value from a `Cookie` header, or null. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (header === undefined || !header.includes(name)) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** Every cookie of a `Cookie` header whose name starts with `prefix`, as [name, value] pairs. */
export function cookiesNamed(header: string | undefined, prefix: string): Array<[string, string]> {
  if (header === undefined || !header.includes(prefix)) return [];
  const found: Array<[string, string]> = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (name.startsWith(prefix)) found.push([name, part.slice(eq + 1).trim()]);
  }
  return found;
}

/** A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure when asked, scoped to `path`; maxAge 0 deletes. */
export function cookieHeader(
  name: string,
  value: string,
  options: { path: string; maxAge: number; secure: boolean },
): string {
  const secure = options.secure ? '; Secure' : '';
  return `${name}=${value}; Path=${options.path}; Max-Age=${Math.max(0, Math.floor(options.maxAge))}; HttpOnly; SameSite=Lax${secure}`;
}
