/**
 * oidc-provider state in Redis (ioredis): one string per record with a native TTL, pointer keys
 * for the `uid` and `userCode` lookups, and a set per grant for `revokeByGrantId`.
 *
 *   <prefix>:<Model>:<id>            string  <consumed>;<exp>;<payload JSON>  PX = lifetime
 *   <prefix>:<Model>:uid:<uid>       string → id                            same lifetime
 *   <prefix>:<Model>:code:<userCode> string → id                            same lifetime
 *   <prefix>:grant:<grantId>         set of record keys                     longest member lifetime
 *
 * `consumed` and `exp` are epoch seconds, empty when unset. A record is written with one
 * command (`SET … PX`), atomic by itself: a session, grant or code costs one command where a
 * hash cost five (MULTI, DEL, HSET, PEXPIRE, EXEC). Records written as hashes by earlier
 * versions (`payload`, `consumed`, `exp` fields) are still read and consumed, and replaced by the
 * string at their next write.
 *
 * No command touches two keys, so the adapter works on Redis Cluster as is. `consume` is one
 * Lua call on one key (exists and not yet consumed → set), so two concurrent code exchanges
 * cannot both succeed.
 */
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { REDIS_DEFAULTS } from '../../../queue-core/defaults.ts';
import { StoreUnavailableError } from '../../../queue-core/errors.ts';
import { confirmWrites, type Durability } from '../../../queue-core/store/durability.ts';
import {
  type Adapter,
  type AdapterFactory,
  type AdapterPayload,
  alreadyConsumed,
  type Clock,
  expiryOf,
  systemClock,
} from './types.ts';

/** 1: consumed now; 0: already consumed; -1: no such record. A hash is an earlier version's record. */
const CONSUME_LUA = `
local record = redis.pcall('GET', KEYS[1])
if type(record) == 'table' and record.err then
  if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
  return redis.call('HSETNX', KEYS[1], 'consumed', ARGV[1])
end
if not record then return -1 end
if string.sub(record, 1, 1) ~= ';' then return 0 end
redis.call('SET', KEYS[1], ARGV[1] .. record, 'KEEPTTL')
return 1
`;

/** A record as stored: `<consumed>;<exp>;<payload JSON>`. */
function encodeRecord(payload: AdapterPayload, exp: number | undefined): string {
  return `${payload.consumed ?? ''};${exp ?? ''};${JSON.stringify(payload)}`;
}

/** The payload of a stored record (string, or an earlier version's hash fields), or undefined when expired. */
function decodeRecord(
  payload: string,
  consumed: string | null,
  exp: string | null,
  now: number,
): AdapterPayload | undefined {
  if (exp != null && exp !== '' && Number(exp) <= now) return undefined;
  const parsed = JSON.parse(payload) as AdapterPayload;
  if (consumed != null && consumed !== '') parsed.consumed = Number(consumed);
  return parsed;
}

function isWrongType(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('WRONGTYPE');
}

type ConsumingRedis = (Redis | Cluster) & { oidcConsume(key: string, now: number): Promise<number> };

export interface RedisAdapterOptions {
  /** Key prefix (default `ar:oidc`). */
  prefix?: string;
  now?: Clock;
  /**
   * `replica` or `aof` (API.md section 5): a write (codes, grants, sessions, their consumption
   * and revocation) is answered only once `WAIT 1` (or `WAITAOF 1 0`) confirmed it; a code
   * issued and then lost in a failover would fail its exchange. Default `none`.
   */
  durability?: Durability | undefined;
  /** The longest a write waits for its confirmation (default 200 ms). */
  waitTimeoutMs?: number | undefined;
}

interface Durable {
  durability: Durability;
  waitTimeoutMs: number;
}

class RedisAdapter implements Adapter {
  readonly #redis: ConsumingRedis;
  readonly #model: string;
  readonly #prefix: string;
  readonly #now: Clock;
  readonly #durable: Durable;

  constructor(redis: ConsumingRedis, model: string, prefix: string, now: Clock, durable: Durable) {
    this.#redis = redis;
    this.#model = model;
    this.#prefix = prefix;
    this.#now = now;
    this.#durable = durable;
  }

  #key(id: string): string {
    return `${this.#prefix}:${this.#model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.#key(id);
    const exp = expiryOf(this.#now(), expiresIn);
    const ttlMs = exp === undefined ? undefined : Math.max(1, Math.ceil(expiresIn! * 1000));
    const record = encodeRecord(payload, exp);
    await this.#write(async (redis) => {
      // On one Redis, the record and its pointers go in one socket write (a pipeline, not a
      // transaction); a cluster spreads them over slots, so each is sent on its own there.
      const batch: Redis | Cluster | ChainableCommander = redis.isCluster ? redis : redis.pipeline();
      const sent: Promise<unknown>[] = [];
      const set = (target: string, value: string) => {
        const reply = ttlMs === undefined ? batch.set(target, value) : batch.set(target, value, 'PX', ttlMs);
        if (reply instanceof Promise) sent.push(reply);
      };
      set(key, record);
      if (typeof payload.uid === 'string') set(this.#key(`uid:${payload.uid}`), id);
      if (typeof payload.userCode === 'string') set(this.#key(`code:${payload.userCode}`), id);
      const grantKey =
        typeof payload.grantId === 'string' ? `${this.#prefix}:grant:${payload.grantId}` : null;
      if (grantKey !== null) {
        const added = batch.sadd(grantKey, key);
        if (added instanceof Promise) sent.push(added);
      }
      // The set lives as long as its longest-lived member (PEXPIRE GT/NX would need Redis 7).
      const extend = grantKey !== null && ttlMs !== undefined;
      if (batch === redis) {
        await Promise.all(sent);
        if (extend) await extendTtl(redis, grantKey, ttlMs);
        return;
      }
      if (extend) (batch as ChainableCommander).pttl(grantKey);
      const replies = (await (batch as ChainableCommander).exec()) ?? [];
      for (const [error] of replies) if (error) throw error;
      const current = Number(replies.at(-1)?.[1]);
      if (extend && (current < 0 || current < ttlMs)) await redis.pexpire(grantKey, ttlMs);
    });
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const key = this.#key(id);
    const record = await this.#call(async (redis) => {
      try {
        return await redis.get(key);
      } catch (error) {
        if (!isWrongType(error)) throw error;
        // An earlier version's hash.
        const [payload, consumed, exp] = await redis.hmget(key, 'payload', 'consumed', 'exp');
        return payload == null ? null : { payload, consumed: consumed ?? null, exp: exp ?? null };
      }
    });
    if (record == null) return undefined;
    if (typeof record !== 'string')
      return decodeRecord(record.payload, record.consumed, record.exp, this.#now());
    const first = record.indexOf(';');
    const second = record.indexOf(';', first + 1);
    return decodeRecord(
      record.slice(second + 1),
      record.slice(0, first),
      record.slice(first + 1, second),
      this.#now(),
    );
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findByPointer(this.#key(`uid:${uid}`));
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findByPointer(this.#key(`code:${userCode}`));
  }

  async #findByPointer(pointerKey: string): Promise<AdapterPayload | undefined> {
    const id = await this.#call((redis) => redis.get(pointerKey));
    return id == null ? undefined : this.find(id);
  }

  async consume(id: string): Promise<void> {
    const found = await this.find(id);
    if (found === undefined) throw alreadyConsumed();
    const outcome = await this.#write((redis) => redis.oidcConsume(this.#key(id), this.#now()));
    if (outcome !== 1) throw alreadyConsumed();
  }

  async destroy(id: string): Promise<void> {
    await this.#write((redis) => redis.del(this.#key(id)));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const grantKey = `${this.#prefix}:grant:${grantId}`;
    await this.#write(async (redis) => {
      const keys = await redis.smembers(grantKey);
      await Promise.all([...keys.map((key) => redis.del(key)), redis.del(grantKey)]);
    });
  }

  /** A write, answered once the configured durability confirms it (one WAIT after all its commands). */
  async #write<T>(operation: (redis: ConsumingRedis) => Promise<T>): Promise<T> {
    const { durability, waitTimeoutMs } = this.#durable;
    return this.#call(async (redis) => {
      const result = await operation(redis);
      if (durability !== 'none') await confirmWrites(redis, durability, waitTimeoutMs);
      return result;
    });
  }

  async #call<T>(operation: (redis: ConsumingRedis) => Promise<T>): Promise<T> {
    try {
      return await operation(this.#redis);
    } catch (error) {
      if (error instanceof Error && error.name === 'InvalidGrant') throw error;
      throw new StoreUnavailableError(error);
    }
  }
}

/** Raise a key's TTL to at least `ttlMs`; a racing writer can only make it longer. */
async function extendTtl(redis: Redis | Cluster, key: string, ttlMs: number): Promise<void> {
  const current = await redis.pttl(key);
  if (current >= 0 && current >= ttlMs) return;
  await redis.pexpire(key, ttlMs);
}

/** A factory over one ioredis client (the caller owns and closes it). */
export function redisAdapter(redis: Redis | Cluster, options: RedisAdapterOptions = {}): AdapterFactory {
  const scripted = redis as ConsumingRedis;
  if (typeof scripted.oidcConsume !== 'function') {
    redis.defineCommand('oidcConsume', { numberOfKeys: 1, lua: CONSUME_LUA });
  }
  const prefix = options.prefix ?? 'ar:oidc';
  const now = options.now ?? systemClock;
  const durable: Durable = {
    durability: options.durability ?? (REDIS_DEFAULTS.durability as Durability),
    waitTimeoutMs: options.waitTimeoutMs ?? REDIS_DEFAULTS.waitTimeoutMs,
  };
  return (model: string) => new RedisAdapter(scripted, model, prefix, now, durable);
}
