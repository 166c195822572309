import { yamlString } from '../templates/escape.js';
import type { RenderContext } from './context.js';
import { PATHS } from './paths.js';
import type { PlannedFile } from './plan.js';

/**
 * Whether the kubelet starts from a bootstrap kubeconfig: on a local cluster (control plane on an
 * Outpost). Its token comes from IAM, which answers only while the Outpost reaches its Region, so
 * the kubelet trades it once for a client certificate (TLS bootstrapping) and writes
 * PATHS.kubeconfig itself; that certificate keeps working while the Outpost is cut off, and a
 * reboot then reuses it. The agent leaves PATHS.kubeconfig to the kubelet (and removes one it
 * wrote for an earlier, regional configuration, which the kubelet would otherwise go on using).
 */
export const bootstrapsCertificate = (cluster: { enableOutpost?: boolean }): boolean => cluster.enableOutpost === true;

/**
 * The kubelet's kubeconfig (a local cluster's bootstrap kubeconfig): the CA by path (the file
 * ca.ts writes) and a token from aws-iam-authenticator, which for a local cluster wants its id.
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
  return { path: bootstrapsCertificate(cluster) ? PATHS.bootstrapKubeconfig : PATHS.kubeconfig, mode: 0o600, content };
}
