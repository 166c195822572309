import { describe, expect, it } from 'vitest';
import {
  canonicalImage,
  cniConfigs,
  containerdPulls,
  ecrRegion,
  journalTime,
  networkNotReady,
  pullFailures,
  pullHint,
  registryOf,
} from '../../src/doctor/pod-network.js';

/*
 * Lines as journalctl prints a kubelet's (klog's structured form), for the three answers a node
 * in a private subnet most often gets when it pulls the VPC CNI's images.
 */
const IMAGE = '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni-init:v1.19.2-eksbuild.1';
const PREFIX = 'Dec 05 10:11:12 ip-10-0-1-23 kubelet[2345]: E1205 10:11:12.123456    2345';
/** when the lines were logged, as journalTime reads PREFIX's timestamp (this year's, UTC) */
const AT = Date.UTC(new Date().getUTCFullYear(), 11, 5, 10, 11, 12);
const timeout = `${PREFIX} log.go:32] "PullImage from image service failed" err="rpc error: code = Canceled desc = failed to pull and unpack image \\"${IMAGE}\\": failed to resolve reference \\"${IMAGE}\\": failed to do request: Head \\"https://602401143452.dkr.ecr.us-west-2.amazonaws.com/v2/amazon-k8s-cni-init/manifests/v1.19.2-eksbuild.1\\": dial tcp 52.94.177.1:443: i/o timeout" image="${IMAGE}"`;
const syncing = `${PREFIX} pod_workers.go:1301] "Error syncing pod, skipping" err="failed to \\"StartContainer\\" for \\"aws-vpc-cni-init\\" with ErrImagePull: \\"failed to pull and unpack image \\\\\\"${IMAGE}\\\\\\": dial tcp 52.94.177.1:443: i/o timeout\\"" pod="kube-system/aws-node-x2x9q"`;
const unauthorized = `${PREFIX} log.go:32] "PullImage from image service failed" err="rpc error: code = Unknown desc = failed to pull and unpack image \\"${IMAGE}\\": failed to resolve reference \\"${IMAGE}\\": pulling from host 602401143452.dkr.ecr.us-west-2.amazonaws.com failed with status code [manifests v1.19.2-eksbuild.1]: 401 Unauthorized" image="${IMAGE}"`;
const missing = `${PREFIX} kuberuntime_image.go:55] "Failed to pull image" err="failed to pull and unpack image \\"602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v9.9.9\\": failed to resolve reference \\"602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v9.9.9\\": 602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v9.9.9: not found" image="602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v9.9.9"`;
const proxyDown = `${PREFIX} log.go:32] "PullImage from image service failed" err="rpc error: code = Unknown desc = failed to pull and unpack image \\"${IMAGE}\\": failed to resolve reference \\"${IMAGE}\\": failed to do request: Head \\"https://602401143452.dkr.ecr.us-west-2.amazonaws.com/v2/amazon-k8s-cni-init/manifests/v1.19.2-eksbuild.1\\": proxyconnect tcp: dial tcp 10.0.0.5:3128: connect: connection refused" image="${IMAGE}"`;
const inspected = `${PREFIX} log.go:32] "PullImage from image service failed" err="rpc error: code = Unknown desc = failed to pull and unpack image \\"${IMAGE}\\": failed to resolve reference \\"${IMAGE}\\": failed to do request: Head \\"https://602401143452.dkr.ecr.us-west-2.amazonaws.com/v2/amazon-k8s-cni-init/manifests/v1.19.2-eksbuild.1\\": tls: failed to verify certificate: x509: certificate signed by unknown authority" image="${IMAGE}"`;
const layers = `${PREFIX} log.go:32] "PullImage from image service failed" err="rpc error: code = Unknown desc = failed to pull and unpack image \\"${IMAGE}\\": failed to copy: httpReadSeeker: failed open: failed to do request: Get \\"https://prod-us-west-2-starport-layer-bucket.s3.us-west-2.amazonaws.com/4c7a-602401143452-1e8f/0a1b2c3d?X-Amz-Algorithm=AWS4-HMAC-SHA256\\": dial tcp 52.218.152.1:443: i/o timeout" image="${IMAGE}"`;
const lookup = `${PREFIX} log.go:32] "PullImage from image service failed" err="rpc error: code = Unknown desc = failed to pull and unpack image \\"quay.io/cilium/cilium:v1.16.0\\": failed to resolve reference \\"quay.io/cilium/cilium:v1.16.0\\": failed to do request: Head \\"https://quay.io/v2/cilium/cilium/manifests/v1.16.0\\": dial tcp: lookup quay.io on 10.0.0.2:53: no such host" image="quay.io/cilium/cilium:v1.16.0"`;

describe('networkNotReady', () => {
  it("tells the runtime network's NotReady from the others", () => {
    expect(
      networkNotReady(
        'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
      ),
    ).toBe(true);
    expect(networkNotReady('PLEG is not healthy: pleg was last seen active 3m0s ago')).toBe(false);
    expect(networkNotReady(undefined)).toBe(false);
  });
});

describe('cniConfigs', () => {
  it('keeps the files libcni loads', () => {
    expect(cniConfigs(['10-aws.conflist', 'aws-cni-support.sh', '05-cilium.conf', '.keep'])).toEqual(['05-cilium.conf', '10-aws.conflist']);
  });
});

describe('pullFailures', () => {
  it('names the image and the answer that decides, once per image, newest first', () => {
    expect(pullFailures(['unrelated line', unauthorized, syncing, timeout])).toEqual([
      { image: IMAGE, reason: 'dial tcp 52.94.177.1:443: i/o timeout', cause: 'network', host: '602401143452.dkr.ecr.us-west-2.amazonaws.com', at: AT },
    ]);
    expect(pullFailures([timeout, unauthorized])).toEqual([
      {
        image: IMAGE,
        reason: 'pulling from host 602401143452.dkr.ecr.us-west-2.amazonaws.com failed with status code [manifests v1.19.2-eksbuild.1]: 401 Unauthorized',
        cause: 'credentials',
        at: AT,
      },
    ]);
    expect(pullFailures([missing, lookup]).map((f) => [f.image, f.cause, f.reason])).toEqual([
      ['quay.io/cilium/cilium:v1.16.0', 'network', 'lookup quay.io on 10.0.0.2:53: no such host'],
      [
        '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v9.9.9',
        'not found',
        '602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v9.9.9: not found',
      ],
    ]);
  });

  it("tells a proxy that does not answer (Go's proxyconnect) and a certificate the node does not trust from the network", () => {
    expect(pullFailures([proxyDown])).toEqual([
      {
        image: IMAGE,
        reason: 'proxyconnect tcp: dial tcp 10.0.0.5:3128: connect: connection refused',
        cause: 'proxy',
        host: '602401143452.dkr.ecr.us-west-2.amazonaws.com',
        at: AT,
      },
    ]);
    expect(pullFailures([inspected])).toEqual([
      { image: IMAGE, reason: 'x509: certificate signed by unknown authority', cause: 'tls', host: '602401143452.dkr.ecr.us-west-2.amazonaws.com', at: AT },
    ]);
    expect(pullHint(pullFailures([proxyDown])[0]!)).toMatch(
      /^containerd cannot reach the proxy its environment names for 602401143452\.dkr\.ecr\.us-west-2\.amazonaws\.com/,
    );
    expect(pullHint(pullFailures([inspected])[0]!)).toContain('update-ca-trust');
    // through a SOCKS5 proxy Go names the step "socks connect"
    const socksRefused = proxyDown.replace(
      'proxyconnect tcp: dial tcp 10.0.0.5:3128: connect: connection refused',
      'socks connect tcp 10.0.0.5:1080->602401143452.dkr.ecr.us-west-2.amazonaws.com:443: unknown error connection not allowed by ruleset',
    );
    expect(pullFailures([socksRefused])).toEqual([
      {
        image: IMAGE,
        reason: 'socks connect tcp 10.0.0.5:1080->602401143452.dkr.ecr.us-west-2.amazonaws.com:443: unknown error connection not allowed by ruleset',
        cause: 'proxy',
        host: '602401143452.dkr.ecr.us-west-2.amazonaws.com',
        at: AT,
      },
    ]);
  });

  it('names the host of the request that failed: the registry, or the S3 bucket ECR keeps the layers in', () => {
    expect(pullFailures([timeout])[0]!.host).toBe('602401143452.dkr.ecr.us-west-2.amazonaws.com');
    const [layer] = pullFailures([layers]);
    expect(layer).toEqual({
      image: IMAGE,
      reason: 'dial tcp 52.218.152.1:443: i/o timeout',
      cause: 'network',
      host: 'prod-us-west-2-starport-layer-bucket.s3.us-west-2.amazonaws.com',
      at: AT,
    });
    expect(pullHint(layer!)).toMatch(
      /^the node reaches the registry but not prod-us-west-2-starport-layer-bucket\.s3\.us-west-2\.amazonaws\.com, .*com\.amazonaws\.us-west-2\.s3 /,
    );
    // a refusal is the registry's answer: no request host to dial
    expect(pullFailures([unauthorized])[0]!.host).toBeUndefined();
  });

  it('reads the image from a pod worker line, escaped twice', () => {
    expect(pullFailures([syncing])).toEqual([{ image: IMAGE, reason: 'dial tcp 52.94.177.1:443: i/o timeout', cause: 'network', at: AT }]);
  });

  it('finds nothing in a healthy journal', () => {
    expect(pullFailures([`${PREFIX} kubelet_node_status.go:75] "Successfully registered node" node="ip-10-0-1-23"`])).toEqual([]);
  });
});

describe("containerd's pulls", () => {
  /** A containerd journal line, as journalctl --output short-iso prints it (logrus's text form), for a pull that succeeded. */
  const pulled = (when: string, image: string) =>
    `${when} ip-10-0-1-23 containerd[812]: time="${when.replace('+0000', 'Z')}" level=info msg="PullImage \\"${image}\\" returns image reference \\"sha256:0a1b2c3d\\""`;

  it('reads when each image was last pulled, by its canonical name; failed and other lines are not pulls', () => {
    const lines = [
      pulled('2026-12-05T10:12:40+0000', IMAGE),
      `2026-12-05T10:12:41+0000 ip-10-0-1-23 containerd[812]: time="2026-12-05T10:12:41Z" level=error msg="PullImage \\"quay.io/cilium/cilium:v1.16.0\\" failed" error="rpc error"`,
      pulled('2026-12-05T10:13:00+0000', 'nginx'),
      pulled('2026-12-05T10:12:50+0000', 'docker.io/library/nginx:latest'),
    ];
    expect([...containerdPulls(lines)]).toEqual([
      [IMAGE, Date.UTC(2026, 11, 5, 10, 12, 40)],
      ['docker.io/library/nginx:latest', Date.UTC(2026, 11, 5, 10, 13, 0)],
    ]);
  });

  it("reads journalctl's timestamps, short-iso's with their zone and short's as this year's", () => {
    expect(journalTime('2026-12-05T10:12:40+0100 host x: y')).toBe(Date.UTC(2026, 11, 5, 9, 12, 40));
    expect(journalTime('2026-12-05T10:12:40+00:00 host x: y')).toBe(Date.UTC(2026, 11, 5, 10, 12, 40));
    expect(journalTime('Dec 05 10:11:12 host kubelet[1]: x', Date.UTC(2025, 11, 7))).toBe(Date.UTC(2025, 11, 5, 10, 11, 12));
    // no year in the line: a December line read in January is last year's, and a January line this year's
    expect(journalTime('Dec 31 23:50:00 host kubelet[1]: x', Date.UTC(2027, 0, 1, 0, 10))).toBe(Date.UTC(2026, 11, 31, 23, 50));
    expect(journalTime('Jan 01 00:05:00 host containerd[1]: x', Date.UTC(2027, 0, 1, 0, 10))).toBe(Date.UTC(2027, 0, 1, 0, 5));
    // a zone ahead of UTC may put this morning's line hours past now in UTC: still this year
    expect(journalTime('Jan 01 09:00:00 host kubelet[1]: x', Date.UTC(2027, 0, 1, 0, 10))).toBe(Date.UTC(2027, 0, 1, 9));
    expect(journalTime('-- No entries --')).toBeUndefined();
  });

  it('names images as containerd does: Docker Hub and library/ written out, :latest when no tag or digest', () => {
    expect(canonicalImage('nginx')).toBe('docker.io/library/nginx:latest');
    expect(canonicalImage('bitnami/redis:7')).toBe('docker.io/bitnami/redis:7');
    expect(canonicalImage('index.docker.io/library/nginx:1.27')).toBe('docker.io/library/nginx:1.27');
    expect(canonicalImage('localhost:5000/app')).toBe('localhost:5000/app:latest');
    expect(canonicalImage(`${IMAGE}`)).toBe(IMAGE);
    expect(canonicalImage('quay.io/cilium/cilium@sha256:abc')).toBe('quay.io/cilium/cilium@sha256:abc');
  });
});

describe('pullHint', () => {
  it('names the VPC endpoints of the registry region for a network failure, the role policy for a refusal', () => {
    const [network] = pullFailures([timeout]);
    expect(pullHint(network!)).toContain('com.amazonaws.us-west-2.ecr.api and com.amazonaws.us-west-2.ecr.dkr with the S3 gateway endpoint');
    const [refused] = pullFailures([unauthorized]);
    expect(pullHint(refused!)).toContain('AmazonEC2ContainerRegistryPullOnly');
    const [quay] = pullFailures([lookup]);
    expect(pullHint(quay!)).toMatch(/^the node cannot reach quay\.io: /);
    const [gone] = pullFailures([missing]);
    expect(pullHint(gone!)).toMatch(/amazon-k8s-cni:v9\.9\.9 does not exist there/);
  });
});

describe('ecrRegion', () => {
  it("reads the region of every private ECR family the credential provider serves, and nothing else's", () => {
    expect(ecrRegion('111122223333.dkr.ecr.eu-west-1.amazonaws.com')).toBe('eu-west-1');
    expect(ecrRegion('111122223333.dkr.ecr-fips.us-gov-west-1.amazonaws.com:443')).toBe('us-gov-west-1');
    expect(ecrRegion('111122223333.dkr-ecr.eu-west-1.on.aws')).toBe('eu-west-1');
    expect(ecrRegion('111122223333.dkr-ecr-fips.us-east-1.on.aws')).toBe('us-east-1');
    expect(ecrRegion('111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn')).toBe('cn-north-1');
    expect(ecrRegion('111122223333.dkr.ecr.us-iso-east-1.c2s.ic.gov')).toBe('us-iso-east-1');
    expect(ecrRegion('public.ecr.aws')).toBeUndefined();
    expect(ecrRegion('mirror.dkr.ecr.us-east-1.corp.example')).toBeUndefined();
    expect(ecrRegion('prod-us-west-2-starport-layer-bucket.s3.us-west-2.amazonaws.com')).toBeUndefined();
  });
});

describe('registryOf', () => {
  it('is the host containerd dials: the first part when it names a host, else Docker Hub', () => {
    expect(registryOf(IMAGE)).toBe('602401143452.dkr.ecr.us-west-2.amazonaws.com');
    expect(registryOf('registry.corp.example:5000/team/app:1.0')).toBe('registry.corp.example:5000');
    expect(registryOf('localhost/kubernetes/pause')).toBe('localhost');
    expect(registryOf('nginx:1.27')).toBe('registry-1.docker.io');
    expect(registryOf('bitnami/redis:7')).toBe('registry-1.docker.io');
    expect(registryOf('docker.io/library/busybox')).toBe('registry-1.docker.io');
  });
});
