import http from 'node:http';
import type net from 'node:net';

/**
 * A tiny stand-in for the binary bucket: serves fixed bodies by path, 404 otherwise, and
 * records the paths asked for. Used to run the real provisioning scripts against.
 */
export interface ArtifactServer {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

export async function startArtifactServer(files: Record<string, string | Buffer>): Promise<ArtifactServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    requests.push(path);
    const body = files[path];
    if (body === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(Buffer.byteLength(body)) });
    res.end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
