/**
 * Lambda cold starts, measured on the bundles the CDK app builds: `node bench/lambda-cold.ts`.
 *
 *   node bench/lambda-cold.ts [--rounds 7] [--cdk-out <dir>] [--authorizer <asset dir>,…]
 *
 * By default it synthesizes the CDK app exactly as `npm run synth` does (`node infra/bin/app.ts`,
 * with a deployment configuration that also has an OIDC client, so the OIDC path exists) into a
 * temporary folder; `--cdk-out` measures an existing synthesized app instead. For every Lambda
 * function of the template it takes the asset folder, handler and environment the template
 * gives it, then, in fresh Node processes (a cold container's Node starts too: its start-up is
 * part of every figure), times:
 *   - import: from spawning the process until the handler module is imported;
 *   - answer: from spawning until the first invocation has answered: a queue API request
 *     (`POST /assign_queue_num`) and an OIDC discovery request for the public function, an admin
 *     request (`GET /events/demo`) for the private one, a scheduled tick, an authorizer decision
 *     on a valid admission token (as deployed, and with the key set in ANTEROOM_INITIAL_JWKS);
 * against a bare handler bundle (esbuild, ESM, minified: `export const handler = async () =>
 * ({statusCode: 200})`) timed in the same rounds, interleaved, and prints medians with the
 * ratio to the bare handler's. Targets (issue 14): public import + first queue answer ≤ 3×,
 * authorizer ≤ 1.5×.
 *
 * What runs locally in place of AWS, over TLS as in AWS (a self-signed certificate made with
 * `openssl`, trusted through `NODE_EXTRA_CA_CERTS` by every process, the bare one included): a
 * private redis-server with the AUTH password the secret holds, and one HTTPS server that answers
 * Secrets Manager `GetSecretValue` and `BatchGetSecretValue` and EventBridge `PutEvents` (the handlers reach it through
 * `AWS_ENDPOINT_URL_*`, with dummy credentials) and serves the JWKS the authorizer fetches;
 * dynalite (plain HTTP) for the DynamoDB tables. Network latency to real AWS endpoints is not in
 * these figures. Not a test: it asserts nothing, but a scenario whose answer is not the expected
 * status is flagged (`BENCH_DEBUG=1` prints its stderr); `BENCH_PROFILE_DIR=<dir>` writes a CPU
 * profile of every process there.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CreateTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { buildSync } from 'esbuild';
import { issueAdmissionTokens } from '../queue-core/admission-tokens.ts';
import { createKeysDocument } from '../queue-core/signing-keys/document.ts';
import { KeyRing } from '../queue-core/signing-keys/key-ring.ts';
import { startDynalite } from '../test/support/dynalite.ts';
import { freePort, startRedis } from '../test/support/redis.ts';
import { certificate } from './support/certificate.ts';
import { median } from './support/stats.ts';

const ROOT = new URL('../', import.meta.url);
const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    'cdk-out': { type: 'string' },
    // Other builds of the authorizer (folders holding an index.mjs, e.g. built from another
    // commit), each timed with the authorizer's environment in the same rounds: before/after.
    authorizer: { type: 'string' },
  },
});
const ROUNDS = Number(flags.rounds);
const PUBLIC_HOST = 'queue.bench.example';
const EVENT_ID = 'demo';
/** What the bench deploys when it synthesizes: the default app plus one confidential OIDC client. */
const BENCH_DEPLOY_CONFIG = {
  // The bench's Redis has no replica to confirm a write (the deployed default, `replica`, would
  // answer every write 503 here); on a replication group that confirmation is one WAIT per turn,
  // a loopback round trip beside a cold start's hundreds of milliseconds.
  queueStore: { durability: 'none' },
  app: {
    events: [{ id: EVENT_ID, inlet: { type: 'periodic', incrementBy: 10, intervalSeconds: 60 } }],
    oidc: {
      clients: [{ client_id: 'site', redirect_uris: ['https://shop.example/cb'], event_id: EVENT_ID }],
    },
  },
};

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped.
type Json = any;

interface FunctionUnderTest {
  logicalId: string;
  dir: string;
  exportName: string;
  environment: Record<string, string>;
}

interface Scenario {
  label: string;
  fn: FunctionUnderTest | null;
  event: unknown;
  /** The status code (or authorizer outcome) a correct answer has. */
  expect: string;
}

interface Run {
  importMs: number;
  answerMs: number;
  /** CPU time (user + system) of the process by then: less moved by other work on the machine. */
  importCpuMs: number;
  answerCpuMs: number;
  outcome: string;
}

// ---------------------------------------------------------------------------------------
// The app under test

/**
 * Into a folder under cdk.out/ (git-ignored): the bundles leave `@aws-sdk/*` to the Lambda
 * runtime, which a folder inside the project finds in its node_modules.
 */
function synthesize(): string {
  mkdirSync(new URL('cdk.out/', ROOT), { recursive: true });
  const outdir = mkdtempSync(fileURLToPath(new URL('cdk.out/bench-cold-', ROOT)));
  const synth = spawnSync(process.execPath, ['infra/bin/app.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ 'anteroom:config': BENCH_DEPLOY_CONFIG }),
    },
    encoding: 'utf8',
  });
  if (synth.status !== 0) throw new Error(`synth failed:\n${synth.stderr}`);
  return outdir;
}

function templateOf(outdir: string): Json {
  const file = readdirSync(outdir).find((name) => name.endsWith('.template.json'));
  if (!file) throw new Error(`no template in ${outdir}`);
  return JSON.parse(readFileSync(join(outdir, file), 'utf8'));
}

function functionsOf(outdir: string, template: Json, resolve: (value: Json) => string): FunctionUnderTest[] {
  return (
    Object.entries(template.Resources as Record<string, Json>)
      .filter(([, resource]) => resource.Type === 'AWS::Lambda::Function' && resource.Properties.Code?.S3Key)
      // The CDK's own deploy-time providers (the Trigger that creates the signing keys runs through
      // one) are no part of a visitor's path: they answer CloudFormation once per deployment.
      .filter(([, resource]) => !String(resource.Properties.Handler).startsWith('__entrypoint__.'))
      .map(([logicalId, resource]) => {
        const hash = String(resource.Properties.Code.S3Key).replace(/\.zip$/, '');
        const [file, exportName] = String(resource.Properties.Handler).split('.');
        if (file !== 'index' || !exportName)
          throw new Error(`${logicalId}: unexpected handler ${resource.Properties.Handler}`);
        const variables = resource.Properties.Environment?.Variables ?? {};
        return {
          logicalId,
          dir: join(outdir, `asset.${hash}`),
          exportName,
          environment: Object.fromEntries(
            Object.entries(variables as Record<string, Json>).map(([name, value]) => [name, resolve(value)]),
          ),
        };
      })
  );
}

/** Files and bytes of one asset folder (what Lambda downloads and unpacks). */
function assetSize(dir: string): { files: number; bytes: number; maps: number } {
  let files = 0;
  let bytes = 0;
  let maps = 0;
  const walk = (path: string) => {
    for (const name of readdirSync(path)) {
      const child = join(path, name);
      const stat = statSync(child);
      if (stat.isDirectory()) walk(child);
      else {
        files++;
        bytes += stat.size;
        if (name.endsWith('.map')) maps += stat.size;
      }
    }
  };
  walk(dir);
  return { files, bytes, maps };
}

// ---------------------------------------------------------------------------------------
// What stands in for AWS

interface LocalAws {
  secrets: Map<string, string>;
  server: Server;
  url: string;
}

async function localAws(jwks: unknown, tls: { cert: string; key: string }): Promise<LocalAws> {
  const secrets = new Map<string, string>();
  const server = createServer(tls, (req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const answer = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(value));
      };
      if (req.method === 'GET' && req.url === '/.well-known/jwks.json') return answer(200, jwks);
      if (target === 'secretsmanager.GetSecretValue') {
        const { SecretId } = JSON.parse(body) as { SecretId: string };
        const value = secrets.get(SecretId);
        if (value === undefined) {
          return answer(400, { __type: 'ResourceNotFoundException', message: `no secret ${SecretId}` });
        }
        return answer(200, { ARN: SecretId, Name: SecretId, SecretString: value, VersionId: 'v1' });
      }
      if (target === 'secretsmanager.BatchGetSecretValue') {
        const { SecretIdList } = JSON.parse(body) as { SecretIdList: string[] };
        const known = SecretIdList.filter((id) => secrets.has(id));
        return answer(200, {
          SecretValues: known.map((id) => ({
            ARN: id,
            Name: id,
            SecretString: secrets.get(id),
            VersionId: 'v1',
          })),
          Errors: SecretIdList.filter((id) => !secrets.has(id)).map((id) => ({
            SecretId: id,
            ErrorCode: 'ResourceNotFoundException',
            Message: `no secret ${id}`,
          })),
        });
      }
      if (target === 'AWSEvents.PutEvents') {
        const { Entries } = JSON.parse(body) as { Entries: unknown[] };
        return answer(200, { FailedEntryCount: 0, Entries: Entries.map((_, i) => ({ EventId: `e${i}` })) });
      }
      answer(400, { __type: 'UnknownOperationException', message: target });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { secrets, server, url: `https://127.0.0.1:${port}` };
}

/** The values a template's intrinsics resolve to here. */
function resolver(local: { redisPort: number }): (value: Json) => string {
  const resolve = (value: Json): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return String(value);
    // A secret's ARN, a table's or an event bus's name: the logical id names it here.
    if (value.Ref) return String(value.Ref);
    if (value['Fn::Join']) {
      const [separator, parts] = value['Fn::Join'] as [string, Json[]];
      return parts.map(resolve).join(separator);
    }
    if (value['Fn::GetAtt']) {
      const [, attribute] = value['Fn::GetAtt'] as [string, string];
      if (attribute === 'DomainName') return PUBLIC_HOST;
      if (attribute.endsWith('Port')) return String(local.redisPort);
      if (attribute.endsWith('Address')) return '127.0.0.1';
    }
    throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  };
  return resolve;
}

/** Give every secret the function environments name a value of the right shape. */
function fillSecrets(
  functions: FunctionUnderTest[],
  secrets: Map<string, string>,
  values: { keys: string; redisPassword: string },
): void {
  const cookieKeys = JSON.stringify([
    'bench-cookie-key-0123456789abcdef0123456789',
    'bench-cookie-key-1-0123456789abcdef0123456789',
  ]);
  for (const { environment: env } of functions) {
    if (env.ANTEROOM_KEYS_SECRET_ARN) secrets.set(env.ANTEROOM_KEYS_SECRET_ARN, values.keys);
    if (env.ANTEROOM_REDIS_AUTH_SECRET_ARN) {
      secrets.set(env.ANTEROOM_REDIS_AUTH_SECRET_ARN, JSON.stringify({ password: values.redisPassword }));
    }
    if (env.ANTEROOM_COOKIE_KEYS_SECRET_ARN) secrets.set(env.ANTEROOM_COOKIE_KEYS_SECRET_ARN, cookieKeys);
    if (env.ANTEROOM_ORIGIN_SECRET_ARN) secrets.set(env.ANTEROOM_ORIGIN_SECRET_ARN, 'bench-origin-secret');
    for (const arn of Object.values(JSON.parse(env.ANTEROOM_OIDC_CLIENT_SECRET_ARNS ?? '{}'))) {
      secrets.set(arn as string, 'bench-client-secret');
    }
  }
}

async function createTables(
  template: Json,
  endpoint: { send(command: CreateTableCommand): Promise<unknown> },
) {
  for (const [logicalId, resource] of Object.entries(template.Resources as Record<string, Json>)) {
    if (resource.Type !== 'AWS::DynamoDB::Table') continue;
    const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes } = resource.Properties;
    const input: CreateTableCommandInput = {
      TableName: logicalId,
      AttributeDefinitions,
      KeySchema,
      BillingMode: 'PAY_PER_REQUEST',
      ...(GlobalSecondaryIndexes ? { GlobalSecondaryIndexes } : {}),
    };
    await endpoint.send(new CreateTableCommand(input));
  }
}

// ---------------------------------------------------------------------------------------
// Events

function httpApiEvent(method: string, path: string, headers: Record<string, string>, body?: string): Json {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: {
      host: 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com',
      'user-agent': 'bench',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
      ...headers,
    },
    requestContext: {
      accountId: '123456789012',
      apiId: 'a1b2c3d4e5',
      domainName: 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'a1b2c3d4e5',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'bench' },
      requestId: 'bench-request',
      routeKey: '$default',
      stage: '$default',
      time: '02/Dec/2026:10:00:00 +0000',
      timeEpoch: 1_796_205_600_000,
    },
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body }),
  };
}

function withEnvironment(
  fn: FunctionUnderTest | null,
  extra: Record<string, string>,
): FunctionUnderTest | null {
  return fn === null ? null : { ...fn, environment: { ...fn.environment, ...extra } };
}

function scenariosFor(functions: FunctionUnderTest[], token: string, jwks: unknown): Scenario[] {
  const byExport = (name: string) => functions.find((fn) => fn.exportName === name) ?? null;
  const publicFn = byExport('publicHandler');
  const origin = { 'x-anteroom-origin-secret': 'bench-origin-secret', 'x-anteroom-client-ip': '203.0.113.7' };
  const admin = httpApiEvent('GET', `/events/${EVENT_ID}`, {});
  admin.requestContext.authorizer = { iam: { userArn: 'arn:aws:iam::123456789012:user/operator' } };
  return [
    { label: 'bare handler', fn: null, event: {}, expect: '200' },
    {
      label: 'public: POST /assign_queue_num',
      fn: publicFn,
      event: httpApiEvent(
        'POST',
        '/assign_queue_num',
        { ...origin, 'content-type': 'application/json' },
        JSON.stringify({ event_id: EVENT_ID }),
      ),
      expect: '200',
    },
    {
      label: 'public: OIDC discovery',
      fn: publicFn,
      event: httpApiEvent('GET', '/oidc/.well-known/openid-configuration', origin),
      expect: '200',
    },
    { label: 'admin: GET /events/demo', fn: byExport('adminHandler'), event: admin, expect: '200' },
    {
      label: 'scheduled: tick',
      fn: byExport('scheduledHandler'),
      event: { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
      expect: 'ok',
    },
    {
      label: 'authorizer: decision',
      fn: byExport('handler'),
      event: {
        type: 'TOKEN',
        authorizationToken: `Bearer ${token}`,
        methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/GET/checkout',
      },
      expect: 'Allow',
    },
    {
      // The opt-in of docs/operations.md: the key set in the function's configuration, so the
      // first decision does not wait on the network (the JWKS is fetched after it is answered).
      label: 'authorizer: decision, ANTEROOM_INITIAL_JWKS set',
      fn: withEnvironment(byExport('handler'), { ANTEROOM_INITIAL_JWKS: JSON.stringify(jwks) }),
      event: {
        type: 'TOKEN',
        authorizationToken: `Bearer ${token}`,
        methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/GET/checkout',
      },
      expect: 'Allow',
    },
  ].filter((scenario) => scenario.label === 'bare handler' || scenario.fn !== null);
}

// ---------------------------------------------------------------------------------------
// Fresh processes

const HARNESS = `
const cpu = () => { const used = process.cpuUsage(); return (used.user + used.system) / 1000; };
const mod = await import(process.env.BENCH_MODULE);
process.stdout.write('imported ' + cpu() + '\\n');
const context = {
  functionName: 'bench', functionVersion: '$LATEST', awsRequestId: 'bench-invocation',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench', memoryLimitInMB: '1024',
  logGroupName: '/aws/lambda/bench', logStreamName: 'bench', callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30000,
};
let outcome;
try {
  const result = await mod[process.env.BENCH_EXPORT](JSON.parse(process.env.BENCH_EVENT), context);
  outcome = result?.statusCode ?? result?.policyDocument?.Statement?.[0]?.Effect ?? (Array.isArray(result) ? 'ok' : JSON.stringify(result));
} catch (error) {
  outcome = 'threw ' + error;
}
process.stdout.write('answered ' + cpu() + ' ' + outcome + '\\n', () => process.exit(0));
`;

function runOnce(
  harness: string,
  module: string,
  exportName: string,
  event: unknown,
  env: Record<string, string>,
  expect: string,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const since = () => Number(process.hrtime.bigint() - started) / 1e6;
    const profile = process.env.BENCH_PROFILE_DIR
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`,
          `--cpu-prof-interval=${process.env.BENCH_PROFILE_INTERVAL_US ?? '1000'}`,
        ]
      : [];
    const child: ChildProcess = spawn(process.execPath, [...profile, harness], {
      env: { ...env, BENCH_MODULE: module, BENCH_EXPORT: exportName, BENCH_EVENT: JSON.stringify(event) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let importMs = Number.NaN;
    let importCpuMs = Number.NaN;
    let answered: Run | null = null;
    let out = '';
    let err = '';
    child.stderr!.on('data', (chunk) => {
      err += chunk;
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      let newline = out.indexOf('\n');
      while (newline >= 0) {
        const line = out.slice(0, newline);
        out = out.slice(newline + 1);
        const [word, cpu, ...rest] = line.split(' ');
        if (word === 'imported') {
          importMs = since();
          importCpuMs = Number(cpu);
        } else if (word === 'answered') {
          answered = {
            importMs,
            importCpuMs,
            answerMs: since(),
            answerCpuMs: Number(cpu),
            outcome: rest.join(' '),
          };
        }
        newline = out.indexOf('\n');
      }
    });
    child.once('exit', (code) => {
      if (answered && answered.outcome !== expect && process.env.BENCH_DEBUG) console.error(err);
      if (answered) resolve(answered);
      else reject(new Error(`harness exited ${code} before answering: ${err.slice(-800)}`));
    });
  });
}

// ---------------------------------------------------------------------------------------

const work = mkdtempSync(join(tmpdir(), 'anteroom-cold-work-'));
const ownOutdir = flags['cdk-out'] === undefined;
const outdir = flags['cdk-out'] ?? synthesize();
const tls = certificate(work);
const redisPassword = 'bench-redis-password';
const redisTlsPort = await freePort();
const redis = await startRedis(
  ['--requirepass', redisPassword, '--port', '0', '--tls-port', String(redisTlsPort)].concat([
    '--tls-cert-file',
    tls.certFile,
    '--tls-key-file',
    tls.keyFile,
    '--tls-auth-clients',
    'no',
  ]),
);
const dynamo = await startDynalite();
const keys = JSON.stringify(await createKeysDocument());
const ring = await KeyRing.fromDocument(JSON.parse(keys), { algorithm: 'ES256' });
const aws = await localAws(ring.jwks(), tls);
try {
  const template = templateOf(outdir);
  const functions = functionsOf(outdir, template, resolver({ redisPort: redisTlsPort }));
  fillSecrets(functions, aws.secrets, { keys, redisPassword });
  await createTables(template, dynamo.client);
  const now = Math.floor(Date.now() / 1000);
  const tokens = await issueAdmissionTokens(
    ring,
    {
      requestId: '00000000-0000-8000-8000-000000000001',
      eventId: EVENT_ID,
      position: 1,
      issuedAt: now,
      expiresAt: now + 3600,
      issuer: `https://${PUBLIC_HOST}`,
      status: 'active',
    },
    now,
  );

  const harness = join(work, 'harness.mjs');
  writeFileSync(harness, HARNESS);
  const bareModule = join(work, 'bare', 'index.mjs');
  buildSync({
    stdin: {
      contents: 'export const handler = async () => ({ statusCode: 200, body: "{}" });',
      loader: 'js',
    },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    outfile: bareModule,
    logLevel: 'error',
  });

  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_EXTRA_CA_CERTS: tls.certFile,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key',
    AWS_SESSION_TOKEN: 'bench-session-token',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
    AWS_ENDPOINT_URL_EVENTBRIDGE: aws.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  };
  const envOf = (fn: FunctionUnderTest | null): Record<string, string> => {
    if (fn === null) return baseEnv;
    // Lambda names the handler it will call in `_HANDLER` (the template's `Handler`).
    const env: Record<string, string> = { ...baseEnv, ...fn.environment, _HANDLER: `index.${fn.exportName}` };
    if (env.ANTEROOM_JWKS_URL) env.ANTEROOM_JWKS_URL = `${aws.url}/.well-known/jwks.json`;
    return env;
  };

  const scenarios = scenariosFor(functions, tokens.access_token, ring.jwks());
  for (const dir of flags.authorizer?.split(',') ?? []) {
    for (const scenario of scenarios.filter((one) => one.label.startsWith('authorizer: decision'))) {
      if (scenario.fn === null || scenario.label.includes(' [')) continue;
      scenarios.push({
        ...scenario,
        label: `${scenario.label} [${dir}]`,
        fn: { ...scenario.fn, dir: resolvePath(dir) },
      });
    }
  }
  const runs = new Map<Scenario, Run[]>(scenarios.map((scenario) => [scenario, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const scenario of scenarios) {
      const module = scenario.fn === null ? bareModule : join(scenario.fn.dir, 'index.mjs');
      const exportName = scenario.fn === null ? 'handler' : scenario.fn.exportName;
      runs
        .get(scenario)!
        .push(
          await runOnce(harness, module, exportName, scenario.event, envOf(scenario.fn), scenario.expect),
        );
    }
  }

  console.log(`Lambda cold starts: medians of ${ROUNDS} fresh processes each, interleaved (${outdir})`);
  console.log('Wall time counts from spawning the process, CPU time from its start (Node start-up included');
  console.log('in both); in brackets the ratio to the bare handler. CPU time varies less with other load.\n');
  const bareRuns = runs.get(scenarios[0]!)!;
  const figures = (list: Run[]) => ({
    importMs: median(list.map((run) => run.importMs)),
    answerMs: median(list.map((run) => run.answerMs)),
    importCpuMs: median(list.map((run) => run.importCpuMs)),
    answerCpuMs: median(list.map((run) => run.answerCpuMs)),
  });
  const bare = figures(bareRuns);
  const rows = scenarios.map((scenario) => {
    const list = runs.get(scenario)!;
    const own = figures(list);
    const wrong = list.filter((run) => run.outcome !== scenario.expect).map((run) => run.outcome);
    const cell = (key: keyof typeof own) => `${own[key].toFixed(0)} (${(own[key] / bare[key]).toFixed(2)}×)`;
    return {
      scenario: scenario.label,
      'import ms': cell('importMs'),
      'import + first answer ms': cell('answerMs'),
      'CPU ms: import': cell('importCpuMs'),
      'CPU ms: + first answer': cell('answerCpuMs'),
      answer: wrong.length === 0 ? scenario.expect : `UNEXPECTED ${[...new Set(wrong)].join(', ')}`,
    };
  });
  console.table(rows);
  console.log('\nAssets (what each function downloads):');
  const seen = new Set<string>();
  for (const fn of functions) {
    const size = assetSize(fn.dir);
    const shared = seen.has(fn.dir) ? ' (same asset as above)' : '';
    seen.add(fn.dir);
    console.log(
      `  ${fn.logicalId.padEnd(40)} ${(size.bytes / 1024).toFixed(0).padStart(6)} KiB in ${size.files} files` +
        `${size.maps ? `, of which source maps ${(size.maps / 1024).toFixed(0)} KiB` : ''}` +
        `, NODE_OPTIONS=${fn.environment.NODE_OPTIONS ?? '(none)'}${shared}`,
    );
  }
} finally {
  aws.server.close();
  await dynamo.stop();
  await redis.stop();
  rmSync(work, { recursive: true, force: true });
  if (ownOutdir) rmSync(outdir, { recursive: true, force: true });
}
