/**
 * A separate OS process for store.concurrency.test.ts. Modes:
 *   enqueue <url> <event> <worker> <count>   enqueue `count` visitors with their own visitor keys
 *                                            (each key twice, concurrently), print the positions
 *   issue <url> <event> <visitors> <max>     try to issue a token to every visitor in random order
 *                                            over two connections, print how many were created
 * Prints one JSON line on stdout.
 */
import { RedisStore } from '../../queue-core/store/redis-store.ts';
import { contractEra, rid } from './store-contract.ts';

const [mode, url, eventId, first, second] = process.argv.slice(2);
const NOW = 1_700_000_000;

async function enqueueVisitors(store: RedisStore, worker: string, count: number): Promise<number[]> {
  const positions: number[] = [];
  // Batches keep many requests in flight, so the three processes interleave at Redis.
  for (let start = 0; start < count; start += 50) {
    const batch = Array.from({ length: Math.min(50, count - start) }, (_, i) => `${worker}-${start + i}`);
    const results = await Promise.all(
      batch.flatMap((visitorKey) => [
        store.enqueue(eventId!, { visitorKey, now: NOW }),
        // the same visitor again, racing the first call: must get the same position
        store.enqueue(eventId!, { visitorKey, now: NOW }),
      ]),
    );
    for (let i = 0; i < results.length; i += 2) {
      if (results[i]!.position !== results[i + 1]!.position)
        throw new Error('a repeated visitor key got two positions');
      positions.push(results[i]!.position!);
    }
  }
  return positions;
}

async function issueTokens(stores: RedisStore[], visitors: number, maxActive: number): Promise<number> {
  const order = Array.from({ length: visitors }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
  const outcomes = await Promise.all(
    order.map((n, i) =>
      stores[i % stores.length]!.issueToken(eventId!, {
        requestId: rid(eventId!, n),
        now: NOW,
        validitySeconds: 3600,
        issuer: 'https://rooms.example',
        expirySeconds: null,
        maxActive,
      }),
    ),
  );
  return outcomes.filter((outcome) => outcome.kind === 'issued' && outcome.created).length;
}

const stores = [0, 1].map(() => new RedisStore({ url: url!, newEra: contractEra }));
try {
  if (mode === 'enqueue') {
    const positions = await enqueueVisitors(stores[0]!, first!, Number(second));
    process.stdout.write(`${JSON.stringify({ positions })}\n`);
  } else if (mode === 'issue') {
    const created = await issueTokens(stores, Number(first), Number(second));
    process.stdout.write(`${JSON.stringify({ created })}\n`);
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} finally {
  await Promise.all(stores.map((store) => store.close()));
}
