import { describeCause } from '../../errors.js';
import { matchJournal } from '../journal-patterns.js';
import type { Check, Outcome } from '../runner.js';
import type { DoctorDeps, UnitStatus } from '../types.js';
import { AGENT_CONFIG_UNIT, AGENT_RUN_UNIT, CONTAINERD_UNIT, KUBELET_UNIT } from '../../render/paths.js';
import { SOCI } from '../../render/fast-image-pull.js';
import type { Plan } from '../../render/plan.js';

/** The units the doctor looks at, in boot order. Oneshot units are fine when they ran and exited. */
export const UNITS: Array<{ unit: string; oneshot: boolean }> = [
  { unit: AGENT_CONFIG_UNIT, oneshot: true },
  { unit: CONTAINERD_UNIT, oneshot: false },
  { unit: AGENT_RUN_UNIT, oneshot: true },
  { unit: KUBELET_UNIT, oneshot: false },
];

export const JOURNAL_LINES = 200;

function state(s: UnitStatus): string {
  const exit = s.execMainStatus && s.execMainStatus !== '0' ? `, last exit status ${s.execMainStatus}` : '';
  return `${s.activeState} (${s.subState}), result ${s.result}${exit}`;
}

async function failedHint(deps: DoctorDeps, unit: string, timeoutMs: number): Promise<Pick<Outcome, 'detail' | 'hint'>> {
  let lines: string[] = [];
  try {
    lines = await deps.journal(unit, JOURNAL_LINES, timeoutMs);
  } catch (err) {
    return { detail: `(journal unreadable: ${describeCause(err)})`, hint: `see \`journalctl -u ${unit}\`` };
  }
  if (unit === 'kubelet.service') {
    const matches = matchJournal(lines);
    if (matches.length > 0) {
      return { detail: `journal: ${matches.map((m) => JSON.stringify(m.line)).join('; ')}`, hint: matches.map((m) => m.hint).join('; ') };
    }
  }
  const last = [...lines].reverse().find((l) => /error|fail|fatal/i.test(l)) ?? lines.at(-1);
  return { detail: last ? `journal: ${JSON.stringify(last.trim())}` : 'journal is empty', hint: `see \`journalctl -u ${unit}\` for the whole story` };
}

export function unitCheck(deps: DoctorDeps, unit: string, oneshot: boolean): Check {
  const short = unit.replace(/\.service$/, '');
  return {
    name: `unit:${short}`,
    needs: [],
    timeoutMs: 5_000,
    async run(ctx) {
      let s: UnitStatus;
      try {
        s = await deps.systemctlShow(unit, Math.max(1, ctx.remainingMs() - 2_000));
      } catch (err) {
        return {
          status: 'fail',
          detail: `systemctl show ${unit} failed: ${describeCause(err)}`,
          hint: 'systemd is not running or systemctl is not on the PATH',
        };
      }
      if (s.loadState === 'not-found') {
        return { status: 'fail', detail: `${unit} is not installed`, hint: 'this image lacks the unit: build it with the eks-node Packer template' };
      }
      if (s.loadState === 'masked') return { status: 'fail', detail: `${unit} is masked`, hint: `systemctl unmask ${unit}` };
      const crashLoop = s.activeState === 'activating' && s.subState === 'auto-restart';
      const failed = s.activeState === 'failed' || crashLoop || (oneshot && s.activeState === 'inactive' && s.result !== 'success');
      if (failed) {
        const more = await failedHint(deps, unit, Math.max(1, ctx.remainingMs() - 100));
        return {
          status: 'fail',
          detail: `${state(s)}${crashLoop ? ' (restarting in a loop)' : ''}; ${more.detail}`,
          ...(more.hint ? { hint: more.hint } : {}),
        };
      }
      if (s.activeState === 'active') return { status: 'ok', detail: state(s) };
      if (oneshot && s.activeState === 'inactive' && s.result === 'success') return { status: 'ok', detail: 'ran and exited successfully' };
      if (s.activeState === 'activating') return { status: 'warn', detail: state(s), hint: `${unit} is still starting; rerun in a few seconds` };
      return {
        status: oneshot ? 'warn' : 'fail',
        detail: state(s),
        hint: oneshot ? `${unit} has not run yet (boot still in progress?)` : `${unit} is not running: \`systemctl start ${unit}\`, or see eks-node-agent-run`,
      };
    },
  };
}

/** Whether the plan pulls images through the SOCI snapshotter: it restarts the snapshotter's unit. */
export function pullsThroughSoci(plan: Plan): boolean {
  return plan.units.some((a) => a.kind === 'restart' && a.unit === SOCI.unit);
}

/**
 * The SOCI snapshotter's unit, judged as the others where the plan pulls through it
 * (FastImagePull taken: render/fast-image-pull.ts); elsewhere one line says it is not used.
 */
export function sociUnitCheck(deps: DoctorDeps): Check {
  const unit = unitCheck(deps, SOCI.unit, false);
  return {
    ...unit,
    needs: ['files'],
    async run(ctx) {
      const { plan } = ctx.value<{ plan: Plan }>('files');
      if (!pullsThroughSoci(plan)) {
        // render's own line on why the gate was not taken (a small instance, an image without the snapshotter)
        const why = [...plan.warnings, ...(plan.notes ?? [])].find((l) => l.startsWith('spec.featureGates.FastImagePull:'));
        return { status: 'ok', detail: why ? `not used: ${why}` : 'not used: spec.featureGates.FastImagePull is not on' };
      }
      return unit.run(ctx);
    },
  };
}

/** Every unit line, in boot order: the SOCI snapshotter's before containerd's, which needs it where it is used. */
export function unitChecks(deps: DoctorDeps): Check[] {
  const [config, ...rest] = UNITS.map(({ unit, oneshot }) => unitCheck(deps, unit, oneshot));
  return [config!, sociUnitCheck(deps), ...rest];
}
