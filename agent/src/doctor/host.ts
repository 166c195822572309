import { release } from 'node:os';
import { EnvironmentError } from '../errors.js';
import { AGENT_VERSION } from '../version.js';
import { tokenOf } from './kubeconfig.js';
import type { ExecConfig } from './types.js';

/** The doctor's reads of this host that are not files: credential plugins and component versions. */

async function exec(file: string, args: string[], timeoutMs: number, env?: Record<string, string>) {
  const { execa } = await import('execa');
  return execa(file, args, { timeout: timeoutMs, stdin: 'ignore', reject: false, ...(env ? { env } : {}) });
}

/** Runs a kubeconfig exec credential plugin (aws-iam-authenticator) as the kubelet would, giving its token. */
export async function execCredential(execConfig: ExecConfig, timeoutMs: number, env: Record<string, string>): Promise<string> {
  const info = { apiVersion: execConfig.apiVersion ?? 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', spec: { interactive: false } };
  const r = await exec(execConfig.command, execConfig.args ?? [], timeoutMs, {
    ...env,
    ...Object.fromEntries((execConfig.env ?? []).map((e) => [e.name, e.value])),
    KUBERNETES_EXEC_INFO: JSON.stringify(info),
  });
  if (r.timedOut) throw new EnvironmentError(`no token within ${timeoutMs} ms`);
  if (r.failed) {
    const why = String(r.stderr).trim().split('\n').at(-1) || r.shortMessage;
    throw new EnvironmentError(`exit ${r.exitCode ?? '?'}: ${why}`);
  }
  return tokenOf(String(r.stdout));
}

/** What a program printed first, or undefined when it did not run or failed. */
export async function firstLineOf(file: string, args: string[], timeoutMs: number): Promise<string | undefined> {
  const r = await exec(file, args, timeoutMs).catch(() => ({ failed: true, stdout: '' }));
  return r.failed ? undefined : (String(r.stdout).trim().split('\n')[0] ?? '');
}

/**
 * name -> version of every component the node runs; `kubelet` gives `kubelet --version`'s line
 * when the caller already asked (the kubelet-version line did), so the bundle does not run it again.
 */
export async function componentVersions(timeoutMs: number, kubeletLine?: (timeoutMs: number) => Promise<string | undefined>): Promise<Record<string, string>> {
  const probe = async (file: string, args: string[]): Promise<string> => (await firstLineOf(file, args, timeoutMs)) ?? 'not found';
  const [kubelet, containerd, runc, authenticator] = await Promise.all([
    kubeletLine ? kubeletLine(timeoutMs).then((line) => line ?? 'not found') : probe('kubelet', ['--version']),
    probe('containerd', ['--version']),
    probe('runc', ['--version']),
    probe('aws-iam-authenticator', ['version']),
  ]);
  return { 'aws-iam-authenticator': authenticator, containerd, 'eks-node-agent': AGENT_VERSION, kernel: release(), kubelet, node: process.version, runc };
}

/** `iptables -S FORWARD` (`ip6tables` for IPv6; waiting up to 5 s for the xtables lock): the chain's policy and rules, one per line. */
export async function forwardChain(timeoutMs: number, family: 'ipv4' | 'ipv6' = 'ipv4'): Promise<string[]> {
  const tool = family === 'ipv6' ? 'ip6tables' : 'iptables';
  const r = await exec(tool, ['-w', '5', '-S', 'FORWARD'], timeoutMs);
  if (r.timedOut) throw new EnvironmentError(`${tool} -S FORWARD: no answer within ${timeoutMs} ms`);
  if ((r as { code?: string }).code === 'ENOENT') throw new EnvironmentError(`${tool} is not on the PATH`);
  if (r.failed) {
    const why = String(r.stderr).trim().split('\n').at(-1) || r.shortMessage;
    throw new EnvironmentError(`${tool} -S FORWARD: exit ${r.exitCode ?? '?'}: ${why}`);
  }
  return String(r.stdout)
    .split('\n')
    .filter((l) => l !== '');
}
