/**
 * Who the browser is: the stable visitor cookie `anteroom_vid` (`provider/http/visitor.ts`,
 * shared with the waiting page and the queue API) turned into the OIDC account id (`sub`).
 *
 * `sub` is an HMAC of the visitor id, not the id itself: the cookie is what lets a browser back
 * into an event it was admitted to, so it must never travel inside tokens that relying parties
 * (and their logs) see. Once a provider session exists its account id wins, so a cleared
 * visitor cookie does not change `sub` mid-session.
 */
import { createHmac } from 'node:crypto';

export { ensureVisitorId, readVisitorId, VISITOR_COOKIE } from '../http/visitor.ts';

/** The account id (`sub`) of a visitor id: stable across events, not reversible. */
export function accountIdOf(visitorId: string, secret: string): string {
  return createHmac('sha256', secret).update(`anteroom-sub:${visitorId}`).digest('base64url');
}
