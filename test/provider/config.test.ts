/** The configuration: file, environment and flags, with errors naming the bad field. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../provider/config/server-config.ts';

const fails = (fn: () => unknown, field: string) =>
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.field, field);
    assert.ok(error.message.includes(field), error.message);
    return true;
  });

describe('configuration', () => {
  it('has working development defaults with notices', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'anteroom-config-'));
    const config = loadConfig({ env: {}, cwd });
    assert.equal(config.listen.port, 8080);
    assert.equal(config.listen.adminHost, '127.0.0.1');
    assert.equal(config.publicUrl, 'http://localhost:8080');
    assert.deepEqual(config.store, { type: 'memory' });
    assert.deepEqual(config.keys, { type: 'file', path: join(cwd, '.anteroom/keys.json') });
    assert.deepEqual(
      config.events.map((event) => [event.id, event.inlet.type]),
      [['demo', 'periodic']],
    );
    assert.equal(config.generatedAdminKey, true);
    assert.ok(config.adminKeys[0] && config.adminKeys[0].length >= 16);
    assert.equal(config.limits.enqueuePerClientPerMinute, 60);
    assert.ok(config.notices.some((notice) => notice.includes('in-memory store: state is lost on restart')));
    assert.equal(config.source, null);
  });

  it('reads --config, else $ANTEROOM_CONFIG, else ./anteroom.config.json', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'anteroom-config-'));
    writeFileSync(join(cwd, 'anteroom.config.json'), JSON.stringify({ listen: { port: 1 } }));
    writeFileSync(join(cwd, 'env.json'), JSON.stringify({ listen: { port: 2 } }));
    writeFileSync(join(cwd, 'flag.json'), JSON.stringify({ listen: { port: 3 } }));
    assert.equal(loadConfig({ env: {}, cwd }).listen.port, 1);
    assert.equal(loadConfig({ env: { ANTEROOM_CONFIG: 'env.json' }, cwd }).listen.port, 2);
    assert.equal(
      loadConfig({ env: { ANTEROOM_CONFIG: 'env.json' }, cwd, configPath: 'flag.json' }).listen.port,
      3,
    );
  });

  it('lets environment variables override the file, and flags override both', () => {
    const config = loadConfig({
      raw: {
        listen: { port: 1000 },
        adminKeys: ['file-key-yNsvGDNcH5KofC7HhwjJoU'],
        limits: { trustProxy: false },
        events: [{ id: 'sale' }],
      },
      env: {
        PORT: '9000',
        ADMIN_PORT: '9001',
        HOST: '127.0.0.2',
        ADMIN_HOST: '127.0.0.3',
        REDIS_URL: 'redis://127.0.0.1:6390',
        ANTEROOM_ADMIN_KEY: 'env-key-uy7ggxEswY3H54pSHBMiYr',
        ANTEROOM_PUBLIC_URL: 'https://wait.example/',
        ANTEROOM_KEYS_FILE: '/tmp/keys.json',
        TRUST_PROXY: '2',
        ANTEROOM_COOKIE_KEYS: 'a, b',
      },
      adminPort: 9100,
    });
    assert.deepEqual(config.listen, {
      port: 9000,
      host: '127.0.0.2',
      adminPort: 9100,
      adminHost: '127.0.0.3',
    });
    assert.deepEqual(config.store, {
      type: 'redis',
      url: 'redis://127.0.0.1:6390',
      keyPrefix: undefined,
      cluster: undefined,
    });
    assert.deepEqual(config.adminKeys, ['env-key-uy7ggxEswY3H54pSHBMiYr']);
    assert.equal(config.generatedAdminKey, false);
    assert.equal(config.publicUrl, 'https://wait.example');
    assert.equal(config.keys.type === 'file' && config.keys.path, '/tmp/keys.json');
    assert.equal(config.limits.trustProxy, true);
    assert.deepEqual(config.oidc.cookieKeys, ['a', 'b']);
  });

  it('reads trustProxy as false, a number of proxies or their networks (never true), and the client address header', () => {
    const limitsOf = (limits: unknown, env: Record<string, string> = {}) => {
      const { trustProxy, trustedProxyHops, trustedProxyNetworks, clientAddressHeader } = loadConfig({
        raw: { limits },
        env,
      }).limits;
      return { trustProxy, trustedProxyHops, trustedProxyNetworks, clientAddressHeader };
    };
    const trusted = (hops: number, header: string | null = null, networks: string[] = []) => ({
      trustProxy: hops > 0 || networks.length > 0,
      trustedProxyHops: Math.max(hops, 0),
      trustedProxyNetworks: networks,
      clientAddressHeader: header,
    });
    assert.deepEqual(limitsOf({}), trusted(-1));
    assert.deepEqual(limitsOf({ trustProxy: false }), trusted(-1));
    assert.deepEqual(limitsOf({ trustProxy: 2 }), trusted(2));
    assert.deepEqual(limitsOf({ trustProxy: 0 }), trusted(-1));
    assert.deepEqual(
      limitsOf({ trustProxy: ['10.0.0.0/8', ' 192.0.2.7 ', '2001:DB8::/32'] }),
      trusted(0, null, ['10.0.0.0/8', '192.0.2.7/32', '2001:db8::/32']),
    );
    assert.deepEqual(limitsOf({ trustProxy: [] }), trusted(-1));
    // The variable wins over the file; `1` is one proxy (its last X-Forwarded-For entry).
    assert.deepEqual(limitsOf({ trustProxy: 2 }, { TRUST_PROXY: '1' }), trusted(1));
    assert.deepEqual(limitsOf({ trustProxy: 2 }, { TRUST_PROXY: '0' }), trusted(-1));
    assert.deepEqual(limitsOf({ trustProxy: 2 }, { TRUST_PROXY: 'off' }), trusted(-1));
    assert.deepEqual(
      limitsOf({}, { TRUST_PROXY: '10.0.0.0/8, fd00::/8' }),
      trusted(0, null, ['10.0.0.0/8', 'fd00::/8']),
    );
    // `true` trusted the first X-Forwarded-For entry, which any client writes: refused at start.
    fails(() => limitsOf({ trustProxy: true }), 'limits.trustProxy');
    for (const value of ['true', 'yes', 'on', 'TRUE'])
      fails(() => limitsOf({}, { TRUST_PROXY: value }), 'TRUST_PROXY');
    fails(() => limitsOf({ trustProxy: ['10.0.0.0/33'] }), 'limits.trustProxy[0]');
    fails(() => limitsOf({ trustProxy: ['10.0.0.0/8', 'proxy.internal'] }), 'limits.trustProxy[1]');
    fails(() => limitsOf({}, { TRUST_PROXY: '10.0.0.0/8,nonsense' }), 'TRUST_PROXY');
    assert.deepEqual(limitsOf({ clientAddressHeader: 'True-Client-IP' }), trusted(-1, 'true-client-ip'));
    assert.deepEqual(
      limitsOf({ clientAddressHeader: 'a' }, { CLIENT_ADDRESS_HEADER: 'X-Anteroom-Client-IP' }),
      trusted(-1, 'x-anteroom-client-ip'),
    );
    fails(() => limitsOf({ trustProxy: 'yes' }), 'limits.trustProxy');
    fails(() => limitsOf({ trustProxy: 17 }), 'limits.trustProxy');
    fails(() => limitsOf({}, { TRUST_PROXY: '99' }), 'TRUST_PROXY');
    fails(() => limitsOf({ clientAddressHeader: 'x client' }), 'limits.clientAddressHeader');
    fails(() => limitsOf({}, { CLIENT_ADDRESS_HEADER: 'x:y' }), 'CLIENT_ADDRESS_HEADER');
  });

  it("selects Redis Cluster from the file or REDIS_CLUSTER, keeping the file's key prefix", () => {
    const store = { type: 'redis', url: 'redis://10.0.0.1:6379', keyPrefix: 'q:', cluster: true };
    assert.deepEqual(loadConfig({ raw: { store }, env: {} }).store, store);
    const fromEnv = loadConfig({
      raw: { store: { type: 'redis', url: 'redis://10.0.0.1:6379', keyPrefix: 'q:' } },
      env: { REDIS_URL: 'rediss://cache.example:6379', REDIS_CLUSTER: 'true' },
    });
    assert.deepEqual(fromEnv.store, {
      type: 'redis',
      url: 'rediss://cache.example:6379',
      keyPrefix: 'q:',
      cluster: true,
    });
    fails(() => loadConfig({ raw: { store: { ...store, cluster: 'yes' } }, env: {} }), 'store.cluster');
    fails(() => loadConfig({ raw: { store }, env: { REDIS_CLUSTER: 'maybe' } }), 'REDIS_CLUSTER');
  });

  it('connects through Redis Sentinel from the file or REDIS_SENTINELS, never with a cluster', () => {
    const store = {
      type: 'redis',
      url: 'redis://:pw@ignored:6379/2',
      sentinels: ['10.0.0.1:26379'],
      name: 'queue',
    };
    assert.deepEqual(loadConfig({ raw: { store }, env: {} }).store, {
      ...store,
      keyPrefix: undefined,
      cluster: undefined,
    });
    const fromEnv = loadConfig({
      raw: {},
      env: {
        REDIS_URL: 'redis://:pw@ignored:6379',
        REDIS_SENTINELS: '10.0.0.1:26379, 10.0.0.2:26379,[fd00::3]:26379',
        REDIS_SENTINEL_NAME: 'queue',
      },
    }).store;
    assert.deepEqual(fromEnv.type === 'redis' && [fromEnv.sentinels, fromEnv.name], [
      ['10.0.0.1:26379', '10.0.0.2:26379', '[fd00::3]:26379'],
      'queue',
    ]);
    fails(
      () => loadConfig({ raw: { store: { ...store, sentinels: ['10.0.0.1'] } }, env: {} }),
      'store.sentinels[0]',
    );
    fails(() => loadConfig({ raw: { store: { ...store, sentinels: [] } }, env: {} }), 'store.sentinels');
    fails(() => loadConfig({ raw: { store: { ...store, cluster: true } }, env: {} }), 'store.sentinels');
  });

  it('passes oidc.clients through raw for the OIDC provider to validate', () => {
    const clients = [{ client_id: 'shop', redirect_uris: ['https://shop/cb'], event_id: 'demo', extra: 1 }];
    assert.deepEqual(loadConfig({ raw: { oidc: { clients } }, env: {} }).oidc.clients, clients);
  });

  it('fails on unknown or ill-typed keys, naming the field', () => {
    fails(() => loadConfig({ raw: { colour: 'red' }, env: {} }), 'colour');
    fails(() => loadConfig({ raw: { listen: { port: '80' } }, env: {} }), 'listen.port');
    fails(() => loadConfig({ raw: { listen: { prot: 80 } }, env: {} }), 'listen.prot');
    fails(() => loadConfig({ raw: { store: { type: 'mongo' } }, env: {} }), 'store.type');
    fails(() => loadConfig({ raw: { store: { type: 'redis' } }, env: {} }), 'store.url');
    fails(() => loadConfig({ raw: { adminKeys: ['short'] }, env: {} }), 'adminKeys[0]');
    fails(() => loadConfig({ raw: { publicUrl: 'ftp://x' }, env: {} }), 'publicUrl');
    fails(
      () => loadConfig({ raw: { limits: { enqueuePerClientPerMinute: -1 } }, env: {} }),
      'limits.enqueuePerClientPerMinute',
    );
    fails(
      () => loadConfig({ raw: { events: [{ id: 'a', inlet: { type: 'periodic' } }] }, env: {} }),
      'events[0].inlet.incrementBy',
    );
    fails(() => loadConfig({ raw: { keys: { type: 'file' } }, env: {} }), 'keys.path');
    fails(() => loadConfig({ raw: { oidc: { clients: {} } }, env: {} }), 'oidc.clients');
    fails(() => loadConfig({ raw: {}, env: { PORT: 'eighty' } }), 'PORT');
    fails(() => loadConfig({ raw: {}, env: { TRUST_PROXY: 'maybe' } }), 'TRUST_PROXY');
    fails(() => loadConfig({ raw: {}, env: { REDIS_URL: 'http://x' } }), 'REDIS_URL');
    fails(() => loadConfig({ raw: [] as unknown, env: {} }), '');
    fails(() => loadConfig({ raw: { sampleSite: 'yes' }, env: {} }), 'sampleSite');
  });

  it('turns the sample site on in development mode only, with a generated client', () => {
    const dev = loadConfig({ raw: {}, env: {} });
    assert.equal(dev.sampleSite, true);
    assert.ok(dev.notices.some((notice) => notice.includes('/sample-site/')));
    const [client] = dev.oidc.clients as Record<string, unknown>[];
    assert.deepEqual(
      { ...client, client_secret: undefined },
      {
        client_id: 'sample-site',
        client_secret: undefined,
        redirect_uris: ['http://localhost:8080/sample-site/callback'],
        post_logout_redirect_uris: ['http://localhost:8080/sample-site/'],
        event_id: 'demo',
      },
    );
    assert.match(String(client?.client_secret), /^[\w-]{32,}$/);
    // A fresh secret every start.
    const again = loadConfig({ raw: {}, env: {} }).oidc.clients[0] as Record<string, unknown>;
    assert.notEqual(again.client_secret, client?.client_secret);

    // Anything configured (events, clients) or an explicit false: no sample site.
    const withEvents = loadConfig({ raw: { events: [{ id: 'sale' }] }, env: {} });
    assert.equal(withEvents.sampleSite, false);
    assert.deepEqual(withEvents.oidc.clients, []);
    const clients = [{ client_id: 'shop' }];
    const withClients = loadConfig({ raw: { oidc: { clients } }, env: {} });
    assert.equal(withClients.sampleSite, false);
    assert.deepEqual(withClients.oidc.clients, clients);
    assert.equal(loadConfig({ raw: { sampleSite: false }, env: {} }).sampleSite, false);
    // Asked for on another host: a plain-http public URL that is not localhost could not be
    // registered as a redirect URI, so the demo goes without its sample site.
    const remote = loadConfig({ raw: { demo: true }, env: { ANTEROOM_PUBLIC_URL: 'http://queue.example' } });
    assert.deepEqual(
      remote.events.map((event) => event.id),
      ['demo'],
    );
    assert.equal(remote.sampleSite, false);
    assert.deepEqual(remote.oidc.clients, []);
  });

  it('serves the demo only on a localhost publicUrl unless asked for; a deployment lists its events', () => {
    // An environment-only production deployment: https publicUrl, Redis, an admin key, no file.
    const production = {
      ANTEROOM_PUBLIC_URL: 'https://queue.example.com',
      REDIS_URL: 'redis://10.0.0.5:6379',
      ANTEROOM_ADMIN_KEY: 'env-key-uy7ggxEswY3H54pSHBMiYr',
    };
    fails(() => loadConfig({ raw: {}, env: production }), 'events');
    const asked = loadConfig({ raw: {}, env: { ...production, ANTEROOM_DEMO: 'true' } });
    assert.deepEqual(
      asked.events.map((event) => event.id),
      ['demo'],
    );
    assert.equal(asked.sampleSite, true, 'https: its redirect URI is registrable');
    for (const local of ['http://localhost:8080', 'http://127.0.0.1:8080', 'http://[::1]:8080']) {
      const config = loadConfig({ raw: {}, env: { ANTEROOM_PUBLIC_URL: local } });
      assert.deepEqual(
        config.events.map((event) => event.id),
        ['demo'],
        local,
      );
      assert.equal(config.sampleSite, true, local);
    }
    fails(() => loadConfig({ raw: { demo: false }, env: {} }), 'events');
    fails(() => loadConfig({ raw: { demo: 'yes' }, env: {} }), 'demo');
  });

  it('adds the sample client for the first event when sampleSite is set explicitly', () => {
    const clients = [{ client_id: 'shop' }];
    const config = loadConfig({
      raw: {
        publicUrl: 'https://q.example/prod',
        sampleSite: true,
        events: [{ id: 'sale' }],
        oidc: { clients },
      },
      env: {},
    });
    assert.equal(config.sampleSite, true);
    assert.equal(clients.length, 1, 'the document itself is left alone');
    const sample = config.oidc.clients[1] as Record<string, unknown>;
    assert.equal(sample.event_id, 'sale');
    assert.deepEqual(sample.redirect_uris, ['https://q.example/prod/sample-site/callback']);
  });

  it("sets the pages' languages and the operator's wording, keeping every placeholder", () => {
    const pagesOf = (pages: unknown) => loadConfig({ raw: { events: [{ id: 'e' }], pages }, env: {} }).pages;
    // By default every shipped language is offered, English first (the fallback).
    const byDefault = loadConfig({ raw: { events: [{ id: 'e' }] }, env: {} }).pages;
    assert.deepEqual(
      byDefault.offered.map((text) => text.lang),
      ['en', 'fr', 'de', 'es'],
    );
    assert.equal(byDefault.offered[0].messages.joinButton, 'Take your place');
    assert.equal(byDefault.offered[1]?.messages.joinButton, 'Prendre ma place');
    const french = pagesOf({
      language: 'fr',
      messages: { fr: { joinButton: 'Je prends ma place', progressBar: '{value}/{max}' } },
    }).offered[0];
    assert.equal(french.lang, 'fr');
    assert.equal(french.messages.joinButton, 'Je prends ma place');
    assert.equal(french.messages.progressBar, '{value}/{max}');
    assert.equal(french.messages.joinHeading, 'Le site est très demandé', 'the rest stays in French');
    // Several languages: the first is the default; each has its own wording.
    const several = pagesOf({
      language: ['de', 'en'],
      messages: { en: { joinHeading: 'Sale opens at noon' } },
    });
    assert.deepEqual(
      several.offered.map((text) => [text.lang, text.messages.joinHeading]),
      [
        ['de', 'Die Website ist stark ausgelastet'],
        ['en', 'Sale opens at noon'],
      ],
    );
    fails(() => pagesOf({ language: 'xx' }), 'pages.language');
    fails(() => pagesOf({ language: [] }), 'pages.language');
    fails(() => pagesOf({ language: ['fr', 'zz'] }), 'pages.language[1]');
    fails(() => pagesOf({ language: ['fr', 'fr'] }), 'pages.language[1]');
    fails(() => pagesOf({ language: 'fr', extra: 1 }), 'pages.extra');
    fails(() => pagesOf({ language: 'fr', messages: { en: { joinButton: 'x' } } }), 'pages.messages.en');
    fails(() => pagesOf({ messages: { en: { nope: 'x' } } }), 'pages.messages.en.nope');
    fails(() => pagesOf({ messages: { en: { joinButton: '' } } }), 'pages.messages.en.joinButton');
    fails(() => pagesOf({ messages: { en: { joinButton: 7 } } }), 'pages.messages.en.joinButton');
    // A reworded message keeps its placeholders: none lost, none invented.
    fails(
      () => pagesOf({ messages: { en: { admittedLead: 'You are in.' } } }),
      'pages.messages.en.admittedLead',
    );
    fails(() => pagesOf({ messages: { en: { joinButton: 'Join {n}' } } }), 'pages.messages.en.joinButton');
    assert.throws(
      () => pagesOf({ messages: { en: { progressBar: '{value}' } } }),
      /exactly the placeholders .*\{max\}, \{value\}/,
    );
  });

  it('reports a file that is not JSON', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'anteroom-config-'));
    writeFileSync(join(cwd, 'bad.json'), '{ nope');
    fails(() => loadConfig({ env: {}, cwd, configPath: 'bad.json' }), 'file');
  });
});
