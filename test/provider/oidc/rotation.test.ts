/**
 * Rotating the OIDC signing key (`anteroom keys rotate oidc`) under a running provider, with
 * cookie keys derived from the RS256 keys (no `oidc.cookieKeys`): the new key is published at
 * once and signs only KEY_PUBLISH_SECONDS later, a visitor who started signing in before the
 * rotation finishes after it, browser cookies survive both steps, and `sub` never changes.
 * openid-client is the relying party: it verifies every ID token against the provider's JWKS.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import * as oc from 'openid-client';
import { createKeysDocument, OIDC_ALGORITHM } from '../../../queue-core/signing-keys/document.ts';
import { KEY_PUBLISH_SECONDS, KeyRing } from '../../../queue-core/signing-keys/key-ring.ts';
import {
  Browser,
  CLIENTS,
  discoverClient,
  navigate,
  type OidcServer,
  RP,
  SECRET_A,
  startFlow,
  startOidcServer,
} from './harness.ts';

let server: OidcServer;
let ring: KeyRing;
let clock = 1_900_000_000;

before(async () => {
  ring = await KeyRing.fromDocument(await createKeysDocument('ES256', clock), {
    algorithm: 'ES256',
    now: () => clock,
  });
  server = await startOidcServer({ keys: ring, raw: { oidc: { clients: CLIENTS } } });
});
after(() => server.close());

async function publishedKids(): Promise<string[]> {
  const jwks = (await (await fetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
  return jwks.keys.map((key) => key.kid);
}

async function signIn(config: oc.Configuration, browser: Browser, admit: boolean) {
  const flow = await startFlow(config, `${RP}/a/callback`);
  let landing = await navigate(browser, flow.url);
  if (admit) {
    assert.equal(landing.kind, 'page', 'the visitor waits first');
    await server.admit('event-a', 1);
    landing = await navigate(browser, (landing as { url: URL }).url);
  }
  assert.ok(landing.kind === 'callback', `back at the relying party (${landing.kind})`);
  const tokens = await oc.authorizationCodeGrant(config, landing.url, {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
    expectedNonce: flow.nonce,
  });
  return { kid: decodeProtectedHeader(tokens.id_token!).kid, sub: tokens.claims()!.sub };
}

test('a rotated OIDC key is published at once, signs after the publish delay, and keeps every visitor signed in', async () => {
  const config = await discoverClient(server, 'client-a', SECRET_A);
  const oldKid = ring.signingKey(OIDC_ALGORITHM).kid;
  assert.deepEqual((await publishedKids()).includes(oldKid), true);

  // A visitor starts signing in and waits (cookies signed with the old key's cookie key).
  const waiting = new Browser();
  const flow = await startFlow(config, `${RP}/a/callback`);
  const page = await navigate(waiting, flow.url);
  assert.ok(page.kind === 'page' && page.status === 200);

  const newKid = await ring.rotate(OIDC_ALGORITHM);
  assert.notEqual(newKid, oldKid);
  const kids = await publishedKids();
  assert.ok(kids.includes(newKid), 'the new key is published on the next request, without a restart');
  assert.ok(kids.includes(oldKid), 'the old key still verifies');
  assert.ok(kids.indexOf(oldKid) < kids.indexOf(newKid), 'the old key still signs');

  // The waiting visitor is admitted and finishes: still signed with the old key.
  await server.admit('event-a', 1);
  const back = await navigate(waiting, page.url);
  assert.ok(back.kind === 'callback', 'the interaction begun before the rotation completes');
  const first = await oc.authorizationCodeGrant(config, back.url, {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
    expectedNonce: flow.nonce,
  });
  assert.equal(decodeProtectedHeader(first.id_token!).kid, oldKid);
  const sub = first.claims()!.sub;

  // After the publish delay the new key signs. The same browser's provider session (signed
  // with the old key's cookie key) still holds: it is admitted without waiting, same `sub`.
  clock += KEY_PUBLISH_SECONDS;
  const again = await signIn(config, waiting, false);
  assert.equal(again.kid, newKid);
  assert.equal(again.sub, sub, '`sub` survives the rotation');
  // Without its provider session, the browser is known by its visitor cookie alone: still the
  // same `sub`, so still admitted (admissions are recorded under `sub`).
  for (const [key, cookie] of waiting.cookies)
    if (cookie.name.startsWith('_ar_')) waiting.cookies.delete(key);
  const visitorOnly = await signIn(config, waiting, false);
  assert.equal(visitorOnly.sub, sub, '`sub` from the visitor cookie survives the rotation');

  // A new browser gets cookies signed with the new key's cookie key, and waits as usual.
  const fresh = await signIn(config, new Browser(), true);
  assert.equal(fresh.kid, newKid);
  assert.notEqual(fresh.sub, sub);

  // Removing the old key unpublishes it.
  assert.equal(await ring.removeRetired(oldKid), true);
  assert.ok(!(await publishedKids()).includes(oldKid));
  assert.equal((await signIn(config, new Browser(), true)).kid, newKid);
});

test('an admission-key rotation leaves the OIDC signing key alone', async () => {
  const before = ring.signingKey(OIDC_ALGORITHM).kid;
  const rotated = await ring.rotate();
  assert.equal(ring.summary().find((key) => key.kid === rotated)?.alg, 'ES256');
  assert.equal(ring.signingKey(OIDC_ALGORITHM).kid, before);
  await assert.rejects(ring.rotate('HS256' as never), { code: 'invalid_keys' });
});
