/**
 * Client secrets of confidential OIDC clients on AWS. The CDK stack generates one Secrets
 * Manager secret per confidential client (`infra/lib/constructs/app-secrets.ts`: a generated
 * password, stored as a plain string) and passes `ANTEROOM_OIDC_CLIENT_SECRET_ARNS`, a JSON map
 * `{"<client_id>": "<secret ARN>"}`; the clients in `ANTEROOM_CONFIG_JSON` carry no
 * `client_secret`. At cold start each secret is read once and merged into its client, before
 * the configuration is validated and the provider built.
 */
import { ConfigError } from '../config/server-config.ts';
import type { SecretReader } from './secrets.ts';

export const CLIENT_SECRET_ARNS_VARIABLE = 'ANTEROOM_OIDC_CLIENT_SECRET_ARNS';

/** Parse the variable: a JSON object of client id → secret ARN (unset or empty: no map). */
export function parseClientSecretArns(text: string | undefined): Map<string, string> {
  if (text === undefined || text.trim() === '') return new Map();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(
      CLIENT_SECRET_ARNS_VARIABLE,
      'is not valid JSON (expected {"<client_id>": "<secret ARN>"})',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(
      CLIENT_SECRET_ARNS_VARIABLE,
      'must be a JSON object {"<client_id>": "<secret ARN>"}',
    );
  }
  const arns = new Map<string, string>();
  for (const [clientId, arn] of Object.entries(parsed)) {
    if (typeof arn !== 'string' || arn.trim() === '') {
      throw new ConfigError(
        CLIENT_SECRET_ARNS_VARIABLE,
        `the secret ARN of client "${clientId}" must be a string`,
      );
    }
    arns.set(clientId, arn);
  }
  return arns;
}

/** Read every client's secret (in parallel, once each): client id → client secret. */
export async function readClientSecrets(
  arns: ReadonlyMap<string, string>,
  secrets: SecretReader,
): Promise<Map<string, string>> {
  const entries = await Promise.all(
    [...arns].map(async ([clientId, arn]) => {
      const value = await secrets.read(arn);
      // Exactly the stored string (the relying party reads the same one); never echo it.
      if (value === '') {
        throw new ConfigError(CLIENT_SECRET_ARNS_VARIABLE, `the secret of client "${clientId}" is empty`);
      }
      return [clientId, value] as const;
    }),
  );
  return new Map(entries);
}

/**
 * Every id in the map must name a configured client, and such a client must not carry a
 * secret of its own: either mistake fails start-up, naming the clients. Checked before any
 * secret is read.
 */
export function checkSecretClients(raw: Record<string, unknown>, clientIds: Iterable<string>): void {
  const ids = new Set(clientIds);
  const clients = clientsOf(raw);
  const known = new Set(clients.map(idOf));
  const unknown = [...ids].filter((clientId) => !known.has(clientId));
  if (unknown.length > 0) {
    throw new ConfigError(
      CLIENT_SECRET_ARNS_VARIABLE,
      `names clients that are not in oidc.clients: ${unknown.map((id) => `"${id}"`).join(', ')}`,
    );
  }
  const doubled = clients
    .filter((client) => ids.has(idOf(client) ?? '') && isObject(client) && 'client_secret' in client)
    .map((client) => `"${idOf(client)}"`);
  if (doubled.length > 0) {
    throw new ConfigError(
      CLIENT_SECRET_ARNS_VARIABLE,
      `names clients that already have a client_secret in the configuration: ${doubled.join(', ')}`,
    );
  }
}

/** The raw configuration with each client's secret merged in (`checkSecretClients` first). */
export function withClientSecrets(
  raw: Record<string, unknown>,
  clientSecrets: ReadonlyMap<string, string>,
): Record<string, unknown> {
  if (clientSecrets.size === 0) return raw;
  checkSecretClients(raw, clientSecrets.keys());
  const oidc = isObject(raw.oidc) ? raw.oidc : {};
  const merged = clientsOf(raw).map((client) => {
    const secret = clientSecrets.get(idOf(client) ?? '');
    return secret === undefined ? client : { ...(client as Record<string, unknown>), client_secret: secret };
  });
  return { ...raw, oidc: { ...oidc, clients: merged } };
}

function clientsOf(raw: Record<string, unknown>): unknown[] {
  const oidc = isObject(raw.oidc) ? raw.oidc : {};
  return Array.isArray(oidc.clients) ? oidc.clients : [];
}

function idOf(client: unknown): string | undefined {
  return isObject(client) && typeof client.client_id === 'string' ? client.client_id : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
