/**
 * The entry gate: what a new visitor of an event with an entry challenge or enqueue tokens
 * passes before `enqueue`, in API.md's order after "event open" — place already held, enqueue
 * token, rate limit (429), challenge. The stateless verdicts are made here (the token's
 * signature, the proof of work's hash); the store applies them in that order with what needs
 * state (`QueueStore.screenVisitor`); a widget token is sent to siteverify only once the store
 * has cleared the visitor, so a held place or a spent budget never costs a provider call.
 */
import { ENTRY_DEFAULTS, RETRY_AFTER_SECONDS } from '../defaults.ts';
import { AnteroomError } from '../errors.ts';
import { replacementKey } from '../room/visitor-flow.ts';
import type { EnqueueRateLimit, EventSettings, QueueEntry, QueueStore, ScreenInput } from '../types.ts';
import { EnqueueTokenVerifier } from './enqueue-token.ts';
import { checkPow, issuePow, type PowOffer } from './pow.ts';
import { siteverify } from './siteverify.ts';

/** What a `challenge_required` (or `challenge_failed`) answer carries (API.md section 6). */
export type ChallengeOffer = PowOffer | { type: 'siteverify'; provider: string; sitekey: string };

/** What the visitor sent, beside its key. */
export interface EntryCredentials {
  /** The `Anteroom-Challenge` answer (or the widget's token). */
  challengeAnswer?: string | undefined;
  /** The `Anteroom-Enqueue-Token` JWT. */
  enqueueToken?: string | undefined;
  /** The visitor's address, passed to siteverify. */
  client?: string | undefined;
}

export type GateOutcome =
  | { kind: 'held'; entry: QueueEntry }
  | { kind: 'enqueue_token_required' }
  | { kind: 'enqueue_token_invalid' }
  | { kind: 'challenge_required'; challenge: ChallengeOffer }
  | { kind: 'challenge_failed'; challenge: ChallengeOffer }
  /**
   * Cleared for a new place under `placeKey` (the identity's key with enqueue tokens, else the
   * visitor's), its budget already taken; `link`: the visitor's key, to name the place too.
   */
  | { kind: 'clear'; placeKey: string; link: string | null };

export interface EntryGateOptions {
  store: QueueStore;
  /** Epoch seconds. */
  now: () => number;
  nowMs: () => number;
  /** The key proof-of-work prefixes are signed with (the same in every process). */
  secret: () => Buffer;
}

/** The identity key of an enqueue token's subject in the visitors index. */
export function identityKey(subject: string): string {
  return `id:${subject}`;
}

export class EntryGate {
  readonly #store: QueueStore;
  readonly #now: () => number;
  readonly #nowMs: () => number;
  readonly #secret: () => Buffer;
  readonly #tokens: EnqueueTokenVerifier;

  constructor(options: EntryGateOptions) {
    this.#store = options.store;
    this.#now = options.now;
    this.#nowMs = options.nowMs;
    this.#secret = options.secret;
    this.#tokens = new EnqueueTokenVerifier(options.now);
  }

  /** A fresh challenge for the event (a new signed prefix for a proof of work), or null. */
  offer(event: EventSettings): ChallengeOffer | null {
    const challenge = event.challenge;
    if (challenge === undefined) return null;
    if (challenge.type === 'pow') {
      return issuePow(
        this.#secret(),
        event.id,
        challenge.difficulty,
        this.#now(),
        ENTRY_DEFAULTS.powTtlSeconds,
      );
    }
    return { type: 'siteverify', provider: challenge.provider, sitekey: challenge.sitekey };
  }

  /**
   * Screen a visitor without a live place. `replacing`: the spent place a new one replaces (the
   * identity's key is then the replacement's, as the visitor's key already is).
   */
  async screen(
    event: EventSettings,
    visitorKey: string,
    credentials: EntryCredentials,
    rateLimit: EnqueueRateLimit | undefined,
    replacing: string | null = null,
  ): Promise<GateOutcome> {
    const token = await this.#tokenVerdict(event, credentials.enqueueToken, replacing);
    const challenge = this.#challengeVerdict(event, credentials.challengeAnswer);
    const screening = await this.#store.screenVisitor(event.id, {
      visitorKey,
      token,
      rateLimit,
      challenge,
      nowMs: this.#nowMs(),
    });
    switch (screening.kind) {
      case 'held':
      case 'enqueue_token_required':
      case 'enqueue_token_invalid':
        return screening;
      case 'enqueue_token_unavailable':
        throw new AnteroomError('enqueue_token_unavailable', undefined, {
          retryAfter: RETRY_AFTER_SECONDS.entryCheckUnavailable,
        });
      case 'challenge_required':
      case 'challenge_failed':
        return { kind: screening.kind, challenge: this.offer(event)! };
      case 'clear':
        break;
    }
    if (challenge === 'deferred') {
      const verdict = await this.#siteverify(event, credentials);
      if (verdict === 'failed') return { kind: 'challenge_failed', challenge: this.offer(event)! };
    }
    return typeof token === 'object'
      ? { kind: 'clear', placeKey: token.identity, link: visitorKey }
      : { kind: 'clear', placeKey: visitorKey, link: null };
  }

  async #tokenVerdict(
    event: EventSettings,
    token: string | undefined,
    replacing: string | null,
  ): Promise<ScreenInput['token']> {
    if (event.enqueueToken === undefined) return undefined;
    if (token === undefined || token === '') return 'missing';
    const verdict = await this.#tokens.verify(event.enqueueToken, token);
    if (verdict.kind !== 'identity') return verdict.kind;
    const identity = identityKey(verdict.subject);
    return { identity: replacing === null ? identity : replacementKey(identity, replacing) };
  }

  #challengeVerdict(event: EventSettings, answer: string | undefined): ScreenInput['challenge'] {
    const challenge = event.challenge;
    if (challenge === undefined) return undefined;
    if (challenge.type === 'siteverify')
      return answer === undefined || answer === '' ? 'missing' : 'deferred';
    const now = this.#now();
    const verdict = checkPow(this.#secret(), event.id, challenge.difficulty, answer, now);
    if (verdict.kind !== 'valid') return verdict.kind;
    // Kept until it expires (a second after, so an answer checked in its last second stays spent).
    return { used: verdict.prefix, forMs: (verdict.expiresAt - now + 1) * 1000 };
  }

  async #siteverify(event: EventSettings, credentials: EntryCredentials): Promise<'passed' | 'failed'> {
    const settings = event.challenge;
    if (settings?.type !== 'siteverify') return 'failed';
    const verdict = await siteverify(settings, credentials.challengeAnswer ?? '', credentials.client);
    if (verdict === 'unavailable') {
      throw new AnteroomError('challenge_unavailable', undefined, {
        retryAfter: RETRY_AFTER_SECONDS.entryCheckUnavailable,
      });
    }
    return verdict;
  }
}
