import { oneLine } from '../common/one-line.js';
import type { Plan, UnitAction } from '../render/plan.js';

function describeAction(action: UnitAction): string {
  switch (action.kind) {
    case 'daemon-reexec':
      return 'systemctl daemon-reexec (when the default environment changed)';
    case 'daemon-reload':
      return 'systemctl daemon-reload (when a unit drop-in changed)';
    case 'restart':
      return `systemctl restart ${action.unit}${action.waitActiveSeconds ? `, wait up to ${action.waitActiveSeconds}s for active` : ''} (when its files changed or it is not active)`;
    case 'enable':
      return `systemctl enable ${action.unit}`;
  }
}

/** The plan as text: what would be written and started, then warnings and notes. */
export function formatPlan(plan: Plan): string[] {
  return [
    ...plan.files.map((f) => `file ${f.mode.toString(8).padStart(4, '0')} ${String(Buffer.byteLength(f.content)).padStart(6)} ${f.path}`),
    ...plan.units.map((a) => `unit ${describeAction(a)}`),
    ...plan.warnings.map((w) => `warning ${oneLine(w)}`),
    ...(plan.notes ?? []).map((n) => `note ${oneLine(n)}`),
  ];
}
