/** Where each file lives on the node: the same paths as the AL2023 EKS AMI, so existing tools work. */
export const PATHS = {
  kubeletConfig: '/etc/kubernetes/kubelet/config.json',
  kubeletConfigDir: '/etc/kubernetes/kubelet/config.json.d',
  kubeletDropIn: '/etc/kubernetes/kubelet/config.json.d/40-eks-node.conf',
  kubeletEnvironment: '/etc/eks/kubelet/environment',
  kubeconfig: '/var/lib/kubelet/kubeconfig',
  /** a local cluster's: the kubelet trades its token for a certificate and writes `kubeconfig` itself */
  bootstrapKubeconfig: '/var/lib/kubelet/bootstrap-kubeconfig',
  caCert: '/etc/kubernetes/pki/ca.crt',
  credentialProviderConfig: '/etc/eks/image-credential-provider/config.json',
  credentialProviderBinDir: '/etc/eks/image-credential-provider',
  containerdConfig: '/etc/containerd/config.toml',
  containerdSocket: '/run/containerd/containerd.sock',
  containerdCertsDir: '/etc/containerd/certs.d',
  baseRuntimeSpec: '/etc/containerd/base-runtime-spec.json',
  systemEnvironment: '/etc/systemd/system.conf.d/environment.conf',
  resolvedDropIn: '/run/systemd/resolved.conf.d/40-eks-node.conf',
} as const;

export const RESOLVED_UNIT = 'systemd-resolved.service';

export const KUBELET_UNIT = 'kubelet.service';
/** The boot's config phase, the unit that runs `init --skip run` */
export const AGENT_CONFIG_UNIT = 'eks-node-agent-config.service';
/** The boot's run phase, the unit that runs `init --skip config` */
export const AGENT_RUN_UNIT = 'eks-node-agent-run.service';
export const CONTAINERD_UNIT = 'containerd.service';

/** `/etc/systemd/system/<unit>.service.d/environment.conf` */
export function unitEnvironmentPath(unitName: string): string {
  return `/etc/systemd/system/${unitName}.d/environment.conf`;
}
