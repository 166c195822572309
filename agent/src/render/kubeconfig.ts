import { stringify } from 'yaml';
import { InputError } from '../errors.js';
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
  let clusterId = cluster.name;
  if (cluster.enableOutpost) {
    if (!cluster.id) {
      throw new InputError('spec.cluster.id: missing, but spec.cluster.enableOutpost is true (expected the local cluster\'s id, a UUID)');
    }
    clusterId = cluster.id;
  }
  const server = cluster.apiServerEndpoint.trim().replace(/\/+$/, '');
  try {
    new URL(server);
  } catch (err) {
    throw new InputError(`spec.cluster.apiServerEndpoint: ${JSON.stringify(cluster.apiServerEndpoint)} is not a URL (expected e.g. "https://ABCD.gr7.us-west-2.eks.amazonaws.com")`, { cause: err });
  }
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
