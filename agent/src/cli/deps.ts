import { createImds, DEFAULT_IMDS_ENDPOINT, type Imds } from '../aws/imds.js';

/** The environment the CLI reads, passed down explicitly (nothing reads process.env at load time). */
export type Env = Record<string, string | undefined>;

/** One IMDS client for the whole run, built on first use. */
export function lazyImds(env: Env): () => Imds {
  let imds: Imds | undefined;
  return () =>
    (imds ??= createImds({
      endpoint: env.AWS_EC2_METADATA_SERVICE_ENDPOINT || DEFAULT_IMDS_ENDPOINT,
      totalTimeoutMs: env.EKS_NODE_AGENT_IMDS_TIMEOUT_SECONDS ? Number(env.EKS_NODE_AGENT_IMDS_TIMEOUT_SECONDS) * 1000 : undefined,
    }));
}
