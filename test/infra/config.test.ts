/**
 * The deployment configuration (`-c anteroom:config=…`) and the handler entry check: defaults,
 * inline JSON or a file, and errors that name the bad field before anything is synthesized.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_APP_CONFIG, loadDeployConfig, parseDeployConfig } from '../../infra/lib/config.ts';
import { checkEntries, DEFAULT_ENTRIES } from '../../infra/lib/entries.ts';
import { AnteroomError, ValidationError } from '../../queue-core/errors.ts';

function rejects(raw: unknown, field: string): void {
  assert.throws(
    () => parseDeployConfig(raw),
    (error: unknown) => error instanceof ValidationError && error.field === field,
    `expected a ValidationError on ${field}`,
  );
}

const client = { client_id: 'alb', redirect_uris: ['https://shop.example.com/cb'], event_id: 'demo' };

describe('deployment configuration', () => {
  it('defaults to a node-based Valkey store, no NAT gateway, one demo event, retained data', () => {
    const config = loadDeployConfig(undefined);
    assert.deepEqual(config.app, DEFAULT_APP_CONFIG);
    assert.equal(config.queueStore.type, 'replication-group');
    assert.equal(config.queueStore.engine, 'valkey');
    assert.equal(config.queueStore.engineVersion, '8.0');
    assert.equal(config.queueStore.replicas, 2);
    assert.equal(config.queueStore.durability, 'replica');
    assert.equal(config.network.natGateways, 0);
    assert.equal(config.retainData, true);
    assert.equal(config.cdn.statusCacheSeconds, 1);
    assert.equal(config.sourceMaps, false);
  });

  it('keeps durability "none" on serverless, and refuses "replica" there, naming why', () => {
    assert.equal(parseDeployConfig({ queueStore: { type: 'serverless' } }).queueStore.durability, 'none');
    assert.equal(parseDeployConfig({ queueStore: { durability: 'none' } }).queueStore.durability, 'none');
    rejects({ queueStore: { type: 'serverless', durability: 'replica' } }, 'queueStore.durability');
    rejects({ queueStore: { durability: 'aof' } }, 'queueStore.durability');
    rejects({ queueStore: { replicas: 0 } }, 'queueStore.replicas');
    rejects({ queueStore: { replicas: 6 } }, 'queueStore.replicas');
    assert.equal(parseDeployConfig({ queueStore: { replicas: 1 } }).queueStore.replicas, 1);
  });

  it('picks the engine version that matches the engine', () => {
    assert.equal(parseDeployConfig({ queueStore: { engine: 'redis' } }).queueStore.engineVersion, '7.1');
  });

  it('reads inline JSON and JSON files', () => {
    const inline = loadDeployConfig('{"app":{"events":[{"id":"sale"}]}}');
    assert.deepEqual(inline.app.events, [{ id: 'sale' }]);
    const dir = mkdtempSync(join(tmpdir(), 'anteroom-config-'));
    try {
      writeFileSync(join(dir, 'deploy.json'), JSON.stringify({ network: { natGateways: 2 } }));
      assert.equal(loadDeployConfig('deploy.json', dir).network.natGateways, 2);
      assert.throws(() => loadDeployConfig('missing.json', dir), /no such file/);
      writeFileSync(join(dir, 'broken.json'), '{"app":');
      assert.throws(() => loadDeployConfig('broken.json', dir), /not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the field of every mistake', () => {
    rejects({ queueStor: {} }, 'config.queueStor');
    rejects({ privateApi: { corsOrigins: ['*'] } }, 'privateApi.corsOrigins[0]');
    rejects({ privateApi: { corsOrigins: ['https://panel.example.com/'] } }, 'privateApi.corsOrigins[0]');
    rejects({ privateApi: { corsOrigins: ['http://panel.example.com'] } }, 'privateApi.corsOrigins[0]');
    rejects({ privateApi: { corsOrigins: 'https://panel.example.com' } }, 'privateApi.corsOrigins');
    rejects({ privateApi: { origins: [] } }, 'privateApi.origins');
    rejects({ admissionTokenAlgorithm: 'HS256' }, 'admissionTokenAlgorithm');
    rejects({ queueStore: { type: 'cluster' } }, 'queueStore.type');
    rejects({ queueStore: { port: 80 } }, 'queueStore.port');
    rejects({ network: { natGateways: -1 } }, 'network.natGateways');
    rejects({ logRetentionDays: 31 }, 'logRetentionDays');
    rejects({ sourceMaps: 'yes' }, 'sourceMaps');
    rejects({ cdn: { domainNames: ['wait.example.com'] } }, 'cdn.certificateArn');
    rejects({ cdn: { certificateArn: 'arn:aws:acm:eu-west-1:1:certificate/x' } }, 'cdn.certificateArn');
    rejects({ app: { events: [] } }, 'app.events');
    rejects({ app: { events: [{ id: 'a b' }] } }, 'app.events[0].id');
    rejects({ app: { events: [{ id: 'a' }, { id: 'a' }] } }, 'app.events[1].id');
    rejects({ app: { publicUrl: 'http://wait.example.com', events: [{ id: 'a' }] } }, 'app.publicUrl');
  });

  it('checks the app configuration with the validator the Lambdas use at cold start', () => {
    const raw = {
      app: { events: [{ id: 'sale', inlet: { type: 'periodic', incrementBy: 0, intervalSeconds: 60 } }] },
    };
    assert.throws(
      () => parseDeployConfig(raw),
      (error: unknown) => error instanceof ValidationError && error.field.startsWith('app.events[0].inlet'),
    );
    rejects(
      { app: { events: [{ id: 'sale' }], limits: { enqueuePerClientPerMinut: 1 } } },
      'app.limits.enqueuePerClientPerMinut',
    );
    // The waiting pages' settings too: an unreadable brand colour fails the synth, not a cold start.
    rejects(
      { app: { events: [{ id: 'sale' }], pages: { accentColor: '#ffcc00' } } },
      'app.pages.accentColor',
    );
    const pages = {
      language: ['fr', 'en'],
      accentColor: '#0a6e31',
      messages: { fr: { joinHeading: 'Billetterie' } },
    };
    assert.deepEqual(parseDeployConfig({ app: { events: [{ id: 'sale' }], pages } }).app.pages, pages);
  });

  it('refuses secrets and stack-owned settings in the app configuration', () => {
    rejects({ app: { events: [{ id: 'demo' }], store: { type: 'memory' } } }, 'app.store');
    rejects({ app: { events: [{ id: 'demo' }], adminKeys: ['k'] } }, 'app.adminKeys');
    rejects({ app: { events: [{ id: 'demo' }], adminSigV4Keys: [] } }, 'app.adminSigV4Keys');
    rejects({ app: { events: [{ id: 'demo' }], oidc: { cookieKeys: ['k'] } } }, 'app.oidc.cookieKeys');
    rejects(
      { app: { events: [{ id: 'demo' }], oidc: { clients: [{ ...client, client_secret: 's' }] } } },
      'app.oidc.clients[0].client_secret',
    );
    rejects(
      { app: { events: [{ id: 'demo' }], oidc: { clients: [{ ...client, event_id: 'other' }] } } },
      'app.oidc.clients[0].event_id',
    );
    rejects(
      { app: { events: [{ id: 'demo' }], oidc: { clients: [{ ...client, grant_types: ['implicit'] }] } } },
      'app.oidc.clients[0].grant_types',
    );
    rejects(
      { app: { events: [{ id: 'demo' }], oidc: { clients: [{ ...client, public: 'yes' }] } } },
      'app.oidc.clients[0].public',
    );
  });

  it('refuses an app configuration too large for the Lambda environment', () => {
    const events = Array.from({ length: 200 }, (_, index) => ({ id: `event-${index}` }));
    assert.throws(
      () => parseDeployConfig({ app: { events } }),
      (error: unknown) => error instanceof ValidationError && error.code === 'config_too_large',
    );
  });

  it('generates secrets for every client except public (PKCE) ones', () => {
    const config = parseDeployConfig({
      app: {
        events: [{ id: 'demo' }],
        oidc: { clients: [client, { ...client, client_id: 'spa', public: true }] },
      },
    });
    assert.deepEqual(config.confidentialClients, ['alb']);
    // The deploy-only flag never reaches the app, whose validator refuses unknown client fields.
    assert.deepEqual(config.app.oidc?.clients, [client, { ...client, client_id: 'spa' }]);
  });
});

describe('handler entries', () => {
  it('accepts the handler files of API.md section 4', () => {
    assert.deepEqual(checkEntries(DEFAULT_ENTRIES), DEFAULT_ENTRIES);
  });

  it('stops with lambda_entry_missing naming the missing file', () => {
    const missing = join(tmpdir(), 'anteroom-no-such-handler.ts');
    assert.throws(
      () => checkEntries({ ...DEFAULT_ENTRIES, provider: missing }),
      (error: unknown) =>
        error instanceof AnteroomError &&
        error.code === 'lambda_entry_missing' &&
        error.message.includes(missing),
    );
  });
});

describe('npm run synth (infra/bin/app.ts)', () => {
  it('stops before bundling with the bad field named and exit code 1', () => {
    const app = fileURLToPath(new URL('../../infra/bin/app.ts', import.meta.url));
    const outdir = mkdtempSync(join(tmpdir(), 'anteroom-synth-'));
    try {
      const result = spawnSync(process.execPath, [app], {
        encoding: 'utf8',
        env: {
          ...process.env,
          CDK_OUTDIR: outdir,
          CDK_CONTEXT_JSON: JSON.stringify({ 'anteroom:config': '{"network":{"natGateway":1}}' }),
        },
      });
      assert.equal(result.status, 1);
      assert.match(
        result.stderr,
        /anteroom synth failed \(invalid_parameter\): unknown key network\.natGateway/,
      );
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
