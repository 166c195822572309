import { InputError } from '../errors.js';
import { looksLikeMime, parseMultipart } from './mime.js';

/** EC2 user data is at most 16 KiB; anything that decompresses past this is refused. */
export const MAX_DECODED_BYTES = 1024 * 1024;
export const NODECONFIG_MEDIA_TYPE = 'application/node.eks.aws';

/** A NodeConfig text found in a source, with a label for messages. */
export interface ConfigDocument {
  where: string;
  text: string;
}

/** What decoding found: NodeConfig texts, and what was passed over (for `config check`). */
export interface Decoded {
  documents: ConfigDocument[];
  ignored: string[];
}

const BASE64_BLOB = /^[A-Za-z0-9+/\r\n]+={0,2}\s*$/;

function isGzip(data: Buffer): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

function gunzip(data: Buffer, where: string): Buffer {
  // Loaded here, not imported: most user data is not gzip, and node:zlib took ~1 ms of each boot.
  const { gunzipSync } = process.getBuiltinModule('node:zlib');
  try {
    return gunzipSync(data, { maxOutputLength: MAX_DECODED_BYTES });
  } catch (err) {
    const tooLarge = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    throw new InputError(
      tooLarge
        ? `${where}: gzip data expands past ${MAX_DECODED_BYTES} bytes (user data is at most 16 KiB; refusing a decompression bomb)`
        : `${where}: gzip data is corrupt (${(err as Error).message})`,
      { cause: err },
    );
  }
}

/** Peels whole-blob base64 and gzip layers (in any order, a few deep) off user data. */
export function unwrap(data: Buffer, where: string): Buffer {
  let current = data;
  for (let layer = 0; layer < 4; layer++) {
    if (current.length > MAX_DECODED_BYTES) throw new InputError(`${where}: ${current.length} bytes is more than the ${MAX_DECODED_BYTES}-byte limit`);
    if (isGzip(current)) {
      current = gunzip(current, where);
      continue;
    }
    const text = current.toString('latin1').trim();
    if (text.length >= 8 && BASE64_BLOB.test(text)) {
      const decoded = Buffer.from(text.replace(/\s+/g, ''), 'base64');
      if (decoded.length > 0) {
        current = decoded;
        continue;
      }
    }
    return current;
  }
  return current;
}

function toText(data: Buffer, where: string): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(data);
  // Binary garbage: invalid UTF-8 or control bytes that no YAML, script or MIME text holds.
  if (text.includes('\uFFFD') || /[\0-\x08\x0E-\x1F\x7F]/.test(text)) {
    throw new InputError(`${where}: not text, gzip or base64 (binary data; expected a NodeConfig, MIME multipart or a script)`);
  }
  return text;
}

function isScript(text: string): boolean {
  return /^(#!|#cloud-config|#cloud-boothook|#include|#part-handler)/.test(text.trimStart());
}

/**
 * Decodes one user data (or file) into the NodeConfig documents it holds. A shell script or
 * cloud-config is not an error here: it holds no NodeConfig, and the chain decides whether
 * some other source does.
 */
export function decodeUserData(data: Buffer, where: string): Decoded {
  const text = toText(unwrap(data, where), where);
  if (text.trim() === '') return { documents: [], ignored: [`${where}: empty`] };
  if (looksLikeMime(text)) return decodeMime(text, where);
  if (isScript(text)) return { documents: [], ignored: [`${where}: a script or cloud-config, not a NodeConfig`] };
  return { documents: [{ where, text }], ignored: [] };
}

/**
 * How deep multipart documents may nest. cloud-init and the tools writing user data nest one or
 * two levels; each level re-reads its body, so thousands of levels took seconds and a gigabyte.
 */
export const MAX_MIME_DEPTH = 8;

function decodeMime(text: string, where: string, depth = 1): Decoded {
  if (depth > MAX_MIME_DEPTH) {
    throw new InputError(`${where}: MIME multipart nested deeper than ${MAX_MIME_DEPTH} levels (the limit for user data)`);
  }
  const out: Decoded = { documents: [], ignored: [] };
  parseMultipart(text, where).forEach((part, i) => {
    const label = `${where} (MIME part ${i + 1})`;
    if (part.mediaType.startsWith('multipart/')) {
      const headerBlock = Object.entries(part.headers).map(([k, v]) => `${k}: ${v}`).join('\n');
      const nested = decodeMime(`${headerBlock}\n\n${part.body.toString('utf8')}`, label, depth + 1);
      out.documents.push(...nested.documents);
      out.ignored.push(...nested.ignored);
    } else if (part.mediaType === NODECONFIG_MEDIA_TYPE) {
      out.documents.push({ where: label, text: toText(unwrap(part.body, label), label) });
    } else {
      out.ignored.push(`${label}: ${part.mediaType}, ignored`);
    }
  });
  return out;
}
