import net from 'node:net';
import { onCleanup } from './cleanup.js';

export interface Gate {
  port: number;
  /** when the guest first tried to connect (ms since epoch), if it has */
  firstAttemptAt(): number | undefined;
  /** when the gate opened, if it has */
  openedAt(): number | undefined;
  /** connections refused (closed at once) while shut */
  refused(): number;
  close(): Promise<void>;
}

/**
 * A loopback TCP relay in front of a service that stays shut for `delayMs` after the guest's
 * first connection attempt: until then each connection is closed at once, as a link-local
 * service that is not up yet looks through QEMU's guestfwd; afterwards it relays to `target`.
 * Counting from the first attempt (not from VM start) keeps the delay the node sees the same
 * however slowly the VM boots.
 */
export async function startGate(targetPort: number, delayMs: number): Promise<Gate> {
  let first: number | undefined;
  let opened: number | undefined;
  let refused = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const now = Date.now();
    first ??= now;
    if (now - first < delayMs) {
      refused++;
      socket.destroy();
      return;
    }
    opened ??= now;
    sockets.add(socket);
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    socket.pipe(upstream).pipe(socket);
    const done = () => {
      socket.destroy();
      upstream.destroy();
      sockets.delete(socket);
      sockets.delete(upstream);
    };
    socket.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const unregister = onCleanup('IMDS gate', close);
  return {
    port: (server.address() as net.AddressInfo).port,
    firstAttemptAt: () => first,
    openedAt: () => opened,
    refused: () => refused,
    async close() {
      await close();
      unregister();
    },
  };
}
