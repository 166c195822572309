import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO, runAgent } from '../support/agent.js';
import { INSTANCE, NODE, api, doctor, endpoint, imds, journalDir, nodeConfig, otherCa, root, useDoctorNode, work } from '../integration/doctor-node.js';

/*
 * The files of a configured node as people and disks damage them: one of the files doctor reads
 * (what init wrote, the agent's kept state, the image's facts, what cloud-init, the kernel, the
 * VPC CNI and systemd-resolved keep; a few only once the node is in the state that sends doctor
 * to them), with one to three mutations: truncated, emptied, bytes replaced (random, NUL, invalid
 * UTF-8, another format's syntax), a JSON/YAML/TOML value given another shape (or a form only
 * that format has: a YAML tag, a TOML date), removed, or its key written twice; a line of a text
 * file replaced, removed or doubled. Doctor must answer every case with its own lines: exit 0 or
 * 1, its JSON report with every check, no `internal error` (what runner.ts makes of a check that
 * throws) and nothing on stderr but the agent's own lines. The built agent against the emulated
 * node of doctor-node.ts; seeded, each case's file put back before the next.
 */

const RUNS = 48;

useDoctorNode();

type Format = 'json' | 'jsonl' | 'yaml' | 'toml' | 'text' | 'kept user data' | 'kept identity document';

const IMDS_ANSWERS = '/run/eks-node-agent/imds-answers.json';
const CLUSTER_CACHE = '/var/lib/eks-node-agent/cluster.json';
const IPAMD_LOG = '/var/log/aws-routed-eni/ipamd.log';
const CA_BUNDLE = '/etc/pki/tls/certs/ca-bundle.crt';

/**
 * What else a case sets so that doctor reads the damaged file at all, a reader a healthy node does
 * not reach: files under the root, a unit's journal, pods bound to the Node. Put back after the
 * case.
 */
interface Reach {
  files?: Record<string, string>;
  journal?: Record<string, string>;
  pods?: () => unknown[];
  /** the line whose detail or hint then shows the undamaged file was read, and what it says */
  shows: [check: string, says: string];
}

/** The kubelet's line for a pod the VPC CNI had no address for, and the pod stuck on it: the pods line then reads ipamd's log. */
const NO_ADDRESS: Reach = {
  journal: {
    'kubelet.service':
      '2026-12-05T10:11:12+0000 node kubelet[901]: E1205 10:11:12.123456     901 kuberuntime_sandbox.go:72] "Failed to create sandbox for pod" err="rpc error: code = Unknown desc = failed to setup network for sandbox \\"5d1c\\": plugin type=\\"aws-cni\\" name=\\"aws-cni\\" failed (add): add cmd: failed to assign an IP address to container" pod="shop/web-1"\n',
  },
  pods: () => [
    {
      metadata: { namespace: 'shop', name: 'web-1' },
      spec: { nodeName: NODE },
      status: {
        phase: 'Pending',
        startTime: new Date(Date.now() - 300_000).toISOString(),
        containerStatuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }],
      },
    },
  ],
  shows: ['pods', 'ipamd: '],
};

/** The kernel not forwarding IPv4: the forward-policy line reads the sysctl files for who turned it off. */
const FORWARDING_OFF: Reach = {
  files: { '/proc/sys/net/ipv4/ip_forward': '0\n' },
  shows: ['forward-policy', '(the last, /etc/sysctl.d/99-eks-node.conf, sets 1)'],
};

/** A pull from a registry on this host that failed: the registry line dials it and verifies TLS against the system's roots. */
const PULL_FAILED = (): Reach => {
  const image = `localhost:${api.port}/pause:3.10`;
  return {
    journal: {
      'kubelet.service': `Dec 05 10:11:12 node kubelet[901]: E1205 10:11:12.123456     901 log.go:32] "PullImage from image service failed" err="rpc error: code = Unknown desc = failed to pull and unpack image \\"${image}\\": failed to resolve reference \\"${image}\\": failed to do request: Head \\"https://localhost:${api.port}/v2/pause/manifests/3.10\\": tls: failed to verify certificate: x509: certificate signed by unknown authority" image="${image}"\n`,
    },
    shows: ['registry', 'TLS verified'],
  };
};

/**
 * Every file doctor reads on this node that a person or a disk may damage, and how it is written;
 * `weight` 3 for the files whose content a check reads (the rest are only compared with what init
 * plans, or read as the boot reads them), so the few runs go where the readers are.
 */
const TARGETS: Array<{ path: string; format: Format; weight: number; reach?: () => Reach }> = [
  { path: '/etc/kubernetes/kubelet/config.json', format: 'json', weight: 3 },
  { path: '/etc/kubernetes/kubelet/config.json.d/40-eks-node.conf', format: 'json', weight: 1 },
  { path: '/etc/eks/kubelet/environment', format: 'text', weight: 1 },
  { path: '/etc/containerd/config.toml', format: 'toml', weight: 1 },
  { path: '/etc/containerd/base-runtime-spec.json', format: 'json', weight: 1 },
  { path: '/etc/eks/image-credential-provider/config.json', format: 'json', weight: 1 },
  { path: '/var/lib/kubelet/kubeconfig', format: 'yaml', weight: 3 },
  { path: '/etc/kubernetes/pki/ca.crt', format: 'text', weight: 1 },
  { path: CLUSTER_CACHE, format: 'json', weight: 3 },
  { path: IMDS_ANSWERS, format: 'json', weight: 3 },
  { path: IMDS_ANSWERS, format: 'kept user data', weight: 3 },
  { path: IMDS_ANSWERS, format: 'kept identity document', weight: 3 },
  { path: '/var/lib/kubelet/pki/kubelet-server-current.pem', format: 'text', weight: 3 },
  { path: '/etc/resolv.conf', format: 'text', weight: 3 },
  { path: '/proc/sys/net/ipv4/ip_forward', format: 'text', weight: 1 },
  { path: '/run/cloud-init/result.json', format: 'json', weight: 3 },
  { path: '/run/cloud-init/status.json', format: 'json', weight: 3 },
  { path: '/etc/fstab', format: 'text', weight: 1 },
  { path: '/proc/mounts', format: 'text', weight: 1 },
  { path: '/etc/eks/kubelet-version.txt', format: 'text', weight: 1 },
  { path: '/etc/eks/instance-types.jsonl', format: 'jsonl', weight: 1 },
  { path: '/sys/devices/system/cpu/online', format: 'text', weight: 1 },
  { path: '/proc/meminfo', format: 'text', weight: 1 },
  { path: '/etc/eks/containerd-version.txt', format: 'text', weight: 1 },
  { path: '/etc/eks/sandbox-image.txt', format: 'text', weight: 1 },
  { path: '/sys/bus/pci/devices/0000:00:05.0/vendor', format: 'text', weight: 1 },
  { path: '/proc/mdstat', format: 'text', weight: 1 },
  // an empty --hostname-override (the config below) sends the node-name line to the host name
  { path: '/proc/sys/kernel/hostname', format: 'text', weight: 3 },
  // read for who set the kernel's forwarding, when it is off
  { path: '/etc/sysctl.d/99-eks-node.conf', format: 'text', weight: 3, reach: () => FORWARDING_OFF },
  { path: '/etc/sysctl.d/60-eks-node-reserved-ports.conf', format: 'text', weight: 3, reach: () => FORWARDING_OFF },
  // read for the real servers, when the kubelet's resolv.conf is systemd-resolved's stub
  {
    path: '/run/systemd/resolve/resolv.conf',
    format: 'text',
    weight: 3,
    reach: () => ({
      files: { '/etc/resolv.conf': 'nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch us-west-2.compute.internal\n' },
      shows: ['pod-dns', 'lists the real servers (169.254.169.253)'],
    }),
  },
  { path: CA_BUNDLE, format: 'text', weight: 3, reach: PULL_FAILED },
  { path: '/etc/cni/net.d/10-aws.conflist', format: 'json', weight: 1 },
  { path: IPAMD_LOG, format: 'jsonl', weight: 3, reach: () => NO_ADDRESS },
  { path: '/var/log/aws-routed-eni/plugin.log', format: 'jsonl', weight: 1 },
];
const target = fc.oneof(...TARGETS.map((t) => ({ arbitrary: fc.constant(t), weight: t.weight })));

/** Values that have broken readers elsewhere: another shape first (null, a number, a string, a collection), then empty, negative, huge, NUL. */
const SHAPES: unknown[] = [null, 0, '', [], {}, 'x'.repeat(100_000)];
const EDGES: unknown[] = [-1, 1.5, 2 ** 53, 1e308, ' ', '0', 'true', '\u0000', [null], [[]], [{}], { '': '' }];

/** Text written as it stands where a value was: what only this format (or none) can hold. */
const RAW: Record<'json' | 'yaml' | 'toml' | 'text', string[]> = {
  json: ['NaN', '1e999', '-0', '"\\ud800"', '9007199254740993', '"\\u0000"', `${'['.repeat(50_000)}${']'.repeat(50_000)}`, '{"a":1,"a":[]}'],
  yaml: ['!foo bar', '!!binary aGVsbG8=', '!!int x', '*nosuch', '{? [a]: b}', '!!set {a, b}', '.inf', '~', '"\\x00"', '0x1F', '2001-02-03T04:05:06Z'],
  toml: ['inf', 'nan', '1979-05-27T07:32:00Z', '0x1F', '{ a = 1, a = 2 }', '[1, "a"]', '"\\u0000"', 'null'],
  text: [
    '',
    ' ',
    '#',
    '=',
    'nameserver 127.0.0.53',
    'KUBELET_ARGS=',
    '-1',
    '0',
    '2',
    'v1.99.0',
    'v',
    '0-4095',
    'MemTotal: -1 kB',
    '-----BEGIN CERTIFICATE-----',
  ],
};

/** Bytes spliced in: NUL, invalid UTF-8 (a lone continuation, an overlong form, a surrogate, past U+10FFFF), a BOM, syntax. */
const BYTES: Buffer[] = [[0], [0, 0, 0, 0], [0xff], [0x80], [0xc3, 0x28], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xef, 0xbb, 0xbf]].map(
  (b) => Buffer.from(b),
);
const SYNTAX = ['{', '}', '[', ']', '"', "'", '\\', ':', ',', '=', '\n', '\r\n', '\t', '!foo ', '&a ', '*a', '\n---\n', '[[x]]\n', '# ', '%'].map((s) =>
  Buffer.from(s),
);

const edit = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('empty' as const) }),
  fc.record({
    kind: fc.constant('bytes' as const),
    at: fc.nat(),
    remove: fc.nat({ max: 16 }),
    bytes: fc.oneof(
      fc.constantFrom(...BYTES, ...SYNTAX),
      fc.uint8Array({ minLength: 1, maxLength: 32 }).map((b) => Buffer.from(b)),
    ),
  }),
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constantFrom('replace' as const, 'replace' as const, 'remove' as const, 'duplicate' as const),
      at: fc.nat(),
      value: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...SHAPES) },
        { weight: 1, arbitrary: fc.constantFrom(...EDGES) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
        { weight: 2, arbitrary: fc.nat().map((raw) => ({ raw })) },
      ),
    }),
  },
);
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

type Path = Array<string | number>;

/** Every place in a parsed document down to a depth no file of the agent's reaches (an earlier mutation may nest deeper). */
function places(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  if (path.length > 0) out.push(path);
  if (path.length >= 16) return out;
  // a plain collection: not what a YAML tag makes (a Uint8Array of !!binary, a Set)
  if (Array.isArray(value) || (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)) {
    for (const [key, child] of Object.entries(value)) places(child, [...path, Array.isArray(value) ? Number(key) : key], out);
  }
  return out;
}

const tomlValue = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? `[${v.map(tomlValue).join(', ')}]`
      : typeof v === 'object'
        ? `{ ${Object.entries(v as object)
            .map(([k, x]) => `${JSON.stringify(k)} = ${tomlValue(x)}`)
            .join(', ')} }`
        : typeof v === 'string'
          ? JSON.stringify(v)
          : String(v);

/** A structured format: its parser, its printer, and how a value is written in it. */
const CODECS = {
  json: { parse: (t: string) => JSON.parse(t) as unknown, print: (d: unknown) => `${JSON.stringify(d, null, 2)}\n`, value: (v: unknown) => JSON.stringify(v) },
  // JSON is YAML's flow style, so a value in it reads in a block or a flow collection
  yaml: {
    parse: (t: string) => parseYaml(t, { logLevel: 'silent' }) as unknown,
    print: (d: unknown) => stringifyYaml(d),
    value: (v: unknown) => JSON.stringify(v),
  },
  toml: { parse: (t: string) => parseToml(t) as unknown, print: (d: unknown) => stringifyToml(d as Record<string, unknown>), value: tomlValue },
  jsonl: {
    parse: (t: string) => t.split('\n').map((line) => (line === '' ? '' : (JSON.parse(line) as unknown))),
    print: (d: unknown) => (Array.isArray(d) ? d.map((row) => (row === '' ? '' : JSON.stringify(row))).join('\n') : JSON.stringify(d)),
    value: (v: unknown) => JSON.stringify(v),
  },
};
type Structured = keyof typeof CODECS;

const marker = (i: number) => `__mutated_${i}__`;
const MARKER = /"?__mutated_(\d+)__"?/g;

/**
 * A value replaced, removed or its key written twice in a document of a structured format;
 * undefined when the text no longer reads as one (an earlier mutation broke it).
 */
function mutateDocument(text: string, format: Structured, e: Extract<Edit, { value: unknown }>): string | undefined {
  const codec = CODECS[format];
  let doc: unknown;
  try {
    doc = codec.parse(text);
  } catch {
    return undefined;
  }
  const raws: string[] = [];
  const written = (v: unknown): string => {
    const raw = v !== null && typeof v === 'object' && 'raw' in v && typeof v.raw === 'number' ? v.raw : undefined;
    const pool = RAW[format === 'jsonl' ? 'json' : format];
    raws.push(raw === undefined ? codec.value(v) : pool[raw % pool.length]!);
    return marker(raws.length - 1);
  };
  const all = places(doc);
  if (all.length === 0) return e.kind === 'remove' ? '' : written(e.value).replace(MARKER, (_, i: string) => raws[Number(i)]!);
  const path = all[e.at % all.length]!;
  let parent = doc as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const key = path.at(-1)!;
  if (e.kind === 'remove') {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else if (e.kind === 'replace') {
    parent[key] = written(e.value);
  } else if (Array.isArray(parent)) {
    parent.push(parent[Number(key)]);
  } else {
    // the same key again, after the first: a later value wins in most readers, an error in others
    const again = written(e.value);
    raws.push(JSON.stringify(String(key)));
    parent[marker(raws.length - 1)] = again;
  }
  let printed: string;
  try {
    printed = codec.print(doc);
  } catch {
    return undefined;
  }
  return printed.replace(MARKER, (_, i: string) => raws[Number(i)]!);
}

/** A line of a text file replaced (by a line of its own kind, or JSON of a value), removed or doubled. */
function mutateLines(text: string, e: Extract<Edit, { value: unknown }>): string {
  const lines = text.split('\n');
  const at = e.at % lines.length;
  const raw = e.value !== null && typeof e.value === 'object' && 'raw' in e.value && typeof e.value.raw === 'number' ? e.value.raw : undefined;
  if (e.kind === 'remove') lines.splice(at, 1);
  else if (e.kind === 'duplicate') lines.splice(at, 0, lines[at]!);
  else lines[at] = raw === undefined ? (typeof e.value === 'string' ? e.value : JSON.stringify(e.value)) : RAW.text[raw % RAW.text.length]!;
  return lines.join('\n');
}

function applyEdit(content: Buffer, format: 'json' | 'jsonl' | 'yaml' | 'toml' | 'text', e: Edit): Buffer {
  switch (e.kind) {
    case 'truncate':
      return content.subarray(0, e.at % (content.length + 1));
    case 'empty':
      return Buffer.alloc(0);
    case 'bytes': {
      const at = e.at % (content.length + 1);
      return Buffer.concat([content.subarray(0, at), e.bytes, content.subarray(at + e.remove)]);
    }
    default: {
      const text = content.toString('utf8');
      if (format === 'text') return Buffer.from(mutateLines(text, e));
      // a document an earlier mutation broke: its lines, then, as any text
      return Buffer.from(mutateDocument(text, format, e) ?? mutateLines(text, e));
    }
  }
}

/** The file after the edits; for the kept IMDS answers' user data and identity document, the answer inside it. */
function mutated(content: Buffer, format: Format, edits: Edit[]): Buffer {
  if (format === 'kept user data' || format === 'kept identity document') {
    const file = JSON.parse(content.toString('utf8')) as { answers: Record<string, string | null> };
    const key = format === 'kept user data' ? 'user-data' : 'dynamic/instance-identity/document';
    const inner = edits.reduce<Buffer>((b, e) => applyEdit(b, format === 'kept user data' ? 'yaml' : 'json', e), Buffer.from(file.answers[key]!, 'base64'));
    file.answers[key] = inner.toString('base64');
    return Buffer.from(`${JSON.stringify(file)}\n`);
  }
  return edits.reduce<Buffer>((b, e) => applyEdit(b, format, e), content);
}

/** Sets what a case needs for its file to be read (Reach); the function it returns puts the node back. */
async function arrange(reach: Reach): Promise<() => Promise<void>> {
  const was = new Map<string, Buffer | undefined>();
  for (const [path, text] of Object.entries(reach.files ?? {})) {
    const full = join(root, path);
    was.set(full, await readFile(full).catch(() => undefined));
    await writeFile(full, text);
  }
  for (const [unit, text] of Object.entries(reach.journal ?? {})) await writeFile(join(journalDir, `${unit}.log`), text);
  api.pods.push(...((reach.pods?.() ?? []) as typeof api.pods));
  return async () => {
    for (const [full, content] of was) {
      await rm(full, { force: true });
      if (content !== undefined) await writeFile(full, content);
    }
    for (const unit of Object.keys(reach.journal ?? {})) await rm(join(journalDir, `${unit}.log`), { force: true });
    api.pods.length = 0;
  };
}

/** A line the agent itself writes on stderr (its log, warnings, notes, errors); anything else is a trace or a runtime's. */
const OWN_LINE = /^(eks-node-agent: |warning: |note: |error: )/;

describe('doctor on a node whose files were damaged', () => {
  it('answers with its own lines: a report with every check, no internal error, no stack trace', async () => {
    // A node that cached its cluster's answer (the user data lacks the service CIDR) and has a
    // kubelet drop-in, configured by the built agent's config phase, which keeps this boot's IMDS
    // answers; cloud-init done, an fstab and mounts as an instance has them, the image's sysctl
    // files and pause image, the VPC CNI's configuration and logs, systemd-resolved's servers and
    // a CA bundle. The kubelet takes the machine's host name (an empty --hostname-override), so
    // the node-name line reads it.
    const { cidr, ...cluster } = nodeConfig().spec.cluster;
    const config = {
      ...nodeConfig(),
      spec: {
        cluster,
        kubelet: { config: { shutdownGracePeriod: '30s', maxPods: 29 }, flags: ['--node-labels=team=platform', '--hostname-override='] },
      },
    };
    imds.setUserData(stringifyYaml(config));
    const cache = { name: cluster.name, apiServerEndpoint: endpoint, certificateAuthority: api.caBase64, cidr, instanceId: INSTANCE.instanceId };
    const extra: Record<string, string> = {
      [CLUSTER_CACHE]: `${JSON.stringify(cache, null, 2)}\n`,
      '/run/cloud-init/result.json': `${JSON.stringify({ v1: { datasource: 'DataSourceEc2Local', errors: [] } }, null, 1)}\n`,
      '/run/cloud-init/status.json': `${JSON.stringify({ v1: { datasource: 'DataSourceEc2Local', stage: null, init: { errors: [], start: 1.5, finished: 2.5 } } }, null, 1)}\n`,
      '/etc/fstab': 'UUID=0f8e3c5a-1b2c-4d5e-8f90-a1b2c3d4e5f6     /           xfs    defaults,noatime  1   1\n',
      '/proc/mounts': '/dev/nvme0n1p1 / xfs rw,noatime,attr2,inode64 0 0\nproc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n',
      '/etc/eks/sandbox-image.txt': 'localhost/kubernetes/pause:latest\n',
      '/etc/sysctl.d/99-eks-node.conf': await readFile(`${REPO}packer/rootfs/etc/sysctl.d/99-eks-node.conf`, 'utf8'),
      '/etc/sysctl.d/60-eks-node-reserved-ports.conf': await readFile(`${REPO}packer/rootfs/etc/sysctl.d/60-eks-node-reserved-ports.conf`, 'utf8'),
      '/run/systemd/resolve/resolv.conf':
        '# This is /run/systemd/resolve/resolv.conf managed by man:systemd-resolved(8).\n# Do not edit.\n\nnameserver 169.254.169.253\nsearch us-west-2.compute.internal\n',
      // the system bundle with a company's CA and the one that signed the registry on this host
      [CA_BUNDLE]: `# Example Corp Root CA\n${otherCa.certPem}# doctor-test registry CA\n${api.caPem}`,
      '/etc/cni/net.d/10-aws.conflist': `${JSON.stringify(
        {
          cniVersion: '1.0.0',
          name: 'aws-cni',
          disableCheck: true,
          plugins: [
            {
              name: 'aws-cni',
              type: 'aws-cni',
              vethPrefix: 'eni',
              mtu: '9001',
              podSGEnforcingMode: 'strict',
              pluginLogFile: '/var/log/aws-routed-eni/plugin.log',
              pluginLogLevel: 'DEBUG',
              capabilities: { 'io.kubernetes.cri.pod-annotations': true },
            },
            { name: 'egress-cni', type: 'egress-cni', mtu: '9001', enabled: 'false', randomizeSNAT: 'prng', nodeIP: '' },
            { type: 'portmap', capabilities: { portMappings: true }, snat: true },
          ],
        },
        null,
        2,
      )}\n`,
      [IPAMD_LOG]: [
        { level: 'info', ts: '2026-12-05T10:11:02.104Z', caller: 'aws-k8s-agent/main.go:42', msg: 'Starting L-IPAMD   ...' },
        // the pool used up: what the pods line reads when a pod got no address
        { level: 'info', ts: '2026-12-05T10:11:08.000Z', caller: 'ipamd/ipamd.go:852', msg: 'IP pool stats: total = 27, used = 26, c.maxIPsPerENI = 10' },
        {
          level: 'debug',
          ts: '2026-12-05T10:11:09.000Z',
          caller: 'ipamd/ipamd.go:652',
          msg: 'IP pool is too low: available (1) < ENI target (1) * addrsPerENI (9)',
        },
        { level: 'info', ts: '2026-12-05T10:11:10.000Z', caller: 'ipamd/ipamd.go:852', msg: 'IP pool stats: total = 27, used = 27, c.maxIPsPerENI = 10' },
      ]
        .map((line) => `${JSON.stringify(line)}\n`)
        .join(''),
      '/var/log/aws-routed-eni/plugin.log': `${JSON.stringify({
        level: 'info',
        ts: '2026-12-05T10:11:12.000Z',
        caller: 'routed-eni-cni-plugin/cni.go:125',
        msg: 'Received CNI add request: ContainerID(5d1c) Netns(/var/run/netns/cni-1f2e) IfName(eth0) Args(K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-1) Path(/opt/cni/bin)',
      })}\n`,
    };
    for (const [path, text] of Object.entries(extra)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), text);
    }
    const init = await runAgent(['init', '--skip', 'run', '--root', root], {
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, AWS_ENDPOINT_URL_EKS: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9' },
    });
    expect(init.exitCode, init.stderr).toBe(0);

    const run = async (args: string[] = []) => doctor(['--output', 'json', '--timeout', '20', ...args]);
    const healthy = await run();
    const baseline = JSON.parse(healthy.stdout) as Array<{ name: string; status: string; detail: string }>;
    // the undamaged node passes but for the config line's word on the empty --hostname-override,
    // and the cluster comes from the cache the property damages
    expect(
      baseline.filter((c) => c.status !== 'ok').map((c) => `${c.name} ${c.status}`),
      healthy.stdout,
    ).toEqual(['config warn']);
    expect(baseline.find((c) => c.name === 'config')?.detail).toContain('"--hostname-override=" replaces the node name');
    expect(baseline.find((c) => c.name === 'config')?.detail).toContain('cidr from cached answer');
    const names = baseline.map((c) => c.name);
    // each condition leads doctor to its file, undamaged
    const reaches = new Map(TARGETS.flatMap((t) => (t.reach ? [[t.reach().shows.join(), t.reach] as const] : [])));
    for (const reach of reaches.values()) {
      const { shows } = reach();
      const undo = await arrange(reach());
      const r = await run().finally(undo);
      const line = (JSON.parse(r.stdout) as Array<{ name: string; detail: string; hint?: string }>).find((c) => c.name === shows[0]);
      expect(`${line?.detail}; ${line?.hint}`, r.stdout).toContain(shows[1]);
    }

    const originals = new Map<string, { content: Buffer; mode: number }>();
    for (const { path } of TARGETS) {
      const full = join(root, path);
      originals.set(path, { content: await readFile(full), mode: (await stat(full)).mode & 0o7777 });
    }

    let n = 0;
    const seen = { fail: 0, ok: 0 };
    await fc.assert(
      fc.asyncProperty(target, fc.array(edit, { minLength: 1, maxLength: 3 }), fc.boolean(), async ({ path, format, reach }, edits, bundle) => {
        const full = join(root, path);
        const original = originals.get(path)!;
        const bundleFile = join(work, `bundle-${n++}.tar.gz`);
        const undo = reach ? await arrange(reach()) : async () => {};
        await writeFile(full, mutated(original.content, format, edits));
        try {
          const r = await run(bundle ? ['--bundle', bundleFile] : []);
          const why = `${path} (${format}) exit ${r.exitCode}\n${r.stdout}\n${r.stderr}`;
          expect([0, 1], why).toContain(r.exitCode);
          for (const line of r.stderr.split('\n').filter(Boolean)) expect(line, why).toMatch(OWN_LINE);
          expect(() => JSON.parse(r.stdout), why).not.toThrow();
          const checks = JSON.parse(r.stdout) as Array<{ name: string; status: string; detail: string }>;
          expect(
            checks.map((c) => c.name),
            why,
          ).toEqual(names);
          for (const c of checks) expect(c.detail, `${c.name}: ${why}`).not.toMatch(/^internal error/);
          if (bundle) expect((await stat(bundleFile)).size, why).toBeGreaterThan(0);
          if (r.exitCode === 0) seen.ok++;
          else seen.fail++;
        } finally {
          await writeFile(full, original.content);
          await chmod(full, original.mode);
          await rm(bundleFile, { force: true });
          await undo();
        }
      }),
      { numRuns: RUNS, seed: 20261208 },
    );
    expect(n).toBeGreaterThanOrEqual(RUNS);
    // the mutations reach both outcomes: damage doctor names, and damage no check minds
    expect(seen.fail).toBeGreaterThan(0);
    expect(seen.ok).toBeGreaterThan(0);
  }, 300_000);
});
