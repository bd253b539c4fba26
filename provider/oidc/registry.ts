/**
 * The configured clients by id, with what the provider derives from each: its event, the
 * resource indicator its JWT access tokens are issued for, and their audience.
 */
import type { OidcClientConfig } from './clients.ts';

export class ClientRegistry {
  readonly #byId: Map<string, OidcClientConfig>;

  constructor(clients: readonly OidcClientConfig[]) {
    this.#byId = new Map(clients.map((client) => [client.clientId, client]));
  }

  get(clientId: string | undefined): OidcClientConfig | undefined {
    return clientId === undefined ? undefined : this.#byId.get(clientId);
  }

  eventOf(clientId: string | undefined): string | undefined {
    return this.get(clientId)?.eventId;
  }

  all(): OidcClientConfig[] {
    return [...this.#byId.values()];
  }

  /**
   * The resource indicator (RFC 8707) every access token of this client is issued for. An
   * absolute-URI audience is its own indicator; otherwise a URN names the audience.
   */
  resourceOf(client: OidcClientConfig): string {
    return URL.canParse(client.audience) ? client.audience : `urn:anteroom:audience:${client.audience}`;
  }
}
