import type { Check } from '../runner.js';
import type { DoctorDeps } from '../types.js';

/**
 * cloud-init runs the user data's scripts, and the run phase (and so the kubelet, when the user
 * data has scripts) waits for its final stage: a script that hangs keeps the node from joining,
 * and one that failed may have left the node without what it was to set up. cloud-init writes
 * where it is to /run/cloud-init/status.json and, once done, how it ended to result.json.
 */
export const CLOUD_INIT_RESULT = '/run/cloud-init/result.json';
export const CLOUD_INIT_STATUS = '/run/cloud-init/status.json';
const OUTPUT_LOG = '/var/log/cloud-init-output.log';

interface Status {
  v1?: { stage?: string | null } & Record<string, unknown>;
}

/** An entry of cloud-init's errors (a message) as the line shows it; one nested past JSON.stringify's stack, by what it is. */
function errorText(entry: unknown): string {
  if (typeof entry === 'string') return entry;
  try {
    return JSON.stringify(entry);
  } catch {
    return 'an entry nested too deep to show';
  }
}

const errorsOf = (value: unknown): string[] => (Array.isArray(value) ? value.map(errorText) : []);

function parse<T>(content: Buffer | undefined): T | undefined {
  if (!content) return undefined;
  try {
    return JSON.parse(content.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

export function cloudInitCheck(deps: DoctorDeps): Check {
  return {
    name: 'cloud-init',
    needs: [],
    timeoutMs: 2_000,
    async run() {
      const [resultFile, statusFile] = await Promise.all([deps.readFile(CLOUD_INIT_RESULT), deps.readFile(CLOUD_INIT_STATUS)]);
      const result = parse<{ v1?: { errors?: unknown } }>(resultFile?.content);
      if (resultFile && result) {
        const errors = errorsOf(result.v1?.errors);
        if (errors.length === 0) return { status: 'ok', detail: 'finished without errors (user-data scripts ran)' };
        return {
          status: 'warn',
          detail: `finished with ${errors.length} error${errors.length === 1 ? '' : 's'}: ${errors.slice(0, 3).join('; ')}`,
          hint: `a user-data script or cloud-config part failed, and the run phase went on after it: what it was to set up may be missing; see ${OUTPUT_LOG}`,
        };
      }
      const status = parse<Status>(statusFile?.content);
      const stage = status?.v1?.stage;
      if (typeof stage === 'string' && stage !== '') {
        const started = (status?.v1?.[stage] as { start?: unknown } | undefined)?.start;
        const since = typeof started === 'number' ? `, started ${Math.max(0, Math.round(deps.now().getTime() / 1000 - started))} s ago` : '';
        return {
          status: 'warn',
          detail: `still running its ${stage} stage${since}`,
          hint:
            stage === 'modules-final'
              ? `a user-data script has not finished: eks-node-agent-run waits for cloud-final, and with scripts in the user data the kubelet waits for it too; see ${OUTPUT_LOG} and what the script runs (\`systemctl status cloud-final\`)`
              : 'the boot is still in progress; rerun in a few seconds',
        };
      }
      if (status?.v1 !== undefined) {
        return {
          status: 'warn',
          detail: `has not finished: no ${CLOUD_INIT_RESULT} yet, and no stage running`,
          hint: `the boot is still in progress, or a cloud-init stage did not run; see \`cloud-init status --long\``,
        };
      }
      if (resultFile || statusFile) {
        return {
          status: 'warn',
          detail: `${resultFile ? CLOUD_INIT_RESULT : CLOUD_INIT_STATUS} is not cloud-init's JSON`,
          hint: `see \`cloud-init status --long\` and ${OUTPUT_LOG}`,
        };
      }
      return { status: 'ok', detail: 'cloud-init has not run on this boot (no /run/cloud-init): nothing for the run phase to wait for' };
    },
  };
}
