import type http from 'node:http';
import type net from 'node:net';

/** Binds an emulator's server and gives the port it got (port 0: any free one). */
export async function listen(server: net.Server, port: number | undefined, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port ?? 0, host, () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

/** Stops an emulator's server now: open (keep-alive) connections are cut rather than waited for. */
export async function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  if (!server.listening) return;
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
