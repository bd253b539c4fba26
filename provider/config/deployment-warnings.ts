/**
 * Settings that disagree with each other in a way `anteroom serve` can see at start, logged as
 * warnings (start-up goes on: each has a case where it is meant).
 */
import type { AnteroomConfig } from './server-config.ts';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function deploymentWarnings(config: AnteroomConfig): string[] {
  const url = new URL(config.publicUrl);
  const behindProxy = config.limits.trustProxy || config.limits.clientAddressHeader !== null;
  const warnings: string[] = [];
  if (url.protocol === 'https:' && !behindProxy) {
    warnings.push(
      'publicUrl is https but anteroom serve speaks plain HTTP and trusts no proxy: TLS must end at a proxy in front, ' +
        'so set limits.trustProxy to it, or every client is counted as that proxy by the per-client limits ' +
        '(cookies are Secure and URLs follow publicUrl either way)',
    );
  }
  if (url.protocol === 'http:' && !LOCAL_HOSTS.has(url.hostname)) {
    warnings.push(
      `publicUrl is plain http on ${url.hostname}: visitor cookies cannot be Secure and tokens travel in clear; use https`,
    );
  }
  if (url.protocol === 'http:' && !behindProxy && LOCAL_HOSTS.has(url.hostname)) {
    const port = Number(url.port || 80);
    if (config.listen.port !== 0 && port !== config.listen.port) {
      warnings.push(
        `publicUrl names port ${port} but anteroom serve listens on ${config.listen.port}: links and redirects will miss it`,
      );
    }
  }
  return warnings;
}
