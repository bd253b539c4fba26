/**
 * The draw of a pre-queue at `startAt` (API.md section 6), exactly once across every process
 * and Lambda invocation, resumable and idempotent:
 *
 *   1. close the pre-queue (`closePrequeue`, idempotent): its arrivals 1 … n are the
 *      participants. In arrival order (`fifo`) that is the whole draw: arrival k is position
 *      base + k, nothing is written.
 *   2. shuffled, under the draw's lease: compute every participant's key from the seed and the
 *      published digest of their request id (`order.ts`), sort, and — both in slices of a few
 *      milliseconds that yield the event loop, so the process keeps answering its requests —
 *   3. write the order in slices of `DRAW_DEFAULTS.sliceSize` (`writeDrawSlice`: two SETRANGEs
 *      of a few kilobytes each, which write only when `written` is still what this process read).
 *
 * The order is a function of the participants and the seed only, so a process that takes over
 * after another died recomputes the same order and continues where it stopped; two processes
 * drawing at once cannot both write a slice. Nobody is admitted while the draw is `drawing`.
 */
import { DRAW_DEFAULTS } from '../defaults.ts';
import type { DrawState, EventSettings, QueueStore } from '../types.ts';
import { DrawKeys, orderInSlices, participantDigest } from './order.ts';

export interface DrawOptions {
  /** Names the calling process for the draw's lease. */
  owner: string;
  /** The event's seed (`seed.ts`); used with `draw: "shuffle"`. */
  seed: Buffer | null;
  /** Epoch seconds (the draw's `drawnAt`). */
  now: () => number;
  sliceSize?: number | undefined;
  leaseMs?: number | undefined;
}

export const drawLockName = (eventId: string) => `draw:${eventId}`;

/** Request ids read per store call while the keys are computed. */
const ID_BATCH = 1_000;
/** Keys computed between two yields of the event loop (about 20 µs each: a few ms a slice). */
const KEY_SLICE = 250;

/** Let the event loop run what waits (requests, timers) before the next slice of the draw's work. */
const yieldEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Close the pre-queue of `event` and draw it when this process can take the draw's lease.
 * Returns the draw's state afterwards (`drawing` when another process holds the lease).
 */
export async function runDraw(
  store: QueueStore,
  event: EventSettings,
  options: DrawOptions,
): Promise<DrawState> {
  const shuffle = event.draw === 'shuffle';
  if (shuffle && options.seed === null) throw new Error('a shuffled draw needs its seed');
  let state = await store.closePrequeue(event.id, options.now(), shuffle);
  if (state.phase !== 'drawing') return state;
  const lease = drawLockName(event.id);
  const leaseMs = options.leaseMs ?? DRAW_DEFAULTS.leaseMs;
  if (!(await store.acquireLease(lease, options.owner, leaseMs))) return state;
  try {
    const order = await drawnOrder(store, event.id, options.seed!, state.participants, async () => {
      if (!(await store.acquireLease(lease, options.owner, leaseMs))) throw new LeaseLost();
    });
    state = await store.drawState(event.id);
    if (state.phase === 'drawing')
      await writeOrder(store, event.id, state.written, order, options, lease, leaseMs);
    state = await store.drawState(event.id);
  } catch (error) {
    if (!(error instanceof LeaseLost)) throw error;
  } finally {
    await store.releaseLease(lease, options.owner).catch(() => {});
  }
  return state;
}

class LeaseLost extends Error {}

/**
 * The arrival numbers (1 … n) in drawn order: ascending HMAC-SHA256(seed, hex SHA-256(request
 * id)). `renew` is called between batches, so a long computation keeps the lease.
 */
export async function drawnOrder(
  store: QueueStore,
  eventId: string,
  seed: Buffer,
  participants: number,
  renew: () => Promise<void> = async () => {},
): Promise<Uint32Array> {
  const keys = new DrawKeys(participants);
  for (let from = 1; from <= participants; from += ID_BATCH) {
    const ids = await store.prequeueIds(eventId, from, Math.min(ID_BATCH, participants - from + 1));
    for (let i = 0; i < ids.length; i++) {
      keys.set(from - 1 + i, seed, participantDigest(ids[i]!));
      if ((i + 1) % KEY_SLICE === 0) await yieldEventLoop();
    }
    await renew();
  }
  const order = await orderInSlices(keys, yieldEventLoop);
  for (let i = 0; i < order.length; i++) order[i]! += 1; // indices → arrival numbers
  return order;
}

async function writeOrder(
  store: QueueStore,
  eventId: string,
  written: number,
  order: Uint32Array,
  options: DrawOptions,
  lease: string,
  leaseMs: number,
): Promise<void> {
  const count = order.length;
  const ranks = new Uint32Array(count);
  for (let rank = 1; rank <= count; rank++) ranks[order[rank - 1]! - 1] = rank;
  const size = options.sliceSize ?? DRAW_DEFAULTS.sliceSize;
  for (let start = written; start < count; start += size) {
    if (!(await store.acquireLease(lease, options.owner, leaseMs))) return; // taken over
    const end = Math.min(count, start + size);
    const next = await store.writeDrawSlice(
      eventId,
      start,
      bigEndian(ranks.subarray(start, end)),
      bigEndian(order.subarray(start, end)),
      options.now(),
    );
    if (next === null) return; // another process wrote this slice
  }
}

/** 32-bit big-endian numbers, as the store keeps them. */
function bigEndian(values: Uint32Array): Buffer {
  const buffer = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) buffer.writeUInt32BE(values[i]!, i * 4);
  return buffer;
}
