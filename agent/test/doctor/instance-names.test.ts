import { afterEach, describe, expect, it } from 'vitest';
import { type ImdsEmulator, startImds } from '../../../test/emulators/imds.js';
import { createImds } from '../../src/aws/imds.js';
import { foreignNames, instanceNames } from '../../src/doctor/instance-names.js';

const NODE = 'ip-10-0-1-23.us-west-2.compute.internal';
const SECOND = '0e:aa:bb:cc:dd:ee';
let emulator: ImdsEmulator | undefined;

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe('instanceNames', () => {
  it("reads the host names and every interface's addresses, and holds a CSR's names against them", async () => {
    emulator = await startImds({
      instance: { ipv6: '2600:1f14:abc:de00:0:0:0:10' },
      metaData: {
        // a DHCP options set with two domains gives two names
        'local-hostname': `${NODE} ip-10-0-1-23.corp.example`,
        'public-hostname': 'ec2-54-1-2-3.us-west-2.compute.amazonaws.com',
        'public-ipv4': '54.1.2.3',
        // a secondary IP on the first interface, and a second interface
        'network/interfaces/macs/0e:12:34:56:78:9a/local-ipv4s': '10.0.1.23\n10.0.1.99',
        [`network/interfaces/macs/${SECOND}/local-ipv4s`]: '10.0.2.7',
        [`network/interfaces/macs/${SECOND}/local-hostname`]: 'ip-10-0-2-7.us-west-2.compute.internal',
      },
    });
    const imds = createImds({ endpoint: emulator.url });
    const known = await instanceNames(imds, ['ip-10-0-1-23.ec2.internal']);
    expect(known).toBeDefined();
    expect([...known!.dns].sort()).toEqual([
      'ec2-54-1-2-3.us-west-2.compute.amazonaws.com',
      'ip-10-0-1-23.corp.example',
      'ip-10-0-1-23.ec2.internal',
      NODE,
      'ip-10-0-2-7.us-west-2.compute.internal',
    ]);
    expect([...known!.ips].sort()).toEqual(['10.0.1.23', '10.0.1.99', '10.0.2.7', '2600:1f14:abc:de00::10', '54.1.2.3']);
    // case, a trailing dot and IPv6 spelling are not differences; another host's name and address are
    expect(
      foreignNames(
        [
          `DNS:${NODE.toUpperCase()}.`,
          'DNS:build-7.corp.example',
          'IP Address:10.0.2.7',
          'IP Address:2600:1f14:abc:de00:0:0:0:10',
          'IP Address:10.0.3.3',
          'IP Address:#0102',
        ],
        known!,
      ),
    ).toEqual(['DNS:build-7.corp.example', 'IP Address:10.0.3.3', 'IP Address:#0102']);
    expect(foreignNames([`DNS:${NODE}`, 'IP Address:10.0.1.99'], known!)).toEqual([]);
  });

  it('knows nothing when IMDS does not answer every question (a partial list would call own names foreign)', async () => {
    emulator = await startImds();
    const imds = createImds({ endpoint: emulator.url, refusalsBeforeGivingUp: 1, totalTimeoutMs: 5_000 });
    expect(await instanceNames(imds)).toMatchObject({ dns: new Set([NODE]), ips: new Set(['10.0.1.23']) });
    await emulator.close();
    emulator = undefined;
    expect(await instanceNames(imds)).toBeUndefined();
  });
});
