import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flagPath, readKubeletFlagItems } from '../../src/api/kubelet-flag-items.js';
import { InputError } from '../../src/errors.js';
import { loadConfig } from '../../src/sources/index.js';

describe('spec.kubelet.flags read one flag per item, as a kubelet unit that splits them at spaces gets them', () => {
  it('leaves a list of single flags as it is, the same array, with nothing to say', () => {
    const flags = ['--node-labels=a=b', '--register-node', '--v=2'];
    const read = readKubeletFlagItems(flags);
    expect(read.flags).toBe(flags);
    expect(read.advisories).toEqual([]);
    expect(readKubeletFlagItems(undefined)).toEqual({ flags: undefined, advisories: [] });
  });

  it('splits an item holding several flags (an AL2 --kubelet-extra-args string moved into the list), in place', () => {
    const read = readKubeletFlagItems(['--v=2', '--node-labels=team=a --register-with-taints=x=y:NoSchedule', '--max-pods=20']);
    expect(read.flags).toEqual(['--v=2', '--node-labels=team=a', '--register-with-taints=x=y:NoSchedule', '--max-pods=20']);
    expect(read.advisories).toEqual([
      'spec.kubelet.flags[1]: "--node-labels=team=a --register-with-taints=x=y:NoSchedule" is read as 2 flags, "--node-labels=team=a", "--register-with-taints=x=y:NoSchedule", as a kubelet whose unit splits its flags at spaces and takes out quotes gets it (expected one "--name=value" flag per item, without spaces or quotes)',
    ]);
  });

  it("numbers the other lines' flags as the user data wrote the list: by the item each came from", () => {
    const read = readKubeletFlagItems(['--v=2', '--node-labels=team=a --register-with-taints=x=y:NoSchedule', '--max-pods', '20', '--register-node']);
    expect(read.flags).toEqual(['--v=2', '--node-labels=team=a', '--register-with-taints=x=y:NoSchedule', '--max-pods=20', '--register-node']);
    expect([0, 1, 2, 3, 4].map((k) => flagPath(read.flags, k))).toEqual([
      'spec.kubelet.flags[0]',
      'spec.kubelet.flags[1]',
      'spec.kubelet.flags[1]',
      'spec.kubelet.flags[2]',
      'spec.kubelet.flags[4]',
    ]);
    // a list not read here (or a copy of one) keeps its own numbering
    expect(flagPath([...read.flags!], 4)).toBe('spec.kubelet.flags[4]');
    expect(flagPath(['--v=2'], 0)).toBe('spec.kubelet.flags[0]');
    expect(flagPath(undefined, 3)).toBe('spec.kubelet.flags[3]');
    expect(read.advisories.join('\n')).not.toContain('as read:');
  });

  it('removes quotes and backslashes as systemd does, and the whitespace around a flag (a template line ending in a newline)', () => {
    expect(readKubeletFlagItems(['--node-labels="a=b,c=d" --max-pods=20\n']).flags).toEqual(['--node-labels=a=b,c=d', '--max-pods=20']);
    const padded = readKubeletFlagItems(['  --max-pods=20\n']);
    expect(padded.flags).toEqual(['--max-pods=20']);
    expect(padded.advisories).toEqual([
      'spec.kubelet.flags[0]: "  --max-pods=20\\n" is read as the flag "--max-pods=20", as a kubelet whose unit splits its flags at spaces and takes out quotes gets it (expected one "--name=value" flag per item, without spaces or quotes)',
    ]);
  });

  it('takes out quotes and backslashes in an item without spaces too, as that unit does (an AL2 habit: --node-labels="a=b")', () => {
    const read = readKubeletFlagItems(['--node-labels="team=a,tier=b"', "--max-pods='20'", '--v=2', '--node-ip=10.0.0.1\\,fd00::1']);
    expect(read.flags).toEqual(['--node-labels=team=a,tier=b', '--max-pods=20', '--v=2', '--node-ip=10.0.0.1,fd00::1']);
    expect(read.advisories).toEqual([
      'spec.kubelet.flags[0]: "--node-labels=\\"team=a,tier=b\\"" is read as the flag "--node-labels=team=a,tier=b", as a kubelet whose unit splits its flags at spaces and takes out quotes gets it (expected one "--name=value" flag per item, without spaces or quotes)',
      'spec.kubelet.flags[1]: "--max-pods=\'20\'" is read as the flag "--max-pods=20", as a kubelet whose unit splits its flags at spaces and takes out quotes gets it (expected one "--name=value" flag per item, without spaces or quotes)',
      expect.stringMatching(/^spec\.kubelet\.flags\[3\]: "--node-ip=10\.0\.0\.1\\\\,fd00::1" is read as the flag "--node-ip=10\.0\.0\.1,fd00::1", /),
    ]);
    // a quoted value holding a space is one argument to that kubelet, and no label: left whole, for the rules
    expect(readKubeletFlagItems(['--node-labels="team=a b"']).flags).toEqual(['--node-labels="team=a b"']);
    // an unterminated quote: left whole
    expect(readKubeletFlagItems(['--node-labels="team=a']).advisories).toEqual([]);
  });

  it('takes a word after a flag without "=" as its value, in one item or the next', () => {
    const read = readKubeletFlagItems(['--node-labels lifecycle=spot', '--max-pods', '20', '--register-node']);
    expect(read.flags).toEqual(['--node-labels=lifecycle=spot', '--max-pods=20', '--register-node']);
    expect(read.advisories).toHaveLength(2);
    expect(read.advisories[0]).toMatch(
      /^spec\.kubelet\.flags\[0\]: "--node-labels lifecycle=spot" is read as the flag "--node-labels=lifecycle=spot", .*, a word after a flag without "=" its value \(expected/,
    );
    expect(read.advisories[1]).toMatch(
      /^spec\.kubelet\.flags\[1\] to \[2\]: "--max-pods", "20" are read as the flag "--max-pods=20", .*, a word after a flag without "=" its value \(expected[^;]*\)$/,
    );
    // a flag after a bare flag is a flag of its own, as the kubelet takes it only when no "-" starts it
    expect(readKubeletFlagItems(['--register-node', '--v=2']).advisories).toEqual([]);
  });

  it('leaves whole, for the flag rule, an item that does not read as flags, and what only joining it would change', () => {
    for (const item of ['--node-labels=team=a b', 'b --v=2', '--v=2 "unterminated', '   ', '--v=2 -x']) {
      const read = readKubeletFlagItems([item]);
      expect(read.flags, item).toEqual([item]);
      expect(read.advisories, item).toEqual([]);
    }
    // the stray word would have been the value of the bare flag before it: neither changes
    expect(readKubeletFlagItems(['--node-labels', 'team=a b']).flags).toEqual(['--node-labels', 'team=a b']);
    // one item left whole, another still split
    const read = readKubeletFlagItems(['--node-labels=team=a b', '--v=2 --max-pods=20']);
    expect(read.flags).toEqual(['--node-labels=team=a b', '--v=2', '--max-pods=20']);
    expect(read.advisories).toHaveLength(1);
    expect(read.advisories[0]).toMatch(/^spec\.kubelet\.flags\[1\]: /);
  });
});

describe('loadConfig reads the merged flags that way for every command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eks-node-flag-items-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const noImds = { imds: () => ({}) as never };
  const write = (name: string, flags: string[]) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify({ apiVersion: 'node.eks.aws/v1alpha1', kind: 'NodeConfig', spec: { cluster: { name: 'demo' }, kubelet: { flags } } }));
    return `file://${path}`;
  };

  it('gives the rules and render the flags one per item, and the reading as an advisory (a boot warns, config check refuses)', async () => {
    const loaded = await loadConfig([write('a.json', ['--node-labels=a=b --max-pods=20']), write('b.json', ['--v', '2'])], noImds);
    expect(loaded.config.spec?.kubelet?.flags).toEqual(['--node-labels=a=b', '--max-pods=20', '--v=2']);
    expect(loaded.advisories.filter((a) => a.startsWith('spec.kubelet.flags['))).toHaveLength(2);
  });

  it('still refuses a flag the reading gives, as if it had been its own item', async () => {
    const err = await loadConfig([write('c.json', ['--v=2 --max-pods=abc'])], noImds).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    // numbered as the file has it: the one item holds both
    expect((err as InputError).problems.some((p) => p.startsWith('spec.kubelet.flags[0]: "--max-pods=abc" does not set a usable max pods'))).toBe(true);
  });
});
