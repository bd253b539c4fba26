/**
 * The entry settings of API.md section 6 (`challenge`, `enqueueToken`):
 * parsed strictly with the field named, merged by `PUT /events/{id}` without losing the
 * siteverify secret, and shown without it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactEvent } from '../../queue-core/entry/settings.ts';
import { ValidationError } from '../../queue-core/errors.ts';
import { mergeEventSettings, parseEvent } from '../../queue-core/event-settings.ts';

function assertInvalid(run: () => unknown, field: string, fragment?: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.equal(error.code, 'invalid_event_settings');
    assert.equal(error.field, field);
    if (fragment !== undefined)
      assert.ok(error.message.includes(fragment), `"${error.message}" lacks "${fragment}"`);
    return true;
  });
}

const TURNSTILE = {
  type: 'siteverify',
  provider: 'turnstile',
  sitekey: '0x4AAAAAAAB-c_d.e',
  secret: 'server-secret-1',
};
const KEYS = { keys: [{ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'BBBB', kid: 'site-1' }] };

describe('entry settings', () => {
  it('keeps a valid challenge and enqueue token, and omits them when absent or null', () => {
    const event = parseEvent({
      id: 'sale',
      challenge: { type: 'pow', difficulty: 16 },
      enqueueToken: {
        issuer: 'https://shop.example',
        jwksUrl: 'https://shop.example/jwks.json',
        audience: 'sale',
      },
    });
    assert.deepEqual(event.challenge, { type: 'pow', difficulty: 16 });
    assert.deepEqual(event.enqueueToken, {
      issuer: 'https://shop.example',
      jwksUrl: 'https://shop.example/jwks.json',
      audience: 'sale',
    });
    const bare = parseEvent({ id: 'sale', challenge: null, enqueueToken: null });
    assert.equal('challenge' in bare || 'enqueueToken' in bare, false);
    assert.deepEqual(parseEvent({ id: 's', challenge: TURNSTILE }).challenge, TURNSTILE);
    assert.deepEqual(parseEvent({ id: 's', enqueueToken: { issuer: 'shop', jwks: KEYS } }).enqueueToken, {
      issuer: 'shop',
      jwks: KEYS,
    });
  });

  it('names the bad field', () => {
    assertInvalid(
      () => parseEvent({ id: 's', challenge: { type: 'pow' } }),
      'events[0].challenge.difficulty',
    );
    for (const difficulty of [7, 25, 8.5, '12']) {
      assertInvalid(
        () => parseEvent({ id: 's', challenge: { type: 'pow', difficulty } }),
        'events[0].challenge.difficulty',
        '≥ 8 and ≤ 24',
      );
    }
    assertInvalid(() => parseEvent({ id: 's', challenge: { type: 'captcha' } }), 'events[0].challenge.type');
    assertInvalid(
      () => parseEvent({ id: 's', challenge: { type: 'pow', difficulty: 9, x: 1 } }),
      'events[0].challenge.x',
    );
    assertInvalid(
      () => parseEvent({ id: 's', challenge: { ...TURNSTILE, provider: 'arkose' } }),
      'events[0].challenge.provider',
    );
    assertInvalid(
      () => parseEvent({ id: 's', challenge: { ...TURNSTILE, sitekey: 'a"b' } }),
      'events[0].challenge.sitekey',
    );
    assertInvalid(
      () => parseEvent({ id: 's', challenge: { ...TURNSTILE, secret: undefined } }),
      'events[0].challenge.secret',
    );
    assertInvalid(
      () => parseEvent({ id: 's', challenge: { ...TURNSTILE, url: 'ftp://x' } }),
      'events[0].challenge.url',
    );
    assertInvalid(
      () => parseEvent({ id: 's', enqueueToken: { jwks: KEYS } }),
      'events[0].enqueueToken.issuer',
    );
    assertInvalid(
      () => parseEvent({ id: 's', enqueueToken: { issuer: 'i' } }),
      'events[0].enqueueToken',
      'exactly one',
    );
    assertInvalid(
      () => parseEvent({ id: 's', enqueueToken: { issuer: 'i', jwks: KEYS, jwksUrl: 'https://x/jwks' } }),
      'events[0].enqueueToken',
      'exactly one',
    );
    assertInvalid(
      () =>
        parseEvent({
          id: 's',
          enqueueToken: { issuer: 'i', jwks: { keys: [{ ...KEYS.keys[0], d: 'secret' }] } },
        }),
      'events[0].enqueueToken.jwks.keys[0]',
      'public key',
    );
    assertInvalid(
      () => parseEvent({ id: 's', enqueueToken: { issuer: 'i', jwks: { keys: [] } } }),
      'events[0].enqueueToken.jwks.keys',
    );
  });

  it('keeps the siteverify secret through a patch that does not name it, and never shows it', () => {
    const base = parseEvent({ id: 's', challenge: TURNSTILE });
    const patched = mergeEventSettings(base, {
      challenge: { type: 'siteverify', provider: 'turnstile', sitekey: 'new-key' },
    });
    assert.deepEqual(patched.challenge, { ...TURNSTILE, sitekey: 'new-key' });
    // A round trip of what the admin API shows keeps the secret too.
    const shown = redactEvent(base);
    assert.equal(JSON.stringify(shown).includes('server-secret-1'), false);
    assert.deepEqual(mergeEventSettings(base, { challenge: shown.challenge }).challenge, TURNSTILE);
    // Another provider needs its own secret.
    assertInvalid(
      () => mergeEventSettings(base, { challenge: { ...shown.challenge, provider: 'hcaptcha' } }),
      'challenge.secret',
    );
    assert.equal(mergeEventSettings(base, { challenge: null }).challenge, undefined);
    assert.equal(
      redactEvent(parseEvent({ id: 'p', challenge: { type: 'pow', difficulty: 8 } })).challenge?.type,
      'pow',
    );
  });
});
