/**
 * How long an interaction lives. oidc-provider stores one for every authorization request,
 * before anyone knows whether a browser will come to the waiting page: until then it lives
 * UNVISITED_INTERACTION_TTL_SECONDS (`provider.ts`), so a flood of requests nobody follows
 * soon leaves nothing behind. The first visit of the waiting page gives the interaction, and
 * the cookie that names it, the whole wait (`interactionTtlSeconds`).
 */
import type Koa from 'koa';
import type { Provider } from 'oidc-provider';
import { UNVISITED_INTERACTION_TTL_SECONDS } from '../../queue-core/defaults.ts';
import { PROVIDER_COOKIE } from './provider.ts';
import { asPublicOrigin } from './public-origin.ts';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

export async function keepForTheWait(
  provider: Provider,
  ctx: Koa.Context,
  interaction: Interaction,
  options: { ttlSeconds: number; cookiePath: string; publicUrl: URL },
): Promise<void> {
  const { ttlSeconds, cookiePath, publicUrl } = options;
  if (ttlSeconds <= UNVISITED_INTERACTION_TTL_SECONDS) return;
  const lifetime = (interaction.exp ?? 0) - (interaction.iat ?? 0);
  if (lifetime > UNVISITED_INTERACTION_TTL_SECONDS) return; // visited before
  await interaction.save(ttlSeconds);
  // Signed with the provider's keys, through a context of the provider itself (Secure as the
  // provider's own cookies are: from publicUrl).
  asPublicOrigin(ctx.req, publicUrl, ctx.ip, () =>
    provider
      .createContext(ctx.req, ctx.res)
      .cookies.set(provider.cookieName('interaction'), interaction.uid, {
        ...PROVIDER_COOKIE,
        path: cookiePath,
        maxAge: ttlSeconds * 1000,
      }),
  );
}
