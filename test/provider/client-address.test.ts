import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientAddress } from '../../provider/http/client-address.ts';

const limits = (trustProxy: boolean, trustedProxyHops = 0, clientAddressHeader: string | null = null) => ({
  trustProxy,
  trustedProxyHops,
  clientAddressHeader,
});

describe('clientAddress', () => {
  const xff = { 'x-forwarded-for': ' 198.51.100.1 ,203.0.113.5, 10.0.0.2 ' };

  it('is the peer unless a proxy is trusted', () => {
    assert.equal(clientAddress(xff, '10.0.0.9', limits(false)), '10.0.0.9');
    assert.equal(clientAddress({}, undefined, limits(false)), '');
  });

  it('counts trusted hops from the end of X-Forwarded-For', () => {
    assert.equal(clientAddress(xff, '10.0.0.9', limits(true, 0)), '198.51.100.1');
    assert.equal(clientAddress(xff, '10.0.0.9', limits(true, 1)), '10.0.0.2');
    assert.equal(clientAddress(xff, '10.0.0.9', limits(true, 2)), '203.0.113.5');
    // Fewer entries than hops: the first entry is the address the outermost proxy saw.
    assert.equal(clientAddress(xff, '10.0.0.9', limits(true, 5)), '198.51.100.1');
    // Repeated headers are one list, in order.
    const repeated = { 'x-forwarded-for': ['198.51.100.1', '203.0.113.5'] };
    assert.equal(clientAddress(repeated, '10.0.0.9', limits(true, 1)), '203.0.113.5');
    // Empty or absent: the peer.
    assert.equal(clientAddress({ 'x-forwarded-for': ' , ' }, '10.0.0.9', limits(true, 1)), '10.0.0.9');
    assert.equal(clientAddress({}, '10.0.0.9', limits(true, 1)), '10.0.0.9');
  });

  it('prefers the client address header, falling back when it is absent or empty', () => {
    const header = limits(true, 1, 'x-client-ip');
    assert.equal(
      clientAddress({ ...xff, 'x-client-ip': '203.0.113.77' }, '10.0.0.9', header),
      '203.0.113.77',
    );
    assert.equal(clientAddress({ ...xff, 'x-client-ip': ' ' }, '10.0.0.9', header), '10.0.0.2');
    assert.equal(
      clientAddress({ 'x-client-ip': '203.0.113.77, 1.2.3.4' }, '10.0.0.9', header),
      '203.0.113.77',
    );
    assert.equal(clientAddress({}, '10.0.0.9', limits(false, 0, 'x-client-ip')), '10.0.0.9');
  });
});
