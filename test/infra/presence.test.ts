/**
 * Absent visitors on AWS (API.md section 6): the CDK app takes an event's `abandonAfterSeconds` to
 * the Lambdas (the public function records presence, the scheduled function runs the inlets that
 * pass absent visitors), and synth refuses a bad one with the cold-start validator, naming it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { parseDeployConfig } from '../../infra/lib/config.ts';
import { ValidationError } from '../../queue-core/errors.ts';
import { synthesize } from './synth.ts';

describe('abandonAfterSeconds in the CDK app', () => {
  it('synth refuses a window outside 10–86400 seconds, naming the field', () => {
    for (const bad of [5, 100_000, 'soon']) {
      assert.throws(
        () =>
          parseDeployConfig({ app: { events: [{ id: 'quiet' }, { id: 'sale', abandonAfterSeconds: bad }] } }),
        (error: unknown) =>
          error instanceof ValidationError && error.field === 'app.events[1].abandonAfterSeconds',
      );
    }
  });

  it('the public, admin and scheduled functions get the event with its window', () => {
    const { stack, json } = synthesize({
      app: {
        events: [
          {
            id: 'sale',
            inlet: { type: 'periodic', incrementBy: 50, intervalSeconds: 10 },
            abandonAfterSeconds: 60,
          },
          { id: 'quiet' },
        ],
      },
    });
    const logicalId = (construct: IConstruct) =>
      stack.getLogicalId(construct.node.defaultChild as CfnElement);
    for (const fn of [stack.publicApi.fn, stack.statusEvents.fn]) {
      const app = JSON.parse(
        json.Resources[logicalId(fn)].Properties.Environment.Variables.ANTEROOM_CONFIG_JSON,
      );
      assert.equal(app.events[0].abandonAfterSeconds, 60);
      assert.equal('abandonAfterSeconds' in app.events[1], false, 'off unless set');
    }
  });
});
