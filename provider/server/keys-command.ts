/**
 * `anteroom keys list|rotate|remove <kid>`: the signing keys of the configured source (the keys
 * file, or the Secrets Manager secret), for operators. Running processes re-read the source
 * every KEY_RELOAD_SECONDS (`anteroom serve`; a warm Lambda on its next invocation after that),
 * publish a new key at once and sign with it KEY_PUBLISH_SECONDS after the rotation.
 * Only public metadata is printed, never key material.
 */

import { OIDC_ALGORITHM } from '../../queue-core/signing-keys/document.ts';
import { KEY_PUBLISH_SECONDS, type KeySummary, loadKeyRing } from '../../queue-core/signing-keys/key-ring.ts';
import type { AnteroomConfig } from '../config/server-config.ts';

export const KEYS_USAGE = `Usage: anteroom keys list | rotate [oidc] | remove <kid> [--config <path>]

  list            every key: kid, algorithm, status, creation time, and which signs now
  rotate          add a new admission signing key; the current one is retired (it keeps
                  verifying). Running processes publish the new key within a minute and sign
                  with it ${KEY_PUBLISH_SECONDS / 60} minutes after the rotation.
  rotate oidc     the same for the ${OIDC_ALGORITHM} key of OIDC ID tokens (and, when oidc.cookieKeys is
                  not set, of the provider's cookies)
  remove <kid>    drop a retired key: tokens it signed stop verifying (wait until they expire)`;

function table(keys: KeySummary[]): string {
  const rows = keys.map((key) => [
    key.kid,
    key.alg,
    key.status,
    new Date(key.createdAt * 1000).toISOString(),
    key.signing ? 'signing' : '',
  ]);
  const header = ['kid', 'alg', 'status', 'created', ''];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Runs the subcommand; the exit code (2 for a bad command line). Errors of the source reject. */
export async function keysCommand(
  config: AnteroomConfig,
  args: string[],
  out: (text: string) => void,
): Promise<number> {
  const [action, kid, ...extra] = args;
  const valid =
    (action === 'list' && kid === undefined) ||
    (action === 'rotate' && (kid === undefined || kid === 'oidc') && extra.length === 0) ||
    (action === 'remove' && kid !== undefined && extra.length === 0);
  if (!valid) {
    out(`${KEYS_USAGE}\n`);
    return 2;
  }
  const ring = await loadKeyRing(config.keys, { onNotice: (message) => out(`${message}\n`) });
  if (action === 'rotate') {
    const alg = kid === 'oidc' ? OIDC_ALGORITHM : ring.algorithm;
    const rotated = await ring.rotate(alg);
    const created = ring.summary().find((key) => key.kid === rotated)!.createdAt;
    out(
      `rotated: ${rotated} (${alg}) signs from ${new Date((created + KEY_PUBLISH_SECONDS) * 1000).toISOString()}\n`,
    );
  } else if (action === 'remove') {
    if (!(await ring.removeRetired(kid as string))) {
      out(
        `no retired key that has stopped signing has the kid ${kid} (rotate an active key first;` +
          ` a key retired less than ${KEY_PUBLISH_SECONDS / 60} minutes ago still signs)\n`,
      );
      return 1;
    }
    out(`removed: ${kid}\n`);
  }
  out(`${table(ring.summary())}\n`);
  return 0;
}
