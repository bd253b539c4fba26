/**
 * The entry checks on AWS (API.md section 6): a siteverify challenge posts each widget token to
 * the provider, and an enqueue token with `jwksUrl` downloads the site's keys. The public
 * function makes those calls from the VPC it shares with the queue store, and by default that
 * VPC has no NAT gateway: it reaches AWS services through endpoints and nothing else, so every
 * such check would fail (503) and nobody could join. Synth refuses that, naming why and what to
 * do. With NAT gateways, the ports those URLs use beyond 443 (always open) get an egress rule on
 * the public function alone.
 */
import { ENTRY_DEFAULTS } from '../../queue-core/defaults.ts';
import { ValidationError } from '../../queue-core/errors.ts';
import type { EventSettings } from '../../queue-core/types.ts';
import type { NetworkConfig } from './config.ts';

/** The ports beyond 443 the public function must reach for the events' entry checks. */
export function entryEgressPorts(events: readonly EventSettings[], network: NetworkConfig): number[] {
  const ports = new Set<number>();
  events.forEach((event, index) => {
    const calls: Array<{ field: string; url: string; what: string; instead: string }> = [];
    const challenge = event.challenge;
    if (challenge?.type === 'siteverify') {
      calls.push({
        field: `app.events[${index}].challenge`,
        url: challenge.url ?? ENTRY_DEFAULTS.siteverifyUrls[challenge.provider],
        what: `checks each ${challenge.provider} widget token with its siteverify call`,
        instead: 'or use {"type": "pow", "difficulty"}, which needs no outside call',
      });
    }
    const jwksUrl = event.enqueueToken?.jwksUrl;
    if (jwksUrl !== undefined) {
      calls.push({
        field: `app.events[${index}].enqueueToken.jwksUrl`,
        url: jwksUrl,
        what: "downloads the site's keys to check enqueue tokens",
        instead: 'or give the keys inline as enqueueToken.jwks',
      });
    }
    for (const call of calls) {
      const url = new URL(call.url);
      if (network.natGateways === 0) {
        throw new ValidationError(
          call.field,
          `${call.field}: the public function ${call.what}, but it runs in a VPC without a NAT gateway ` +
            `(network.natGateways is 0), so it cannot reach ${url.host} and no visitor could join; ` +
            `set network.natGateways to 1 or more, ${call.instead}`,
          'entry_check_unreachable',
        );
      }
      const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
      if (port !== 443) ports.add(port);
    }
  });
  return [...ports].sort((a, b) => a - b);
}
