import dgram from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { type DnsEmulator, type DnsOptions, startDns } from './dns.js';

// The DNS emulator checked with node:dns (c-ares), as the agent resolves names.

const servers: DnsEmulator[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

async function start(options: DnsOptions = {}): Promise<{ dns: DnsEmulator; resolver: Resolver }> {
  const dns = await startDns(options);
  servers.push(dns);
  const resolver = new Resolver({ timeout: 300, tries: 1 });
  resolver.setServers([dns.server]);
  return { dns, resolver };
}

const records = {
  'Vpc.Example.Internal.': ['10.0.0.5', '10.0.0.6', 'fd00::5'],
  'v4only.example.internal': ['10.0.0.7'],
};

describe('dns emulator', () => {
  it('answers A and AAAA from its records, names case-insensitive', async () => {
    const { dns, resolver } = await start({ records });
    expect(dns.server).toBe(`127.0.0.1:${dns.port}`);
    expect((await resolver.resolve4('vpc.example.internal')).sort()).toEqual(['10.0.0.5', '10.0.0.6']);
    expect(await resolver.resolve6('VPC.example.internal')).toEqual(['fd00::5']);
    expect(await resolver.resolve4('vpc.example.internal', { ttl: true })).toContainEqual({ address: '10.0.0.5', ttl: 60 });
  });

  it('gives ENODATA for a type the name has none of, ENOTFOUND for an unknown name', async () => {
    const { resolver } = await start({ records });
    await expect(resolver.resolve6('v4only.example.internal')).rejects.toMatchObject({ code: 'ENODATA' });
    await expect(resolver.resolve4('nowhere.example.internal')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('answers SERVFAIL in servfail mode and nothing in drop mode', async () => {
    const { dns, resolver } = await start({ records, mode: 'servfail' });
    await expect(resolver.resolve4('vpc.example.internal')).rejects.toMatchObject({ code: 'ESERVFAIL' });
    dns.set({ mode: 'drop' });
    await expect(resolver.resolve4('vpc.example.internal')).rejects.toMatchObject({ code: 'ETIMEOUT' });
    dns.set({ mode: 'answer' });
    expect(await resolver.resolve4('v4only.example.internal')).toEqual(['10.0.0.7']);
  });

  it('switches records at runtime and records every request', async () => {
    const { dns, resolver } = await start({ records });
    await expect(resolver.resolve4('new.example.internal')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    dns.set({ records: { 'new.example.internal': ['192.0.2.1'] } });
    expect(await resolver.resolve4('new.example.internal')).toEqual(['192.0.2.1']);
    await expect(resolver.resolve6('new.example.internal')).rejects.toMatchObject({ code: 'ENODATA' });
    expect(dns.requests).toEqual([
      { name: 'new.example.internal', type: 'A', rcode: 'NXDOMAIN', answers: 0 },
      { name: 'new.example.internal', type: 'A', rcode: 'NOERROR', answers: 1 },
      { name: 'new.example.internal', type: 'AAAA', rcode: 'NOERROR', answers: 0 },
    ]);
  });

  it('ignores a malformed packet and echoes id, question and flags', async () => {
    const { dns } = await start({ records });
    const client = dgram.createSocket('udp4');
    try {
      const reply = new Promise<Buffer>((resolve) => client.once('message', resolve));
      client.send(Buffer.from([1, 2, 3]), dns.port, dns.host);
      const question = { type: 'A', name: 'vpc.example.internal' } as const;
      client.send(dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [question] }), dns.port, dns.host);
      const response = dnsPacket.decode(await reply);
      expect(response).toMatchObject({ id: 4242, flag_qr: true, flag_rd: true, flag_ra: true, rcode: 'NOERROR' });
      expect(response.questions).toEqual([{ ...question, class: 'IN' }]);
      expect(dns.requests).toHaveLength(1);
    } finally {
      client.close();
    }
  });
});
