import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { roleArnOf } from '../../src/doctor/checks/identity.js';
import { execOf, tokenOf } from '../../src/doctor/kubeconfig.js';
import { matchJournal } from '../../src/doctor/journal-patterns.js';
import { formatJson, formatText } from '../../src/doctor/report.js';

describe('roleArnOf', () => {
  it('turns an assumed-role session ARN into the IAM role ARN, in any partition', () => {
    expect(roleArnOf('arn:aws:sts::111122223333:assumed-role/eks-node-role/i-0abc')).toBe('arn:aws:iam::111122223333:role/eks-node-role');
    expect(roleArnOf('arn:aws-cn:sts::111122223333:assumed-role/r/s')).toBe('arn:aws-cn:iam::111122223333:role/r');
    expect(roleArnOf('arn:aws:iam::111122223333:user/alice')).toBeUndefined();
  });
});

describe('kubeconfig', () => {
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'kubelet',
    contexts: [
      { name: 'other', context: { user: 'nobody' } },
      { name: 'kubelet', context: { user: 'kubelet' } },
    ],
    users: [
      { name: 'nobody', user: {} },
      {
        name: 'kubelet',
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            command: 'aws-iam-authenticator',
            args: ['token', '-i', 'c'],
            env: [{ name: 'A', value: 'b' }],
          },
        },
      },
    ],
  };

  it('finds the exec plugin of the current context', () => {
    expect(execOf(stringify(kubeconfig))).toEqual({
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      command: 'aws-iam-authenticator',
      args: ['token', '-i', 'c'],
      env: [{ name: 'A', value: 'b' }],
    });
  });

  it('says why there is no plugin', () => {
    expect(execOf(stringify({ ...kubeconfig, 'current-context': 'other' }))).toBe('user "nobody" has no exec credential plugin');
    expect(execOf('{')).toMatch(/^is not YAML/);
  });

  it('says why there is no plugin in a damaged kubeconfig: an empty entry, a list where a string belongs', () => {
    expect(execOf('contexts: [null]\nusers: [null]\n')).toBe('has no user for context ""');
    expect(execOf(stringify({ ...kubeconfig, contexts: [null, ...kubeconfig.contexts], users: [null, ...kubeconfig.users] }))).toMatchObject({
      command: 'aws-iam-authenticator',
    });
    const exec = kubeconfig.users[1]!.user.exec!;
    for (const damaged of [
      { ...exec, args: ['token', { toString: 1 }] },
      { ...exec, env: [{ name: 'A', value: [] }] },
    ]) {
      const users = [{ name: 'kubelet', user: { exec: damaged } }];
      expect(execOf(stringify({ ...kubeconfig, users }))).toBe('user "kubelet" has an exec argument or environment value that is not a string');
    }
  });

  it('names a damaged user or context in one short line, whatever its shape', () => {
    const long = 'x'.repeat(500);
    const line = execOf(
      stringify({
        ...kubeconfig,
        'current-context': long,
        users: [
          { name: long, user: {} },
          { name: 'b', user: {} },
        ],
      }),
    );
    expect(line).toBe(`has no user for context "${'x'.repeat(76)}...`);
    expect(execOf(stringify({ ...kubeconfig, users: [{ name: { nested: [long] }, user: {} }] }))).toMatch(
      /^user \{"nested":\["x+\.\.\. has no exec credential plugin$/,
    );
  });

  it('reads a kubeconfig with an unknown tag or a key that is a list without a runtime warning on stderr', async () => {
    const warnings: Error[] = [];
    const listen = (w: Error) => warnings.push(w);
    process.on('warning', listen);
    try {
      expect(execOf(`${stringify(kubeconfig)}preferences: !custom {? [a]: b}\n`)).toMatchObject({ command: 'aws-iam-authenticator' });
      // the runtime emits a warning on the next tick
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listen);
    }
    expect(warnings.map((w) => w.message)).toEqual([]);
  });

  it('reads the token of an ExecCredential and refuses one without', () => {
    expect(tokenOf('{"kind":"ExecCredential","status":{"token":"k8s-aws-v1.x"}}')).toBe('k8s-aws-v1.x');
    expect(() => tokenOf('{"status":{}}')).toThrow('no status.token');
    expect(() => tokenOf('oops')).toThrow('not print an ExecCredential');
  });
});

describe('matchJournal', () => {
  it('names each known cause once, with its latest line, most specific first', () => {
    const found = matchJournal([
      'E1 "Unable to register node" err="Unauthorized"',
      'E2 failed to run Kubelet: validate service connection: cri v1 runtime API is not implemented',
      'E3 tls: failed to verify certificate: x509: certificate signed by unknown authority',
      'E4 "Error getting node" err="node \\"ip-10-0-1-23\\" not found"',
      'E5 err="Unauthorized" again',
    ]);
    expect(found.map((f) => f.id)).toEqual(['x509', 'unauthorized', 'container-runtime', 'failed-to-run']);
    expect(found[1]!.line).toBe('E5 err="Unauthorized" again');
    expect(matchJournal(['E node "ip-1" not found']).map((f) => f.id)).toEqual(['node-not-found']);
    // the kubelet's own wording (k8s.io/component-base featuregate) for a gate it cannot set
    for (const err of [
      'unrecognized feature gate: DisableKubeletCloudCredentialProviders',
      'cannot set feature gate KubeletPodResources to false, feature is locked to true',
    ]) {
      expect(
        matchJournal([`E "command failed" err="failed to set feature gates from initial flags-based config: ${err}"`]).map((f) => f.id),
        err,
      ).toEqual(['feature-gate']);
    }
    // what stops a kubelet before it runs a pod, in its wording (cmd/kubelet/app, pkg/credentialprovider/plugin, pkg/kubelet/cm)
    const runtimeDown =
      'E1205 run.go:74] "command failed" err="failed to run Kubelet: validate service connection: validate CRI v1 runtime API for endpoint \\"unix:///run/containerd/containerd.sock\\": rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: no such file or directory\\""';
    expect(matchJournal([runtimeDown]).map((f) => f.id)).toEqual(['container-runtime', 'failed-to-run']);
    expect(matchJournal([runtimeDown])[0]!.hint).toContain('see the containerd line');
    const noProvider =
      'E1205 kuberuntime_manager.go:301] "Failed to register CRI auth plugins" err="plugin binary executable /etc/eks/image-credential-provider/ecr-credential-provider did not exist"';
    expect(matchJournal([noProvider])).toEqual([
      {
        id: 'credential-provider',
        line: noProvider,
        hint: expect.stringContaining('the image must hold /etc/eks/image-credential-provider/ecr-credential-provider'),
      },
    ]);
    const swap =
      'E1205 run.go:74] "command failed" err="failed to run Kubelet: running with swap on is not supported, please disable swap! or set --fail-swap-on flag to false. /proc/swaps contained: [Filename Type Size Used Priority /swapfile file 2097148 0 -2]"';
    expect(matchJournal([swap]).map((f) => f.id)).toEqual(['swap', 'failed-to-run']);
    expect(matchJournal([swap])[0]!.hint).toContain('failSwapOn: false');
    // protectKernelDefaults against a tuned kernel, in the kubelet's wording (pkg/kubelet/cm)
    const kernel =
      'E1205 run.go:72] "command failed" err="failed to run Kubelet: [invalid kernel flag: vm/overcommit_memory, expected value: 1, actual value: 0, invalid kernel flag: kernel/panic, expected value: 10, actual value: 0]"';
    expect(matchJournal([kernel]).map((f) => f.id)).toEqual(['kernel-defaults', 'failed-to-run']);
    expect(matchJournal([kernel])[0]!.hint).toContain('protectKernelDefaults');
    // a flag the kubelet does not have (removed in 1.27), in the kubelet's wording (cmd/kubelet/app)
    const flagLine = 'E1205 run.go:72] "command failed" err="failed to parse kubelet flag: unknown flag: --container-runtime"';
    expect(matchJournal([flagLine])).toEqual([
      { id: 'kubelet-flag', line: flagLine, hint: expect.stringMatching(/^kubelet exits at start: a flag in spec\.kubelet\.flags/) },
    ]);
    // a config the kubelet refuses, in its wording (cmd/kubelet/app, kubelet config validation)
    const configLine =
      'E1205 run.go:72] "command failed" err="failed to validate kubelet configuration, error: invalid configuration: imageGCLowThresholdPercent (--image-gc-low-threshold) 80 must be less than imageGCHighThresholdPercent (--image-gc-high-threshold) 75, path: &TypeMeta{}"';
    expect(matchJournal([configLine]).map((f) => f.id)).toEqual(['kubelet-config']);
    expect(matchJournal(['err="failed to load kubelet config file, path: /etc/kubernetes/kubelet/config.json, error: x"']).map((f) => f.id)).toEqual([
      'kubelet-config',
    ]);
    // reservations and eviction thresholds, parsed as the kubelet starts (cmd/kubelet/app, pkg/kubelet/eviction)
    for (const err of [
      'failed to run Kubelet: --kube-reserved value failed to parse: cannot reserve \\"storage\\" resource',
      'failed to run Kubelet: eviction threshold memory.available must be positive: 0',
      'failed to run Kubelet: eviction percentage minimum reclaim memory.available must be positive: 0%',
      'failed to run Kubelet: unsupported eviction signal memory.availble',
      'failed to run Kubelet: the total amount \\"1Gi\\" of type \\"memory\\" is not equal to the value \\"674Mi\\" determined by Node Allocatable feature',
    ]) {
      expect(
        matchJournal([`E1205 run.go:72] "command failed" err="${err}"`]).map((f) => f.id),
        err,
      ).toEqual(['kubelet-config', 'failed-to-run']);
    }
    // a reservation enforced on a cgroup nobody made, in the kubelet's wording (pkg/kubelet/cm, kubelet.go)
    const cgroupLine =
      'E1205 kubelet.go:1649] "Failed to start ContainerManager" err="Failed to enforce Kube Reserved Cgroup Limits on \\"/kubelet.slice\\": [\\"kubelet\\"] cgroup does not exist"';
    expect(matchJournal([cgroupLine]).map((f) => f.id)).toEqual(['reserved-cgroup']);
    expect(matchJournal([cgroupLine])[0]!.hint).toContain('kubeReservedCgroup or systemReservedCgroup names a cgroup that does not exist');
    expect(
      matchJournal([
        'E1205 "Failed to start ContainerManager" err="Failed to enforce System Reserved Compressible Cgroup Limits on \\"/sys\\": [\\"sys\\"] cgroup does not exist"',
      ]).map((f) => f.id),
    ).toEqual(['reserved-cgroup']);
    const tlsLine =
      'E1205 run.go:72] "command failed" err="failed to construct kubelet dependencies: cipher suite TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA265 not supported or doesn\'t exist"';
    expect(matchJournal([tlsLine]).map((f) => f.id)).toEqual(['kubelet-config']);
    // a local cluster's certificate bootstrap, in the kubelet's wording (pkg/kubelet/certificate/bootstrap)
    for (const line of [
      'E1205 run.go:72] "command failed" err="failed to run Kubelet: unable to load bootstrap kubeconfig: stat /var/lib/kubelet/bootstrap-kubeconfig: no such file or directory"',
      'E1205 certificate_manager.go:562] "Unhandled Error" err="kubernetes.io/kube-apiserver-client-kubelet: Failed while requesting a signed certificate from the control plane: certificate signing request is denied, reason: AutoDenied, message: "',
    ])
      expect(matchJournal([line]).map((f) => f.id)[0], line).toBe('client-certificate');
    expect(matchJournal(['E1205 failed to run Kubelet: cannot create certificate signing request: Unauthorized']).map((f) => f.id)).toEqual([
      'client-certificate',
      'unauthorized',
      'failed-to-run',
    ]);
    expect(matchJournal(['all good'])).toEqual([]);
  });
});

describe('report', () => {
  const results = [
    { name: 'imds', status: 'ok' as const, detail: 'fine' },
    { name: 'auth', status: 'fail' as const, detail: '401', hint: 'map the role' },
    { name: 'registration', status: 'skipped' as const, detail: 'needs auth, which failed', skippedBecause: 'auth' },
  ];

  it('prints one aligned line per check, hints on failing lines, and a summary', () => {
    expect(formatText(results)).toBe(
      [
        'ok      imds          fine',
        'fail    auth          401 -- hint: map the role',
        'skipped registration  needs auth, which failed',
        '1 failed, 0 warnings, 1 ok, 1 skipped',
        '',
      ].join('\n'),
    );
  });

  it('keeps each check on its line when what it found holds a line break or a terminal escape', () => {
    const odd = [{ name: 'config', status: 'warn' as const, detail: 'spec.evil\u001b[31m: unknown field', hint: 'a\r\nb' }];
    expect(formatText(odd)).toBe('warn    config  spec.evil\\u001b[31m: unknown field -- hint: a\\r\\nb\n0 failed, 1 warnings, 0 ok, 0 skipped\n');
  });

  it('prints JSON objects with sorted keys', () => {
    const text = formatJson(results);
    expect(text.endsWith(']\n')).toBe(true);
    const parsed = JSON.parse(text) as Array<Record<string, unknown>>;
    expect(Object.keys(parsed[2]!)).toEqual(['detail', 'name', 'skippedBecause', 'status']);
    expect(parsed[1]).toEqual({ detail: '401', hint: 'map the role', name: 'auth', status: 'fail' });
  });
});
