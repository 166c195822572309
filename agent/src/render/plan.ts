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

/**
 * `triggeredBy` lists the planned files whose change makes the action necessary. The run phase
 * performs a daemon-reload only when one of them changed, and restarts a unit when one of them
 * changed or the unit is not active; so a second `init` restarts nothing.
 */
export type UnitAction =
  | { kind: 'daemon-reexec'; triggeredBy?: string[] }
  | { kind: 'daemon-reload'; triggeredBy?: string[] }
  | { kind: 'restart'; unit: string; waitActiveSeconds?: number; triggeredBy?: string[] }
  | { kind: 'enable'; unit: string };

export interface Plan {
  files: PlannedFile[];
  /** actions of the run phase, in order */
  units: UnitAction[];
  /** non-fatal notes for the log (e.g. "max pods: instance type unknown, using 110") */
  warnings: string[];
  /** decisions a reader may want to know that are not problems (a feature gate not taken on a small instance); absent when none */
  notes?: string[];
}
