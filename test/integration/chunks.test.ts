import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { TEST_CLUSTER_CA_BASE64 } from '../emulators/eks.js';
import { BUNDLE } from '../support/agent.js';
import { startNode, type SimulatedNode } from '../support/node.js';

/*
 * Which chunks (dist/eks-node-agent.<chunk>.cjs: each AWS client and what they share, CEL, execa) a run loads. The JS
 * bundle runs with a preload that records the modules Node loaded, so the chunks show by file.
 * The boot path with complete user data, `version` and `config check` must load none; the proxy
 * agent loads only when a proxy applies to an AWS call (the enterprise-VPC tests see it used).
 */

const scratch = mkdtempSync(join(tmpdir(), 'eks-node-chunks-'));
const hook = join(scratch, 'record-modules.cjs');
writeFileSync(
  hook,
  `process.on('exit', () => require('node:fs').writeFileSync(process.env.MODULES_OUT, [...Object.keys(require.cache), ...process.moduleLoadList].join('\\n')));\n`,
);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let node: SimulatedNode | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

const ENDPOINT = 'https://0123456789ABCDEF0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com';
const userData = (spec: Record<string, unknown>) => stringify({ apiVersion: 'node.eks.aws/v1alpha1', kind: 'NodeConfig', spec });
const complete = userData({
  cluster: { name: 'test-cluster', apiServerEndpoint: ENDPOINT, certificateAuthority: TEST_CLUSTER_CA_BASE64, cidr: '10.100.0.0/16' },
});

let runs = 0;
/** Runs the bundle; gives the files it required and the Node built-ins it loaded (`NativeModule <name>`). */
async function modulesLoaded(n: SimulatedNode, args: string[], env: Record<string, string> = {}): Promise<string[]> {
  const out = join(scratch, `modules-${++runs}.txt`);
  const r = await n.agent(args, { ...env, MODULES_OUT: out }, { nodeArgs: ['-r', hook] });
  expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return readFileSync(out, 'utf8').split('\n');
}

/** Runs the bundle; gives the chunk names it loaded, sorted. */
async function chunksLoaded(n: SimulatedNode, args: string[]): Promise<string[]> {
  return (await modulesLoaded(n, args))
    .map((f) => /eks-node-agent\.([a-z0-9-]+)\.cjs$/.exec(f)?.[1])
    .filter((c): c is string => c !== undefined)
    .sort();
}

/** A package of the shared AWS chunk as built (scripts/build.mjs), required in this process. */
function fromAwsChunk<T>(pkg: string): T {
  const chunk = createRequire(import.meta.url)(BUNDLE.replace(/\.cjs$/, '.aws.cjs')) as Record<string, (() => unknown) | undefined>;
  const load = chunk[pkg];
  if (load === undefined) throw new Error(`${pkg} is not in the aws chunk`);
  return load() as T;
}

/** The packages a built chunk holds, from the `// node_modules/<package>/...` line esbuild writes before each module. */
function packagesIn(chunk: string): Set<string> {
  const text = readFileSync(BUNDLE.replace(/\.cjs$/, `.${chunk}.cjs`), 'utf8');
  return new Set([...text.matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1] as string));
}

describe('chunks', () => {
  it('holds each AWS client alone in its chunk, and what the clients share once, in the aws chunk', () => {
    for (const client of ['eks', 'ec2', 'sts']) expect([...packagesIn(`aws-${client}`)]).toEqual([`@aws-sdk/client-${client}`]);
    const shared = packagesIn('aws');
    expect(shared).toContain('@smithy/core');
    expect(shared).toContain('@aws-sdk/credential-provider-node');
    expect([...shared].filter((p) => p.startsWith('@aws-sdk/client-'))).toEqual([]);
  });

  it('keeps the main bundle under 1.25 MB: every boot reads and compiles all of it, and a chunk pulled into it by an import shows here', () => {
    // 1.08 MB at the time of writing; the smallest chunk a stray static import could pull in is exec's (285 kB)
    const main = statSync(BUNDLE).size;
    expect(main, `${BUNDLE} is ${main} bytes`).toBeLessThan(1_250_000);
    const smallestBig = Math.min(...['aws', 'cel', 'exec'].map((c) => statSync(BUNDLE.replace(/\.cjs$/, `.${c}.cjs`)).size));
    expect(1_080_000 + smallestBig).toBeGreaterThan(1_250_000);
  });

  it("holds only the commands the agent's list for each client names (agent/src/aws/sdk), not the whole client", () => {
    const chunk = (client: string) => readFileSync(BUNDLE.replace(/\.cjs$/, `.aws-${client}.cjs`), 'utf8');
    // a command class as esbuild writes it from either build of a client: `class XCommand extends` or `XCommand = class extends`
    const commands = (client: string) =>
      [...new Set([...chunk(client).matchAll(/\bclass ([A-Z]\w*Command) extends\b|\b([A-Z]\w*Command) = class extends\b/g)].map((m) => m[1] ?? m[2]))].sort();
    expect(commands('eks')).toEqual(['DescribeClusterCommand']);
    expect(commands('ec2')).toEqual(['DescribeInstanceTypesCommand', 'DescribeInstancesCommand']);
    expect(commands('sts')).toEqual(['GetCallerIdentityCommand']);
  });

  it('holds only the schemas those commands reach: every schema in a client chunk is used there (scripts/build.mjs, schemasWithLiteralKeys)', () => {
    for (const [client, operations] of Object.entries({
      eks: ['DescribeCluster'],
      ec2: ['DescribeInstanceTypes', 'DescribeInstances'],
      sts: ['GetCallerIdentity'],
    })) {
      const text = readFileSync(BUNDLE.replace(/\.cjs$/, `.aws-${client}.cjs`), 'utf8');
      // a schema is a top-level array named `<Shape>$`; an operation's starts with 9
      const schemas = [...text.matchAll(/\b(\w+)\$ = \[/g)].map((m) => m[1] as string);
      expect(schemas.length, client).toBeGreaterThan(operations.length);
      expect([...text.matchAll(/\b(\w+)\$ = \[\s*9,/g)].map((m) => m[1]).sort(), client).toEqual(operations);
      const uses = (name: string) => text.match(new RegExp(`\\b${name}\\$(?!\\w)`, 'g'))?.length ?? 0;
      expect(
        schemas.filter((name) => uses(name) < 2),
        `${client}: schemas defined and never used (kept by esbuild, e.g. for a computed key it cannot see through)`,
      ).toEqual([]);
    }
  });

  it('loads the EC2 client beside the EKS one, both through the one shared chunk, when a name-only node has an unknown instance type', async () => {
    node = await startNode({ imds: { userData: userData({ cluster: { name: 'test-cluster' } }), instance: { instanceType: 'm99i.large' } } });
    expect(await chunksLoaded(node, ['init', '--skip', 'run', '--root', node.root])).toEqual(['aws', 'aws-ec2', 'aws-eks']);
  });

  it('the boot path with complete user data (its early start included), version and config check load no chunk', async () => {
    node = await startNode({ imds: { userData: complete } });
    // the early start's systemctl call and the run phase's spawn through node:child_process, not execa
    expect(await chunksLoaded(node, ['init', '--skip', 'run', '--early-start', '--root', node.root])).toEqual([]);
    expect(node.systemctlCalls()).toEqual(['start --no-block containerd.service kubelet.service']);
    expect(await chunksLoaded(node, ['init', '--skip', 'config', '--root', node.root])).toEqual([]);
    expect(await chunksLoaded(node, ['init', '--skip', 'run', '--root', node.root])).toEqual([]);
    expect(await chunksLoaded(node, ['version'])).toEqual([]);
    expect(await chunksLoaded(node, ['config', 'check'])).toEqual([]);
  });

  it('the config and run phases with complete user data, and config check, load neither node:crypto (6-20 ms of init, 16-18 M instructions) nor node:http (IMDS is read over node:net, 25 M)', async () => {
    node = await startNode({ imds: { userData: complete } });
    const crypto = (loaded: string[]) => loaded.filter((m) => /^NativeModule (crypto|internal\/crypto\/)/.test(m));
    const http = (loaded: string[]) => loaded.filter((m) => /^NativeModule (_?http|internal\/http)/.test(m));
    for (const args of [
      ['init', '--skip', 'run', '--root', node.root],
      ['init', '--skip', 'config', '--root', node.root],
      ['config', 'check'],
    ]) {
      const loaded = await modulesLoaded(node, args);
      expect(loaded, args.join(' ')).toContain('NativeModule net');
      expect(crypto(loaded), args.join(' ')).toEqual([]);
      expect(http(loaded), args.join(' ')).toEqual([]);
    }
    // the CA was read all the same: its file holds the certificate of the user data
    expect(readFileSync(join(node.root, 'etc/kubernetes/pki/ca.crt'), 'utf8')).toContain('-----BEGIN CERTIFICATE-----');
  });

  it('loads the EKS client (and what the clients share) for a name-only cluster, CEL for a maxPodsExpression', async () => {
    node = await startNode({ imds: { userData: userData({ cluster: { name: 'test-cluster' }, kubelet: { maxPodsExpression: 'max_pods - 1' } }) } });
    // not the EC2 or STS client: each is its own chunk
    expect(await chunksLoaded(node, ['init', '--skip', 'run', '--root', node.root])).toEqual(['aws', 'aws-eks', 'cel']);
  });

  it('a name-only run that asks EKS loads neither node:http2, node:zlib nor node:fs/promises, which the SDK requires at its top level', async () => {
    node = await startNode({ imds: { userData: userData({ cluster: { name: 'test-cluster' } }) } });
    const loaded = await modulesLoaded(node, ['init', '--skip', 'run', '--root', node.root]);
    expect(node.eks.requests.length).toBeGreaterThan(0);
    expect(loaded).toContain('NativeModule https');
    expect(loaded.filter((m) => /^NativeModule (http2|zlib|internal\/http2\/)/.test(m))).toEqual([]);
    // fs/promises (the shared config files are read through node:fs) and what it brings: Node's
    // file streams (fs.ReadStream, read at @smithy/core's top level), readline, the REPL's history
    expect(loaded.filter((m) => /^NativeModule (fs\/promises|internal\/fs\/(promises|streams)|internal\/readline\/|internal\/repl\/)/.test(m))).toEqual([]);
  });

  it('a name-only run whose credentials come from the instance role does not load node:child_process (the credential_process provider holds it)', async () => {
    node = await startNode({ imds: { userData: userData({ cluster: { name: 'test-cluster' } }) } });
    const none = join(scratch, 'no-such-file');
    // no keys in the environment and no profile files: the SDK's default chain ends at IMDS
    const env = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_CONFIG_FILE: none, AWS_SHARED_CREDENTIALS_FILE: none };
    const loaded = await modulesLoaded(node, ['init', '--skip', 'run', '--root', node.root], env);
    expect(node.eks.requests.map((r) => r.accessKeyId)).toEqual(['ASIAEMULATEDIMDS0001']);
    expect(loaded.filter((m) => /^NativeModule (child_process|dgram|internal\/child_process)$/.test(m))).toEqual([]);
  });

  it('a profile with a credential_process still signs the EKS call with what the process printed, through the stand-in', async () => {
    node = await startNode({ imds: { userData: userData({ cluster: { name: 'test-cluster' } }) } });
    const creds = join(scratch, 'credential-process.sh');
    writeFileSync(creds, `#!/bin/sh\necho '{"Version": 1, "AccessKeyId": "AKIDFROMPROCESS", "SecretAccessKey": "process-secret"}'\n`, { mode: 0o755 });
    const config = join(scratch, 'aws-config');
    writeFileSync(config, `[default]\ncredential_process = ${creds}\n`);
    const env = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: join(scratch, 'no-such-file') };
    const loaded = await modulesLoaded(node, ['init', '--skip', 'run', '--root', node.root], env);
    // exec's promisified form resolves { stdout, stderr }; a plain promisify of the stand-in would not
    expect(node.eks.requests.map((r) => r.accessKeyId)).toEqual(['AKIDFROMPROCESS']);
    expect(loaded).toContain('NativeModule child_process');
  });

  it('the SDK still reads files and recognises file streams through the stand-ins of node:fs and node:fs/promises', async () => {
    const { loadSharedConfigFiles } = fromAwsChunk<{
      loadSharedConfigFiles(init: { filepath: string; configFilepath: string }): Promise<{ configFile: Record<string, Record<string, string>> }>;
    }>('@smithy/core/config');
    const configFilepath = join(scratch, 'shared-config');
    writeFileSync(configFilepath, '[profile node]\nregion = eu-west-3\n');
    const files = await loadSharedConfigFiles({ filepath: join(scratch, 'no-such-file'), configFilepath });
    expect(files.configFile.node?.region).toBe('eu-west-3');

    // fs.ReadStream, taken at serde's top level, is the real class to instanceof
    const { calculateBodyLength } = fromAwsChunk<{ calculateBodyLength(body: unknown): number }>('@smithy/core/serde');
    const stream = createReadStream(configFilepath);
    try {
      expect(calculateBodyLength(stream)).toBe(statSync(configFilepath).size);
    } finally {
      stream.destroy();
    }
    expect(() => calculateBodyLength({})).toThrow(/Body Length computation failed/);
  });

  it("the SDK still gets node:zlib's crc32 and node:http2 through their stand-ins when it uses them", async () => {
    // the native CRC32 (zlib.crc32) was chosen at the checksum module's top level, and computes
    const { Crc32, Crc32Js } = fromAwsChunk<{
      Crc32: new () => { update(d: Uint8Array): void; digestSync(): number };
      Crc32Js: unknown;
    }>('@smithy/core/checksum');
    expect(Crc32).not.toBe(Crc32Js);
    const crc = new Crc32();
    crc.update(Buffer.from('123456789'));
    expect(crc.digestSync()).toBe(0xcbf43926);

    // an HTTP/2 request through the SDK's own HTTP/2 handler: http2.connect and http2.constants
    const server = createServer((req, res) => res.end(`${req.method} ${req.url}`));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    type Handler = { handle(r: unknown): Promise<{ response: { statusCode: number; body: AsyncIterable<Buffer> } }>; destroy(): void };
    const { NodeHttp2Handler } = fromAwsChunk<{ NodeHttp2Handler: new () => Handler }>('@smithy/node-http-handler');
    const { HttpRequest } = fromAwsChunk<{ HttpRequest: new (o: Record<string, unknown>) => unknown }>('@smithy/core/protocols');
    const handler = new NodeHttp2Handler();
    try {
      const port = (server.address() as AddressInfo).port;
      const { response } = await handler.handle(
        new HttpRequest({ protocol: 'http:', hostname: '127.0.0.1', port, method: 'GET', path: '/probe', headers: {} }),
      );
      let body = '';
      for await (const part of response.body) body += part.toString();
      expect(response.statusCode).toBe(200);
      expect(body).toBe('GET /probe');
    } finally {
      handler.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('loads the proxy agent only when a proxy applies to an AWS call', async () => {
    const proxied = (noProxy: string) =>
      userData({ cluster: { name: 'test-cluster' }, instance: { environment: { default: { HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: noProxy } } } });
    // the EKS emulator on 127.0.0.1 is exempt: the SDK but no proxy agent
    node = await startNode({ imds: { userData: proxied('127.0.0.1') } });
    expect(await chunksLoaded(node, ['init', '--skip', 'run', '--root', node.root])).toEqual(['aws', 'aws-eks']);
    await node.close();
    // complete user data: no AWS call, so neither, proxy or not
    node = await startNode({
      imds: {
        userData: userData({
          cluster: { name: 'test-cluster', apiServerEndpoint: ENDPOINT, certificateAuthority: TEST_CLUSTER_CA_BASE64, cidr: '10.100.0.0/16' },
          instance: { environment: { default: { HTTPS_PROXY: 'http://127.0.0.1:9' } } },
        }),
      },
    });
    expect(await chunksLoaded(node, ['init', '--skip', 'run', '--root', node.root])).toEqual([]);
  });
});
