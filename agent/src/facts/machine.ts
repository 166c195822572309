import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EnvironmentError, describeCause } from '../errors.js';

/** CPU and memory of the machine, read from the kernel's files under `root`. */

/** Counts the CPUs in a kernel CPU list such as "0-3,6" or "0" (an empty list is an error). */
export function countCpuList(list: string): number {
  const text = list.trim();
  if (text === '') throw new Error('empty CPU list');
  let count = 0;
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`"${part}" is not a CPU number or range`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new Error(`"${part}" is a backwards range`);
    count += to - from + 1;
  }
  return count;
}

/** MemTotal from /proc/meminfo text, in whole MiB (rounded down). */
export function parseMemTotalMiB(meminfo: string): number {
  const m = /^MemTotal:\s+(\d+)\s*kB\s*$/m.exec(meminfo);
  if (!m) throw new Error('no "MemTotal: <n> kB" line');
  return Math.floor(Number(m[1]) / 1024);
}

async function readUnder(root: string, file: string, parse: (text: string) => number): Promise<number> {
  const full = path.join(root, file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    throw new EnvironmentError(`${full}: cannot read (${describeCause(err)})`, { cause: err });
  }
  try {
    return parse(text);
  } catch (err) {
    throw new EnvironmentError(`${full}: ${describeCause(err)}`, { cause: err });
  }
}

/** Online CPUs × 1000, from <root>/sys/devices/system/cpu/online. */
export function readCpuMillicores(root: string): Promise<number> {
  return readUnder(root, '/sys/devices/system/cpu/online', (t) => countCpuList(t) * 1000);
}

export function readMemoryMiB(root: string): Promise<number> {
  return readUnder(root, '/proc/meminfo', parseMemTotalMiB);
}
