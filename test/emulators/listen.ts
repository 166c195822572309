import type net from 'node:net';

/** Binds an emulator's server and gives the port it got (port 0: any free one). */
export async function listen(server: net.Server, port: number | undefined, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port ?? 0, host, () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}
