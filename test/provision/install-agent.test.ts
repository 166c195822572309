import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';

// Runs the real scripts/provision/install-agent.sh on an upload directory it would find
// on the build machine, installing into a temporary root.
const SCRIPT = path.resolve('scripts/provision/install-agent.sh');
// Stands in for the agent executable: answers `version`.
const AGENT = '#!/bin/sh\n[ "$1" = version ] && echo "eks-node-agent 0.1.0"\n';
const sha256 = (body: string): string => createHash('sha256').update(body).digest('hex');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'install-agent-'));
  await mkdir(path.join(dir, 'upload/agent'), { recursive: true });
  await writeFile(path.join(dir, 'upload/agent/eks-node-agent'), AGENT);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = () => execa('bash', [SCRIPT], { reject: false, env: { UPLOAD_DIR: path.join(dir, 'upload'), INSTALL_ROOT: path.join(dir, 'root') } });

describe('install-agent.sh', () => {
  it('installs the agent when its sha256 matches and records the checksum', async () => {
    // As written by build:exe: hash, two spaces, the build's file name.
    await writeFile(path.join(dir, 'upload/agent/eks-node-agent.sha256'), `${sha256(AGENT)}  eks-node-agent-linux-x64\n`);
    const result = await run();
    expect(result.exitCode).toBe(0);
    expect(await readFile(path.join(dir, 'root/usr/bin/eks-node-agent'), 'utf8')).toBe(AGENT);
    expect(await readFile(path.join(dir, 'root/etc/eks/artifacts.sha256'), 'utf8')).toBe(`${sha256(AGENT)}  /usr/bin/eks-node-agent\n`);
    // nodeadm's name, for scripts and runbooks written for the AL2023 AMI: a relative link, so it holds in any root
    expect(await readlink(path.join(dir, 'root/usr/bin/nodeadm'))).toBe('eks-node-agent');
    const viaLink = await execa(path.join(dir, 'root/usr/bin/nodeadm'), ['version']);
    expect(viaLink.stdout).toBe('eks-node-agent 0.1.0');
  });

  it('leaves a real nodeadm alone, saying so', async () => {
    await writeFile(path.join(dir, 'upload/agent/eks-node-agent.sha256'), `${sha256(AGENT)}\n`);
    await mkdir(path.join(dir, 'root/usr/bin'), { recursive: true });
    await writeFile(path.join(dir, 'root/usr/bin/nodeadm'), '#!/bin/sh\necho nodeadm\n');
    const result = await run();
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('/usr/bin/nodeadm is not a link to eks-node-agent: left alone');
    expect(await readFile(path.join(dir, 'root/usr/bin/nodeadm'), 'utf8')).toBe('#!/bin/sh\necho nodeadm\n');
  });

  it('fails naming the agent and agent_binary_path on a sha256 mismatch, installing nothing', async () => {
    const wrong = sha256('another build');
    await writeFile(path.join(dir, 'upload/agent/eks-node-agent.sha256'), `${wrong}\n`);
    const result = await run();
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toBe(`install-agent: sha256 mismatch for eks-node-agent (agent_binary_path): expected ${wrong}, got ${sha256(AGENT)}`);
    expect(existsSync(path.join(dir, 'root/usr/bin/eks-node-agent'))).toBe(false);
  });

  it('fails when the checksum file is missing', async () => {
    const result = await run();
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('agent_binary_path needs a .sha256 beside it');
  });
});
