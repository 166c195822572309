// Preload for the crash tests: SIGKILLs the agent right after its Nth rename into place (renames
// of the agent's own state under /run not counted), the exact points where a crash could split
// a change from the record that units must restart. KILL_AFTER_RENAME=N (1-based).
const fs = require('node:fs');
const n = Number(process.env.KILL_AFTER_RENAME);
let count = 0;
const rename = fs.renameSync;
fs.renameSync = function renameSync(from, to) {
  const result = rename.call(this, from, to);
  if (!String(to).includes('/run/eks-node-agent/') && ++count === n) process.kill(process.pid, 'SIGKILL');
  return result;
};
