import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { translateBootstrapArgs } from '../../src/bootstrap-sh/translate.js';
import { splitWords } from '../../src/api/words.js';
import { advisoryProblems, validateNodeConfig } from '../../src/api/validate.js';
import { InputError } from '../../src/errors.js';

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
const ENDPOINT = 'https://0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com';

/** The arguments bash hands bootstrap.sh for the command line after `/etc/eks/bootstrap.sh`. */
function bashWords(commandLine: string): string[] {
  const out = execFileSync('bash', ['-c', `printf '%s\\0' ${commandLine}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

const nodeConfig = (spec: Record<string, unknown>) => ({ apiVersion: 'node.eks.aws/v1alpha1', kind: 'NodeConfig', spec });

interface Row {
  name: string;
  commandLine: string;
  env?: Record<string, string>;
  expected: Record<string, unknown>;
  warnings?: RegExp[];
}

// Each command line has the shape the named tool writes into user data, with its variables filled.
const REAL_WORLD: Row[] = [
  {
    name: 'AWS CloudFormation node group template (cluster name + BootstrapArguments)',
    commandLine: `my-cluster --kubelet-extra-args '--node-labels=nodegroup=classic --max-pods=17'`,
    expected: { cluster: { name: 'my-cluster' }, kubelet: { config: { maxPods: 17 }, flags: ['--node-labels=nodegroup=classic'] } },
  },
  {
    name: 'AWS CloudFormation node group template, empty BootstrapArguments',
    commandLine: `my-cluster `,
    expected: { cluster: { name: 'my-cluster' } },
  },
  {
    name: 'eksctl AL2 node group (bootstrap.al2.sh)',
    commandLine: `"my-cluster" --apiserver-endpoint "${ENDPOINT}" --b64-cluster-ca "${CA}" --dns-cluster-ip "10.100.0.10" --kubelet-extra-args "--node-labels=alpha.eksctl.io/cluster-name=my-cluster,alpha.eksctl.io/nodegroup-name=ng-1 --register-with-taints=" --container-runtime "containerd"`,
    expected: {
      cluster: { name: 'my-cluster', apiServerEndpoint: ENDPOINT, certificateAuthority: CA },
      kubelet: {
        config: { clusterDNS: ['10.100.0.10'] },
        flags: ['--node-labels=alpha.eksctl.io/cluster-name=my-cluster,alpha.eksctl.io/nodegroup-name=ng-1'],
      },
    },
  },
  {
    name: 'terraform-aws-eks AL2 user data (SERVICE_IPV4_CIDR exported, bootstrap_extra_args before the CA)',
    commandLine: `my-cluster --kubelet-extra-args '--node-labels=node.kubernetes.io/lifecycle=spot' --b64-cluster-ca ${CA} --apiserver-endpoint ${ENDPOINT}`,
    env: { SERVICE_IPV4_CIDR: '172.20.0.0/16' },
    expected: {
      cluster: { name: 'my-cluster', apiServerEndpoint: ENDPOINT, certificateAuthority: CA, cidr: '172.20.0.0/16' },
      kubelet: { flags: ['--node-labels=node.kubernetes.io/lifecycle=spot'] },
    },
  },
  {
    name: 'terraform-aws-eks AL2 user data, IPv6 cluster',
    commandLine: `my-cluster --ip-family ipv6 --service-ipv6-cidr fd30:1c53:5f8a::/108 --b64-cluster-ca ${CA} --apiserver-endpoint ${ENDPOINT}`,
    expected: { cluster: { name: 'my-cluster', apiServerEndpoint: ENDPOINT, certificateAuthority: CA, cidr: 'fd30:1c53:5f8a::/108' } },
  },
  {
    name: 'Karpenter AL2 family (quoted labels and taints, --use-max-pods false with --max-pods)',
    commandLine: `'my-cluster' --apiserver-endpoint '${ENDPOINT}' --b64-cluster-ca '${CA}' --dns-cluster-ip '10.100.0.10' --use-max-pods false --kubelet-extra-args '--node-labels="karpenter.sh/capacity-type=on-demand,karpenter.sh/nodepool=default" --register-with-taints="dedicated=batch:NoSchedule,karpenter.sh/unregistered:NoExecute" --max-pods=110'`,
    expected: {
      cluster: { name: 'my-cluster', apiServerEndpoint: ENDPOINT, certificateAuthority: CA },
      kubelet: {
        config: {
          clusterDNS: ['10.100.0.10'],
          maxPods: 110,
          registerWithTaints: [
            { key: 'dedicated', value: 'batch', effect: 'NoSchedule' },
            { key: 'karpenter.sh/unregistered', effect: 'NoExecute' },
          ],
        },
        flags: ['--node-labels=karpenter.sh/capacity-type=on-demand,karpenter.sh/nodepool=default'],
      },
    },
  },
  {
    name: 'Karpenter AL2 family, taint given as a separate word',
    commandLine: `my-cluster --kubelet-extra-args '--register-with-taints "karpenter.sh/unregistered:NoExecute"'`,
    expected: { cluster: { name: 'my-cluster' }, kubelet: { config: { registerWithTaints: [{ key: 'karpenter.sh/unregistered', effect: 'NoExecute' }] } } },
  },
  {
    name: 'prefix delegation: --use-max-pods false without --max-pods falls back to the kubelet default',
    commandLine: `my-cluster --use-max-pods false`,
    expected: { cluster: { name: 'my-cluster' }, kubelet: { config: { maxPods: 110 } } },
  },
  {
    name: 'Outposts local cluster with instance storage',
    commandLine: `my-cluster --enable-local-outpost true --cluster-id 0123abcd-1111 --local-disks raid0 --service-ipv4-cidr 10.100.0.0/16`,
    expected: {
      cluster: { name: 'my-cluster', enableOutpost: true, id: '0123abcd-1111', cidr: '10.100.0.0/16' },
      instance: { localStorage: { strategy: 'RAID0' } },
    },
  },
  {
    name: 'reservations and eviction thresholds in kubelet extra args',
    commandLine: `my-cluster --kubelet-extra-args "--kube-reserved=cpu=250m,memory=1Gi --eviction-hard=memory.available<200Mi,nodefs.available<10% --feature-gates=GracefulNodeShutdown=true --v=4"`,
    expected: {
      cluster: { name: 'my-cluster' },
      kubelet: {
        config: {
          kubeReserved: { cpu: '250m', memory: '1Gi' },
          evictionHard: { 'memory.available': '200Mi', 'nodefs.available': '10%' },
          featureGates: { GracefulNodeShutdown: true },
        },
        flags: ['--v=4'],
      },
    },
  },
];

describe('translateBootstrapArgs: real-world invocations', () => {
  for (const row of REAL_WORLD) {
    it(row.name, async () => {
      const t = translateBootstrapArgs(bashWords(row.commandLine), { env: row.env ?? {} });
      expect(t.config).toEqual(nodeConfig(row.expected));
      // what `config check` runs: the translation is clean apart from the made-up CA bytes
      expect((await validateNodeConfig(t.config)).filter((p) => !p.startsWith('spec.cluster.certificateAuthority'))).toEqual([]);
    });
  }
});

describe('translateBootstrapArgs: kubelet flags gone from every kubelet the image runs', () => {
  it('leaves them out with a warning each, so the NodeConfig passes config check', async () => {
    const t = translateBootstrapArgs(
      bashWords(
        `my-cluster --kubelet-extra-args '--network-plugin cni --container-runtime=remote --container-runtime-endpoint=unix:///run/containerd/containerd.sock --v=2'`,
      ),
    );
    expect(t.config.spec?.kubelet?.flags).toEqual(['--container-runtime-endpoint=unix:///run/containerd/containerd.sock', '--v=2']);
    expect(t.warnings).toEqual([
      '--kubelet-extra-args --network-plugin: the kubelet no longer has this flag (removed in 1.24), left out',
      '--kubelet-extra-args --container-runtime: the kubelet no longer has this flag (removed in 1.27), left out',
    ]);
    expect(advisoryProblems(t.config)).toEqual([]);
    expect((await validateNodeConfig(t.config)).filter((p) => !p.startsWith('spec.cluster.certificateAuthority'))).toEqual([]);
  });
});

function problems(args: string[]): string[] {
  try {
    translateBootstrapArgs(args);
  } catch (err) {
    if (err instanceof InputError) return err.problems;
    throw err;
  }
  throw new Error('expected the translation to fail');
}

describe('translateBootstrapArgs: refused values, as bootstrap.sh refused them', () => {
  it.each([
    [['c', '--ip-family', 'ipv5'], /--ip-family: "ipv5" is not allowed \(expected ipv4 or ipv6\)/],
    [['c', '--container-runtime', 'dockerd'], /--container-runtime: "dockerd" is not supported/],
    [['c', '--ip-family', 'ipv4', '--service-ipv6-cidr', 'fd00::/108'], /--service-ipv6-cidr: given with --ip-family ipv4/],
    [['c', '--local-disks', 'raid5'], /--local-disks: "raid5" is not allowed/],
    [['c', '--kubelet-extra-args', '--max-pods=many'], /--kubelet-extra-args --max-pods: "many" is not valid/],
    [['c', '--kubelet-extra-args', '--node-labels="a=b'], /unterminated quote/],
    [['c', '--dns-cluster-ip', '10.100.0.300'], /--dns-cluster-ip: "10.100.0.300" is not a comma-separated list/],
    [['--apiserver-endpoint', ENDPOINT], /cluster name: required/],
    [['c', '--b64-cluster-ca'], /--b64-cluster-ca: needs a value/],
  ])('%j', (args, expected) => {
    const found = problems(args);
    expect(
      found.some((p) => expected.test(p)),
      found.join('\n'),
    ).toBe(true);
    for (const p of found) expect(p).toMatch(/^bootstrap\.sh /);
  });

  it('reports every problem at once', () => {
    expect(problems(['c', '--ip-family', 'ipv5', '--local-disks', 'x'])).toHaveLength(2);
  });
  it('accepts --ip-family in any case, as bootstrap.sh lowercased it', () => {
    expect(translateBootstrapArgs(['c', '--ip-family', 'IPv4', '--service-ipv4-cidr', '10.100.0.0/16']).config.spec?.cluster?.cidr).toBe('10.100.0.0/16');
  });
});

describe('translateBootstrapArgs: accepted without effect, each with a warning naming it', () => {
  it('warns for Docker options, unknown options and extra arguments, and still translates the rest', () => {
    const t = translateBootstrapArgs([
      'c',
      '--enable-docker-bridge',
      'true',
      '--docker-config-json',
      '{}',
      '--pause-container-account',
      '1234',
      '--aws-api-retry-attempts',
      '5',
      '--mount-bpf-fs',
      'false',
      '--no-such-option',
      'extra',
      '--max-pods=3',
    ]);
    expect(t.config).toEqual(nodeConfig({ cluster: { name: 'c' } }));
    const expected = [
      '--enable-docker-bridge',
      '--docker-config-json',
      '--pause-container-account',
      '--aws-api-retry-attempts',
      '--mount-bpf-fs',
      '--no-such-option',
      '"extra"',
      '--max-pods=3',
    ];
    for (const name of expected) expect(t.warnings.filter((w) => w.startsWith(name))).toHaveLength(1);
    expect(t.warnings).toHaveLength(expected.length);
  });

  it('reads --containerd-config-file through the caller and drops the AMI template placeholder', () => {
    const toml = 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n  sandbox_image = "SANDBOX_IMAGE"\n  enable_cdi = true\n';
    const t = translateBootstrapArgs(['c', '--containerd-config-file', '/etc/my.toml'], { readFile: (p) => (p === '/etc/my.toml' ? toml : '') });
    expect(t.config.spec?.containerd?.config).not.toContain('SANDBOX_IMAGE');
    expect(t.config.spec?.containerd?.config).toContain('enable_cdi = true');
    expect(problems(['c', '--containerd-config-file', '/nope'])[0]).toMatch(/--containerd-config-file: cannot read "\/nope"/);
  });

  it('reads an empty value as no value, as bootstrap.sh did', () => {
    expect(translateBootstrapArgs(['c', '--ip-family', '', '--service-ipv4-cidr', '', '--kubelet-extra-args', '']).config).toEqual(
      nodeConfig({ cluster: { name: 'c' } }),
    );
  });

  it('options win over the environment bootstrap.sh also read', () => {
    const t = translateBootstrapArgs(['c', '--service-ipv4-cidr', '10.100.0.0/16'], { env: { SERVICE_IPV4_CIDR: '172.20.0.0/16' } });
    expect(t.config.spec?.cluster?.cidr).toBe('10.100.0.0/16');
  });
});

describe('splitWords: systemd-style splitting of --kubelet-extra-args', () => {
  it.each([
    ['--a=1  --b="x y"', ['--a=1', '--b=x y']],
    [`--a='q"z' \\ b`, ['--a=q"z', ' b']],
    ['', []],
  ])('%j', (text, words) => expect(splitWords(text)).toEqual(words));
  it('agrees with bash on a quoted Karpenter argument', () => {
    const arg = `--node-labels="a=b,c=d" --register-with-taints='k=v:NoSchedule'`;
    expect(splitWords(arg)).toEqual(bashWords(arg));
  });
});
