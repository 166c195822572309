import { stringify } from 'yaml';
import type { RenderContext } from './context.js';
import { PATHS } from './paths.js';
import type { PlannedFile } from './plan.js';

/**
 * The kubelet's kubeconfig: the CA by path (the file ca.ts writes) and a token from
 * aws-iam-authenticator. On Outposts (local clusters) the authenticator wants the cluster id.
 * Serialised by the YAML library, so no value can break out of its scalar.
 */
export function renderKubeconfig(ctx: RenderContext): PlannedFile {
  const cluster = ctx.config.spec.cluster;
  // the rule set requires an id with enableOutpost
  const clusterId = cluster.enableOutpost && cluster.id ? cluster.id : cluster.name;
  const server = ctx.parsed.apiServerEndpoint;
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kubernetes', cluster: { 'certificate-authority': PATHS.caCert, server } }],
    contexts: [{ name: 'kubelet', context: { cluster: 'kubernetes', user: 'kubelet' } }],
    'current-context': 'kubelet',
    users: [
      {
        name: 'kubelet',
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            command: 'aws-iam-authenticator',
            args: ['token', '-i', clusterId, '--region', ctx.facts.instance.region],
            interactiveMode: 'Never',
            provideClusterInfo: false,
          },
        },
      },
    ],
  };
  return { path: PATHS.kubeconfig, mode: 0o600, content: stringify(doc, { lineWidth: 0 }) };
}
