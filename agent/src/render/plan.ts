/**
 * A Plan is data: what the agent will write and which units it will act on. render() builds
 * it purely; only apply/ touches the machine. It can be printed, diffed and golden-tested.
 */
export interface PlannedFile {
  /** absolute path on the node, e.g. /etc/kubernetes/kubelet/config.json */
  path: string;
  /** octal file mode, e.g. 0o644 */
  mode: number;
  content: string;
}

export type UnitAction =
  | { kind: 'daemon-reload' }
  | { kind: 'restart'; unit: string; waitActiveSeconds?: number }
  | { kind: 'enable'; unit: string };

export interface Plan {
  files: PlannedFile[];
  /** actions of the run phase, in order */
  units: UnitAction[];
  /** non-fatal notes for the log (e.g. "max pods: instance type unknown, using 110") */
  warnings: string[];
}
