import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { useDoctorNode, run, api, imds, work, endpoint, nodeConfig, configureNode, doctorJson } from './doctor-node.js';

/*
 * The doctor cases that need tools npm cannot provide (`npm run test:tools` checks for them):
 * the real kubectl against the fake API server, and python3 for a listener that never accepts.
 */

useDoctorNode();

describe('doctor names the cause of each join failure', () => {
  it('TCP timeout (a listener whose backlog never accepts): tcp fails naming security groups', async () => {
    const blackhole = await startBlackhole();
    try {
      const config = nodeConfig({ apiServerEndpoint: `https://127.0.0.1:${blackhole.port}` });
      imds.setUserData(stringify(config));
      await configureNode(config);
      const started = Date.now();
      const r = await doctorJson(['--timeout', '12']);
      expect(r.by('tcp')).toMatchObject({ status: 'fail', detail: expect.stringContaining(`no TCP connection to 127.0.0.1:${blackhole.port} within`) });
      expect(r.by('tcp').hint).toContain('security group');
      expect(r.by('tls').status).toBe('skipped');
      // bounded by --timeout 12 (plus start-up), not by a per-request guess
      expect(Date.now() - started).toBeLessThan(25_000);
    } finally {
      blackhole.close();
    }
  });
});

describe('fake API server', () => {
  it('serves kubectl: create and get a Node, patch its status', async () => {
    const kubeconfig = join(work, 'kubectl.kubeconfig');
    await writeFile(join(work, 'ca.crt'), api.caPem);
    await writeFile(
      kubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: endpoint, 'certificate-authority': join(work, 'ca.crt') } }],
        users: [{ name: 'u', user: { token: 'k8s-aws-v1.kubectl-test' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    const kubectl = (...args: string[]) => run('kubectl', ['--kubeconfig', kubeconfig, ...args]);
    await writeFile(join(work, 'node.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'kubectl-node', labels: { a: 'b' } } }));
    await kubectl('create', '-f', join(work, 'node.json'));
    expect(api.nodeCreations.map((n) => n.metadata?.name)).toContain('kubectl-node');
    const { stdout } = await kubectl('get', 'node', 'kubectl-node', '-o', 'jsonpath={.metadata.labels.a}');
    expect(stdout).toBe('b');
    await kubectl(
      'patch',
      'node',
      'kubectl-node',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}',
    );
    expect(api.heartbeats.some((h) => h.node === 'kubectl-node')).toBe(true);
    await expect(run('kubectl', ['--kubeconfig', kubeconfig, '--token', 'not-an-eks-token', 'get', 'nodes'])).rejects.toThrow(/Unauthorized/);
  });
});

/**
 * A loopback listener whose accept queue is full and never drained: further SYNs are dropped,
 * so a connect hangs exactly like one into a security group that drops packets. Node cannot
 * listen without accepting, hence a tiny Python helper.
 */
async function startBlackhole(): Promise<{ port: number; close(): void }> {
  const script = [
    'import socket, sys, time',
    's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
    'port = s.getsockname()[1]',
    'held = []',
    'for _ in range(8):',
    '    c = socket.socket(); c.setblocking(False)',
    '    try: c.connect(("127.0.0.1", port))',
    '    except BlockingIOError: pass',
    '    held.append(c)',
    'time.sleep(0.3)',
    'print(port, flush=True)',
    'sys.stdin.read()',
  ].join('\n');
  const child: ChildProcess = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('error', reject);
  });
  return { port, close: () => void child.kill() };
}
