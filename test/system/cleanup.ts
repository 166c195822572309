/**
 * Everything the harness starts (QEMU, packer, servers) registers its stop function here, so a
 * failed assertion, an exception or Ctrl-C still leaves no VM or server behind.
 */
type Stop = () => Promise<void> | void;

const stops = new Map<number, { what: string; stop: Stop }>();
let next = 1;

export function onCleanup(what: string, stop: Stop): () => void {
  const id = next++;
  stops.set(id, { what, stop });
  return () => void stops.delete(id);
}

/** Runs every registered stop, newest first; each bounded so one wedged stop cannot hang exit. */
export async function cleanupAll(): Promise<void> {
  const pending = [...stops.entries()].reverse();
  stops.clear();
  for (const [, { what, stop }] of pending) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve(stop()),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('did not stop within 15s')), 15_000);
        }),
      ]);
    } catch (err) {
      process.stderr.write(`system test: cleanup of ${what} failed: ${(err as Error).message}\n`);
    } finally {
      clearTimeout(timer);
    }
  }
}

let installed = false;
export function installSignalCleanup(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`system test: ${signal}, stopping VMs and servers\n`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}
