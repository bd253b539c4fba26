/**
 * What an admin key limited by `scopes` may call (API.md section 7): a key for the origin's
 * health pushes cannot reset an event. A key without scopes may call everything.
 */

/** Each scope and the admin routes it opens. */
export const ADMIN_SCOPES = {
  origin_health: [{ method: 'POST', path: '/origin_health' }],
} as const;

export type AdminScope = keyof typeof ADMIN_SCOPES;

export interface ScopedAdminKey {
  key: string;
  scopes: readonly AdminScope[];
}

export function isAdminScope(value: unknown): value is AdminScope {
  return typeof value === 'string' && Object.hasOwn(ADMIN_SCOPES, value);
}

/** Whether one of `scopes` opens `method path`. */
export function scopeAllows(scopes: readonly AdminScope[], method: string, path: string): boolean {
  return scopes.some((scope) =>
    ADMIN_SCOPES[scope].some((route) => route.method === method && route.path === path),
  );
}
