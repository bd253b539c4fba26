import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientAddress } from '../../provider/http/client-address.ts';
import { budgetKey } from '../../provider/http/rate-limit.ts';

const limits = (trustProxy: boolean, trustedProxyHops = 0, clientAddressHeader: string | null = null) => ({
  trustProxy,
  trustedProxyHops,
  clientAddressHeader,
});
const networks = (...trustedProxyNetworks: string[]) => ({
  trustProxy: true,
  trustedProxyHops: 0,
  trustedProxyNetworks,
  clientAddressHeader: null,
});

describe('clientAddress', () => {
  const xff = { 'x-forwarded-for': ' 198.51.100.1 ,203.0.113.5, 10.0.0.2 ' };

  it('is the peer unless a proxy is trusted', () => {
    assert.equal(clientAddress(xff, '10.0.0.9', limits(false)), '10.0.0.9');
    assert.equal(clientAddress({}, undefined, limits(false)), '');
  });

  it('takes the right-most X-Forwarded-For entry outside the trusted proxy networks', () => {
    assert.equal(clientAddress(xff, '10.0.0.9', networks('10.0.0.0/8')), '203.0.113.5');
    assert.equal(clientAddress(xff, '10.0.0.9', networks('10.0.0.0/8', '203.0.113.0/24')), '198.51.100.1');
    // Every entry trusted: the left-most, which the outermost proxy saw.
    assert.equal(clientAddress(xff, '10.0.0.9', networks('0.0.0.0/0')), '198.51.100.1');
    // A peer outside the networks is the client: what it wrote is not read.
    assert.equal(clientAddress(xff, '192.0.2.50', networks('10.0.0.0/8')), '192.0.2.50');
    // The IPv4-mapped peer, an IPv6 network, a port a proxy appended.
    assert.equal(clientAddress(xff, '::ffff:10.0.0.9', networks('10.0.0.0/8')), '203.0.113.5');
    const v6 = { 'x-forwarded-for': '2001:db8::7, [fd00::1]:443' };
    assert.equal(clientAddress(v6, 'fd00::2', networks('fd00::/8')), '2001:db8::7');
    // Garbage is never a trusted proxy: it is the client.
    assert.equal(
      clientAddress({ 'x-forwarded-for': '198.51.100.1, not-an-ip' }, '10.0.0.9', networks('10.0.0.0/8')),
      'not-an-ip',
    );
  });

  it('counts trusted hops from the end of X-Forwarded-For', () => {
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

describe('budgetKey', () => {
  it('drops ports, brackets and the IPv4-mapped form: one client, one budget', () => {
    assert.equal(budgetKey('203.0.113.5'), '203.0.113.5');
    assert.equal(budgetKey('203.0.113.5:4711'), '203.0.113.5');
    assert.equal(budgetKey('::ffff:203.0.113.5'), '203.0.113.5');
    assert.equal(budgetKey('::FFFF:203.0.113.5'), '203.0.113.5');
    assert.equal(budgetKey('[2001:db8::1]:4711'), '2001:db8:0:0::/64');
  });

  it('counts an IPv6 client by its /64, however the address is written', () => {
    const key = '2001:db8:85a3:8d3::/64';
    for (const address of [
      '2001:db8:85a3:8d3:1319:8a2e:370:7348',
      '2001:0db8:85a3:08d3::1',
      '2001:DB8:85A3:8D3:ffff:ffff:ffff:ffff',
      '[2001:db8:85a3:8d3::42]',
      '2001:db8:85a3:8d3::1%eth0',
      '2001:db8:85a3:8d3:0:0:1.2.3.4',
    ]) {
      assert.equal(budgetKey(address), key, address);
    }
    assert.notEqual(budgetKey('2001:db8:85a3:8d4::1'), key, 'the next /64 is another client');
    assert.equal(budgetKey('::1'), '0:0:0:0::/64');
  });

  it('keeps anything else as it is, cut to 128 characters', () => {
    assert.equal(budgetKey('unknown'), 'unknown');
    assert.equal(budgetKey('x'.repeat(300)).length, 128);
    assert.equal(budgetKey(''), '');
  });
});
