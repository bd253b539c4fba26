/**
 * On a Redis Cluster the OIDC provider keeps its state with the queue store's connection
 * settings (`store.cluster`, one connection factory): records whose keys hash to every slot
 * are written and read back. A plain client on a cluster node would be answered MOVED for most.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AppDeps, createAppDeps } from '../../../provider/apps/deps.ts';
import { loadConfig } from '../../../provider/config/server-config.ts';
import { createOidcMiddleware, type OidcMiddleware } from '../../../provider/oidc/index.ts';
import { createKeysDocument } from '../../../queue-core/signing-keys/document.ts';
import { KeyRing } from '../../../queue-core/signing-keys/key-ring.ts';
import { testLogger } from '../../support/logs.ts';
import { clusterSkipReason, sharedCluster, stopSharedCluster } from '../../support/redis-cluster.ts';
import { CLIENTS, COOKIE_KEYS, EVENTS } from './harness.ts';

const skip = clusterSkipReason();

describe('the OIDC provider on a Redis Cluster', { skip }, () => {
  let deps: AppDeps;
  let oidc: OidcMiddleware;
  before(async () => {
    const { url } = await sharedCluster();
    const config = loadConfig({
      raw: {
        publicUrl: 'http://127.0.0.1:1',
        adminKeys: ['oidc-cluster-admin-key-VbX3kTq9PzL2mWn8RfJ4sY'],
        store: { type: 'redis', url, cluster: true },
        events: EVENTS,
        keys: { type: 'env' },
        oidc: { clients: CLIENTS, cookieKeys: COOKIE_KEYS },
      },
      env: {},
    });
    const keys = await KeyRing.fromDocument(await createKeysDocument('ES256'), { algorithm: 'ES256' });
    deps = await createAppDeps(config, { keys, logger: testLogger(), defaultMetrics: false });
    oidc = await createOidcMiddleware(deps);
  });
  after(async () => {
    await oidc?.close();
    deps?.room.close();
    await deps?.store.close();
    await stopSharedCluster();
  });

  it('writes and reads provider records in every slot', async () => {
    const { Grant } = oidc.provider;
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) {
      const grant = new Grant({ accountId: `account-${i}`, clientId: 'client-a' });
      grant.addOIDCScope('openid');
      ids.push(await grant.save());
    }
    for (const [i, id] of ids.entries()) {
      const found = await Grant.find(id);
      assert.equal(found?.accountId, `account-${i}`, id);
    }
  });
});
