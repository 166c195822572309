// the namespace import keeps zod's 60-odd locales out of the bundle
import * as z from 'zod';

/**
 * The public, versioned NodeConfig API (node.eks.aws/v1alpha1). Shapes only: every object is
 * strict, so a misspelt field (`apiServerEndpiont`) is rejected with its path instead of being
 * dropped. Semantic checks (CIDR, PEM, URL, flag syntax) live in validate.ts so that every
 * problem can be reported at once.
 */
export const API_VERSION = 'node.eks.aws/v1alpha1';
export const KIND = 'NodeConfig';

export const LOCAL_STORAGE_STRATEGIES = ['RAID0', 'RAID10', 'Mount'] as const;
export const DISABLED_MOUNTS = ['Containerd', 'PodLogs'] as const;
/** Feature gates this agent understands; an unknown name is a validation error. */
export const KNOWN_FEATURE_GATES = ['InstanceIdNodeName', 'FastImagePull'] as const;

const freeForm = z.record(z.string(), z.unknown());

export const clusterSchema = z.strictObject({
  name: z.string().optional(),
  apiServerEndpoint: z.string().optional(),
  certificateAuthority: z.string().optional(),
  cidr: z.string().optional(),
  enableOutpost: z.boolean().optional(),
  id: z.string().optional(),
});

export const kubeletSchema = z.strictObject({
  config: freeForm.optional(),
  flags: z.array(z.string()).optional(),
  maxPodsExpression: z.string().optional(),
});

export const containerdSchema = z.strictObject({
  config: z.string().optional(),
  baseRuntimeSpec: freeForm.optional(),
});

export const instanceSchema = z.strictObject({
  localStorage: z
    .strictObject({
      strategy: z.enum(LOCAL_STORAGE_STRATEGIES).optional(),
      mountPath: z.string().optional(),
      disabledMounts: z.array(z.enum(DISABLED_MOUNTS)).optional(),
    })
    .optional(),
  /** unit name (e.g. `kubelet`, `containerd`) -> environment variable -> value */
  environment: z.record(z.string(), z.record(z.string(), z.string())).optional(),
  network: z
    .strictObject({
      nameservers: z.array(z.string()).optional(),
      domains: z.array(z.string()).optional(),
    })
    .optional(),
});

export const specSchema = z.strictObject({
  cluster: clusterSchema.optional(),
  kubelet: kubeletSchema.optional(),
  containerd: containerdSchema.optional(),
  instance: instanceSchema.optional(),
  featureGates: z.record(z.string(), z.boolean()).optional(),
});

export const nodeConfigSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal(KIND),
  metadata: freeForm.optional(),
  spec: specSchema.optional(),
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
