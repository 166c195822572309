import { gzipSync } from 'node:zlib';

/**
 * A minimal ustar writer for in-memory entries. Hand-written rather than the `tar` package
 * because that one packs from disk, and the bundle must never stage secrets on disk nor carry
 * the packer's uid, owner names or timestamps: here every header is fixed but name, mode, size.
 */
export interface TarEntry {
  path: string;
  content: string | Buffer;
  mode?: number;
}

/** All entries carry this mtime (2024-01-01T00:00:00Z) so equal input gives equal bytes. */
export const FIXED_MTIME = 1_704_067_200;

function field(buf: Buffer, offset: number, length: number, value: string): void {
  buf.write(value, offset, Math.min(length, Buffer.byteLength(value)), 'utf8');
}

function octalField(buf: Buffer, offset: number, length: number, value: number): void {
  field(buf, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

function splitPath(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  throw new Error(`tar: path too long for ustar: ${path}`);
}

function header(path: string, size: number, mode: number): Buffer {
  const h = Buffer.alloc(512);
  const { name, prefix } = splitPath(path);
  field(h, 0, 100, name);
  octalField(h, 100, 8, mode & 0o7777);
  octalField(h, 108, 8, 0);
  octalField(h, 116, 8, 0);
  octalField(h, 124, 12, size);
  octalField(h, 136, 12, FIXED_MTIME);
  h.fill(' ', 148, 156);
  field(h, 156, 1, '0');
  field(h, 257, 6, 'ustar\0');
  field(h, 263, 2, '00');
  field(h, 265, 32, 'root');
  field(h, 297, 32, 'root');
  field(h, 345, 155, prefix);
  let sum = 0;
  for (const byte of h) sum += byte;
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** The gzipped tar of the entries, sorted by path. */
export function tarGz(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const body = typeof e.content === 'string' ? Buffer.from(e.content) : e.content;
    parts.push(header(e.path, body.length, e.mode ?? 0o644), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts), { level: 9 });
}
