/**
 * Admin `POST /generate_token` — as the public one, plus `issuer` and `validity_period`
 * (validated; they apply to this call only and are never remembered). They shape a first
 * issuance only: a re-issue always re-signs the stored claims.
 */
import { ValidationError } from '../../queue-core/errors.ts';
import type { AdmitOptions, AdmitOutcome } from '../../queue-core/room/visitor-flow.ts';
import { admitVisitor, respondWithTokens } from '../api/generate-token.ts';
import { readJsonBody } from '../http/body.ts';
import type { Step } from '../http/context.ts';
import { readEventId, readRequestId } from '../http/steps.ts';
import { recordAudit } from './audit-trail.ts';

const MAX_VALIDITY_SECONDS = 31_536_000;

const readOverrides: Step = async function readOverrides(ctx, next) {
  const { issuer, validity_period: validity } = ctx.state.body;
  if (issuer !== undefined) {
    let valid = typeof issuer === 'string' && issuer.length <= 2048;
    if (valid) {
      try {
        const url = new URL(issuer as string);
        valid = url.protocol === 'https:' || url.protocol === 'http:';
      } catch {
        valid = false;
      }
    }
    if (!valid)
      throw new ValidationError('issuer', 'issuer must be an absolute http(s) URL', 'invalid_issuer');
  }
  if (
    validity !== undefined &&
    (typeof validity !== 'number' ||
      !Number.isInteger(validity) ||
      validity < 1 ||
      validity > MAX_VALIDITY_SECONDS)
  ) {
    throw new ValidationError(
      'validity_period',
      `validity_period must be an integer from 1 to ${MAX_VALIDITY_SECONDS} seconds`,
      'invalid_validity_period',
    );
  }
  ctx.state.overrides = {
    ...(issuer === undefined ? {} : { issuer: issuer as string }),
    ...(validity === undefined ? {} : { validitySeconds: validity as number }),
  };
  await next();
};

const admit: Step = async function admit(ctx, next) {
  await admitVisitor(ctx, ctx.state.overrides as AdmitOptions);
  await next();
};

const auditFirstIssuance: Step = async function auditFirstIssuance(ctx, next) {
  const result = ctx.state.admission as AdmitOutcome;
  if (result.kind === 'issued' && result.created) {
    const { deps, actor, eventId, requestId } = ctx.state;
    await recordAudit(
      deps.store,
      {
        actor,
        action: 'generate_token',
        eventId,
        before: null,
        after: { request_id: requestId, issuer: result.session.issuer, expires_at: result.session.expiresAt },
      },
      Math.floor(Date.now() / 1000),
    );
  }
  await next();
};

const respond: Step = function respond(ctx) {
  return respondWithTokens(ctx);
};

export const adminGenerateToken: Step[] = [
  readJsonBody,
  readEventId,
  readRequestId,
  readOverrides,
  admit,
  auditFirstIssuance,
  respond,
];
