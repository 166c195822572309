import { yamlString } from '../templates/escape.js';
import type { RenderContext } from './context.js';
import { PATHS } from './paths.js';
import type { PlannedFile } from './plan.js';

/**
 * The kubelet's kubeconfig: the CA by path (the file ca.ts writes) and a token from
 * aws-iam-authenticator. On Outposts (local clusters) the authenticator wants the cluster id.
 * Written as text, each value through yamlString(), so none can break out of its scalar and the
 * kubelet's YAML 1.1 reads each as the string it is (a cluster named `on` stays `"on"`). Not
 * through the YAML library's serialiser: it decides quoting by YAML 1.2, and on `init`'s path it
 * is code no other step runs (about 10 M instructions of a complete `init`).
 */
export function renderKubeconfig(ctx: RenderContext): PlannedFile {
  const cluster = ctx.config.spec.cluster;
  // the rule set requires an id with enableOutpost
  const clusterId = cluster.enableOutpost && cluster.id ? cluster.id : cluster.name;
  const content = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '  - name: kubernetes',
    '    cluster:',
    `      certificate-authority: ${yamlString(PATHS.caCert)}`,
    `      server: ${yamlString(ctx.parsed.apiServerEndpoint)}`,
    'contexts:',
    '  - name: kubelet',
    '    context:',
    '      cluster: kubernetes',
    '      user: kubelet',
    'current-context: kubelet',
    'users:',
    '  - name: kubelet',
    '    user:',
    '      exec:',
    '        apiVersion: client.authentication.k8s.io/v1beta1',
    '        command: aws-iam-authenticator',
    '        args:',
    '          - token',
    '          - -i',
    `          - ${yamlString(clusterId)}`,
    '          - --region',
    `          - ${yamlString(ctx.facts.instance.region)}`,
    '        interactiveMode: Never',
    '        provideClusterInfo: false',
    '',
  ].join('\n');
  return { path: PATHS.kubeconfig, mode: 0o600, content };
}
