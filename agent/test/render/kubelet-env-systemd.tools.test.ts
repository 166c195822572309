import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { render } from '../../src/render/index.js';
import { REPO } from '../../../test/support/agent.js';
import { createTestCa } from '../../../test/support/pki.js';
import { baseConfig, baseFacts } from './fixtures.js';

/*
 * kubelet.service runs `kubelet $KUBELET_ARGS` with /etc/eks/kubelet/environment as its
 * EnvironmentFile. What kubelet receives is decided by systemd's own parsers, so the file is fed
 * to them (test/support/systemd-split.py over libsystemd-shared, from the systemd package) and the
 * resulting argv must be the agent's flags followed by the user's, exactly one argument each.
 */

let ca: string;
let agentArgv: string[];
beforeAll(async () => {
  ca = (await createTestCa()).certBase64;
  agentArgv = await systemdArgv([]);
});

function environmentFile(flags: string[]): string {
  const plan = render(baseConfig(ca, { kubelet: { flags } }), baseFacts());
  return plan.files.find((f) => f.path === '/etc/eks/kubelet/environment')!.content;
}

async function systemdArgv(flags: string[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kubelet-env-'));
  try {
    writeFileSync(join(dir, 'environment'), environmentFile(flags));
    const r = await execa('python3', [join(REPO, 'test/support/systemd-split.py'), join(dir, 'environment'), '$KUBELET_ARGS'], { timeout: 20_000 });
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as string);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the kubelet environment file through systemd parsers', () => {
  it('the agent alone: kubelet and its own flags', () => {
    expect(agentArgv[0]).toBe('kubelet');
    expect(agentArgv).toContain('--cloud-provider=external');
    expect(agentArgv.every((a) => !a.includes(' '))).toBe(true);
  });

  it.each([
    // a free-form path flag carries the characters: --node-labels values are label values, which the rule set checks
    ['a lone single quote', ["--pod-manifest-path='team=a", '--v=2']],
    ['a trailing backslash', ['--pod-manifest-path=team=a\\', '--v=2']],
    ['double quotes and backslashes inside', ['--pod-manifest-path=note="x\\"y"', '--register-with-taints=a=b:NoSchedule']],
    ['dollar, backtick and percent kept literal', ['--pod-manifest-path=cost=$HOME`id`%n', "--v='2'"]],
    // what the shell-syntax warning says: no shell and no systemd expansion reaches these
    // biome-ignore lint/suspicious/noTemplateCurlyInString: unexpanded shell syntax is the input under test
    ['braces and a command substitution kept literal', ['--node-ip=${NODE_IP}', '--pod-manifest-path=$(hostname)']],
  ])('%s: every flag is exactly one argument', async (_name, flags) => {
    expect(await systemdArgv(flags)).toEqual([...agentArgv, ...flags]);
  });

  it('plain flags stay bare in the file, so it reads as before', () => {
    expect(environmentFile(['--v=2'])).toMatch(/^KUBELET_ARGS="--cloud-provider=external [^"]* --v=2"$/m);
  });
});
