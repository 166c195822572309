import { AGENT_VERSION } from '../version.js';

export function run(out: (line: string) => void): number {
  out(`eks-node-agent ${AGENT_VERSION} (node ${process.version}, linux/${process.arch})`);
  return 0;
}
