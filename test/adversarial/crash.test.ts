import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode, type SimulatedNode } from '../support/node.js';
import { completeCluster, nodeConfig } from './support.js';

/*
 * A crash at any point of `init` must leave the next `init` restarting what changed, and no temp
 * file behind. The config alternates between A and B (a kubelet flag and kubelet.config differ,
 * so kubelet must restart); init is SIGKILLed mid-way; a plain init afterwards must end with the
 * new config on disk and a kubelet restart since the change began (in the killed run or the next).
 */

const A = nodeConfig({ cluster: completeCluster, kubelet: { flags: ['--v=2'] } });
const B = nodeConfig({ cluster: completeCluster, kubelet: { flags: ['--v=4'], config: { maxPods: 42 } } });
const KILL_HOOK = join(import.meta.dirname, 'kill-after-rename.cjs');

let node: SimulatedNode | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

function tempFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.eks-node-agent.tmp')) out.push(join(dir, e.name));
    }
  };
  walk(root);
  return out;
}

async function bootWithA(): Promise<SimulatedNode> {
  const n = await startNode({ imds: { userData: A } });
  const first = await n.agent(['init', '--root', n.root]);
  expect(first.exitCode, first.stderr).toBe(0);
  return n;
}

/** A plain init after the crash: the new config on disk, kubelet restarted since the change began, no temp file. */
async function expectRecovered(n: SimulatedNode, callsBefore: number, flag: string, what: string): Promise<void> {
  const again = await n.agent(['init', '--root', n.root]);
  expect(again.exitCode, again.stderr).toBe(0);
  expect(n.read('/etc/eks/kubelet/environment')).toContain(flag);
  expect(n.systemctlCalls().slice(callsBefore), what).toContain('restart kubelet.service');
  expect(tempFiles(n.root), what).toEqual([]);
}

describe('SIGKILL during init', () => {
  it('right after each rename of the config phase, the next init still restarts kubelet', { timeout: 240_000 }, async () => {
    node = await bootWithA();
    let killedRuns = 0;
    for (let k = 1; ; k++) {
      for (const [next, flag] of [
        [B, '--v=4'],
        [A, '--v=2'],
      ] as const) {
        node.imds.setUserData(next);
        const callsBefore = node.systemctlCalls().length;
        const killed = await node.agent(['init', '--root', node.root], { KILL_AFTER_RENAME: String(k) }, { nodeArgs: ['-r', KILL_HOOK] });
        if (killed.exitCode === 0) {
          // fewer than k renames: every crash point has been tried
          expect(killedRuns).toBeGreaterThanOrEqual(4);
          return;
        }
        killedRuns++;
        await expectRecovered(node, callsBefore, flag, `killed after rename ${k}`);
      }
    }
  });

  it('at random points, 12 times: never a lost restart, never a leftover temp file', { timeout: 240_000 }, async () => {
    node = await bootWithA();
    // How long an uninterrupted init of a change takes here, to spread the kills over it.
    node.imds.setUserData(B);
    let t0 = performance.now();
    expect((await node.agent(['init', '--root', node.root])).exitCode).toBe(0);
    const fullMs = performance.now() - t0;
    for (let i = 0; i < 12; i++) {
      const [next, flag] = i % 2 === 0 ? [A, '--v=2'] : [B, '--v=4'];
      node.imds.setUserData(next);
      const callsBefore = node.systemctlCalls().length;
      const delay = Math.round(Math.random() * fullMs);
      t0 = performance.now();
      await node.agent(['init', '--root', node.root], {}, { sigkillAfterMs: delay });
      await expectRecovered(node, callsBefore, flag, `SIGKILL after ${delay} ms of ~${Math.round(fullMs)} ms`);
    }
  });
});
