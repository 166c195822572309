import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import { dirname, join, normalize } from 'node:path';
import { execa } from 'execa';
import { onCleanup } from './cleanup.js';

const DOUBLES = new URL('./doubles/', import.meta.url).pathname;

export interface ArtifactServer {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** request paths served, in order (status included) */
  requests: Array<{ path: string; status: number }>;
  close(): Promise<void>;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/**
 * Lays out the binary bucket under `dir` as the bake expects it,
 * `<k8s-version>/<build-date>/bin/linux/amd64/<name>` each with `<name>.sha256`
 * ("hash  name", like the real bucket), holding the test doubles of kubelet,
 * aws-iam-authenticator and ecr-credential-provider.
 */
export async function writeBucket(dir: string, kubernetesVersion: string, buildDate: string): Promise<void> {
  const bin = join(dir, kubernetesVersion, buildDate, 'bin', 'linux', 'amd64');
  await mkdir(bin, { recursive: true });
  for (const name of ['kubelet', 'aws-iam-authenticator', 'ecr-credential-provider']) {
    let content = await readFile(join(DOUBLES, name), 'utf8');
    content = content.replaceAll('@KUBERNETES_VERSION@', kubernetesVersion);
    await writeFile(join(bin, name), content);
    await chmod(join(bin, name), 0o755);
    await writeFile(join(bin, `${name}.sha256`), `${sha256(content)}  ${name}\n`);
  }
}

/** A read-only static file server for `dir` on loopback (the VM reaches it as 10.0.2.2). */
export async function startArtifactServer(dir: string): Promise<ArtifactServer> {
  const requests: ArtifactServer['requests'] = [];
  const server = http.createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    const file = normalize(join(dir, path));
    const answer = (status: number, text: string) => {
      requests.push({ path, status });
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(text);
    };
    if (!file.startsWith(`${dir}/`) || (req.method !== 'GET' && req.method !== 'HEAD')) return answer(404, 'not found\n');
    stat(file).then(
      (s) => {
        if (!s.isFile()) return answer(404, 'not found\n');
        requests.push({ path, status: 200 });
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(s.size) });
        if (req.method === 'HEAD') return res.end();
        createReadStream(file).pipe(res);
      },
      () => answer(404, 'not found\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  const close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const unregister = onCleanup('artifact server', close);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    async close() {
      await close();
      unregister();
    },
  };
}

async function writeBlob(layout: string, data: Buffer | string): Promise<{ digest: string; size: number }> {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const hex = sha256(buf);
  await writeFile(join(layout, 'blobs', 'sha256', hex), buf);
  return { digest: `sha256:${hex}`, size: buf.length };
}

/**
 * An OCI image archive named `imageName` for the bake's offline pause-image import (Packer
 * variable pause_image_tar): a PAUSE IMAGE TEST DOUBLE whose one layer holds a placeholder
 * /pause. The kubelet double runs no pods, so nothing executes it; the bake only imports,
 * tags and pins it, which is what the test checks. Deterministic: same name, same bytes.
 */
export async function writePauseImageTar(workDir: string, imageName: string, out: string): Promise<void> {
  const layout = join(workDir, 'pause-oci');
  const rootfs = join(workDir, 'pause-rootfs');
  await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
  await mkdir(rootfs, { recursive: true });
  await writeFile(join(rootfs, 'pause'), '#!/pause-image-test-double: never executed by the system test\n');
  await chmod(join(rootfs, 'pause'), 0o755);
  const tarFlags = [
    '--sort=name',
    '--mtime=@0',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--format=posix',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
  ];
  const layer = (await execa('tar', [...tarFlags, '-C', rootfs, '-cf', '-', 'pause'], { encoding: 'buffer', timeout: 30_000 })).stdout;
  const layerBlob = await writeBlob(layout, Buffer.from(layer));
  const config = await writeBlob(
    layout,
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Entrypoint: ['/pause'] },
      rootfs: { type: 'layers', diff_ids: [layerBlob.digest] },
    }),
  );
  const manifest = await writeBlob(
    layout,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layerBlob }],
    }),
  );
  await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'io.containerd.image.name': imageName, 'org.opencontainers.image.ref.name': imageName.split(':').pop() },
        },
      ],
    }),
  );
  await mkdir(dirname(out), { recursive: true });
  await execa('tar', [...tarFlags, '-C', layout, '-cf', out, 'oci-layout', 'index.json', 'blobs'], { timeout: 30_000 });
}
