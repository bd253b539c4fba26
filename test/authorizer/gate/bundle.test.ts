/**
 * The deployed edge package: `authorizer/edge.ts` bundled as the CDK construct bundles it, far
 * inside Lambda@Edge's 1 MB viewer-request limit, and its `handler` configured by the
 * `anteroom-edge.json` beside it, answering a CloudFront event against a running Anteroom.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { EdgeHandler } from '../../../authorizer/edge.ts';
import { bundleEdgeGate, VIEWER_REQUEST_PACKAGE_LIMIT_BYTES } from '../../../infra/lib/edge-bundle.ts';
import {
  type Anteroom,
  CLIENT_ID,
  CLIENT_SECRET,
  COOKIE_SECRET,
  cfHeader,
  isResponse,
  SITE,
  startAnteroom,
  viewerRequest,
} from './support.ts';

describe('edge package', () => {
  let anteroom: Anteroom;
  let outdir: string;
  let size: number;

  before(async () => {
    anteroom = await startAnteroom();
    outdir = mkdtempSync(join(tmpdir(), 'anteroom-edge-bundle-'));
    size = bundleEdgeGate(outdir, {
      issuer: anteroom.issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      cookieSecret: COOKIE_SECRET,
    });
  });
  after(() => anteroom?.close());

  it('is far inside the 1 MB viewer-request limit, with no AWS SDK inside', () => {
    const bundle = join(outdir, 'index.mjs');
    const modules = readdirSync(outdir).filter((file) => file.endsWith('.mjs'));
    assert.equal(
      modules.reduce((sum, file) => sum + statSync(join(outdir, file)).size, 0),
      size,
    );
    assert.ok(size < VIEWER_REQUEST_PACKAGE_LIMIT_BYTES / 4, `${size} bytes`);
    assert.doesNotMatch(readFileSync(bundle, 'utf8'), /SecretsManagerClient\s*=\s*class/);
  });

  it('exports handler, configured by anteroom-edge.json beside it', async () => {
    const { handler } = (await import(pathToFileURL(join(outdir, 'index.mjs')).href)) as {
      handler: EdgeHandler;
    };
    const result = await handler(viewerRequest(new URL('/tickets', SITE)));
    assert.ok(isResponse(result));
    assert.equal(result.status, '302');
    const location = new URL(cfHeader(result.headers, 'location') ?? '');
    assert.equal(`${location.origin}${location.pathname}`, `${anteroom.issuer}/auth`);
    assert.equal(location.searchParams.get('redirect_uri'), `${SITE}/_anteroom/callback`);
  });
});
