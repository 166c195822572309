import { afterEach, describe, expect, it } from 'vitest';
import { countCpuList, parseMemTotalMiB, readCpuMillicores, readMemoryMiB } from '../../src/facts/machine.js';
import { EnvironmentError } from '../../src/errors.js';
import { tempRoot, type TempRoot } from './root.js';

let root: TempRoot | undefined;
afterEach(async () => {
  await root?.remove();
  root = undefined;
});

describe('countCpuList', () => {
  it.each([
    ['0', 1],
    ['0-1\n', 2],
    ['0-3,6', 5],
    ['0,2,4-7', 6],
    ['0-95', 96],
  ])('%j has %i CPUs', (list, n) => {
    expect(countCpuList(list)).toBe(n);
  });

  it.each(['', 'a-b', '3-1', '0-3,,6'])('rejects %j', (list) => {
    expect(() => countCpuList(list)).toThrow();
  });
});

describe('parseMemTotalMiB', () => {
  it('rounds MemTotal down to whole MiB', () => {
    expect(parseMemTotalMiB('MemTotal:        7910616 kB\nMemFree: 1 kB\n')).toBe(7725);
    expect(parseMemTotalMiB('MemFree: 1 kB\nMemTotal: 1024 kB\n')).toBe(1);
  });
  it('rejects text without MemTotal', () => {
    expect(() => parseMemTotalMiB('MemFree: 1 kB\n')).toThrow(/MemTotal/);
  });
});

describe('reading under a root', () => {
  it('reads CPU and memory from the root, not from this machine', async () => {
    root = await tempRoot();
    await root.write('/sys/devices/system/cpu/online', '0-3,6\n');
    await root.write('/proc/meminfo', 'MemTotal:       16106128 kB\n');
    expect(await readCpuMillicores(root.dir)).toBe(5000);
    expect(await readMemoryMiB(root.dir)).toBe(15728);
  });

  it('names the file that is missing or malformed', async () => {
    root = await tempRoot();
    const err = await readCpuMillicores(root.dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toContain(`${root.dir}/sys/devices/system/cpu/online: cannot read`);
    await root.write('/proc/meminfo', 'garbage\n');
    await expect(readMemoryMiB(root.dir)).rejects.toThrow(`${root.dir}/proc/meminfo: no "MemTotal: <n> kB" line`);
  });
});
