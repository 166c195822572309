import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_CLUSTER_ENDPOINT as ENDPOINT } from '../emulators/eks.js';
import { completeCluster, nodeConfig } from '../support/user-data.js';
import { startNode, type SimulatedNode } from '../support/node.js';

/* The init case that needs the real kubectl (`npm run test:tools` checks it is installed). */

const complete = nodeConfig({ cluster: completeCluster });

let node: SimulatedNode | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});
const boot = async (ud: string) => (node = await startNode({ imds: { userData: ud } }));

describe('init', () => {
  it('writes a kubeconfig the real kubectl reads, with the aws-iam-authenticator exec plugin', async () => {
    const n = await boot(complete);
    await n.agent(['init', '--root', n.root, '--skip', 'run']);
    const view = JSON.parse(
      execFileSync('kubectl', ['config', 'view', '--kubeconfig', join(n.root, 'var/lib/kubelet/kubeconfig'), '-o', 'json'], { encoding: 'utf8' }),
    );
    expect(view.clusters[0].cluster.server).toBe(ENDPOINT);
    expect(view.clusters[0].cluster['certificate-authority']).toBe('/etc/kubernetes/pki/ca.crt');
    const exec = view.users[0].user.exec;
    expect(exec.apiVersion).toBe('client.authentication.k8s.io/v1beta1');
    expect(exec.command).toMatch(/aws-iam-authenticator$/);
    expect(exec.args).toEqual(['token', '-i', 'test-cluster', '--region', 'us-west-2']);
  });
});
