import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { EnvironmentError, describeCause } from '../errors.js';
import type { AcceleratorFacts } from './types.js';

/** PCI vendor id of NVIDIA, as the kernel prints it in sys/bus/pci/devices/<addr>/vendor. */
export const NVIDIA_PCI_VENDOR = '0x10de';
/** The runtime the NVIDIA container toolkit installs; the image has it only on GPU variants. */
export const NVIDIA_CONTAINER_RUNTIME = '/usr/bin/nvidia-container-runtime';
const PCI_DEVICES = '/sys/bus/pci/devices';

/**
 * Whether any PCI device under `root` is NVIDIA's. A machine without a PCI bus directory (some
 * containers, tests) simply has none; a directory that exists but cannot be read is an
 * environment failure, because a GPU node silently configured as a CPU node is worse.
 */
export async function hasNvidiaPciDevice(root: string): Promise<boolean> {
  const dir = path.join(root, PCI_DEVICES);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new EnvironmentError(`${dir}: cannot list PCI devices (${describeCause(err)})`, { cause: err });
  }
  return entries.some((entry) => {
    try {
      return (
        readFileSync(path.join(dir, entry, 'vendor'), 'utf8')
          .trim()
          .toLowerCase() === NVIDIA_PCI_VENDOR
      );
    } catch {
      return false;
    }
  });
}

async function exists(file: string): Promise<boolean> {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** GPU facts for render: the kubelet's node label and containerd's default runtime depend on them. */
export async function readAcceleratorFacts(root: string): Promise<AcceleratorFacts> {
  const [nvidiaGpu, nvidiaContainerRuntime] = await Promise.all([hasNvidiaPciDevice(root), exists(path.join(root, NVIDIA_CONTAINER_RUNTIME))]);
  return { nvidiaGpu, nvidiaContainerRuntime };
}
