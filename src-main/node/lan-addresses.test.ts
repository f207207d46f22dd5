import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { inviteAddresses, lanAddresses } from './lan-addresses';

function iface(address: string, family: 'IPv4' | 'IPv6' = 'IPv4', internal = false): NetworkInterfaceInfo {
  return { address, family, internal, netmask: '', mac: '02:00:00:00:00:01', cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}) } as NetworkInterfaceInfo;
}

const LAPTOP = { lo: [iface('127.0.0.1', 'IPv4', true)], wlan0: [iface('192.168.1.10'), iface('fe80::1', 'IPv6')], docker0: [iface('172.17.0.1')], usb0: [iface('169.254.3.4')] };

describe('LAN addresses', () => {
  it('are the IPv4 addresses on networks, not loopback or link-local', () => {
    expect(lanAddresses(LAPTOP)).toEqual(['192.168.1.10', '172.17.0.1']);
  });

  it('an invite lists this node first (every LAN address when it listens on all), then its peers', () => {
    expect(inviteAddresses('0.0.0.0:7400', ['192.168.1.11:7400', '0.0.0.0:7400', '192.168.1.10:7400'], LAPTOP)).toEqual(['192.168.1.10:7400', '172.17.0.1:7400', '192.168.1.11:7400']);
    expect(inviteAddresses('127.0.0.1:7401', ['127.0.0.1:7402'], LAPTOP)).toEqual(['127.0.0.1:7401', '127.0.0.1:7402']);
    expect(inviteAddresses('0.0.0.0:7400', [], { lo: LAPTOP.lo })).toEqual(['127.0.0.1:7400']);
    expect(inviteAddresses('0.0.0.0:7400', ['[fe80::1%eth0]:7400', ''], LAPTOP)).toEqual(['192.168.1.10:7400', '172.17.0.1:7400']);
    const many = Array.from({ length: 30 }, (_, i) => `10.0.0.${i + 1}:7400`);
    expect(inviteAddresses('10.0.1.1:7400', many, LAPTOP)).toHaveLength(16);
  });
});
