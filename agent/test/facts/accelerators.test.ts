import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasNvidiaPciDevice, readAcceleratorFacts } from '../../src/facts/accelerators.js';
import { EnvironmentError } from '../../src/errors.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'accel-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function pciDevice(address: string, vendor: string) {
  const dir = path.join(root, 'sys/bus/pci/devices', address);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'vendor'), `${vendor}\n`);
}

describe('accelerator facts', () => {
  it('finds an NVIDIA PCI device among others by vendor id', async () => {
    await pciDevice('0000:00:01.0', '0x8086');
    expect(await hasNvidiaPciDevice(root)).toBe(false);
    await pciDevice('0000:00:1e.0', '0x10DE');
    expect(await hasNvidiaPciDevice(root)).toBe(true);
  });

  it('has no GPU where there is no PCI bus directory', async () => {
    expect(await readAcceleratorFacts(root)).toEqual({ nvidiaGpu: false, nvidiaContainerRuntime: false });
  });

  it('sees the NVIDIA container runtime under the root', async () => {
    await mkdir(path.join(root, 'usr/bin'), { recursive: true });
    await writeFile(path.join(root, 'usr/bin/nvidia-container-runtime'), '#!/bin/sh\n');
    expect((await readAcceleratorFacts(root)).nvidiaContainerRuntime).toBe(true);
  });

  it('fails as an environment error when the PCI directory cannot be listed', async () => {
    await mkdir(path.join(root, 'sys/bus/pci'), { recursive: true });
    await writeFile(path.join(root, 'sys/bus/pci/devices'), 'not a directory');
    await expect(hasNvidiaPciDevice(root)).rejects.toBeInstanceOf(EnvironmentError);
  });
});
