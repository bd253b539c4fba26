/**
 * Settings that disagree with each other in a way `anteroom serve` can see at start, logged as
 * warnings (start-up goes on: each has a case where it is meant).
 */
import { type AnteroomConfig, isLocalUrl } from './server-config.ts';

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
  const local = isLocalUrl(config.publicUrl);
  if (url.protocol === 'http:' && !local) {
    warnings.push(
      `publicUrl is plain http on ${url.hostname}: visitor cookies cannot be Secure and tokens travel in clear; use https`,
    );
  }
  if (url.protocol === 'http:' && !behindProxy && local) {
    const port = Number(url.port || 80);
    if (config.listen.port !== 0 && port !== config.listen.port) {
      warnings.push(
        `publicUrl names port ${port} but anteroom serve listens on ${config.listen.port}: links and redirects will miss it`,
      );
    }
  }
  return warnings;
}
