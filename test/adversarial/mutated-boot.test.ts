import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_PATH } from '../../agent/src/apply/state.js';
import { startNode, type SimulatedNode } from '../support/node.js';
import { mutate, mutation, rich } from './mutations.js';
import { completeCluster } from './support.js';

/*
 * The boot's config phase (the built agent's `init --skip run` on a simulated node, with the
 * IMDS and EKS emulators) fed mutated user data after a good boot: it either configures the node
 * or refuses with exit 1 (the user data) or 2 (the environment) in `error:` lines (one per
 * problem, no stack trace), and a refusal leaves every file of the previous configuration as it was. Its verdict is
 * `config check`'s on the same document: what the check accepts, the boot does not refuse for the
 * user data; what the check calls errors, a boot that goes on warns of in the same words; and
 * a boot's refusal of the user data is among the check's errors. And a configuration is a
 * function of its user data, not of the boots before it: after a configured boot, user data
 * naming the cluster alone leaves the node as it leaves a fresh one, and the rich user data as
 * it did (every file the mutated document had written but these do not, taken out). Seeded, 30
 * cases (each several processes, so fewer than the in-process properties).
 */

const RUNS = 30;
const RUN_PHASE_STATE = STATE_PATH;

/** The files that differ between two snapshots, with both contents (undefined where one lacks the file). */
function diff(a: Record<string, string>, b: Record<string, string>): Record<string, [string | undefined, string | undefined]> {
  const out: Record<string, [string | undefined, string | undefined]> = {};
  for (const path of new Set([...Object.keys(a), ...Object.keys(b)])) if (a[path] !== b[path]) out[path] = [a[path], b[path]];
  return out;
}

/** The lines of `text` that start with `prefix` (after the log's `eks-node-agent: `, when there is one), without either. */
const lines = (text: string, prefix: string): string[] =>
  text
    .split('\n')
    .map((line) => line.replace(/^eks-node-agent: /, ''))
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));

let node: SimulatedNode;
const dir = mkdtempSync(join(tmpdir(), 'eks-node-mutated-boot-'));
beforeAll(async () => {
  node = await startNode();
});
afterAll(async () => {
  await node?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a boot fed mutated user data', () => {
  it('configures the node, or refuses in one line and leaves the previous configuration intact', async () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(good, stringify(rich()));
    const bare = join(dir, 'bare.yaml');
    writeFileSync(bare, stringify({ apiVersion: 'node.eks.aws/v1alpha1', kind: 'NodeConfig', spec: { cluster: completeCluster } }));
    const boot = async (source: string): Promise<Record<string, string>> => {
      const r = await node.agent(['init', '--root', node.root, '--skip', 'run', '-c', `file://${source}`]);
      expect(r.exitCode, r.stderr).toBe(0);
      // the run-phase state is history by design: its pending changes gather every boot's until a run phase takes them
      const { [RUN_PHASE_STATE]: _pending, ...files } = node.snapshot();
      return files;
    };
    // the node as the cluster alone makes it, then as the rich user data does: the two states a boot returns to
    const bareNode = await boot(bare);
    const configured = await boot(good);
    const outcomes = { configured: 0, refused: 0 };
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const doc = rich();
        mutate(doc, mutations);
        const file = join(dir, `user-data-${n++}.yaml`);
        writeFileSync(file, stringify(doc));
        const before = node.snapshot();
        const r = await node.agent(['init', '--root', node.root, '--skip', 'run', '-c', `file://${file}`]);
        // the same document through config check: the boot's verdict is the check's (one rule set)
        const check = await node.agent(['config', 'check', '-c', `file://${file}`]);
        const checkErrors = lines(check.stderr, 'error: ');
        if (check.exitCode === 0) expect([0, 2], `config check accepted it, init refused it:\n${r.stderr}`).toContain(r.exitCode);
        if (r.exitCode === 0) {
          outcomes.configured++;
          // what the check calls errors, the boot warns of and goes on
          for (const e of checkErrors) expect(lines(r.stderr, 'warning: '), `config check: ${e}`).toContain(e);
          // a configuration is a function of its user data, not of the boots before it: the bare user data
          // leaves the node as it left a fresh one (nothing of this document's files left), the rich one as before
          expect(diff(bareNode, await boot(bare)), file).toEqual({});
          expect(diff(configured, await boot(good)), file).toEqual({});
          return;
        }
        outcomes.refused++;
        expect([1, 2], r.stderr).toContain(r.exitCode);
        const errors = lines(r.stderr, 'error: ');
        expect(errors.length, r.stderr).toBeGreaterThan(0);
        // a refusal of the user data is the check's, in its words
        if (r.exitCode === 1) for (const e of errors) expect(checkErrors, `init: ${e}`).toContain(e);
        // no stack trace: every line is one of the agent's own (its log, warnings, notes, errors)
        for (const line of r.stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^(eks-node-agent: |warning: |note: |error: )/);
        expect(node.snapshot()).toEqual(before);
      }),
      { numRuns: RUNS, seed: 20261207 },
    );
    // the generator reaches both outcomes
    expect(outcomes.configured).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
