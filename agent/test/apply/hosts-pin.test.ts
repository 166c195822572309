import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { endpointHostName, lookUp, nameserversOf, pinApiServer, pinnedIn, spread, withPin } from '../../src/apply/hosts-pin.js';
import { type DnsEmulator, startDns } from '../../../test/emulators/dns.js';

let root: string | undefined;
let dns: DnsEmulator | undefined;
afterEach(async () => {
  if (root) rmSync(root, { recursive: true, force: true });
  await dns?.close();
  root = dns = undefined;
});

function nodeRoot(files: Record<string, string>): string {
  root = mkdtempSync(join(tmpdir(), 'eks-node-hosts-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const HOST = 'abcdef.gr7.us-west-2.eks.amazonaws.com';

describe('the API server pin in /etc/hosts', () => {
  it('pins a DNS name, never an address', () => {
    expect(endpointHostName('https://ABCDEF.gr7.us-west-2.eks.amazonaws.com')).toBe('abcdef.gr7.us-west-2.eks.amazonaws.com');
    expect(endpointHostName('https://api.local:6443')).toBe('api.local');
    expect(endpointHostName('https://10.0.5.10')).toBeUndefined();
    expect(endpointHostName('https://[fd00::10]:443')).toBeUndefined();
    expect(endpointHostName('not a url')).toBeUndefined();
  });

  it("asks systemd-resolved's upstream servers before /etc/resolv.conf (whose stub would answer from /etc/hosts)", () => {
    const r = nodeRoot({
      'etc/resolv.conf': 'nameserver 127.0.0.53\noptions edns0 trust-ad\n',
      'run/systemd/resolve/resolv.conf': '# upstream\nnameserver 10.0.0.2\nnameserver fd00:ec2::253\nnameserver bogus\nsearch ec2.internal\n',
    });
    expect(nameserversOf(r)).toEqual(['10.0.0.2', 'fd00:ec2::253']);
    rmSync(join(r, 'run'), { recursive: true });
    expect(nameserversOf(r)).toEqual(['127.0.0.53']);
    writeFileSync(join(r, 'etc/resolv.conf'), 'nameserver 127.0.0.1:5353\nnameserver [::1]:5353\nnameserver 1.2.3:53\n');
    expect(nameserversOf(r)).toEqual(['127.0.0.1:5353', '[::1]:5353']);
    rmSync(join(r, 'etc/resolv.conf'));
    expect(nameserversOf(r)).toEqual([]);
  });

  it('keeps every line of its own, replaces its block in place and takes it out again', () => {
    const pin = { host: HOST, entries: ['10.0.5.11', '10.0.5.10'] };
    const once = withPin('127.0.0.1 localhost', pin);
    expect(once.startsWith('127.0.0.1 localhost\n# BEGIN eks-node-agent: ')).toBe(true);
    expect(once.endsWith('# END eks-node-agent\n')).toBe(true);
    expect(pinnedIn(once)).toEqual({ host: HOST, addresses: ['10.0.5.10', '10.0.5.11'], entries: ['10.0.5.11', '10.0.5.10'] });
    // a line someone added after the block stays after it; the block is rewritten, not repeated
    const later = `${once}10.1.1.1 other.example\n`;
    const twice = withPin(later, { ...pin, entries: ['10.0.5.12'] });
    expect(twice.match(/# BEGIN eks-node-agent/g)).toHaveLength(1);
    expect(twice).toContain('10.1.1.1 other.example\n');
    expect(pinnedIn(twice)?.addresses).toEqual(['10.0.5.12']);
    expect(withPin(later)).toBe('127.0.0.1 localhost\n10.1.1.1 other.example\n');
    expect(pinnedIn('127.0.0.1 localhost\n')).toBeUndefined();
  });

  it('never takes a line of anyone else for part of its block: a marker left alone by a hand edit is dropped alone', () => {
    const pin = { host: HOST, entries: ['10.0.5.10'] };
    const block = withPin('', pin);
    const [begin, entry, end] = block.trimEnd().split('\n');
    // the END deleted by hand, a line added after the BEGIN: the line stays, the marker goes
    const edited = `127.0.0.1 localhost\n${begin}\n${entry}\n10.1.1.1 other.example\n${end}x\n`;
    expect(pinnedIn(edited)).toBeUndefined();
    const mended = withPin(edited, pin);
    expect(mended).toBe(`127.0.0.1 localhost\n${entry}\n10.1.1.1 other.example\n${end}x\n${block}`);
    expect(pinnedIn(mended)).toEqual({ host: HOST, addresses: ['10.0.5.10'], entries: ['10.0.5.10'] });
    // a stray END is dropped too
    expect(withPin(`${end}\n127.0.0.1 localhost\n`)).toBe('127.0.0.1 localhost\n');
  });

  it('orders the addresses per node, the same on every run', () => {
    const addresses = ['10.0.5.10', '10.0.5.11', '10.0.5.12', '10.0.5.13'];
    const orders = new Set(Array.from({ length: 20 }, (_, i) => spread(addresses, `i-${i}`).join(',')));
    expect(orders.size).toBeGreaterThan(1);
    expect(spread(addresses, 'i-7')).toEqual(spread([...addresses].reverse(), 'i-7'));
    expect([...spread(addresses, 'i-7')].sort()).toEqual(addresses);
  });

  it('looks up both families; a name DNS does not know is an error naming each answer', async () => {
    dns = await startDns({ records: { [HOST]: ['10.0.5.10', 'fd00:5::10'], 'v4only.example': ['10.0.5.20'] } });
    expect(await lookUp(HOST, [dns.server])).toEqual(['10.0.5.10', 'fd00:5::10']);
    expect(await lookUp('v4only.example', [dns.server])).toEqual(['10.0.5.20']);
    await expect(lookUp('missing.example', [dns.server])).rejects.toThrow('DNS gave no address for missing.example (A: ENOTFOUND, AAAA: ENOTFOUND)');
    // a name that does not exist is asked once (two queries), not again
    expect(dns.requests.filter((q) => q.name === 'missing.example')).toHaveLength(2);
  });

  it('asks again while the resolver is not ready (SERVFAIL), a few times in about a second', async () => {
    // the first four queries (two lookups of A and AAAA) fail, the third lookup is answered
    dns = await startDns({ records: { [HOST]: ['10.0.5.10'] }, servfailFirst: 4 });
    expect(await lookUp(HOST, [dns.server], { retries: 5, delayMs: 10 })).toEqual(['10.0.5.10']);
    expect(dns.requests.map((q) => q.rcode)).toEqual(['SERVFAIL', 'SERVFAIL', 'SERVFAIL', 'SERVFAIL', 'NOERROR', 'NOERROR']);
    // still failing after the retries: the error says how often it asked
    dns.set({ mode: 'servfail' });
    await expect(lookUp(HOST, [dns.server], { retries: 2, delayMs: 10 })).rejects.toThrow(
      `DNS gave no address for ${HOST} (A: ESERVFAIL, AAAA: ESERVFAIL), asked 3 times`,
    );
  });

  it('keeps the mode of /etc/hosts, and a dry run writes nothing', async () => {
    dns = await startDns({ records: { [HOST]: ['10.0.5.10'] } });
    const r = nodeRoot({ 'etc/resolv.conf': `nameserver ${dns.server}\n`, 'etc/hosts': '127.0.0.1 localhost\n' });
    const cluster = { apiServerEndpoint: `https://${HOST}`, enableOutpost: true };
    const dry = await pinApiServer({ root: r, cluster, seed: 'i-1', dryRun: true });
    expect(dry).toMatchObject({ kind: 'pinned', changed: true });
    expect(readFileSync(join(r, 'etc/hosts'), 'utf8')).toBe('127.0.0.1 localhost\n');
    chmodSync(join(r, 'etc/hosts'), 0o640);
    expect(await pinApiServer({ root: r, cluster, seed: 'i-1' })).toMatchObject({ kind: 'pinned', changed: true, addresses: ['10.0.5.10'] });
    expect(statSync(join(r, 'etc/hosts')).mode & 0o7777).toBe(0o640);
    expect(await pinApiServer({ root: r, cluster, seed: 'i-1' })).toMatchObject({ kind: 'pinned', changed: false });
    // an endpoint given as an address needs no pin; the earlier one is taken out
    expect(await pinApiServer({ root: r, cluster: { apiServerEndpoint: 'https://10.0.5.10', enableOutpost: true }, seed: 'i-1' })).toEqual({
      kind: 'address',
      host: 'https://10.0.5.10',
    });
    expect(readFileSync(join(r, 'etc/hosts'), 'utf8')).toBe('127.0.0.1 localhost\n');
  });

  it('leaves a regional node without a pin alone, and says when DNS fails with nothing kept', async () => {
    dns = await startDns({ mode: 'servfail' });
    const r = nodeRoot({ 'etc/resolv.conf': `nameserver ${dns.server}\n`, 'etc/hosts': '127.0.0.1 localhost\n' });
    expect(await pinApiServer({ root: r, cluster: { apiServerEndpoint: `https://${HOST}` }, seed: 'i-1' })).toEqual({ kind: 'none' });
    expect(dns.requests).toEqual([]);
    const failed = await pinApiServer({ root: r, cluster: { apiServerEndpoint: `https://${HOST}`, enableOutpost: true }, seed: 'i-1' });
    expect(failed).toEqual({ kind: 'unpinned', host: HOST, cause: `DNS gave no address for ${HOST} (A: ESERVFAIL, AAAA: ESERVFAIL), asked 6 times` });
    expect(readFileSync(join(r, 'etc/hosts'), 'utf8')).toBe('127.0.0.1 localhost\n');
  });
});
