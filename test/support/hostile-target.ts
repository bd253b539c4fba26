/**
 * The target of the hostile-traffic tests and of `bench/hostile.ts`: a real `anteroom serve`
 * (in-process `startServer`: both listeners, the hot paths, the OIDC provider) on loopback,
 * over a private redis-server holding the queue and the provider's state, plus an inspector
 * connection to that Redis to count what an attack left behind.
 */
import { Redis } from 'ioredis';
import type pino from 'pino';
import { loadConfig } from '../../provider/config/server-config.ts';
import { type RunningServer, type ServerOptions, startServer } from '../../provider/server/server.ts';
import { createKeysDocument } from '../../queue-core/signing-keys/document.ts';
import { KeyRing } from '../../queue-core/signing-keys/key-ring.ts';
import { freePort, type RedisServer, startRedis } from './redis.ts';

export const TARGET_EVENT = 'sale';
export const TARGET_CLIENT = { id: 'shop', secret: 'shop-client-secret-0123456789abcdef' };
export const TARGET_ADMIN_KEY = 'hostile-target-admin-key-0123456789abcdef';
export const TARGET_REDIRECT = 'https://shop.example.test/callback';
export const TARGET_COOKIE_KEY = 'hostile-target-cookie-key-0123456789abcdef';

export interface HostileTarget {
  server: RunningServer;
  /** `http://127.0.0.1:<port>`: also the public URL. */
  base: string;
  redis: RedisServer;
  inspector: Redis;
  /** Keys and bytes Redis holds now (`DBSIZE`, `INFO memory` used_memory). */
  usage(): Promise<{ keys: number; bytes: number }>;
  /** Commands Redis has processed so far (`INFO stats` total_commands_processed). */
  commands(): Promise<number>;
  /** A well-formed authorization request of the target's client. */
  authorizeUrl(params?: Record<string, string>): string;
  close(): Promise<void>;
}

export interface TargetOptions {
  /** Merged over the target's configuration document. */
  raw?: Record<string, unknown>;
  logger?: pino.Logger;
  server?: ServerOptions;
}

let ring: Promise<KeyRing> | undefined;
function keys(): Promise<KeyRing> {
  ring ??= createKeysDocument('ES256').then((document) =>
    KeyRing.fromDocument(document, { algorithm: 'ES256' }),
  );
  return ring;
}

export async function startHostileTarget(options: TargetOptions = {}): Promise<HostileTarget> {
  const redis = await startRedis();
  const inspector = new Redis(redis.url);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let server: RunningServer;
  try {
    const config = loadConfig({
      raw: {
        publicUrl: base,
        listen: { port, host: '127.0.0.1', adminPort: 0, adminHost: '127.0.0.1' },
        adminKeys: [TARGET_ADMIN_KEY],
        store: { type: 'redis', url: redis.url },
        keys: { type: 'env' },
        events: [{ id: TARGET_EVENT, inlet: { type: 'manual' } }],
        oidc: {
          cookieKeys: [TARGET_COOKIE_KEY],
          clients: [
            {
              client_id: TARGET_CLIENT.id,
              client_secret: TARGET_CLIENT.secret,
              redirect_uris: [TARGET_REDIRECT],
              event_id: TARGET_EVENT,
            },
          ],
        },
        ...options.raw,
      },
      env: {},
    });
    server = await startServer(config, {
      keys: await keys(),
      ...(options.logger ? { logger: options.logger } : {}),
      ...options.server,
    });
  } catch (error) {
    inspector.disconnect();
    await redis.stop();
    throw error;
  }
  return {
    server,
    base,
    redis,
    inspector,
    async usage() {
      const [keys, info] = await Promise.all([inspector.dbsize(), inspector.info('memory')]);
      return { keys, bytes: Number(/^used_memory:(\d+)/m.exec(info)?.[1]) };
    },
    async commands() {
      const info = await inspector.info('stats');
      return Number(/^total_commands_processed:(\d+)/m.exec(info)?.[1]);
    },
    authorizeUrl(params = {}) {
      const url = new URL(`${base}/oidc/auth`);
      const query = {
        client_id: TARGET_CLIENT.id,
        response_type: 'code',
        scope: 'openid',
        redirect_uri: TARGET_REDIRECT,
        state: 'state-0123456789',
        nonce: 'nonce-0123456789',
        ...params,
      };
      for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
      return url.href;
    },
    async close() {
      await server.close();
      inspector.disconnect();
      await redis.stop();
    },
  };
}
