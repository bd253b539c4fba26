/**
 * The entry checks on AWS: the CDK app takes an event's `challenge` and `enqueueToken` to the
 * Lambdas; synth refuses a siteverify challenge or a `jwksUrl` the VPC cannot reach (no NAT
 * gateway), naming why, but takes a proof of work or an inline JWKS; with NAT gateways the
 * public function alone may reach a siteverify or JWKS port beyond 443.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { parseDeployConfig } from '../../infra/lib/config.ts';
import { egressOpening, synthesize } from './synth.ts';

const SITEVERIFY = {
  type: 'siteverify',
  provider: 'turnstile',
  sitekey: '0x4AAAAAAAB',
  secret: '0x4AAAAAAAB-secret',
};
const JWKS = {
  keys: [
    {
      kty: 'EC',
      crv: 'P-256',
      x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
      y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
      kid: 'site-1',
      alg: 'ES256',
    },
  ],
};

describe('synth refuses an entry check the network cannot reach', () => {
  const refuses = (config: unknown, field: RegExp, why: RegExp) =>
    assert.throws(
      () => parseDeployConfig(config),
      (error: Error & { field?: string; code?: string }) => {
        assert.match(error.field ?? '', field);
        assert.match(error.message, why);
        assert.equal(error.code, 'entry_check_unreachable');
        return true;
      },
    );

  it('a siteverify challenge without a NAT gateway, naming why and what to do', () => {
    refuses(
      { app: { events: [{ id: 'quiet' }, { id: 'sale', challenge: SITEVERIFY }] } },
      /^app\.events\[1\]\.challenge$/,
      /checks each turnstile widget token with its siteverify call, but it runs in a VPC without a NAT gateway \(network\.natGateways is 0\), so it cannot reach challenges\.cloudflare\.com .*natGateways to 1 or more, or use \{"type": "pow"/,
    );
  });

  it('an enqueue token with jwksUrl without a NAT gateway; inline keys and a proof of work need none', () => {
    refuses(
      {
        app: {
          events: [
            {
              id: 'members',
              enqueueToken: { issuer: 'https://shop.example', jwksUrl: 'https://shop.example/jwks.json' },
            },
          ],
        },
      },
      /^app\.events\[0\]\.enqueueToken\.jwksUrl$/,
      /cannot reach shop\.example .*or give the keys inline as enqueueToken\.jwks/,
    );
    const config = parseDeployConfig({
      app: {
        events: [
          {
            id: 'members',
            challenge: { type: 'pow', difficulty: 18 },
            enqueueToken: { issuer: 'https://shop.example', jwks: JWKS, audience: 'members' },
          },
        ],
      },
    });
    assert.deepEqual(config.entryPorts, []);
  });
});

describe('a deployment with entry checks through NAT', () => {
  const { stack, json } = synthesize({
    app: {
      events: [
        { id: 'sale', challenge: SITEVERIFY },
        {
          id: 'members',
          challenge: { type: 'pow', difficulty: 18 },
          enqueueToken: {
            issuer: 'https://shop.example',
            jwksUrl: 'https://keys.shop.example:8443/jwks.json',
          },
        },
      ],
    },
    network: { natGateways: 1 },
  });
  const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);

  it('the Lambdas get the events with their challenge and enqueue token', () => {
    const fn = json.Resources[logicalId(stack.publicApi.fn)];
    const app = JSON.parse(fn.Properties.Environment.Variables.ANTEROOM_CONFIG_JSON);
    assert.deepEqual(app.events[0].challenge, SITEVERIFY);
    assert.deepEqual(app.events[1].challenge, { type: 'pow', difficulty: 18 });
    assert.equal(app.events[1].enqueueToken.jwksUrl, 'https://keys.shop.example:8443/jwks.json');
  });

  it('the public function alone may reach the JWKS port beyond 443', () => {
    const egress = egressOpening(json, 8443);
    assert.equal(egress.groups, 1);
    assert.deepEqual(egress.rules, [['tcp', 8443, 8443]]);
    assert.deepEqual(egress.functions, [logicalId(stack.publicApi.fn)]);
  });
});
