/**
 * `provider/lambda.ts` as Lambda loads it: configuration from `process.env` only, the three
 * exports of API.md §4, each answering its trigger's event (memory store, so nothing is left
 * running when the test ends). Run twice: on the sources, and on the bundle the CDK app builds
 * from them (`infra/lib/bundle.ts`: minified, split into chunks loaded on first use).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import request from 'supertest';
import { bundleFunction } from '../../infra/lib/bundle.ts';
import { DEFAULT_ENTRIES, PROVIDER_RUNTIME_FILES } from '../../infra/lib/entries.ts';
import { lambdaBridge } from '../support/lambda-bridge.ts';

const dir = mkdtempSync(join(tmpdir(), 'anteroom-entry-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type EntryModule = typeof import('../../provider/lambda.ts');

function bundled(): Promise<EntryModule> {
  const outdir = join(dir, 'bundle');
  bundleFunction({
    entry: DEFAULT_ENTRIES.provider,
    outdir,
    sourceMaps: false,
    runtimeFiles: PROVIDER_RUNTIME_FILES,
  });
  return import(pathToFileURL(join(outdir, 'index.mjs')).href) as Promise<EntryModule>;
}

for (const [form, load] of [
  ['sources', () => import('../../provider/lambda.ts')],
  ['bundle', bundled],
] as const) {
  test(`the entry module (${form}) serves public, admin and scheduled events from process.env`, async () => {
    await servesEvents(await load(), form);
  });
}

async function servesEvents(lambda: EntryModule, form: string): Promise<void> {
  const event = `entry-${form}`;
  Object.assign(process.env, {
    ANTEROOM_CONFIG_JSON: JSON.stringify({
      events: [{ id: event, inlet: { type: 'periodic', incrementBy: 3, intervalSeconds: 60 } }],
      limits: { enqueuePerClientPerMinute: 0 },
    }),
    ANTEROOM_KEYS_FILE: join(dir, 'keys.json'),
    ANTEROOM_ADMIN_KEY: 'entry-admin-key-r4e7tQekdJYXS85vAvaprG',
    LOG_LEVEL: 'silent',
  });
  // The bundle's index.mjs also exports, as `__start<n>_<name>`, the start-up code the chunks
  // loaded by `import()` share with it (infra/lib/bundle.ts, `mergeStartup`).
  const handlers = Object.keys(lambda).filter((name) => !name.startsWith('__start'));
  assert.deepEqual(handlers.sort(), ['adminHandler', 'publicHandler', 'scheduledHandler']);

  const pub = lambdaBridge(lambda.publicHandler, { format: 'v2', stage: 'api' });
  const adm = lambdaBridge(lambda.adminHandler, { format: 'v1' });
  try {
    // Three visitors: the periodic tick admits up to incrementBy of those actually queued.
    for (let visitor = 0; visitor < 3; visitor++) {
      await request(pub).post('/api/assign_queue_num').send({ event_id: event }).expect(200);
    }
    const before = await request(adm)
      .get('/num_active_tokens')
      .query({ event_id: event })
      .set('Authorization', 'Bearer entry-admin-key-r4e7tQekdJYXS85vAvaprG')
      .expect(200);
    assert.deepEqual(before.body, { active_tokens: 0 });

    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      lines.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    let reports: Awaited<ReturnType<typeof lambda.scheduledHandler>>;
    try {
      reports = await lambda.scheduledHandler(
        { 'detail-type': 'Scheduled Event', source: 'aws.events' },
        { awsRequestId: 'r', functionName: 'scheduled', getRemainingTimeInMillis: () => 60_000 },
      );
    } finally {
      process.stdout.write = write;
    }
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.ticks, 1, 'the periodic tick due now ran');
    assert.ok(
      lines.some((line) => JSON.parse(line).EventId === event),
      'an EMF line for the event',
    );
    await request(pub).get('/api/serving_num').query({ event_id: event }).expect(200, { serving_counter: 3 });
  } finally {
    pub.close();
    adm.close();
  }
}
