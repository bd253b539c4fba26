/**
 * The one contract every oidc-provider adapter passes (memory, Redis, DynamoDB). `open` builds
 * a fresh, empty adapter factory whose clock is `clock.now`, so expiry is tested without sleeping.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AdapterFactory } from '../../../provider/oidc/adapters/types.ts';

export interface ContractClock {
  now: number;
}

export interface ContractTarget {
  open(clock: ContractClock): Promise<AdapterFactory>;
}

export function adapterContract(label: string, target: ContractTarget): void {
  const fresh = async () => {
    const clock: ContractClock = { now: 1_800_000_000 };
    const factory = await target.open(clock);
    return { clock, factory };
  };

  test(`${label}: upsert then find returns the payload; unknown ids find nothing`, async () => {
    const { factory } = await fresh();
    const sessions = factory('Session');
    await sessions.upsert('s1', { jti: 's1', uid: 'u1', accountId: 'acct', kind: 'Session' }, 60);
    assert.deepEqual(await sessions.find('s1'), { jti: 's1', uid: 'u1', accountId: 'acct', kind: 'Session' });
    assert.equal(await sessions.find('nope'), undefined);
  });

  test(`${label}: upsert replaces the whole record`, async () => {
    const { factory } = await fresh();
    const grants = factory('Grant');
    await grants.upsert('g1', { jti: 'g1', accountId: 'a', openid: { scope: 'openid' } }, 60);
    await grants.upsert('g1', { jti: 'g1', accountId: 'b' }, 60);
    assert.deepEqual(await grants.find('g1'), { jti: 'g1', accountId: 'b' });
  });

  test(`${label}: a record disappears once its lifetime has passed`, async () => {
    const { clock, factory } = await fresh();
    const interactions = factory('Interaction');
    await interactions.upsert('i1', { jti: 'i1' }, 30);
    clock.now += 29;
    assert.deepEqual(await interactions.find('i1'), { jti: 'i1' });
    clock.now += 1;
    assert.equal(await interactions.find('i1'), undefined);
  });

  test(`${label}: models are separate name spaces`, async () => {
    const { factory } = await fresh();
    await factory('AccessToken').upsert('same', { jti: 'same', kind: 'AccessToken' }, 60);
    assert.equal(await factory('RefreshToken').find('same'), undefined);
    assert.equal((await factory('AccessToken').find('same'))?.kind, 'AccessToken');
  });

  test(`${label}: findByUid and findByUserCode follow the record and its lifetime`, async () => {
    const { clock, factory } = await fresh();
    const sessions = factory('Session');
    await sessions.upsert('s2', { jti: 's2', uid: 'uid-2' }, 10);
    assert.equal((await sessions.findByUid('uid-2'))?.jti, 's2');
    assert.equal(await sessions.findByUid('uid-x'), undefined);
    assert.equal(await factory('Grant').findByUid('uid-2'), undefined);
    const devices = factory('DeviceCode');
    await devices.upsert('d1', { jti: 'd1', userCode: 'ABCD-EFGH' }, 10);
    assert.equal((await devices.findByUserCode('ABCD-EFGH'))?.jti, 'd1');
    clock.now += 10;
    assert.equal(await sessions.findByUid('uid-2'), undefined);
    assert.equal(await devices.findByUserCode('ABCD-EFGH'), undefined);
  });

  test(`${label}: consume marks the record once; a second consume is invalid_grant`, async () => {
    const { clock, factory } = await fresh();
    const codes = factory('AuthorizationCode');
    await codes.upsert('c1', { jti: 'c1', grantId: 'g' }, 60);
    assert.equal((await codes.find('c1'))?.consumed, undefined);
    await codes.consume('c1');
    assert.equal((await codes.find('c1'))?.consumed, clock.now);
    await assert.rejects(codes.consume('c1'), { name: 'InvalidGrant', error: 'invalid_grant' });
    await assert.rejects(codes.consume('never-stored'), { name: 'InvalidGrant' });
  });

  test(`${label}: of ten concurrent consumers of one code exactly one succeeds`, async () => {
    const { factory } = await fresh();
    const codes = factory('AuthorizationCode');
    await codes.upsert('race', { jti: 'race' }, 60);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () => factory('AuthorizationCode').consume('race')),
    );
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
  });

  test(`${label}: destroy removes the record`, async () => {
    const { factory } = await fresh();
    const tokens = factory('AccessToken');
    await tokens.upsert('t1', { jti: 't1' }, 60);
    await tokens.destroy('t1');
    assert.equal(await tokens.find('t1'), undefined);
    await tokens.destroy('t1');
  });

  test(`${label}: revokeByGrantId removes every token of that grant and nothing else`, async () => {
    const { factory } = await fresh();
    await factory('AccessToken').upsert('at1', { jti: 'at1', grantId: 'G1' }, 60);
    await factory('RefreshToken').upsert('rt1', { jti: 'rt1', grantId: 'G1' }, 600);
    await factory('AuthorizationCode').upsert('ac1', { jti: 'ac1', grantId: 'G1' }, 60);
    await factory('AccessToken').upsert('at2', { jti: 'at2', grantId: 'G2' }, 60);
    await factory('AccessToken').revokeByGrantId('G1');
    assert.equal(await factory('AccessToken').find('at1'), undefined);
    assert.equal(await factory('RefreshToken').find('rt1'), undefined);
    assert.equal(await factory('AuthorizationCode').find('ac1'), undefined);
    assert.equal((await factory('AccessToken').find('at2'))?.jti, 'at2');
    await factory('AccessToken').revokeByGrantId('unknown-grant');
  });
}
