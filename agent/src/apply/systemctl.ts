import { EnvironmentError } from '../errors.js';
import { createProcessRunner } from './process.js';

/** The systemd operations the run phase needs; injected so tests can record them. */
export interface Systemctl {
  daemonReload(): Promise<void>;
  daemonReexec(): Promise<void>;
  restart(unit: string): Promise<void>;
  /** restarts the unit only when it is running */
  tryRestart(unit: string): Promise<void>;
  isActive(unit: string): Promise<boolean>;
  /** systemd's ActiveState of the unit: active, activating, deactivating, inactive, failed, reloading */
  activeState(unit: string): Promise<string>;
  /** queues start jobs and returns at once; systemd runs them in the units' own order */
  startNoBlock(units: readonly string[]): Promise<void>;
  enable(unit: string): Promise<void>;
  /** the unit's CPU weight for this boot only (`set-property --runtime`); it takes effect when the unit starts, if not running */
  setCpuWeight(unit: string, weight: number): Promise<void>;
}

export interface SystemctlOptions {
  /** the systemctl executable; default `systemctl` from PATH */
  command?: string;
  /** per call; a restart waits for the unit's start job, so it gets longer than the others */
  timeoutMs?: { daemonReload?: number; restart?: number; isActive?: number; enable?: number };
  env?: Record<string, string | undefined>;
}

const DEFAULT_TIMEOUTS = { daemonReload: 60_000, restart: 120_000, isActive: 10_000, enable: 30_000 };

/** The real implementation: `systemctl` through the process runner, each call bounded by a timeout it names. */
export function createSystemctl(options: SystemctlOptions = {}): Systemctl {
  const command = options.command ?? 'systemctl';
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeoutMs };

  const runProcess = createProcessRunner(options.env);

  async function call(args: string[], timeoutMs: number, okExitCodes: number[] = [0]): Promise<{ exitCode: number; stdout: string }> {
    const result = await runProcess(command, args, { timeoutMs, label: 'systemctl' });
    if (!okExitCodes.includes(result.exitCode)) {
      const detail = String(result.stderr).trim().split('\n')[0] ?? '';
      throw new EnvironmentError(`systemctl ${args.join(' ')}: failed with exit code ${result.exitCode}${detail ? `: ${detail}` : ''}`, { cause: result });
    }
    return { exitCode: result.exitCode, stdout: result.stdout };
  }

  return {
    async daemonReload() {
      await call(['daemon-reload'], timeouts.daemonReload);
    },
    async daemonReexec() {
      await call(['daemon-reexec'], timeouts.daemonReload);
    },
    async tryRestart(unit) {
      await call(['try-restart', unit], timeouts.restart);
    },
    async restart(unit) {
      await call(['restart', unit], timeouts.restart);
    },
    async isActive(unit) {
      // is-active exits 0 when active and 3 (or 4 for an unknown unit) otherwise.
      const { exitCode } = await call(['--quiet', 'is-active', unit], timeouts.isActive, [0, 1, 2, 3, 4]);
      return exitCode === 0;
    },
    async activeState(unit) {
      // the state is printed whatever the exit code (0 only for active)
      const { stdout } = await call(['is-active', unit], timeouts.isActive, [0, 1, 2, 3, 4]);
      return stdout.trim().split('\n')[0] || 'unknown';
    },
    async startNoBlock(units) {
      await call(['start', '--no-block', ...units], timeouts.isActive);
    },
    async enable(unit) {
      await call(['enable', unit], timeouts.enable);
    },
    async setCpuWeight(unit, weight) {
      await call(['set-property', '--runtime', unit, `CPUWeight=${weight}`], timeouts.isActive);
    },
  };
}
