import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_EVENT } from '../../queue-core/defaults.ts';
import { ValidationError } from '../../queue-core/errors.ts';
import { mergeEventSettings, parseEvent, parseEvents } from '../../queue-core/event-settings.ts';
import type { EventSettings } from '../../queue-core/types.ts';

/** Assert that `run` throws a ValidationError for `field` whose message names it. */
function assertInvalid(run: () => unknown, field: string, fragment?: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.equal(error.code, 'invalid_event_settings');
    assert.equal(error.status, 400);
    assert.equal(error.field, field);
    assert.ok(error.message.startsWith(field), `message "${error.message}" should start with ${field}`);
    if (fragment !== undefined)
      assert.ok(error.message.includes(fragment), `"${error.message}" lacks "${fragment}"`);
    return true;
  });
}

describe('parseEvent', () => {
  it('applies the documented defaults to a bare id (manual inlet)', () => {
    assert.deepEqual(parseEvent({ id: 'sale' }), {
      id: 'sale',
      mode: 'queue',
      inlet: { type: 'manual' },
      tokenValiditySeconds: 3600,
      queuePositionExpirySeconds: 900,
      incrementServingOnExpiry: false,
    });
  });

  it('keeps every given field', () => {
    const raw = {
      id: 'exam.2026_A-1',
      mode: 'passthrough',
      inlet: { type: 'periodic', incrementBy: 3, intervalSeconds: 30, startTime: 1000, endTime: 2000 },
      tokenValiditySeconds: 600,
      queuePositionExpirySeconds: null,
      incrementServingOnExpiry: true,
    };
    assert.deepEqual(parseEvent(raw), raw);
    assert.deepEqual(parseEvent({ id: 'm', inlet: { type: 'max-size', maxActive: 50 } }).inlet, {
      type: 'max-size',
      maxActive: 50,
    });
  });

  it('treats null start and end times as absent', () => {
    const event = parseEvent({
      id: 'p',
      inlet: { type: 'periodic', incrementBy: 1, intervalSeconds: 1, startTime: null, endTime: null },
    });
    assert.deepEqual(event.inlet, { type: 'periodic', incrementBy: 1, intervalSeconds: 1 });
  });

  const cases: [string, unknown, string, string][] = [
    ['not an object', 'sale', 'events[0]', 'must be an object'],
    ['missing id', {}, 'events[0].id', 'is required'],
    ['id with a slash', { id: 'a/b' }, 'events[0].id', '1–64'],
    ['id too long', { id: 'x'.repeat(65) }, 'events[0].id', '1–64'],
    ['id not a string', { id: 7 }, 'events[0].id', '1–64'],
    ['unknown top-level field', { id: 'a', colour: 'red' }, 'events[0].colour', 'not a known field'],
    ['unknown mode', { id: 'a', mode: 'open' }, 'events[0].mode', 'queue, passthrough, closed'],
    ['inlet not an object', { id: 'a', inlet: 'periodic' }, 'events[0].inlet', 'must be an object'],
    ['inlet without type', { id: 'a', inlet: {} }, 'events[0].inlet.type', 'is required'],
    ['unknown inlet type', { id: 'a', inlet: { type: 'gradual' } }, 'events[0].inlet.type', 'must be one of'],
    [
      'incrementBy zero',
      { id: 'a', inlet: { type: 'periodic', incrementBy: 0, intervalSeconds: 60 } },
      'events[0].inlet.incrementBy',
      'must be an integer ≥ 1',
    ],
    [
      'incrementBy fractional',
      { id: 'a', inlet: { type: 'periodic', incrementBy: 1.5, intervalSeconds: 60 } },
      'events[0].inlet.incrementBy',
      'integer',
    ],
    [
      'incrementBy as a string',
      { id: 'a', inlet: { type: 'periodic', incrementBy: '10', intervalSeconds: 60 } },
      'events[0].inlet.incrementBy',
      'integer',
    ],
    [
      'intervalSeconds missing',
      { id: 'a', inlet: { type: 'periodic', incrementBy: 10 } },
      'events[0].inlet.intervalSeconds',
      'is required',
    ],
    [
      'startTime in milliseconds',
      {
        id: 'a',
        inlet: { type: 'periodic', incrementBy: 1, intervalSeconds: 1, startTime: 1_767_225_600_000 },
      },
      'events[0].inlet.startTime',
      'epoch seconds',
    ],
    [
      'endTime before startTime',
      {
        id: 'a',
        inlet: { type: 'periodic', incrementBy: 1, intervalSeconds: 1, startTime: 50, endTime: 50 },
      },
      'events[0].inlet.endTime',
      'after',
    ],
    [
      'periodic field on a max-size inlet',
      { id: 'a', inlet: { type: 'max-size', maxActive: 5, incrementBy: 1 } },
      'events[0].inlet.incrementBy',
      'not a known field',
    ],
    [
      'maxActive negative',
      { id: 'a', inlet: { type: 'max-size', maxActive: -1 } },
      'events[0].inlet.maxActive',
      '≥ 1',
    ],
    [
      'field on a manual inlet',
      { id: 'a', inlet: { type: 'manual', maxActive: 3 } },
      'events[0].inlet.maxActive',
      '',
    ],
    ['validity zero', { id: 'a', tokenValiditySeconds: 0 }, 'events[0].tokenValiditySeconds', '≥ 1'],
    [
      'expiry as a string',
      { id: 'a', queuePositionExpirySeconds: '900' },
      'events[0].queuePositionExpirySeconds',
      'null',
    ],
    [
      'auto-advance not boolean',
      { id: 'a', incrementServingOnExpiry: 'yes' },
      'events[0].incrementServingOnExpiry',
      'true or false',
    ],
  ];
  for (const [name, raw, field, fragment] of cases) {
    it(`rejects ${name}, naming ${field}`, () => assertInvalid(() => parseEvent(raw), field, fragment));
  }

  it('prefixes messages with the given path', () => {
    assertInvalid(
      () =>
        parseEvent({ id: 'a', inlet: { type: 'periodic', incrementBy: 0, intervalSeconds: 1 } }, 'events[1]'),
      'events[1].inlet.incrementBy',
      'events[1].inlet.incrementBy must be an integer ≥ 1',
    );
  });
});

describe('parseEvents', () => {
  it('gives the moving demo event when none is configured', () => {
    const events = parseEvents(undefined);
    assert.deepEqual(events, [DEFAULT_EVENT]);
    assert.deepEqual(events[0]?.inlet, { type: 'periodic', incrementBy: 5, intervalSeconds: 10 });
    events[0]!.mode = 'closed'; // a copy: the shared default is untouched
    assert.equal(DEFAULT_EVENT.mode, 'queue');
    assert.ok(Object.isFrozen(DEFAULT_EVENT.inlet));
  });

  it('parses several events, naming the index of a bad one', () => {
    assert.deepEqual(
      parseEvents([{ id: 'a' }, { id: 'b', mode: 'closed' }]).map((event) => [event.id, event.mode]),
      [
        ['a', 'queue'],
        ['b', 'closed'],
      ],
    );
    assertInvalid(
      () =>
        parseEvents([
          { id: 'a' },
          { id: 'b', inlet: { type: 'periodic', incrementBy: 0, intervalSeconds: 5 } },
        ]),
      'events[1].inlet.incrementBy',
    );
  });

  it('rejects duplicate ids, an empty list and a non-array', () => {
    assertInvalid(
      () => parseEvents([{ id: 'a' }, { id: 'b' }, { id: 'a' }]),
      'events[2].id',
      'duplicates events[0].id',
    );
    assertInvalid(() => parseEvents([]), 'events', 'at least one');
    assertInvalid(() => parseEvents({ id: 'a' }), 'events', 'array');
  });
});

describe('mergeEventSettings', () => {
  const base: EventSettings = parseEvent({
    id: 'sale',
    inlet: { type: 'periodic', incrementBy: 10, intervalSeconds: 60, endTime: 5000 },
  });

  it('sets, keeps and clears a display name', () => {
    const named = mergeEventSettings(base, { name: 'Summer sale — Paris' });
    assert.equal(named.name, 'Summer sale — Paris');
    assert.equal(mergeEventSettings(named, { mode: 'closed' }).name, 'Summer sale — Paris', 'kept');
    const cleared = mergeEventSettings(named, { name: null });
    assert.equal('name' in cleared, false, 'null clears it');
    for (const name of ['', '   ', 'x'.repeat(121), 'line\nbreak', 'bell\u0007', 42]) {
      assert.throws(() => mergeEventSettings(base, { name }), {
        code: 'invalid_event_settings',
        message: /^name must be 1–120 characters/,
      });
    }
    assert.deepEqual(parseEvent({ id: 'sale', name: 'Ventes privées' }).name, 'Ventes privées');
    assert.equal('name' in parseEvent({ id: 'sale' }), false, 'no name unless one is given');
  });

  it('changes only the named fields, inlet fields included', () => {
    const merged = mergeEventSettings(base, { mode: 'closed', inlet: { incrementBy: 20 } });
    assert.deepEqual(merged, {
      ...base,
      mode: 'closed',
      inlet: { type: 'periodic', incrementBy: 20, intervalSeconds: 60, endTime: 5000 },
    });
    assert.equal(base.mode, 'queue', 'the base is not modified');
    assert.equal(base.inlet.type === 'periodic' && base.inlet.incrementBy, 10);
  });

  it('replaces the inlet when its type changes, and null clears optional fields', () => {
    assert.deepEqual(mergeEventSettings(base, { inlet: { type: 'max-size', maxActive: 7 } }).inlet, {
      type: 'max-size',
      maxActive: 7,
    });
    const cleared = mergeEventSettings(base, { queuePositionExpirySeconds: null, inlet: { endTime: null } });
    assert.equal(cleared.queuePositionExpirySeconds, null);
    assert.deepEqual(cleared.inlet, { type: 'periodic', incrementBy: 10, intervalSeconds: 60 });
  });

  it('validates like the configuration and names the field without prefix', () => {
    assertInvalid(
      () => mergeEventSettings(base, { inlet: { type: 'max-size' } }),
      'inlet.maxActive',
      'is required',
    );
    assertInvalid(() => mergeEventSettings(base, { inlet: { incrementBy: -3 } }), 'inlet.incrementBy', '≥ 1');
    assertInvalid(() => mergeEventSettings(base, { speed: 3 }), 'speed', 'not a known field');
    assertInvalid(() => mergeEventSettings(base, { id: 'other' }), 'id', 'cannot change');
    assertInvalid(() => mergeEventSettings(base, [1]), 'settings', 'must be an object');
    assert.equal(mergeEventSettings(base, { id: 'sale' }).id, 'sale', 'repeating the same id is fine');
  });
});

describe('the adaptive inlet settings (API.md section 7)', () => {
  const adaptive = (inlet: Record<string, unknown>) => ({
    id: 'a',
    inlet: {
      type: 'adaptive',
      minPerMinute: 10,
      maxPerMinute: 600,
      target: { latencyMs: 400, errorRate: 0.01 },
      signal: { type: 'push' },
      ...inlet,
    },
  });

  it('parses each signal shape and defaults the interval to 10 s', () => {
    assert.deepEqual(parseEvent(adaptive({})).inlet, {
      type: 'adaptive',
      minPerMinute: 10,
      maxPerMinute: 600,
      intervalSeconds: 10,
      target: { latencyMs: 400, errorRate: 0.01 },
      signal: { type: 'push' },
    });
    const probe = { type: 'probe', url: 'https://shop.example/health' };
    assert.deepEqual((parseEvent(adaptive({ signal: probe })).inlet as { signal: unknown }).signal, probe);
    const prometheus = {
      type: 'prometheus',
      url: 'http://prometheus:9090',
      latencyQuery: 'histogram_quantile(0.95, sum by (le) (rate(http_duration_ms_bucket[1m])))',
      errorRateQuery: 'sum(rate(http_errors_total[1m])) / sum(rate(http_requests_total[1m])) or vector(0)',
    };
    const parsed = parseEvent(adaptive({ signal: prometheus, startPerMinute: 60, intervalSeconds: 30 }));
    assert.deepEqual(parsed.inlet, {
      type: 'adaptive',
      minPerMinute: 10,
      maxPerMinute: 600,
      startPerMinute: 60,
      intervalSeconds: 30,
      target: { latencyMs: 400, errorRate: 0.01 },
      signal: prometheus,
    });
  });

  const cases: [string, Record<string, unknown>, string, string][] = [
    ['no bounds', { minPerMinute: undefined }, 'events[0].inlet.minPerMinute', 'is required'],
    ['max below min', { minPerMinute: 50, maxPerMinute: 40 }, 'events[0].inlet.maxPerMinute', '≥'],
    ['a max of 0', { minPerMinute: 0, maxPerMinute: 0 }, 'events[0].inlet.maxPerMinute', '≥ 1'],
    ['a start outside the bounds', { startPerMinute: 700 }, 'events[0].inlet.startPerMinute', 'within'],
    ['a fractional rate', { minPerMinute: 1.5 }, 'events[0].inlet.minPerMinute', 'integer'],
    ['an interval of 0', { intervalSeconds: 0 }, 'events[0].inlet.intervalSeconds', '≥ 1'],
    ['no target', { target: undefined }, 'events[0].inlet.target', 'is required'],
    ['no latency target', { target: { errorRate: 0 } }, 'events[0].inlet.target.latencyMs', 'is required'],
    ['no error target', { target: { latencyMs: 300 } }, 'events[0].inlet.target.errorRate', 'is required'],
    [
      'an error target as a percentage',
      { target: { latencyMs: 300, errorRate: 5 } },
      'events[0].inlet.target.errorRate',
      'fraction',
    ],
    [
      'an unknown target field',
      { target: { latencyMs: 300, errorRate: 0, p99: 1 } },
      'events[0].inlet.target.p99',
      'not a known field',
    ],
    ['no signal', { signal: undefined }, 'events[0].inlet.signal', 'probe, prometheus, push'],
    ['an unknown signal', { signal: { type: 'datadog' } }, 'events[0].inlet.signal.type', 'must be one of'],
    ['a probe without URL', { signal: { type: 'probe' } }, 'events[0].inlet.signal.url', 'http://'],
    [
      'a probe of another scheme',
      { signal: { type: 'probe', url: 'file:///etc/passwd' } },
      'events[0].inlet.signal.url',
      'http://',
    ],
    [
      'a Prometheus signal without queries',
      { signal: { type: 'prometheus', url: 'http://p:9090' } },
      'events[0].inlet.signal.latencyQuery',
      'non-empty',
    ],
    [
      'a field of another signal',
      { signal: { type: 'push', url: 'http://x' } },
      'events[0].inlet.signal.url',
      'not a known field',
    ],
    ['a periodic field', { incrementBy: 3 }, 'events[0].inlet.incrementBy', 'not a known field'],
  ];
  for (const [name, inlet, field, fragment] of cases) {
    it(`rejects ${name}, naming ${field}`, () =>
      assertInvalid(() => parseEvent(adaptive(inlet)), field, fragment));
  }

  it('a live change names only what it changes, target and signal fields included', () => {
    const base = parseEvent(
      adaptive({ startPerMinute: 20, signal: { type: 'probe', url: 'https://shop.example/' } }),
    );
    const merged = mergeEventSettings(base, {
      inlet: {
        target: { latencyMs: 250 },
        signal: { url: 'https://shop.example/cart' },
        startPerMinute: null,
      },
    });
    assert.deepEqual(merged.inlet, {
      type: 'adaptive',
      minPerMinute: 10,
      maxPerMinute: 600,
      intervalSeconds: 10,
      target: { latencyMs: 250, errorRate: 0.01 },
      signal: { type: 'probe', url: 'https://shop.example/cart' },
    });
    const pushed = mergeEventSettings(base, { inlet: { signal: { type: 'push' } } });
    assert.deepEqual(
      (pushed.inlet as { signal: unknown }).signal,
      { type: 'push' },
      'another signal replaces',
    );
    assertInvalid(
      () => mergeEventSettings(base, { inlet: { maxPerMinute: 5 } }),
      'inlet.maxPerMinute',
      '≥ inlet.minPerMinute',
    );
    assert.equal((base.inlet as { target: { latencyMs: number } }).target.latencyMs, 400, 'base untouched');
  });
});

describe('abandonAfterSeconds (API.md section 6, absent visitors)', () => {
  it('is off unless set; an integer of seconds 10–86400; null turns it off again', () => {
    assert.equal('abandonAfterSeconds' in parseEvent({ id: 'sale' }), false, 'off by default');
    assert.equal(parseEvent({ id: 'sale', abandonAfterSeconds: null }).abandonAfterSeconds, undefined);
    const on = parseEvent({ id: 'sale', abandonAfterSeconds: 60 });
    assert.equal(on.abandonAfterSeconds, 60);
    assert.equal(mergeEventSettings(on, { mode: 'closed' }).abandonAfterSeconds, 60, 'kept by a patch');
    assert.equal('abandonAfterSeconds' in mergeEventSettings(on, { abandonAfterSeconds: null }), false);
    assert.equal(
      parseEvent({ id: 'sale', abandonAfterSeconds: 60, schedule: { prequeueAt: 10, startAt: 20 } })
        .abandonAfterSeconds,
      60,
      'with a pre-queue too',
    );
    assert.equal(
      parseEvent({ id: 'sale', abandonAfterSeconds: 60, schedule: { startAt: 20 } }).abandonAfterSeconds,
      60,
    );
    for (const bad of [9, 86_401, 1.5, '60', true]) {
      assertInvalid(
        () => parseEvent({ id: 'sale', abandonAfterSeconds: bad }, 'events[2]'),
        'events[2].abandonAfterSeconds',
        'or null',
      );
    }
  });
});
