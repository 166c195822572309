/**
 * Prints the boot-timeline table of kept system-test work directories, side by side, from the
 * journals they kept: `npx tsx test/system/timelines.ts before=/tmp/eks-node-system-A after=/tmp/eks-node-system-B`.
 * For comparing two images with the same table the run prints (`--keep --boots 3` on each).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootTimeline, timelineTable, type BootTimeline } from './timeline.js';

const timelines: BootTimeline[] = [];
for (const arg of process.argv.slice(2)) {
  const [label, dir] = arg.includes('=') ? (arg.split('=', 2) as [string, string]) : [arg, arg];
  const cases = join(dir, 'cases');
  if (!existsSync(cases)) throw new Error(`${arg}: ${cases} does not exist (a work directory kept with --keep?)`);
  for (const name of readdirSync(cases).sort()) {
    const series = /^(.*)-boot(\d+)$/.exec(name);
    const caseName = `${label}: ${series ? series[1] : name}`;
    const seriesRun = series !== null || existsSync(join(cases, `${name}-boot2`));
    for (const [file, boot] of [
      ['journal.txt', seriesRun ? `boot ${series ? series[2] : 1}` : 'first'],
      ['journal-after-reboot.txt', 'after reboot'],
    ] as const) {
      const path = join(cases, name, file);
      if (existsSync(path)) timelines.push(bootTimeline(readFileSync(path, 'utf8'), caseName, boot));
    }
  }
}
// rows in the order given: each directory's cases by name, a series' boots in order (complete, complete-boot2, ...)
for (const line of timelineTable(timelines)) process.stdout.write(`${line}\n`);
