/**
 * What the agent discovers about the machine, kept apart from the user's NodeConfig so facts
 * can be cached, printed and fed to `render --instance FACTS.json` on their own.
 */
export interface InstanceFacts {
  instanceId: string;
  instanceType: string;
  region: string;
  availabilityZone: string;
  mac: string;
  /** IMDS local-ipv4; absent on an instance without IPv4 (an IPv6-only subnet), where only an IPv6 cluster can take it */
  privateIpv4?: string;
  /** first IPv6 address of the primary interface, when it has one */
  ipv6?: string;
  /** the EC2 PrivateDnsName: IMDS local-hostname when EC2 assigned its domain, else from ec2:DescribeInstances */
  privateDnsName: string;
  cpuMillicores: number;
  memoryMiB: number;
  /** e.g. "v1.33.1" */
  kubeletVersion: string;
  /** e.g. "1.7.27" or "2.1.0" */
  containerdVersion: string;
  /**
   * IMDS answered at EC2's IPv6 endpoint (http://[fd00:ec2::254]): the agent was told to ask it,
   * or 169.254.169.254 had no route. The AWS SDKs of the kubelet's credential helpers ask it only
   * when told, so render tells them (render/unit-environment.ts).
   */
  imdsOverIpv6?: boolean;
}

/** ENI limits of the instance type's default network card, used for max pods. */
export interface EniLimits {
  /** ENIs of the default network card */
  enis: number;
  /** IPv4 addresses per ENI */
  ipv4PerEni: number;
}

/** What the machine carries for GPUs; absent in Facts means neither (a CPU node). */
export interface AcceleratorFacts {
  /** a PCI device with NVIDIA's vendor id is attached */
  nvidiaGpu: boolean;
  /** /usr/bin/nvidia-container-runtime is installed (GPU image variants) */
  nvidiaContainerRuntime: boolean;
}

/** Everything render() needs besides the NodeConfig. */
export interface Facts {
  instance: InstanceFacts;
  /** undefined when neither the baked table nor ec2:DescribeInstanceTypes knew the type */
  eniLimits?: EniLimits;
  /** why eniLimits is absent (which sources were tried), for the one fallback warning */
  eniLimitsUnknown?: string;
  /** the pause image the image baked and pinned (/etc/eks/sandbox-image.txt), when there is one */
  sandboxImage?: string;
  accelerators?: AcceleratorFacts;
  /** the image has the SOCI snapshotter (/usr/bin/soci-snapshotter-grpc), which FastImagePull needs */
  sociSnapshotter?: boolean;
  /** the resolv.conf the kubelet hands pods, when /etc/resolv.conf links to systemd-resolved's stub (facts/resolv-conf.ts) */
  podResolvConf?: string;
}
