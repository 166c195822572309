import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readClusterFile, readInstanceFacts } from '../../src/cli/facts-file.js';
import { InputError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'eks-node-facts-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The instance of a render fixture: valid facts as render --instance takes them.
const fixture = parse(readFileSync(new URL('../../../test/fixtures/render/ipv4-m5-large/input.yaml', import.meta.url), 'utf8')) as {
  facts: { instance: Record<string, unknown> };
};
const good = fixture.facts.instance;

function file(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

async function problems(read: () => Promise<unknown>): Promise<string[]> {
  const err = await read().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  return (err as InputError).problems;
}

describe('render --instance', () => {
  it('reads valid facts as they are', async () => {
    await expect(readInstanceFacts(file('good.json', { ...good, ipv6: 'fd00::1' }))).resolves.toEqual({ ...good, ipv6: 'fd00::1' });
    await expect(readInstanceFacts(file('over-ipv6.json', { ...good, imdsOverIpv6: true }))).resolves.toEqual({ ...good, imdsOverIpv6: true });
  });

  it('names every bad field with its value and what is expected', async () => {
    const path = file('bad.json', {
      ...good,
      instanceId: '',
      privateIpv4: '10.0.0',
      ipv6: '10.0.0.1',
      cpuMillicores: 2000.5,
      memoryMiB: -3,
      imdsOverIpv6: 'yes',
      extra: 1,
      region: undefined,
    });
    expect(await problems(() => readInstanceFacts(path))).toEqual([
      `--instance ${path}: instanceId: "" is not a non-empty string`,
      `--instance ${path}: region: required field is missing`,
      `--instance ${path}: privateIpv4: "10.0.0" is not an IPv4 address`,
      `--instance ${path}: ipv6: "10.0.0.1" is not an IPv6 address`,
      `--instance ${path}: cpuMillicores: 2000.5 is not a whole number`,
      `--instance ${path}: memoryMiB: -3 is not greater than 0`,
      `--instance ${path}: imdsOverIpv6: "yes" is not a boolean`,
      `--instance ${path}: extra: unknown field`,
    ]);
  });
});

describe('render --cluster', () => {
  it('rejects an empty endpoint and an unknown field', async () => {
    const path = file('cluster.json', { name: 'demo', apiServerEndpoint: '', cidr: '10.100.0.0/16' });
    expect(await problems(() => readClusterFile(path))).toEqual([
      `--cluster ${path}: apiServerEndpoint: "" is not a non-empty string`,
      `--cluster ${path}: cidr: unknown field`,
    ]);
  });
});
