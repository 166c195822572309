export { writeFiles, type WriteOptions, type WriteResult } from './write-files.js';
export { createSystemctl, type Systemctl, type SystemctlOptions } from './systemctl.js';
export { runUnits, type RunUnitsOptions, type StepTiming } from './run-units.js';
export { STATE_PATH, readRunPhaseState, removeRunPhaseState, statePath, writeRunPhaseState, type RunPhaseState } from './state.js';
export {
  applyConfigPhase,
  applyRunPhase,
  type ConfigPhaseOptions,
  type ConfigPhaseResult,
  type RunPhaseOptions,
  type RunPhaseResult,
} from './phases.js';
export { OWNED_PATH, readOwned, staleFiles } from './owned.js';
export { CLOUD_INIT_SCRIPT_DIRS, earlyStartBlocker, favourCloudInit, startEarly } from './early-start.js';
