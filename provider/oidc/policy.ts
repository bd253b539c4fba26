/**
 * The interaction policy: oidc-provider's base policy (login, consent) with the waiting room
 * placed FIRST. Its check asks "is this browser admitted to THIS client's event?" — never "is
 * there a login session?", so an admission to one event never opens another (queue bypass).
 * With `prompt=none` a failed check answers `login_required` to the client.
 */
import type { KoaContextWithOIDC } from 'oidc-provider';
import { interactionPolicy } from 'oidc-provider';
import { guarded } from './outage.ts';
import { handedOverAdmitted } from './park.ts';
import type { ClientRegistry } from './registry.ts';
import type { WaitingRoom } from './waiting.ts';

export const WAITING_ROOM_PROMPT = 'waiting_room';

/** What the finished interaction records under `result.waiting_room`. */
export interface WaitingRoomResult {
  event_id: string;
  request_id: string;
}

export interface PolicyDeps {
  registry: ClientRegistry;
  waitingRoom: WaitingRoom;
  /** The account of the browser behind `ctx` (session first, then the visitor cookie). */
  accountOf: (ctx: KoaContextWithOIDC) => string | null;
}

export function waitingRoomPolicy(deps: PolicyDeps): interactionPolicy.Prompt[] {
  const { Check, Prompt, base } = interactionPolicy;
  const policy = base();
  const notAdmitted = new Check(
    'not_admitted',
    'the visitor has not been admitted to this waiting room yet',
    'login_required',
    async (ctx: KoaContextWithOIDC) => {
      const eventId = deps.registry.eventOf(ctx.oidc.client?.clientId);
      if (eventId === undefined) return Check.REQUEST_PROMPT;
      // Resuming the interaction that just admitted this browser to this event.
      const result = ctx.oidc.result?.[WAITING_ROOM_PROMPT] as WaitingRoomResult | undefined;
      if (result?.event_id === eventId) return Check.NO_NEED_TO_PROMPT;
      const accountId = deps.accountOf(ctx);
      if (accountId === null) return Check.REQUEST_PROMPT;
      // A parked request handed over once its admission was read (`park.ts`).
      if (handedOverAdmitted(ctx, accountId)) return Check.NO_NEED_TO_PROMPT;
      const admission = await guarded(() => deps.waitingRoom.admission(eventId, accountId));
      return admission === null ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    },
  );
  policy.add(new Prompt({ name: WAITING_ROOM_PROMPT, requestable: false }, notAdmitted), 0);
  return policy;
}
