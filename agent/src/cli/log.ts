import { monotonicMs } from '../common/clock.js';
import { oneLine } from '../common/one-line.js';
/**
 * One line per phase on stderr (the journal on a node), with its duration, so a boot can be
 * read back: `eks-node-agent: facts 12 ms (m5.large, us-west-2a)`. With `--log-format json`
 * each line is one JSON object instead (time, level, phase, message, duration in ms, and on
 * `init`'s closing line runtimeStart, the part of it before the agent's first line), for
 * fleets that ship the journal to a log system.
 */
export interface LogFields {
  /** the phase or step this line reports, e.g. `facts` */
  phase?: string;
  durationMs?: number;
  /** on the closing line: how much of durationMs passed before the agent's first line ran */
  runtimeStartMs?: number;
}

/** A line is an error or warning when it starts with `error: ` or `warning: `; info otherwise. */
export type Log = (line: string, fields?: LogFields) => void;

export type LogFormat = 'text' | 'json';

const LEVEL = /^(error|warning|note): /;

export function formatLogLine(format: LogFormat, line: string, fields: LogFields = {}, now: Date = new Date()): string {
  if (format === 'text') return `eks-node-agent: ${oneLine(line)}\n`;
  const level = LEVEL.exec(line)?.[1];
  const entry: Record<string, string | number> = {
    time: now.toISOString(),
    level: level === 'note' || level === undefined ? 'info' : level,
  };
  if (fields.phase !== undefined) entry.phase = fields.phase;
  entry.message = level ? line.slice(level.length + 2) : line;
  if (fields.durationMs !== undefined) entry.duration = fields.durationMs;
  if (fields.runtimeStartMs !== undefined) entry.runtimeStart = fields.runtimeStartMs;
  return `${JSON.stringify(entry)}\n`;
}

export function createLog(format: LogFormat, write: (text: string) => void = (t) => process.stderr.write(t)): Log {
  return (line, fields) => write(formatLogLine(format, line, fields));
}

export const stderrLog: Log = createLog('text');

export async function timed<T>(log: Log, phase: string, work: () => Promise<T> | T, detail?: (value: T) => string): Promise<T> {
  const started = monotonicMs();
  const value = await work();
  const ms = Math.round(monotonicMs() - started);
  const extra = detail ? detail(value) : '';
  log(`${phase} ${ms} ms${extra ? ` (${extra})` : ''}`, { phase, durationMs: ms });
  return value;
}
