/**
 * One line per phase on stderr (the journal on a node), with its duration, so a boot can be
 * read back: `eks-node-agent: facts 12 ms (m5.large, us-west-2a)`.
 */
export type Log = (line: string) => void;

export const stderrLog: Log = (line) => process.stderr.write(`eks-node-agent: ${line}\n`);

export async function timed<T>(log: Log, phase: string, work: () => Promise<T> | T, detail?: (value: T) => string): Promise<T> {
  const started = performance.now();
  const value = await work();
  const ms = Math.round(performance.now() - started);
  const extra = detail ? detail(value) : '';
  log(`${phase} ${ms} ms${extra ? ` (${extra})` : ''}`);
  return value;
}
