/**
 * Kubernetes' version skew policy between a kubelet and its API server, the one rule init,
 * render and doctor judge a node's kubelet by: the kubelet must not be newer than the API server,
 * and may be at most three minors older (two for a kubelet before 1.25). A node outside it often
 * registers anyway and then fails in ways that point nowhere near the version (a kubelet calling
 * APIs its server lacks; a server that dropped what an old kubelet still calls), so the agent
 * names the versions instead. Only minors count: patches never break the policy.
 */

export interface Minor {
  major: number;
  minor: number;
}

/** `1.33`, `v1.33.5`, `v1.33.5-eks-3025e55`, `Kubernetes v1.33.1` -> 1.33; undefined for anything else. */
export function minorOf(text: string): Minor | undefined {
  const m = /(?:^|\s)v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+~][^\s]*)?$/.exec(text.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

const show = (v: Minor): string => `${v.major}.${v.minor}`;

/** How many minors older than its API server a kubelet of this minor may be. */
export function maxKubeletLag(kubelet: Minor): number {
  return kubelet.major === 1 && kubelet.minor < 25 ? 2 : 3;
}

/**
 * What is wrong with this kubelet beside this API server, or undefined when the policy allows
 * the pair. `server` names where the server's version came from, e.g. `cluster "prod" (1.33,
 * from eks:DescribeCluster)`; the text says what to run instead.
 */
export function kubeletSkewProblem(kubelet: Minor, server: Minor, serverLabel: string): string | undefined {
  if (kubelet.major !== server.major) {
    return `kubelet ${show(kubelet)} and ${serverLabel} are of different major versions, which the Kubernetes version skew policy does not allow: run an image built for ${show(server)}`;
  }
  if (kubelet.minor > server.minor) {
    return `kubelet ${show(kubelet)} is newer than ${serverLabel}; the Kubernetes version skew policy allows no kubelet newer than its API server (it may call APIs the server does not serve): run the image built for ${show(server)}, or upgrade the cluster first`;
  }
  const lag = server.minor - kubelet.minor;
  const most = maxKubeletLag(kubelet);
  if (lag > most) {
    // the oldest kubelet the policy allows beside this server (a kubelet before 1.25 may lag two)
    const oldest = server.major === 1 && server.minor - 3 < 25 ? server.minor - 2 : server.minor - 3;
    return `kubelet ${show(kubelet)} is ${lag} minors older than ${serverLabel}; the Kubernetes version skew policy allows ${most} (the server may have dropped APIs this kubelet calls): run an image built for ${server.major}.${oldest} or later`;
  }
  return undefined;
}
