import { parse } from 'smol-toml';
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { render } from '../../src/render/index.js';
import { KUBELET_VERSIONED_DEFAULTS } from '../../src/render/kubelet-defaults.js';
import { migrateToVersion3 } from '../../src/render/containerd-migrate.js';
import { containerdConfigWarnings } from '../../src/render/containerd-config.js';
import { type TestCert, createTestCa } from '../../../test/support/pki.js';
import { baseConfig, baseFacts } from './fixtures.js';

// Settings a production AL2023 node carries, beside the version and machine that gate them.

let ca: TestCert;
beforeAll(async () => {
  ca = await createTestCa();
});

const gpu = { nvidiaGpu: true, nvidiaContainerRuntime: true };

function files(plan: ReturnType<typeof render>) {
  const get = (path: string) => {
    const f = plan.files.find((x) => x.path === path);
    if (!f) throw new Error(`${path} not in plan`);
    return f.content;
  };
  return {
    kubelet: () => JSON.parse(get('/etc/kubernetes/kubelet/config.json')) as Record<string, unknown>,
    dropIn: () => JSON.parse(get('/etc/kubernetes/kubelet/config.json.d/40-eks-node.conf')) as Record<string, unknown>,
    args: () =>
      get('/etc/eks/kubelet/environment')
        .match(/^KUBELET_ARGS="(.*)"$/m)![1]!
        .split(' '),
    // biome-ignore lint/suspicious/noExplicitAny: the test walks parsed TOML and JSON freely
    containerd: () => parse(get('/etc/containerd/config.toml')) as Record<string, any>,
    // biome-ignore lint/suspicious/noExplicitAny: the test walks parsed TOML and JSON freely
    matchImages: () => (JSON.parse(get('/etc/eks/image-credential-provider/config.json')) as any).providers[0].matchImages as string[],
  };
}

describe('kubelet settings by version', () => {
  it('gives the reserved cgroups and --runtime-cgroups on every version', () => {
    for (const v of ['v1.27.1', 'v1.33.1', 'v1.36.0']) {
      const out = files(render(baseConfig(ca.certBase64), baseFacts({ kubeletVersion: v })));
      expect(out.kubelet()).toMatchObject({ kubeReservedCgroup: '/runtime', systemReservedCgroup: '/system' });
      expect(out.args()).toContain('--runtime-cgroups=/runtime.slice/containerd.service');
    }
  });

  it('leaves out a user flag the kubelet no longer has, by its version, and warns why', () => {
    const flags = ['--network-plugin=cni', '--v=2', '--pod-infra-container-image=example.com/pause:3.9', '--logtostderr'];
    const config = baseConfig(ca.certBase64, { kubelet: { flags } });
    // 1.34 still has --pod-infra-container-image; every kubelet the image runs lacks the other two
    const older = render(config, baseFacts({ kubeletVersion: 'v1.34.2' }));
    expect(files(older).args().slice(-2)).toEqual(['--v=2', '--pod-infra-container-image=example.com/pause:3.9']);
    const newer = render(config, baseFacts({ kubeletVersion: 'v1.35.0' }));
    expect(files(newer).args().at(-1)).toBe('--v=2');
    expect(files(newer).args().join(' ')).not.toMatch(/--network-plugin|--logtostderr|--pod-infra-container-image/);
    for (const plan of [older, newer]) {
      expect(plan.warnings).toContainEqual(
        expect.stringMatching(
          /^spec\.kubelet\.flags\[2\]: "--pod-infra-container-image=example\.com\/pause:3\.9" is a flag kubelets from 1\.35 on no longer have/,
        ),
      );
    }
  });

  it("gives the Static memory manager the reservedMemory this instance needs, beside the user's policy", () => {
    const config = baseConfig(ca.certBase64, { kubelet: { config: { memoryManagerPolicy: 'Static', topologyManagerPolicy: 'single-numa-node' } } });
    const plan = render(config, baseFacts({ kubeletVersion: 'v1.33.1' }));
    const out = files(plan);
    const { maxPods, kubeReserved } = out.kubelet() as { maxPods: number; kubeReserved: { memory: string } };
    expect(kubeReserved.memory).toBe(`${255 + 11 * maxPods}Mi`);
    // kubeReserved memory + the agent's 100Mi hard threshold for memory.available, on NUMA node 0
    expect(out.kubelet().reservedMemory).toEqual([{ numaNode: 0, limits: { memory: `${355 + 11 * maxPods}Mi` } }]);
    expect(out.dropIn()).toMatchObject({ memoryManagerPolicy: 'Static' });
    expect(plan.warnings).toEqual([]);
    // without the policy the agent writes none
    expect(files(render(baseConfig(ca.certBase64), baseFacts({ kubeletVersion: 'v1.33.1' }))).kubelet()).not.toHaveProperty('reservedMemory');
  });

  it('leaves out its shutdown grace periods beside a shutdown by pod priority, which the kubelet refuses beside them', () => {
    const shutdownGracePeriodByPodPriority = [{ priority: 0, shutdownGracePeriodSeconds: 60 }];
    const config = baseConfig(ca.certBase64, { kubelet: { config: { shutdownGracePeriodByPodPriority } } });
    const out = files(render(config, baseFacts({ kubeletVersion: 'v1.34.2' })));
    expect(out.kubelet()).not.toHaveProperty('shutdownGracePeriod');
    expect(out.kubelet()).not.toHaveProperty('shutdownGracePeriodCriticalPods');
    expect(out.dropIn()).toMatchObject({ shutdownGracePeriodByPodPriority });
    // without the list the 1.34 defaults stay
    expect(files(render(baseConfig(ca.certBase64), baseFacts({ kubeletVersion: 'v1.34.2' }))).kubelet()).toMatchObject({ shutdownGracePeriod: '2m30s' });
  });

  it('leaves out serverTLSBootstrap when the user turns off the gate it needs', () => {
    const config = baseConfig(ca.certBase64, { kubelet: { config: { featureGates: { RotateKubeletServerCertificate: false } } } });
    expect(files(render(config, baseFacts({ kubeletVersion: 'v1.33.1' }))).kubelet()).not.toHaveProperty('serverTLSBootstrap');
    expect(files(render(baseConfig(ca.certBase64), baseFacts({ kubeletVersion: 'v1.33.1' }))).kubelet()).toMatchObject({ serverTLSBootstrap: true });
    // a --feature-gates flag wins over the config's gates, so it turns the gate off as well
    const byFlag = baseConfig(ca.certBase64, { kubelet: { flags: ['--feature-gates=RotateKubeletServerCertificate=false'] } });
    expect(files(render(byFlag, baseFacts({ kubeletVersion: 'v1.33.1' }))).kubelet()).not.toHaveProperty('serverTLSBootstrap');
  });

  it('leaves out its reserved cgroups when the user reserves CPUs, which the kubelet refuses beside them', () => {
    for (const kubelet of [{ config: { reservedSystemCPUs: '0-1' } }, { flags: ['--reserved-cpus=0'] }]) {
      for (const v of ['v1.27.1', 'v1.33.1']) {
        const out = files(render(baseConfig(ca.certBase64, { kubelet }), baseFacts({ kubeletVersion: v })));
        expect(out.kubelet(), `${v} ${JSON.stringify(kubelet)}`).not.toHaveProperty('kubeReservedCgroup');
        expect(out.kubelet()).not.toHaveProperty('systemReservedCgroup');
        // the pods' own reservations stay
        expect(out.kubelet()).toHaveProperty('kubeReserved.memory');
      }
    }
  });

  it("leaves out the critical pods' shutdown share when the user's shorter shutdownGracePeriod cannot hold it", () => {
    const at = (config: Record<string, unknown>) =>
      files(render(baseConfig(ca.certBase64, { kubelet: { config } }), baseFacts({ kubeletVersion: 'v1.34.2' }))).kubelet();
    expect(at({ shutdownGracePeriod: '20s' })).not.toHaveProperty('shutdownGracePeriodCriticalPods');
    expect(at({ shutdownGracePeriod: '1m' })).toMatchObject({ shutdownGracePeriod: '2m30s', shutdownGracePeriodCriticalPods: '30s' }); // the drop-in gives 1m
    expect(at({ shutdownGracePeriod: '20s', shutdownGracePeriodCriticalPods: '5s' })).toHaveProperty('shutdownGracePeriodCriticalPods', '30s');
  });

  it('warns when a critical-pods shutdown share set alone exceeds the grace period this kubelet gets', () => {
    const warnings = (v: string, config: Record<string, unknown>) =>
      render(baseConfig(ca.certBase64, { kubelet: { config } }), baseFacts({ kubeletVersion: v })).warnings;
    expect(warnings('v1.34.2', { shutdownGracePeriodCriticalPods: '3m' })).toEqual([
      'spec.kubelet.config.shutdownGracePeriodCriticalPods: "3m" is longer than the shutdownGracePeriod this kubelet gets ("2m30s", the agent\'s for this kubelet), and the kubelet stops at start (expected shutdownGracePeriod set beside it, e.g. "5m")',
    ]);
    expect(warnings('v1.33.1', { shutdownGracePeriodCriticalPods: '10s' })).toEqual([
      expect.stringContaining('this kubelet gets (none, the agent gives it from kubelet 1.34 on)'),
    ]);
    // within the agent's 2m30s, or beside the user's own grace period: nothing to say here
    expect(warnings('v1.34.2', { shutdownGracePeriodCriticalPods: '1m' })).toEqual([]);
    expect(warnings('v1.33.1', { shutdownGracePeriod: '5m', shutdownGracePeriodCriticalPods: '1m' })).toEqual([]);
  });

  it("leaves the agent's grace periods out when the user turns graceful node shutdown off", () => {
    const at = (config: Record<string, unknown>, flags?: string[]) =>
      files(render(baseConfig(ca.certBase64, { kubelet: { config, flags } }), baseFacts({ kubeletVersion: 'v1.34.2' }))).kubelet();
    expect(at({})).toMatchObject({ shutdownGracePeriod: '2m30s', shutdownGracePeriodCriticalPods: '30s' });
    expect(at({}, ['--feature-gates=GracefulNodeShutdown=false'])).not.toHaveProperty('shutdownGracePeriod');
    expect(at({ featureGates: { GracefulNodeShutdown: false } })).not.toHaveProperty('shutdownGracePeriodCriticalPods');
  });

  it('leaves out a gate this kubelet lacks, in the drop-in and in --feature-gates, and warns', () => {
    const config = { featureGates: { DisableKubeletCloudCredentialProviders: true, NodeSwap: true } };
    const flags = ['--feature-gates=KubeletCrashLoopBackOffMax=true', '--feature-gates=RotateKubeletServerCertificate=true,DisableCloudProviders=true'];
    const plan = render(baseConfig(ca.certBase64, { kubelet: { config, flags } }), baseFacts({ kubeletVersion: 'v1.33.1' }));
    const out = files(plan);
    expect(out.dropIn().featureGates).toEqual({ NodeSwap: true });
    expect(out.args()).toContain('--feature-gates=KubeletCrashLoopBackOffMax=true');
    expect(out.args()).toContain('--feature-gates=RotateKubeletServerCertificate=true');
    expect(plan.warnings.filter((w) => w.includes('a boot leaves it out'))).toEqual([
      expect.stringMatching(
        /^spec\.kubelet\.config\.featureGates\.DisableKubeletCloudCredentialProviders: feature gate DisableKubeletCloudCredentialProviders is gone from kubelets 1\.33/,
      ),
      expect.stringMatching(/^spec\.kubelet\.flags\[1\]: feature gate DisableCloudProviders is gone/),
    ]);
    // a 1.32 kubelet still has both
    expect(files(render(baseConfig(ca.certBase64, { kubelet: { config, flags } }), baseFacts({ kubeletVersion: 'v1.32.4' }))).dropIn().featureGates).toEqual(
      config.featureGates,
    );
  });

  it('leaves out of a 1.36 kubelet the gates 1.36 removed, and keeps the gates 1.36 added', () => {
    const config = { featureGates: { MemoryManager: true, PLEGOnDemandRelist: true } };
    const flags = ['--feature-gates=TopologyAwareHints=true,NativeHistograms=true'];
    const plan = render(baseConfig(ca.certBase64, { kubelet: { config, flags } }), baseFacts({ kubeletVersion: 'v1.36.2' }));
    const out = files(plan);
    expect(out.dropIn().featureGates).toEqual({ PLEGOnDemandRelist: true });
    expect(out.args()).toContain('--feature-gates=NativeHistograms=true');
    expect(plan.warnings.filter((w) => w.includes('a boot leaves it out'))).toEqual([
      expect.stringMatching(/^spec\.kubelet\.config\.featureGates\.MemoryManager: feature gate MemoryManager is gone from kubelets 1\.36/),
      expect.stringMatching(/^spec\.kubelet\.flags\[0\]: feature gate TopologyAwareHints is gone from kubelets 1\.36/),
    ]);
  });

  it('warns for a field whose gate this kubelet version has off by default, and not once the gate is on or set', () => {
    const warnings = (v: string, config: Record<string, unknown>, flags?: string[]) =>
      render(baseConfig(ca.certBase64, { kubelet: { config, flags } }), baseFacts({ kubeletVersion: v })).warnings;
    const swap = { memorySwap: { swapBehavior: 'LimitedSwap' } };
    expect(warnings('v1.29.3', swap)).toEqual([
      'spec.kubelet.config.memorySwap.swapBehavior: needs the NodeSwap feature gate, which kubelet 1.29 has off by default (on from 1.30), so this kubelet stops at start (expected featureGates: {NodeSwap: true} beside it)',
    ]);
    expect(warnings('v1.30.0', swap)).toEqual([]);
    expect(warnings('v1.29.3', swap, ['--feature-gates=NodeSwap=true'])).toEqual([]);
    const backOff = { crashLoopBackOff: { maxContainerRestartPeriod: '1m' } };
    expect(warnings('v1.34.2', backOff)).toEqual([
      expect.stringContaining('needs the KubeletCrashLoopBackOffMax feature gate, which kubelet 1.34 has off by default (on from 1.35)'),
    ]);
    expect(warnings('v1.35.0', backOff)).toEqual([]);
    // the log query and a custom CFS period render for the image's 1.36 kubelet, whose gates are on, and warn before it
    const logQuery = { enableSystemLogQuery: true, cpuCFSQuotaPeriod: '50ms' };
    expect(warnings('v1.36.2', logQuery)).toEqual([]);
    expect(warnings('v1.35.0', logQuery)).toEqual([
      expect.stringContaining('enableSystemLogQuery: needs the NodeLogQuery feature gate, which kubelet 1.35 has off by default (on from 1.36)'),
      expect.stringContaining('cpuCFSQuotaPeriod: needs the CustomCPUCFSQuotaPeriod feature gate, which kubelet 1.35 has off by default (on from 1.36)'),
    ]);
  });

  it('turns each table entry on at its version and not one minor before', () => {
    for (const entry of KUBELET_VERSIONED_DEFAULTS) {
      if (entry.since.minor === 0) continue;
      const before = files(render(baseConfig(ca.certBase64), { ...baseFacts({ kubeletVersion: `v1.${entry.since.minor - 1}.9` }), accelerators: gpu }));
      const from = files(render(baseConfig(ca.certBase64), { ...baseFacts({ kubeletVersion: `v1.${entry.since.minor}.0` }), accelerators: gpu }));
      for (const gate of Object.keys(entry.featureGates ?? {})) {
        expect((before.kubelet().featureGates as Record<string, boolean>)[gate], gate).toBeUndefined();
        expect((from.kubelet().featureGates as Record<string, boolean>)[gate], gate).toBe(true);
      }
      for (const key of Object.keys(entry.config ?? {})) {
        expect(before.kubelet()[key], key).toBeUndefined();
        expect(from.kubelet()[key], key).toBe(entry.config![key]);
      }
      if (entry.labels) {
        expect(before.args().some((a) => a.startsWith('--node-labels='))).toBe(false);
        expect(from.args()).toContain('--node-labels=nvidia.com/gpu.present=true');
      }
    }
  });

  it('labels a GPU node only when an NVIDIA device is present', () => {
    const cpu = files(
      render(baseConfig(ca.certBase64), { ...baseFacts({ kubeletVersion: 'v1.35.0' }), accelerators: { nvidiaGpu: false, nvidiaContainerRuntime: true } }),
    );
    expect(cpu.args().join(' ')).not.toContain('gpu.present');
  });

  it("lets the user's kubelet.config turn a version default off (the drop-in wins)", () => {
    const config = baseConfig(ca.certBase64, { kubelet: { config: { featureGates: { DynamicResourceAllocation: false }, shutdownGracePeriod: '0s' } } });
    const out = files(render(config, baseFacts({ kubeletVersion: 'v1.34.1' })));
    expect(out.kubelet().featureGates).toMatchObject({ DynamicResourceAllocation: true });
    expect(out.dropIn()).toMatchObject({ featureGates: { DynamicResourceAllocation: false }, shutdownGracePeriod: '0s' });
    // A kubelet without drop-ins gets the merge done by the agent, with the same winner.
    const old = files(render(config, baseFacts({ kubeletVersion: 'v1.27.1' })));
    expect(old.kubelet().featureGates).toEqual({ DynamicResourceAllocation: false, RotateKubeletServerCertificate: true });
  });

  it("points the kubelet at systemd-resolved's real servers when /etc/resolv.conf is its stub, the user's resolvConf winning", () => {
    const stub = { ...baseFacts({ kubeletVersion: 'v1.34.1' }), podResolvConf: '/run/systemd/resolve/resolv.conf' };
    expect(files(render(baseConfig(ca.certBase64), stub)).kubelet().resolvConf).toBe('/run/systemd/resolve/resolv.conf');
    expect(files(render(baseConfig(ca.certBase64), baseFacts({ kubeletVersion: 'v1.34.1' }))).kubelet().resolvConf).toBeUndefined();
    const own = files(render(baseConfig(ca.certBase64, { kubelet: { config: { resolvConf: '/etc/pods-resolv.conf' } } }), stub));
    expect(own.dropIn()).toMatchObject({ resolvConf: '/etc/pods-resolv.conf' });
    const old = files(
      render(baseConfig(ca.certBase64, { kubelet: { config: { resolvConf: '/etc/pods-resolv.conf' } } }), {
        ...stub,
        instance: { ...stub.instance, kubeletVersion: 'v1.27.1' },
      }),
    );
    expect(old.kubelet().resolvConf).toBe('/etc/pods-resolv.conf');
  });

  it("folds the agent's node label into the user's --node-labels, the user's keys winning", () => {
    const facts = { ...baseFacts({ kubeletVersion: 'v1.35.0' }), accelerators: gpu };
    const flags = ['--node-labels=team=a', '--max-pods=20', '--node-labels=team=b,tier=gpu'];
    const out = files(render(baseConfig(ca.certBase64, { kubelet: { flags } }), facts));
    expect(out.args().filter((a) => a.startsWith('--node-labels='))).toEqual([
      '--node-labels=team=a',
      '--node-labels=team=b,tier=gpu,nvidia.com/gpu.present=true',
    ]);
    const own = files(render(baseConfig(ca.certBase64, { kubelet: { flags: ['--node-labels=nvidia.com/gpu.present=false'] } }), facts));
    expect(own.args().filter((a) => a.startsWith('--node-labels='))).toEqual(['--node-labels=nvidia.com/gpu.present=false']);
  });
});

describe('ECR credential provider', () => {
  it('matches every ECR endpoint family, and ECR Public dual-stack from 1.32', () => {
    const v131 = files(render(baseConfig(ca.certBase64), baseFacts({ kubeletVersion: 'v1.31.4' }))).matchImages();
    const v132 = files(render(baseConfig(ca.certBase64), baseFacts({ kubeletVersion: 'v1.32.0' }))).matchImages();
    for (const host of [
      '*.dkr-ecr.*.on.aws',
      '*.dkr-ecr.*.on.amazonwebservices.com.cn',
      '*.dkr.ecr.*.c2s.ic.gov',
      '*.dkr.ecr.*.sc2s.sgov.gov',
      '*.dkr.ecr.*.csp.hci.ic.gov',
      '*.dkr.ecr.*.amazonaws.eu',
      'public.ecr.aws',
    ]) {
      expect(v131).toContain(host);
    }
    expect(v131).not.toContain('ecr-public.aws.com');
    expect(v132).toEqual([...v131, 'ecr-public.aws.com']);
  });
});

describe('containerd', () => {
  it('enables CDI only for kubelets from 1.32, also on containerd 2 where it is on by default', () => {
    const old = files(render(baseConfig(ca.certBase64), baseFacts({ kubeletVersion: 'v1.31.4', containerdVersion: '2.1.5' }))).containerd();
    expect(old.plugins['io.containerd.cri.v1.runtime'].enable_cdi).toBe(false);
    const now = files(render(baseConfig(ca.certBase64), baseFacts({ kubeletVersion: 'v1.32.0', containerdVersion: '1.7.27' }))).containerd();
    expect(now.plugins['io.containerd.grpc.v1.cri'].enable_cdi).toBe(true);
    expect(now.plugins['io.containerd.grpc.v1.cri'].registry.config_path).toBe('/etc/containerd/certs.d:/etc/docker/certs.d');
  });

  it('makes the nvidia runtime the default only when the image has it', () => {
    const cpu = files(render(baseConfig(ca.certBase64), { ...baseFacts(), accelerators: { nvidiaGpu: true, nvidiaContainerRuntime: false } })).containerd();
    expect(cpu.plugins['io.containerd.grpc.v1.cri'].containerd.default_runtime_name).toBe('runc');
    const g = files(render(baseConfig(ca.certBase64), { ...baseFacts(), accelerators: gpu })).containerd();
    const cri = g.plugins['io.containerd.grpc.v1.cri'].containerd;
    expect(cri.default_runtime_name).toBe('nvidia');
    expect(cri.runtimes.nvidia.options).toEqual({ BinaryName: '/usr/bin/nvidia-container-runtime', SystemdCgroup: true });
    expect(cri.runtimes.runc).toBeDefined();
  });

  it('migrates a version 2 user TOML onto containerd 2 the way `containerd config migrate` does', () => {
    const toml = [
      'version = 2',
      '[plugins."io.containerd.grpc.v1.cri"]',
      'sandbox_image = "registry.local/pause:3.10"',
      'max_concurrent_downloads = 10',
      'stream_server_port = "10011"',
      'device_ownership_from_security_context = true',
      '[plugins."io.containerd.grpc.v1.cri".cni]',
      'bin_dir = "/usr/libexec/cni"',
      '[plugins."io.containerd.grpc.v1.cri".containerd]',
      'snapshotter = "overlayfs"',
      '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]',
      'runtime_type = "io.containerd.kata.v2"',
      'sandbox_mode = "shim"',
      '',
    ].join('\n');
    const plan = render(baseConfig(ca.certBase64, { containerd: { config: toml } }), baseFacts({ containerdVersion: '2.1.5' }));
    const out = files(plan).containerd();
    expect(out.version).toBe(3);
    const images = out.plugins['io.containerd.cri.v1.images'];
    const runtime = out.plugins['io.containerd.cri.v1.runtime'];
    expect(images).toMatchObject({ pinned_images: { sandbox: 'registry.local/pause:3.10' }, max_concurrent_downloads: 10, snapshotter: 'overlayfs' });
    expect(images.registry.config_path).toBe('/etc/containerd/certs.d:/etc/docker/certs.d');
    expect(runtime.device_ownership_from_security_context).toBe(true);
    expect(runtime.cni).toMatchObject({ bin_dirs: ['/usr/libexec/cni'], conf_dir: '/etc/cni/net.d' });
    expect(runtime.containerd.runtimes.kata).toEqual({ runtime_type: 'io.containerd.kata.v2', sandboxer: 'shim' });
    expect(runtime.containerd.runtimes.runc).toBeDefined();
    expect(out.plugins['io.containerd.grpc.v1.cri']).toEqual({ stream_server_port: '10011' });
    expect(plan.warnings).toHaveLength(1);
    expect(plan.warnings[0]).toContain('plugins."io.containerd.grpc.v1.cri".sandbox_image -> plugins."io.containerd.cri.v1.images".pinned_images.sandbox');
  });

  it('rejects keys containerd 2 removed, naming each and its replacement', () => {
    const toml =
      '[plugins."io.containerd.grpc.v1.cri"]\nsystemd_cgroup = true\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\nruntime_engine = "/usr/bin/runc"\n';
    let error: unknown;
    try {
      render(baseConfig(ca.certBase64, { containerd: { config: toml } }), baseFacts({ containerdVersion: '2.0.0' }));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problems).toEqual([
      'spec.containerd.config: plugins."io.containerd.grpc.v1.cri".systemd_cgroup was removed in containerd 2.0 and cannot be migrated (write runtimes.<name>.options.SystemdCgroup under plugins."io.containerd.cri.v1.runtime".containerd (the agent already sets it for runc))',
      'spec.containerd.config: plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.runtime_engine was removed in containerd 2.0 and cannot be migrated (write runtime_type = "io.containerd.runc.v2" with options.BinaryName)',
    ]);
    // the same TOML is fine for containerd 1.7, which still reads it
    expect(() => render(baseConfig(ca.certBase64, { containerd: { config: toml } }), baseFacts())).not.toThrow();
  });

  it('leaves a version 3 user tree alone', () => {
    const tree = { plugins: { 'io.containerd.cri.v1.images': { max_concurrent_downloads: 3n } } };
    expect(migrateToVersion3(tree)).toEqual({ tree, moved: [] });
  });

  it('gives config check the legacy-mirrors warning render gives, whatever the layout', () => {
    const v2 = '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\nendpoint = ["https://mirror.local"]\n';
    const plan = render(baseConfig(ca.certBase64, { containerd: { config: v2 } }), baseFacts());
    expect(containerdConfigWarnings(v2)).toEqual(plan.warnings);
    const v3 = '[plugins."io.containerd.cri.v1.images".registry.configs."r.local".tls]\ninsecure_skip_verify = true\n';
    expect(containerdConfigWarnings(v3)[0]).toContain('sets registry configs');
    expect(containerdConfigWarnings('[plugins."io.containerd.cri.v1.images".registry]\nconfig_path = "/x"\n')).toEqual([]);
  });
});
