import { PATHS } from '../render/paths.js';

/**
 * Known kubelet failure lines and what they mean. Ordered: the first pattern a line matches
 * names its cause; the most specific causes come first.
 */
export interface JournalPattern {
  id: string;
  pattern: RegExp;
  hint: string;
}

export const KUBELET_PATTERNS: JournalPattern[] = [
  {
    id: 'x509',
    pattern: /x509:|certificate signed by unknown authority|tls: failed to verify certificate/i,
    hint: "kubelet does not trust the API server certificate: /etc/kubernetes/pki/ca.crt (spec.cluster.certificateAuthority) is not this cluster's CA",
  },
  {
    // a local cluster's kubelet trades its bootstrap token for a client certificate (TLS
    // bootstrapping, pkg/kubelet/certificate/bootstrap); before the token's own Unauthorized
    id: 'client-certificate',
    pattern:
      /unable to load bootstrap kubeconfig|certificate signing request (is denied|failed)|cannot create certificate signing request|bootstrap client certificate .*is expired/i,
    hint: `the kubelet of a local cluster could not get its client certificate: ${PATHS.bootstrapKubeconfig} is missing or unreadable (see the files line), or the cluster refused or denied its certificate signing request (the node role must be mapped as EC2_LINUX, which lets the cluster approve it; \`kubectl get csr\` names the request)`,
  },
  {
    id: 'unauthorized',
    pattern: /\bUnauthorized\b|status code 401|\b401\b.*unauthorized/i,
    hint: "the API server rejects the node's token: map the node role with an EC2_LINUX access entry (or aws-auth mapRoles)",
  },
  {
    id: 'node-not-found',
    pattern: /node "[^"]*" not found|nodes "[^"]*" not found/i,
    hint: 'kubelet cannot register its Node: registration is forbidden (the role lacks system:nodes) or the node name differs from the private DNS name the mapping allows',
  },
  {
    // the kubelet checks every gate before it starts, and exits on the first it cannot set
    id: 'feature-gate',
    pattern: /unrecognized feature gate|cannot set feature gate .* feature is locked to/i,
    hint: 'kubelet exits at start: kubelet.config.featureGates (or a --feature-gates flag) in the user data names a gate this kubelet version does not know (removed after graduating, or misspelt), or sets a graduated one against its locked value; remove it (`eks-node-agent config check` names a misspelt one, and `render` one this kubelet version lacks or locks)',
  },
  {
    // the kubelet parses its command line first and exits on a flag it does not have or cannot read
    id: 'kubelet-flag',
    pattern: /failed to parse kubelet flag/i,
    hint: 'kubelet exits at start: a flag in spec.kubelet.flags (or --kubelet-extra-args) is one this kubelet version does not have (removed, such as --container-runtime or --network-plugin, or misspelt) or has a value it cannot read; fix or remove it (`eks-node-agent config check` names it)',
  },
  {
    // the kubelet reads and checks its config files next, and exits naming the field it refuses;
    // it parses reservations and eviction thresholds as it starts, and exits on one it cannot take
    // (or, with the Static memory manager, on a reservedMemory that does not total the reservation),
    // and reads its TLS settings (tlsCipherSuites, tlsMinVersion) before it serves
    id: 'kubelet-config',
    pattern:
      /failed to validate kubelet configuration|failed to load kubelet config file|failed to merge kubelet configs|failed to load drop-in kubelet config|--(kube|system)-reserved value failed to parse|unsupported eviction signal|eviction (percentage )?(threshold|minimum reclaim)|negative eviction minimum reclaim|grace period must be specified for the soft eviction threshold|invalid eviction grace period|determined by Node Allocatable feature|failed to construct kubelet dependencies|cipher suite \S+ not supported or doesn't exist|unknown tls version/i,
    hint: `kubelet exits at start: its configuration is refused, and the line names the field; the user's kubelet.config is ${PATHS.kubeletDropIn} (merged into ${PATHS.kubeletConfig} before 1.28); \`eks-node-agent config check\` judges the user data`,
  },
  {
    // the kubelet connects to the container runtime before anything else it runs, and exits
    // when nothing answers on the socket or the answer has no CRI (its plugin disabled)
    id: 'container-runtime',
    pattern:
      /validate service connection|CRI v1 (runtime|image) API is not implemented|containerd\.sock: connect: (no such file or directory|connection refused)/i,
    hint: 'kubelet exits at start: containerd does not answer on /run/containerd/containerd.sock, or answers without its CRI plugin: see the containerd line (`journalctl -u containerd`); a spec.containerd.config in the user data that disables the cri plugin or breaks the TOML keeps it from serving',
  },
  {
    // the kubelet checks its image credential providers before it runs a pod, and exits when one
    // the config names has no executable in the plugin directory
    id: 'credential-provider',
    pattern: /failed to register CRI auth plugins|plugin binary executable .* did not exist|failed to validate credential provider config/i,
    hint: `kubelet exits at start: an image credential provider of ${PATHS.credentialProviderConfig} is missing (the image must hold ${PATHS.credentialProviderBinDir}/ecr-credential-provider) or the config is unreadable (see the files line)`,
  },
  {
    // with swap on, the kubelet stops unless told it may run so
    id: 'swap',
    pattern: /running with swap on is not supported/i,
    hint: 'kubelet exits at start: swap is on, which the kubelet refuses by default: turn swap off in the image (`swapoff -a`, and no swap in /etc/fstab or a swap unit), or let the kubelet run with it: kubelet.config failSwapOn: false (and memorySwap.swapBehavior: NoSwap or LimitedSwap)',
  },
  {
    // protectKernelDefaults: the kubelet stops when a kernel setting differs from the value it wants
    id: 'kernel-defaults',
    pattern: /invalid kernel flag: \S+, expected value: \S+, actual value/i,
    hint: 'kubelet exits at start: kubelet.config protectKernelDefaults is true and a kernel setting differs from the value the kubelet wants (the line names both); the image sets them in /etc/sysctl.d/99-eks-node.conf, so a sysctl file applied after it (a hardening or tuning baseline: `sysctl --system` lists the order) or a command changed it: take that setting out, or leave protectKernelDefaults false',
  },
  {
    // the kubelet enforces a reservation only on a cgroup that exists; it creates none
    id: 'reserved-cgroup',
    pattern: /Failed to enforce (Kube|System) Reserved (Compressible )?Cgroup Limits on .*cgroup does not exist/i,
    hint: "kubelet exits at start: kubelet.config kubeReservedCgroup or systemReservedCgroup names a cgroup that does not exist, and enforceNodeAllocatable enforces its reservation there (the kubelet creates none): name one that exists (the image's /runtime for runtime.slice, or /system), create it before the kubelet starts (a slice unit), or leave kube-reserved/system-reserved out of enforceNodeAllocatable",
  },
  {
    id: 'failed-to-run',
    pattern: /failed to run Kubelet/i,
    hint: 'kubelet exits at start; the journal line says why (often an invalid kubelet.config field or flag in the user data, or containerd not running)',
  },
  {
    id: 'unreachable',
    pattern: /dial tcp [^ ]+: (i\/o timeout|connect: connection refused)|no such host/i,
    hint: 'kubelet cannot reach the API server: see the dns and tcp lines',
  },
];

export interface JournalMatch {
  id: string;
  line: string;
  hint: string;
}

/** The known causes found in the lines, most recent line per cause, in pattern order. */
export function matchJournal(lines: string[], patterns: JournalPattern[] = KUBELET_PATTERNS): JournalMatch[] {
  const found: JournalMatch[] = [];
  for (const p of patterns) {
    const line = [...lines].reverse().find((l) => p.pattern.test(l));
    if (line !== undefined) found.push({ id: p.id, line: line.trim(), hint: p.hint });
  }
  return found;
}
