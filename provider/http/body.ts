/**
 * JSON request bodies: `application/json`, and `text/plain` holding JSON (the AWS control
 * panel sends that). At most 16 KiB (413 beyond it, decided from Content-Length before
 * reading when it is given). The body must be a JSON object.
 */
import type { IncomingMessage } from 'node:http';
import { BODY_LIMIT_BYTES } from '../../queue-core/defaults.ts';
import { AnteroomError } from '../../queue-core/errors.ts';
import type { Step } from './context.ts';

const tooLarge = () =>
  new AnteroomError('payload_too_large', `Request body exceeds ${BODY_LIMIT_BYTES} bytes`);

/** The whole body, at most 16 KiB (413 beyond it, from Content-Length when given). */
export function readBodyBytes(req: IncomingMessage): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared && Number(declared) > BODY_LIMIT_BYTES) return Promise.reject(tooLarge());
  // Plain stream events: cheaper than async iteration on this hot path.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

const utf8 = (bytes: Buffer) => bytes.toString('utf8');

/** The whole body as UTF-8 text (see `readBodyBytes`). */
export function readBodyText(req: IncomingMessage): Promise<string> {
  return readBodyBytes(req).then(utf8);
}

/**
 * JSON types and text/plain; a form type is tolerated too because `curl -d '{…}'` sends JSON
 * labelled as a form — the body must still be a JSON object. No Content-Type is accepted.
 */
export function isAcceptedBodyType(header: string | undefined): boolean {
  if (!header || header === 'application/json') return true;
  const type = (header.split(';', 1)[0] ?? '').trim().toLowerCase();
  return (
    type === 'application/json' ||
    type === 'text/plain' ||
    type === 'application/x-www-form-urlencoded' ||
    (type.startsWith('application/') && type.endsWith('+json'))
  );
}

export function unsupportedType(): AnteroomError {
  return new AnteroomError('unsupported_media_type');
}

/** An empty body is `{}`; anything else must be a JSON object. */
export function parseJsonObject(raw: string): Record<string, unknown> {
  let parsed: unknown = {};
  // A JSON object's first character, as clients send it; anything else may be blank.
  if (raw.charCodeAt(0) === 0x7b || raw.trim() !== '') {
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new AnteroomError('invalid_json');
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AnteroomError('invalid_body');
  }
  return parsed as Record<string, unknown>;
}

/** The body as JSON; an earlier step that had to read it (SigV4 verification) left it in `rawBody`. */
export const readJsonBody: Step = async function readJsonBody(ctx, next) {
  if (!isAcceptedBodyType(ctx.get('Content-Type') || undefined)) throw unsupportedType();
  const raw = ctx.state.rawBody;
  ctx.state.body = parseJsonObject(raw === undefined ? await readBodyText(ctx.req) : raw.toString('utf8'));
  await next();
};
