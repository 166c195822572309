import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { run as configCheck } from '../../agent/src/cli/config-check.js';
import { run as render } from '../../agent/src/cli/render.js';
import { translateKubeletArgs } from '../../agent/src/bootstrap-sh/kubelet-args.js';
import { BOOTSTRAP_OPTIONS, translateBootstrapArgs } from '../../agent/src/bootstrap-sh/translate.js';
import { decodeUserData } from '../../agent/src/sources/decode.js';
import { EnvironmentError, InputError } from '../../agent/src/errors.js';
import { mutate, mutation, rich } from './mutations.js';

/*
 * User data as tools and people get it wrong: a NodeConfig that fills every section of the spec,
 * with one to three of its values replaced by a value of another shape (fast-check's JSON values
 * and a pool of edge values), removed, or joined by an unknown key, written as YAML or JSON. For
 * each, `config check` and `render` (the boot's plan, offline) must succeed or answer with the
 * agent's own errors, never an exception from a value read as a type it is not; render must never
 * refuse what config check accepts (but for cluster details only EKS could give), and what render
 * refuses config check refuses too, in the same words. In process, seeded: a failure prints the
 * seed and the shrunk mutations that replay it.
 */

const RUNS = 400;

const dir = mkdtempSync(join(tmpdir(), 'eks-node-mutated-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const instance = join(dir, 'instance.json');
writeFileSync(
  instance,
  JSON.stringify({
    instanceId: 'i-0123456789abcdef4',
    instanceType: 'm5.2xlarge',
    region: 'us-west-2',
    availabilityZone: 'us-west-2b',
    mac: '02:00:00:00:00:04',
    privateIpv4: '10.0.2.44',
    privateDnsName: 'ip-10-0-2-44.us-west-2.compute.internal',
    cpuMillicores: 8000,
    memoryMiB: 31708,
    kubeletVersion: 'v1.33.1',
    containerdVersion: '1.7.27',
    sociSnapshotter: true,
  }),
);
const root = join(dir, 'root');
mkdirSync(root);

type Verdict = { ok: true } | { ok: false; error: Error };

async function verdict(run: () => Promise<unknown>): Promise<Verdict> {
  try {
    await run();
    return { ok: true };
  } catch (err) {
    // the agent's own refusals; anything else is a reader that met a value it did not expect
    if (err instanceof InputError || err instanceof EnvironmentError) return { ok: false, error: err };
    throw err;
  }
}

describe('mutated user data', () => {
  it('config check and render answer with their own errors, and agree', async () => {
    let n = 0;
    // the generator must reach both sides: documents each command takes, and ones both refuse
    const seen = { accepted: 0, refusedByBoth: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.boolean(), async (mutations, asYaml) => {
        const doc = rich();
        mutate(doc, mutations);
        const file = join(dir, `user-data-${n++}.${asYaml ? 'yaml' : 'json'}`);
        writeFileSync(file, asYaml ? stringify(doc) : JSON.stringify(doc));
        const source = [`file://${file}`];
        const check = await verdict(() =>
          // an IMDS nobody serves: neither command may need it for a file source
          configCheck(
            { configSources: source, root },
            { EKS_NODE_AGENT_IMDS_ENDPOINT: 'http://127.0.0.1:9' },
            () => undefined,
            () => undefined,
          ),
        );
        const plan = await verdict(() => render({ configSources: source, instance, out: join(dir, 'out') }, {}, () => undefined));
        if (check.ok && plan.ok) seen.accepted++;
        if (!check.ok && !plan.ok) seen.refusedByBoth++;
        if (check.ok && !plan.ok) {
          // render cannot ask EKS for what the user data leaves out; config check says a boot would
          expect(plan.error.message).toMatch(/render is offline and the user data lacks spec\.cluster\./);
        }
        if (!plan.ok && plan.error instanceof InputError && !/render is offline/.test(plan.error.message)) {
          // a refusal of the boot's path is config check's refusal too, in the same words
          expect(check.ok).toBe(false);
          const first = plan.error.message
            .split('\n')[0]!
            .replace(/^.*?(spec\.)/, '$1')
            .slice(0, 60);
          if (!check.ok) expect(check.error.message).toContain(first);
        }
      }),
      { numRuns: RUNS, seed: 20261207 },
    );
    expect(n).toBe(RUNS);
    expect(seen.accepted).toBeGreaterThan(RUNS / 20);
    expect(seen.refusedByBoth).toBeGreaterThan(RUNS / 20);
  });
});

/** Runs a reader; an error other than the agent's own refusals fails the property. */
function refusesOnly(read: () => unknown): true {
  try {
    read();
  } catch (err) {
    if (!(err instanceof InputError || err instanceof EnvironmentError)) throw err;
  }
  return true;
}

describe('the other readers of what a machine hands the node', () => {
  const runs = { numRuns: 1_000, seed: 20261207 };

  it('user data bytes: MIME parts, their headers and encodings, scripts and NodeConfig, in any order', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        'MIME-Version: 1.0\n',
        'Content-Type: multipart/mixed; boundary="B"\n',
        'Content-Type: multipart/mixed; boundary=B\n',
        '\n',
        '\r\n',
        '--B\n',
        '--B--\n',
        'Content-Type: application/node.eks.aws\n',
        'Content-Type: text/x-shellscript; charset="us-ascii"\n',
        'Content-Transfer-Encoding: base64\n',
        'Content-Transfer-Encoding: quoted-printable\n',
        'apiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec: {}\n',
        '#!/bin/bash\necho hi\n',
        '=\n',
        'H4sI',
      ),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 14 }), (pieces) => refusesOnly(() => decodeUserData(Buffer.from(pieces.join('')), 'user data'))),
      runs,
    );
  });

  it("bootstrap.sh's arguments, as a CloudFormation template passes them, and --kubelet-extra-args' text", () => {
    const arg = fc.oneof(
      fc.constantFrom(...BOOTSTRAP_OPTIONS, 'my-cluster', '--', '', 'true', '10', '--node-labels=a=b', "'", '"', '\\', 'a=b', '10.100.0.0/16', 'https://x'),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(fc.array(arg, { maxLength: 10 }), (args) => refusesOnly(() => translateBootstrapArgs(args))),
      runs,
    );
    const piece = fc.oneof(
      fc.constantFrom('--node-labels=', '--register-with-taints=', '--max-pods=', '--v=2', "'", '"', '\\', ' ', '=', ',', ':', 'k=v:NoSchedule', '--node-ip'),
      fc.string({ maxLength: 10 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => refusesOnly(() => translateKubeletArgs(pieces.join('')))),
      runs,
    );
  });
});
