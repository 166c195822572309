import net, { type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProcessRunner } from '../../src/apply/process.js';
import { deadline } from '../../src/common/deadline.js';
import { tcpConnect } from '../../src/doctor/net.js';
import { runChecks } from '../../src/doctor/runner.js';

/**
 * Where the event loop runs overdue timers before it reads sockets: a test body may start in a
 * timer's callback, after which the loop reads sockets first anyway; after a setImmediate, as
 * after any I/O callback (the agent's usual place), the next thing it does is run due timers.
 */
const afterIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Keeps this process busy, as a synchronous chunk load or a slow emulated CPU does. */
function busy(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

describe('deadline', () => {
  it('expires when the work is not done, and never once cleared', async () => {
    const expired: string[] = [];
    deadline(20, () => expired.push('slow'));
    const cleared = deadline(20, () => expired.push('cleared'));
    cleared.clear();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(expired).toEqual(['slow']);
  });

  it('lets I/O that arrived while the process was busy win over the overdue timer', async () => {
    // a plain setTimeout here runs before the connection's event is read: the timeout would win
    const order: string[] = [];
    const server = net.createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await afterIo();
      const timer = deadline(50, () => order.push('expired'));
      const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1', () => {
        order.push('connected');
        timer.clear();
        socket.destroy();
      });
      busy(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(order).toEqual(['connected']);
    } finally {
      server.close();
    }
  });
});

describe('deadlines of a busy process: the answer that is there wins', () => {
  let server: net.Server;
  let port: number;
  beforeEach(async () => {
    server = net.createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("doctor's TCP probe: connected, though the process was busy past the probe's deadline", async () => {
    await afterIo();
    const probe = tcpConnect('127.0.0.1', port, 50);
    busy(200);
    await expect(probe).resolves.toBeTypeOf('number');
  });

  it("doctor's run deadline: a check whose answer came while the process was busy passes", async () => {
    const [result] = await runChecks(
      [
        {
          name: 'reach',
          needs: [],
          timeoutMs: 50,
          run: async () => {
            await afterIo(); // the run deadline's timer is set by then
            const connected = new Promise<void>((resolve) => {
              const s = net.connect(port, '127.0.0.1', () => {
                s.destroy();
                resolve();
              });
            });
            busy(200);
            await connected;
            return { status: 'ok', detail: 'reached' };
          },
        },
      ],
      50,
    );
    expect(result).toMatchObject({ name: 'reach', status: 'ok' });
  });

  it('a command that exited while the process was busy is not reported as timed out', async () => {
    const run = createProcessRunner();
    await afterIo();
    const done = run('true', [], { timeoutMs: 50 });
    busy(500); // `true` exits long before this ends (a hundred times over); the deadline is overdue
    await expect(done).resolves.toMatchObject({ exitCode: 0 });
  });
});
