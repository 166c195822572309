import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';

/** A certificate and key (PEM) an emulator serves https with, as a TLS-inspecting proxy presents its own. */
export interface ServingTls {
  certPem: string;
  keyPem: string;
}

/** An emulator's server: https with `tls`, else http, and the scheme of its URL. */
export function createServer(handler: http.RequestListener, tls: ServingTls | undefined): { server: http.Server; scheme: 'http' | 'https' } {
  return tls
    ? { server: https.createServer({ cert: tls.certPem, key: tls.keyPem }, handler), scheme: 'https' }
    : { server: http.createServer(handler), scheme: 'http' };
}

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
