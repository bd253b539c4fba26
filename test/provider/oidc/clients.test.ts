/**
 * Client registrations and cookie keys are validated at start-up; a bad one fails naming the
 * client and the field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOidcClients, providerClientMetadata } from '../../../provider/oidc/clients.ts';
import { resolveCookieKeys } from '../../../provider/oidc/cookie-keys.ts';
import { ValidationError } from '../../../queue-core/errors.ts';

const good = {
  client_id: 'shop',
  client_secret: 'a-secret-of-enough-length',
  redirect_uris: ['https://shop.example/oauth2/idpresponse'],
  event_id: 'sale',
};

function fails(raw: unknown, field: string, message: RegExp, events?: string[]): void {
  assert.throws(
    () => parseOidcClients(raw, events),
    (error: unknown) => {
      assert.ok(error instanceof ValidationError, String(error));
      assert.equal(error.field, field);
      assert.equal(error.code, 'invalid_oidc_client');
      assert.match(error.message, message);
      return true;
    },
  );
}

test('a valid confidential client and a public client', () => {
  const [shop, spa] = parseOidcClients(
    [
      { ...good, refresh: true, post_logout_redirect_uris: ['https://shop.example/'] },
      {
        client_id: 'spa',
        redirect_uris: ['http://localhost:3000/cb', 'http://127.0.0.1:3000/cb'],
        event_id: 'sale',
        audience: 'https://api.shop.example',
      },
    ],
    ['sale'],
  );
  assert.equal(shop?.refresh, true);
  assert.equal(shop?.audience, 'sale');
  assert.equal(spa?.clientSecret, undefined);
  assert.equal(spa?.audience, 'https://api.shop.example');
  assert.equal(providerClientMetadata(spa!)['token_endpoint_auth_method'], 'none');
  assert.deepEqual(providerClientMetadata(shop!)['grant_types'], ['authorization_code', 'refresh_token']);
  assert.deepEqual(parseOidcClients(undefined), []);
});

test('each bad field fails naming the client and the field', () => {
  fails({}, 'oidc.clients', /must be an array/);
  fails([{ ...good, client_id: 'bad id' }], 'oidc.clients[0].client_id', /client_id/);
  fails(
    [good, { ...good, extra: 1 }],
    'oidc.clients[1].extra',
    /oidc\.clients\[1\] \("shop"\)\.extra is not a known field/,
  );
  fails(
    [{ ...good, client_secret: 'short' }],
    'oidc.clients[0].client_secret',
    /\("shop"\)\.client_secret must be a string of at least 16/,
  );
  fails([{ ...good, event_id: undefined }], 'oidc.clients[0].event_id', /\("shop"\)\.event_id is required/);
  fails([good], 'oidc.clients[0].event_id', /"sale" is not a configured event/, ['other']);
  fails([{ ...good, redirect_uris: [] }], 'oidc.clients[0].redirect_uris', /non-empty array/);
  fails(
    [{ ...good, redirect_uris: ['http://shop.example/cb'] }],
    'oidc.clients[0].redirect_uris[0]',
    /https URL/,
  );
  fails(
    [{ ...good, redirect_uris: ['https://shop.example/cb#x'] }],
    'oidc.clients[0].redirect_uris[0]',
    /fragment/,
  );
  fails(
    [{ ...good, redirect_uris: ['https://*.shop.example/cb'] }],
    'oidc.clients[0].redirect_uris[0]',
    /wildcard/,
  );
  fails([{ ...good, redirect_uris: ['/relative'] }], 'oidc.clients[0].redirect_uris[0]', /absolute URL/);
  fails(
    [{ ...good, post_logout_redirect_uris: 'https://x' }],
    'oidc.clients[0].post_logout_redirect_uris',
    /array/,
  );
  fails([{ ...good, refresh: 'yes' }], 'oidc.clients[0].refresh', /true or false/);
  fails([{ ...good, audience: '' }], 'oidc.clients[0].audience', /non-empty/);
  fails([good, good], 'oidc.clients[1].client_id', /duplicates oidc\.clients\[0\]/);
});

test('cookie keys: configured ones are checked, absent ones are derived from the RS256 keys', () => {
  assert.deepEqual(resolveCookieKeys(['k'.repeat(32)], []), {
    keys: ['k'.repeat(32)],
    accountSecret: 'k'.repeat(32),
  });
  // Newest first: the first signs, the last (oldest) is the secret of `sub`.
  assert.deepEqual(resolveCookieKeys(`${'a'.repeat(32)}, ${'b'.repeat(32)}`, []), {
    keys: ['a'.repeat(32), 'b'.repeat(32)],
    accountSecret: 'b'.repeat(32),
  });
  assert.throws(() => resolveCookieKeys(['short'], []), { field: 'oidc.cookieKeys[0]' });
  assert.throws(() => resolveCookieKeys([], []), { field: 'oidc.cookieKeys' });
  const rsa = { kty: 'RSA', alg: 'RS256', kid: 'old', d: 'private-exponent' };
  const derived = resolveCookieKeys(undefined, [rsa]);
  assert.equal(derived.keys.length, 1);
  assert.equal(derived.accountSecret, derived.keys[0]);
  assert.deepEqual(resolveCookieKeys(undefined, [rsa]), derived, 'every instance derives the same key');
  assert.notDeepEqual(resolveCookieKeys(undefined, [{ ...rsa, d: 'other' }]), derived);
  assert.throws(() => resolveCookieKeys(undefined, []), { field: 'oidc.cookieKeys' });

  // A rotation: a key per RS256 key, the signer's first; `sub` keeps the oldest key's secret
  // whichever signs, and whatever the order of the others.
  const fresh = { kty: 'RSA', alg: 'RS256', kid: 'new', d: 'new-private-exponent' };
  const es = { kty: 'EC', alg: 'ES256', kid: 'es', d: 'ec-private' };
  const publishing = resolveCookieKeys(undefined, [rsa, fresh, es], 'old');
  assert.equal(publishing.keys.length, 2);
  assert.equal(publishing.keys[0], derived.keys[0], 'the old key still signs cookies');
  const signing = resolveCookieKeys(undefined, [fresh, es, rsa], 'old');
  assert.deepEqual(signing.keys, [publishing.keys[1], publishing.keys[0]], 'the new key signs cookies');
  assert.equal(publishing.accountSecret, derived.accountSecret);
  assert.equal(signing.accountSecret, derived.accountSecret);
  // Once the old key is removed, `sub` moves to the next oldest.
  assert.equal(resolveCookieKeys(undefined, [fresh], 'new').accountSecret, publishing.keys[1]);
});
