// zod/mini, not zod: the same checks and issues, but each schema is built without zod's
// chainable methods, which made building this schema and the first parse the largest JS cost
// of a boot (`npm run bench` measures it). The
// namespace import keeps zod's 60-odd locales out of the bundle; problems.ts words every issue.
import * as z from 'zod/mini';

/**
 * The public, versioned NodeConfig API (node.eks.aws/v1alpha1). Shapes only: every object is
 * strict, so a misspelt field (`apiServerEndpiont`) is rejected with its path instead of being
 * dropped. Semantic checks (CIDR, PEM, URL, flag syntax) live in validate.ts so that every
 * problem can be reported at once.
 */
export const API_VERSION = 'node.eks.aws/v1alpha1';
export const KIND = 'NodeConfig';

export const LOCAL_STORAGE_STRATEGIES = ['RAID0', 'RAID10', 'Mount'] as const;
/** The directories local storage binds onto the array: containerd's, the pods' logs, and the SOCI snapshotter's store (on an image with it). */
export const DISABLED_MOUNTS = ['Containerd', 'PodLogs', 'SOCI'] as const;
/** Feature gates this agent understands; an unknown name is an advisory problem (validate.ts). */
export const KNOWN_FEATURE_GATES = ['InstanceIdNodeName', 'FastImagePull'] as const;

const freeForm = z.record(z.string(), z.unknown());

export const clusterSchema = z.strictObject({
  name: z.optional(z.string()),
  apiServerEndpoint: z.optional(z.string()),
  certificateAuthority: z.optional(z.string()),
  cidr: z.optional(z.string()),
  enableOutpost: z.optional(z.boolean()),
  id: z.optional(z.string()),
});

export const kubeletSchema = z.strictObject({
  config: z.optional(freeForm),
  flags: z.optional(z.array(z.string())),
  maxPodsExpression: z.optional(z.string()),
});

export const containerdSchema = z.strictObject({
  config: z.optional(z.string()),
  baseRuntimeSpec: z.optional(freeForm),
});

export const instanceSchema = z.strictObject({
  localStorage: z.optional(
    z.strictObject({
      strategy: z.optional(z.enum(LOCAL_STORAGE_STRATEGIES)),
      mountPath: z.optional(z.string()),
      // a name not in DISABLED_MOUNTS is an advisory problem (validate.ts): nodeadm ignores it
      disabledMounts: z.optional(z.array(z.string())),
    }),
  ),
  /** unit name (e.g. `kubelet`, `containerd`) -> environment variable -> value */
  environment: z.optional(z.record(z.string(), z.record(z.string(), z.string()))),
  network: z.optional(
    z.strictObject({
      nameservers: z.optional(z.array(z.string())),
      domains: z.optional(z.array(z.string())),
    }),
  ),
});

export const specSchema = z.strictObject({
  cluster: z.optional(clusterSchema),
  kubelet: z.optional(kubeletSchema),
  containerd: z.optional(containerdSchema),
  instance: z.optional(instanceSchema),
  featureGates: z.optional(z.record(z.string(), z.boolean())),
});

export const nodeConfigSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(KIND),
  metadata: z.optional(freeForm),
  spec: z.optional(specSchema),
});

export type NodeConfig = z.infer<typeof nodeConfigSchema>;
export type NodeConfigSpec = z.infer<typeof specSchema>;
export type ClusterSpec = z.infer<typeof clusterSchema>;
export type KubeletSpec = z.infer<typeof kubeletSchema>;
export type ContainerdSpec = z.infer<typeof containerdSchema>;
export type InstanceSpec = z.infer<typeof instanceSchema>;

/** The cluster coordinates once every field is known (from user data or eks:DescribeCluster). */
export interface ResolvedCluster {
  name: string;
  apiServerEndpoint: string;
  /** base64 of the PEM bundle, as in the user data */
  certificateAuthority: string;
  /** the service CIDR */
  cidr: string;
  enableOutpost?: boolean;
  id?: string;
}

/** A NodeConfig whose cluster section is complete: the input of render(). */
export interface ResolvedNodeConfig {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  spec: Omit<NodeConfigSpec, 'cluster'> & { cluster: ResolvedCluster };
}
