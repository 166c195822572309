import { execa } from 'execa';
import { readFile } from 'node:fs/promises';

/**
 * How the harness logs into a VM: root with a per-run key, on a forwarded loopback port. With
 * `controlPath`, every command after the first rides one SSH connection (OpenSSH multiplexing):
 * a case runs ~100 commands, and under TCG each new connection's key exchange and login cost
 * the guest about a second of CPU.
 */
export interface SshTarget {
  port: number;
  keyFile: string;
  /** the multiplexing socket; a Unix socket path, so short (see controlPathFor) */
  controlPath?: string;
}

/**
 * A control socket path for `dir`, or undefined (no multiplexing) where the path would be too
 * long for a Unix socket: OpenSSH binds a 17-character temporary name beside it first, and
 * sun_path holds 107 characters.
 */
export function controlPathFor(dir: string, port: number): string | undefined {
  const path = `${dir}/ssh-${port}`;
  return path.length + 17 <= 107 ? path : undefined;
}

export interface SshResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

function sshArgs(target: SshTarget): string[] {
  return [
    '-i',
    target.keyFile,
    '-p',
    String(target.port),
    // Every VM is fresh and its host key made at first boot: nothing to pin.
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
    '-o',
    'LogLevel=ERROR',
    '-o',
    'ServerAliveInterval=5',
    '-o',
    'ServerAliveCountMax=3',
    // The first command opens the shared connection; it stays a minute after the last one.
    ...(target.controlPath ? ['-o', 'ControlMaster=auto', '-o', `ControlPath=${target.controlPath}`, '-o', 'ControlPersist=60'] : []),
  ];
}

/**
 * Closes the shared connection (before a reboot, and when a VM stops): a command sent over a
 * connection to a guest that is gone would wait for the keep-alives (15 s) to notice.
 */
export async function sshDisconnect(target: SshTarget): Promise<void> {
  if (!target.controlPath) return;
  await execa('ssh', ['-o', `ControlPath=${target.controlPath}`, '-O', 'exit', 'root@127.0.0.1'], { reject: false, timeout: 10_000, stdin: 'ignore' });
}

/** Runs a shell command in the VM; resolves with its exit code (never rejects on a non-zero one). */
export async function ssh(target: SshTarget, command: string, timeoutMs = 180_000, input?: string): Promise<SshResult> {
  const result = await execa('ssh', [...sshArgs(target), 'root@127.0.0.1', command], {
    reject: false,
    timeout: timeoutMs,
    ...(input === undefined ? { stdin: 'ignore' as const } : { input }),
  });
  if (result.timedOut) throw new Error(`ssh: \`${command}\` did not finish within ${timeoutMs / 1000}s`);
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Like ssh() but a non-zero exit is an error naming the command and its stderr. */
export async function sshOk(target: SshTarget, command: string, timeoutMs = 180_000, input?: string): Promise<string> {
  const r = await ssh(target, command, timeoutMs, input);
  if (r.exitCode !== 0) throw new Error(`ssh: \`${command}\` exited ${r.exitCode}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** Copies a host file into the VM (through ssh's stdin, so no scp/sftp subsystem is needed). */
export async function sshPut(target: SshTarget, hostPath: string, vmPath: string): Promise<void> {
  await sshOk(target, `cat > '${vmPath}'`, 60_000, await readFile(hostPath, 'utf8'));
}

/** Polls until sshd answers a trivial command, or fails naming the deadline. */
export async function waitForSsh(target: SshTarget, deadlineMs: number, what: string, alive: () => string | undefined): Promise<void> {
  const started = Date.now();
  let last = '';
  while (Date.now() - started < deadlineMs) {
    const dead = alive();
    if (dead) throw new Error(`${what}: ${dead} while waiting for SSH`);
    try {
      const r = await ssh(target, 'true', 20_000);
      if (r.exitCode === 0) return;
      last = r.stderr.trim();
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 2_000));
  }
  throw new Error(`${what}: SSH did not answer within ${deadlineMs / 1000}s (last: ${last || 'no answer'})`);
}
