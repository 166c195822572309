import { oneLine } from '../common/one-line.js';
import type { CheckResult } from './types.js';

const ORDER: Array<keyof CheckResult> = ['detail', 'hint', 'name', 'skippedBecause', 'status'];

/** JSON: a list of objects with sorted keys, one per check, and a trailing newline. */
export function formatJson(results: CheckResult[]): string {
  const sorted = results.map((r) => Object.fromEntries(ORDER.filter((k) => r[k] !== undefined).map((k) => [k, r[k]])));
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

/** Text: one line per check (status, name, what was found, the hint), then a summary line. */
export function formatText(results: CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.map((r) => {
    const hint = r.hint ? ` -- hint: ${r.hint}` : '';
    return oneLine(`${r.status.padEnd(7)} ${r.name.padEnd(width)}  ${r.detail.replace(/\s*\n\s*/g, ' ')}${hint}`);
  });
  const count = (s: string): number => results.filter((r) => r.status === s).length;
  const timedOut = count('timeout') > 0 ? `, ${count('timeout')} timed out` : '';
  lines.push(`${count('fail')} failed${timedOut}, ${count('warn')} warnings, ${count('ok')} ok, ${count('skipped')} skipped`);
  return `${lines.join('\n')}\n`;
}
