import { describeCause } from '../../errors.js';
import { configWarnings } from '../../render/config-warnings.js';
import type { Plan } from '../../render/plan.js';
import type { Check } from '../runner.js';
import type { DoctorDeps } from '../types.js';
import type { ConfigValue } from './config.js';
import { instanceAccess } from '../instance.js';

const octal = (mode: number): string => `0${(mode & 0o7777).toString(8)}`;

/** Compares every file render would write now with what is on disk under the root. */
export function filesCheck(deps: DoctorDeps): Check {
  return {
    name: 'files',
    needs: ['config'],
    timeoutMs: 15_000,
    async run(ctx) {
      const { source, cluster, versionWarnings } = ctx.value<ConfigValue>('config');
      let plan: Plan;
      try {
        const instance = await instanceAccess(deps, ctx);
        // the credentials are waited for only when an instance type the table lacks is asked of EC2
        ({ plan } = await deps.plan(source, cluster, {
          timeoutMs: Math.max(1, ctx.remainingMs() - 1_000),
          ...(instance.imds ? { imds: instance.imds } : {}),
          ...(instance.identity ? { region: instance.identity.region, credentials: instance.credentials } : {}),
        }));
      } catch (err) {
        return {
          status: 'fail',
          detail: `cannot compute the expected files: ${describeCause(err)}`,
          hint: 'the instance facts (IMDS, kubelet and containerd versions) are needed to render; see the imds line and that kubelet and containerd are installed',
        };
      }
      const missing: string[] = [];
      const drifted: string[] = [];
      for (const file of [...plan.files].sort((a, b) => a.path.localeCompare(b.path))) {
        const actual = await deps.readFile(file.path);
        if (!actual) {
          missing.push(file.path);
          continue;
        }
        const why: string[] = [];
        if (!actual.content.equals(Buffer.from(file.content))) why.push('content differs');
        if ((actual.mode & 0o7777) !== (file.mode & 0o7777)) why.push(`mode ${octal(actual.mode)}, expected ${octal(file.mode)}`);
        if (why.length > 0) drifted.push(`${file.path} (${why.join(', ')})`);
      }
      const value = { plan };
      if (missing.length > 0) {
        return {
          status: 'fail',
          detail: `missing: ${missing.join(', ')}${drifted.length > 0 ? `; drifted: ${drifted.join(', ')}` : ''}`,
          hint: 'the config phase has not run or failed: see `systemctl status eks-node-agent-config` and rerun `eks-node-agent init --skip run`',
          value,
        };
      }
      if (drifted.length > 0) {
        return {
          status: 'fail',
          detail: `drifted: ${drifted.join(', ')}`,
          hint: 'something changed these files after the agent wrote them (a user-data script, configuration management); `eks-node-agent init --skip run` rewrites them',
          value,
        };
      }
      // What init warns about on this instance alone (a maxPodsExpression it cannot use, a
      // reservedMemory of another total): the config line names the warnings any instance gets,
      // those for this kubelet and the cluster resolution's, so only the rest are named here.
      const everywhere = new Set([...configWarnings(source), ...versionWarnings, ...cluster.warnings]);
      const here = plan.warnings.filter((w) => !everywhere.has(w));
      if (here.length > 0) {
        return {
          status: 'warn',
          detail: `${plan.files.length} files match what init plans; on this instance init warns: ${here.join('; ')}`,
          hint: 'init went on as each warning says; where one says the kubelet stops at start, fix the user data (see the kubelet line)',
          value,
        };
      }
      return { status: 'ok', detail: `${plan.files.length} files match what init plans`, value };
    },
  };
}
