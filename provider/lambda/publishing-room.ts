/**
 * The room as the Lambda apps see it: every call goes to the real room, and the outcomes other
 * systems subscribe to are published as status events (`events.ts`):
 *
 * - `token_generated` on the first admission of a request id (`created`: the first token set of
 *   the JSON API, the waiting page's or the OIDC interaction's admission), never on a re-issue;
 * - `session_updated` when update_session ended a session;
 * - `serving_counter_changed` (`cause: "admin"`) when an operator moved the counter (the
 *   retired AWS solution emitted nothing for manual moves; its users asked for it).
 *
 * With a durable ledger (`ledger.ts`, `ANTEROOM_LEDGER_TABLE`), the same two outcomes are
 * recorded there: one PutItem on a first issuance, one UpdateItem on update_session, awaited
 * before the call returns (a Lambda is frozen once it has answered). The ledger given here must
 * never reject (`guardedLedger`): Redis is the source of truth, a failed record fails no request.
 *
 * A decorator, so queue-core stays free of AWS and of publishing; the HTTP handler flushes the
 * publisher before each invocation returns.
 */
import type { Room } from '../../queue-core/room/room-api.ts';
import type { EventPublisher } from './events.ts';
import type { AdmissionLedger } from './ledger.ts';

export function publishingRoom(
  room: Room,
  publisher: EventPublisher,
  ledger: AdmissionLedger | null = null,
): Room {
  const overrides: Partial<Room> = {
    async admit(eventId, requestId, options) {
      const result = await room.admit(eventId, requestId, options);
      if (result.kind === 'issued' && result.created) {
        publisher.publish('token_generated', { event_id: eventId, request_id: requestId });
        await ledger?.recordIssued(result.session);
      }
      return result;
    },
    async updateSession(eventId, requestId, status, actor) {
      const session = await room.updateSession(eventId, requestId, status, actor);
      publisher.publish('session_updated', { event_id: eventId, request_id: requestId, status });
      await ledger?.recordStatus(eventId, requestId, status);
      return session;
    },
    async incrementServingCounter(eventId, by, actor) {
      const serving = await room.incrementServingCounter(eventId, by, actor);
      // The counter never goes below 0: the previous value is exact unless a decrement was clamped.
      const clamped = serving === 0 && by < 0;
      publisher.publish('serving_counter_changed', {
        event_id: eventId,
        ...(clamped ? {} : { previous_serving_counter: serving - by }),
        serving_counter: serving,
        increment_by: clamped ? null : by,
        cause: 'admin',
      });
      return serving;
    },
  };
  // Everything else is the room itself (a Proxy, so methods added to Room later pass through).
  return new Proxy(room, {
    get(target, property, receiver) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof Room];
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
