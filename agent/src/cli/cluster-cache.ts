import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFiles } from '../apply/write-files.js';
import type { ClusterDescription, EksApi } from '../aws/eks.js';

/**
 * What eks:DescribeCluster answered, kept on the node's disk so the run phase, a re-run of init
 * and a reboot do not call the EKS API again (the API throttles in large scale-ups). Keyed by
 * cluster name; a cache for another cluster is ignored. Persistent (/var/lib), not /run, so a
 * reboot is covered too.
 */
export const CLUSTER_CACHE_PATH = '/var/lib/eks-node-agent/cluster.json';

export function cachedEks(root: string, eks: () => EksApi, onHit: () => void): EksApi {
  const file = join(root, CLUSTER_CACHE_PATH);
  return {
    async describeCluster(name) {
      try {
        const cached = JSON.parse(await readFile(file, 'utf8')) as ClusterDescription;
        if (cached.name === name && cached.endpoint && cached.caData && cached.serviceCidr) {
          onHit();
          return cached;
        }
      } catch {
        // no cache or an unreadable one: ask the API
      }
      const answer = await eks().describeCluster(name);
      await writeFiles([{ path: CLUSTER_CACHE_PATH, mode: 0o644, content: `${JSON.stringify(answer, null, 2)}\n` }], { root });
      return answer;
    },
  };
}
