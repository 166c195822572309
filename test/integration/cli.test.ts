import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { TEST_CLUSTER_CA_BASE64 } from '../emulators/eks.js';
import { REPO, agentCommand, fileUri, fixture, runAgent } from '../support/agent.js';
import { startNode, type SimulatedNode } from '../support/node.js';

/* The command line as people and runbooks type it: version, help, nodeadm's spellings, log format, completion. */

const PKG_VERSION = (JSON.parse(readFileSync(fixture('../../package.json'), 'utf8')) as { version: string }).version;
const complete = fileUri(fixture('userdata/complete.yaml'));
const tmp = mkdtempSync(join(tmpdir(), 'eks-node-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let node: SimulatedNode | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

describe('version and help', () => {
  it.each([['version'], ['--version'], ['-v']])('%s prints the version and exits 0', async (arg) => {
    const r = await runAgent([arg]);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(r.stdout).toMatch(new RegExp(`^eks-node-agent ${PKG_VERSION.replace(/\./g, '\\.')} `));
  });

  it('`help` lists every command and `help COMMAND` shows its options, exit 0', async () => {
    const top = await runAgent(['help']);
    expect(top.exitCode).toBe(0);
    for (const command of ['init', 'render', 'config', 'doctor', 'version', 'completion', 'help']) expect(top.stdout).toMatch(new RegExp(`\\n  ${command}\\b`));
    const dump = await runAgent(['help', 'config', 'dump']);
    expect(dump.exitCode).toBe(0);
    expect(dump.stdout).toContain('-o, --config-output <file>');
    expect(dump.stdout).toContain('--output <format>');
  });

  it('names an unknown option, before or after a command, in one line with exit 1', async () => {
    for (const args of [['--frobnicate'], ['init', '--frobnicate']]) {
      const r = await runAgent(args);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/^error: (init: )?unknown option '--frobnicate' \(see 'eks-node-agent (init )?--help'\)\n$/);
    }
  });
});

describe("nodeadm's spellings", () => {
  it('init -c FILE --config-cache PATH -d kubelet -s config,run: validates only, and says what the nodeadm flags do here', async () => {
    const r = await runAgent(['init', '-c', complete, '--config-cache', '/run/eks/nodeadm/config.json', '-d', 'kubelet', '-s', 'config,run']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^configuration is valid\n/);
    expect(r.stderr).toContain('note: --config-cache /run/eks/nodeadm/config.json: eks-node-agent keeps no NodeConfig cache');
    expect(r.stderr).toContain('note: --daemon kubelet: eks-node-agent always configures and starts both containerd and kubelet');
  });

  it('config dump -o FILE --output json writes the merged config as JSON', async () => {
    const out = join(tmp, 'dump.json');
    const r = await runAgent(['config', 'dump', '-c', complete, '-o', out, '--output', 'json']);
    expect(r).toMatchObject({ exitCode: 0, stdout: '' });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ apiVersion: 'node.eks.aws/v1alpha1', kind: 'NodeConfig' });
  });

  it('ends once its output is written: a reader slower than the pipe gets every byte of a 300 kB dump, and the exit code', async () => {
    // The agent exits as soon as a command is done (agent/src/main.ts); output larger than a
    // pipe's buffer, read a second late, shows that nothing still queued is cut off.
    const big = join(tmp, 'big.yaml');
    writeFileSync(big, stringify({ apiVersion: 'node.eks.aws/v1alpha1', kind: 'NodeConfig', spec: { containerd: { config: `# ${'x'.repeat(300_000)}\n` } } }));
    const direct = join(tmp, 'big-dump.yaml');
    expect((await runAgent(['config', 'dump', '-c', complete, '-c', fileUri(big), '-o', direct])).exitCode).toBe(0);
    const [file, ...argv] = agentCommand();
    const quoted = [file, ...argv, 'config', 'dump', '-c', complete, '-c', fileUri(big)].map((a) => `'${a}'`).join(' ');
    const r = await execa('bash', ['-c', `${quoted} | { sleep 1; wc -c; }; echo "exit \${PIPESTATUS[0]}"`], { reject: false, env: { PATH: '/usr/bin:/bin' } });
    const [bytes, exit] = String(r.stdout).trim().split('\n');
    expect(Number(bytes)).toBe(readFileSync(direct).length);
    expect(Number(bytes)).toBeGreaterThan(300_000);
    expect(exit).toBe('exit 0');
  });

  it('init --skip run then --skip config, with nodeadm short flags, boots the node', async () => {
    const ca = TEST_CLUSTER_CA_BASE64;
    const userData = stringify({
      apiVersion: 'node.eks.aws/v1alpha1',
      kind: 'NodeConfig',
      spec: { cluster: { name: 'c', apiServerEndpoint: 'https://example.com', certificateAuthority: ca, cidr: '10.100.0.0/16' } },
    });
    node = await startNode({ imds: { userData } });
    expect((await node.agent(['init', '--root', node.root, '-s', 'run'])).exitCode).toBe(0);
    expect(node.systemctlCalls()).toEqual([]);
    expect((await node.agent(['init', '--root', node.root, '-s', 'config'])).exitCode).toBe(0);
    expect(node.systemctlCalls()).toContain('restart kubelet.service');
  });
});

describe('--log-format json', () => {
  it('logs one JSON object per line with time, level, phase, message and duration', async () => {
    node = await startNode({ imds: { userData: readFileSync(fixture('userdata/name-only.yaml')) }, eks: { clusters: { demo: {} } } });
    const r = await node.agent(['--log-format', 'json', 'init', '--root', node.root, '--skip', 'run']);
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stderr
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(4);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(expect.arrayContaining(['time', 'level', 'message']));
      expect(Number.isNaN(Date.parse(String(line.time)))).toBe(false);
    }
    const facts = lines.find((l) => l.phase === 'facts');
    expect(facts).toMatchObject({ level: 'info', message: expect.stringMatching(/^facts \d+ ms \(m5\.large/), duration: expect.any(Number) });
    expect(lines.at(-1)).toMatchObject({ phase: 'done', duration: expect.any(Number), runtimeStart: expect.any(Number) });
  });

  it('logs errors as JSON lines too', async () => {
    const r = await runAgent(['config', 'check', '--log-format=json', '-c', fileUri(join(tmp, 'missing.yaml'))]);
    expect(r.exitCode).toBe(1);
    expect(JSON.parse(r.stderr)).toMatchObject({ level: 'error', message: expect.stringContaining('missing.yaml: cannot read') });
  });
});

describe('off EC2', () => {
  it('config check says once, right after the first refused attempt, that IMDS is not answering and what works offline', async () => {
    // Port 9 on loopback refuses; the deadline is short so the test does not wait a minute.
    const r = await runAgent(['config', 'check'], { env: { EKS_NODE_AGENT_IMDS_TIMEOUT_SECONDS: '3' } });
    expect(r.exitCode).toBe(2);
    const notes = r.stderr.split('\n').filter((l) => l.includes('is not answering'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^eks-node-agent: note: IMDS at http:\/\/127\.0\.0\.1:9 is not answering \(.*ECONNREFUSED.*\); retrying until its deadline\. Not on EC2\? `-c file:\/\/\/path\/to\/user-data` .* `render` works offline\.$/,
    );
    expect(r.stderr).toMatch(/error: IMDS http:\/\/127\.0\.0\.1:9\/latest\/user-data: no usable answer within 3s/);
  });
});

describe('IMDS over IPv6', () => {
  it('takes the IPv6 endpoint when AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE says IPv6, as the AWS SDKs do', async () => {
    const env = { AWS_EC2_METADATA_SERVICE_ENDPOINT: '', AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv6', EKS_NODE_AGENT_IMDS_TIMEOUT_SECONDS: '1' };
    const r = await runAgent(['config', 'check'], { env });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/note: IMDS at http:\/\/\[fd00:ec2::254\] is not answering/);
    expect(r.stderr).toMatch(/error: IMDS http:\/\/\[fd00:ec2::254\]\/latest\/user-data: no usable answer within 1s/);
    const doctor = await runAgent(['doctor', '--output', 'json', '--timeout', '2', '--root', tmp], { env });
    const imds = (JSON.parse(doctor.stdout) as Array<{ name: string; status: string; hint?: string }>).find((c) => c.name === 'imds');
    expect(imds?.status).toMatch(/^(fail|timeout)$/);
    expect(imds?.hint).toMatch(/^IMDS at http:\/\/\[fd00:ec2::254\] is unreachable .*HttpProtocolIpv6 enabled/);
  });

  it('refuses an endpoint mode the SDKs do not know, naming the variable', async () => {
    const r = await runAgent(['config', 'check'], { env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: '', AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv7' } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('error: AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: "IPv7" is not an endpoint mode (expected "IPv4" or "IPv6")\n');
  });
});

describe('completion', () => {
  /** Sources the script in bash and asks it to complete `words` (the last one is being typed). */
  async function complete(shell: 'bash', words: string[]): Promise<string[]> {
    const script = join(tmp, `completion.${shell}`);
    const r = await runAgent(['completion', shell]);
    expect(r.exitCode, r.stderr).toBe(0);
    writeFileSync(script, r.stdout);
    const probe = `source ${script}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _eks_node_agent; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const out = await execa('bash', ['-c', probe]);
    return String(out.stdout).split('\n').filter(Boolean).sort();
  }

  it('bash completes commands, subcommands, options and option values from the command table', async () => {
    expect(await complete('bash', ['eks-node-agent', ''])).toEqual(
      expect.arrayContaining(['init', 'render', 'config', 'doctor', 'completion', 'help', '--version']),
    );
    expect(await complete('bash', ['eks-node-agent', 'config', ''])).toEqual(['--help', 'check', 'dump', 'from-bootstrap']);
    expect(await complete('bash', ['eks-node-agent', 'init', '--sk'])).toEqual(['--skip']);
    expect(await complete('bash', ['eks-node-agent', 'init', '--skip', ''])).toEqual(['config', 'run']);
    expect(await complete('bash', ['eks-node-agent', 'doctor', '-c', 'im'])).toEqual(['imds://user-data']);
    expect(await complete('bash', ['eks-node-agent', 'completion', ''])).toEqual(['--help', 'bash', 'zsh']);
  });

  it('zsh gets the same function through bashcompinit', async () => {
    const r = await runAgent(['completion', 'zsh']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^#compdef eks-node-agent\n/);
    expect(r.stdout).toContain('bashcompinit');
    expect(r.stdout).toContain('complete -o default -F _eks_node_agent eks-node-agent');
  });

  it('names an unsupported shell', async () => {
    const r = await runAgent(['completion', 'fish']);
    expect(r).toMatchObject({ exitCode: 1, stderr: `error: completion: 'fish' is not allowed (expected "bash" or "zsh")\n` });
  });
});

describe('npm start', () => {
  const simulate = (args: string[]) =>
    execa(join(REPO, 'node_modules/.bin/tsx'), [join(REPO, 'scripts/simulate-boot.ts'), ...args], { reject: false, cwd: REPO });

  it("--help prints the simulated boot's options, exit 0", async () => {
    const r = await simulate(['--help']);
    expect(r.exitCode).toBe(0);
    expect(String(r.stdout)).toMatch(/^Usage: npm start \[-- options\]/);
    for (const option of ['--user-data <file>', '--name-only', '-h, --help']) expect(String(r.stdout)).toContain(option);
  });

  it('names an unknown option in one line before the usage, exit 1, no stack trace', async () => {
    const r = await simulate(['--bogus']);
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toMatch(/^npm start: Unknown option '--bogus'.*\n\nUsage: npm start/);
    expect(String(r.stderr)).not.toMatch(/\n\s+at /);
  });
});

describe('init with a NodeConfig swallowed by a script part', () => {
  it('warns naming the part and boots from the NodeConfig it did find', async () => {
    const mime = readFileSync(fixture('userdata/karpenter.mime'), 'utf8');
    const userData = mime.replace(
      '--//\nContent-Type: application/node.eks.aws',
      'Content-Type: application/node.eks.aws\n\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\nspec:\n  kubelet:\n    flags: [--v=4]\n\n--//\nContent-Type: application/node.eks.aws',
    );
    node = await startNode({ imds: { userData } });
    const r = await node.agent(['init', '--root', node.root, '--skip', 'run']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /eks-node-agent: warning: imds:\/\/user-data \(MIME part 1\): this text\/x-shellscript part holds what looks like a NodeConfig .*is a boundary line missing before it\?/,
    );
    expect(node.read('/etc/eks/kubelet/environment')).not.toContain('--v=4');
  });
});
