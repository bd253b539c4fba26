/**
 * The bounds of `anteroom serve`'s HTTP listeners, so that no client holds what everyone needs:
 *
 *   maxConnections         connections a listener holds at once; more are closed on arrival
 *   connectionsPerClient   connections one peer address (an IPv6 peer by its /64) holds at once;
 *                          not applied when a trusted proxy stands in front (its connections
 *                          carry many clients)
 *   headerBytes            the request line and headers together: 431 beyond
 *   headersTimeoutSeconds  time to send the headers (a slowloris is cut after it): 408
 *   requestTimeoutSeconds  time to send the whole request, body included: 408
 *   keepAliveTimeoutSeconds  how long an idle keep-alive connection stays open
 *
 * Node checks the two request timeouts every CHECK_INTERVAL_MS, so a cut comes at most that
 * much after its deadline.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { AnteroomConfig } from '../config/server-config.ts';
import { budgetKey } from '../http/rate-limit.ts';

const CHECK_INTERVAL_MS = 1000;

type Limits = AnteroomConfig['limits'];

export function createLimitedServer(handler: RequestListener, limits: Limits): Server {
  const server = createServer(
    {
      maxHeaderSize: limits.headerBytes,
      headersTimeout: limits.headersTimeoutSeconds * 1000,
      requestTimeout: limits.requestTimeoutSeconds * 1000,
      keepAliveTimeout: limits.keepAliveTimeoutSeconds * 1000,
      connectionsCheckingInterval: CHECK_INTERVAL_MS,
    },
    handler,
  );
  server.maxConnections = limits.maxConnections;
  if (limits.connectionsPerClient > 0 && !behindProxy(limits)) {
    capConnectionsPerPeer(server, limits.connectionsPerClient);
  }
  return server;
}

/** Every peer is a proxy when the client address comes from a proxy's header. */
function behindProxy(limits: Limits): boolean {
  return limits.trustProxy || limits.clientAddressHeader !== null;
}

function capConnectionsPerPeer(server: Server, cap: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const peer = budgetKey(socket.remoteAddress ?? '');
    const count = (open.get(peer) ?? 0) + 1;
    if (count > cap) {
      socket.destroy();
      return;
    }
    open.set(peer, count);
    socket.once('close', () => {
      const left = (open.get(peer) ?? 1) - 1;
      if (left === 0) open.delete(peer);
      else open.set(peer, left);
    });
  });
}
