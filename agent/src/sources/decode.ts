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
  /** advisory problems (see LoadedConfig.advisories): errors for `config check`, warnings for `init` */
  advisories: string[];
  /** content another program acts on (cloud-init runs scripts, cloud-config, boothooks), by label */
  otherParts: string[];
}

const BASE64_BLOB = /^[A-Za-z0-9+/\r\n]+={0,2}\s*$/;

function isGzip(data: Buffer): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

function gunzip(data: Buffer, where: string): Buffer {
  // Loaded here, not imported: most user data is not gzip, and loading node:zlib costs every boot.
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

/**
 * A multipart body whose top header block was left out: it opens with a boundary line (`--//`)
 * followed by a part header. Read as YAML it would fail with a message about YAML.
 */
function headerlessMimeBoundary(text: string): string | undefined {
  const lines = text.trimStart().split(/\r?\n/, 4);
  const boundary = /^--(\S+)$/.exec(lines[0]?.trimEnd() ?? '')?.[1];
  if (boundary === undefined || boundary.endsWith('--')) return undefined;
  return lines.slice(1).some((l) => /^content-(type|transfer-encoding)\s*:/i.test(l)) ? boundary : undefined;
}

const NODECONFIG_LINE = /^(apiVersion:\s*["']?node\.eks\.aws\/|kind:\s*["']?NodeConfig\b)/m;
const NODECONFIG_HEADER = /^content-type:\s*application\/node\.eks\.aws\b/im;

/**
 * A non-NodeConfig part holding what looks like a NodeConfig: most often a forgotten boundary
 * line, so the NodeConfig's part was read as the rest of the script before it. A script that
 * writes a NodeConfig with a heredoc (`cat > /etc/eks/nodeadm.d/x.yaml <<EOF`) is left alone.
 */
function swallowedNodeConfig(body: string, label: string, mediaType: string): string | undefined {
  const header = NODECONFIG_HEADER.exec(body);
  const line = header ?? NODECONFIG_LINE.exec(body);
  if (!line) return undefined;
  if (!header && body.slice(0, line.index).includes('<<')) return undefined;
  const at = body.slice(0, line.index).split('\n').length;
  return (
    `${label}: this ${mediaType} part holds what looks like a NodeConfig (line ${at} of the part: ${JSON.stringify(line[0].trim())}); ` +
    'is a boundary line missing before it? As written, it is part of this part and is not read'
  );
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
  if (text.trim() === '') return { documents: [], ignored: [`${where}: empty`], advisories: [], otherParts: [] };
  if (looksLikeMime(text)) return decodeMime(text, where);
  if (isScript(text)) return { documents: [], ignored: [`${where}: a script or cloud-config, not a NodeConfig`], advisories: [], otherParts: [where] };
  const boundary = headerlessMimeBoundary(text);
  if (boundary !== undefined) {
    throw new InputError(
      `${where}: starts with the MIME boundary line "--${boundary}" but has no MIME header; begin the user data with ` +
        `"MIME-Version: 1.0" and "Content-Type: multipart/mixed; boundary="${boundary}"", then a blank line`,
    );
  }
  return { documents: [{ where, text }], ignored: [], advisories: [], otherParts: [] };
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
  const out: Decoded = { documents: [], ignored: [], advisories: [], otherParts: [] };
  parseMultipart(text, where).forEach((part, i) => {
    const label = `${where} (MIME part ${i + 1})`;
    if (part.mediaType.startsWith('multipart/')) {
      const headerBlock = Object.entries(part.headers)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n');
      const nested = decodeMime(`${headerBlock}\n\n${part.body.toString('utf8')}`, label, depth + 1);
      out.documents.push(...nested.documents);
      out.ignored.push(...nested.ignored);
      out.advisories.push(...nested.advisories);
      out.otherParts.push(...nested.otherParts);
    } else if (part.mediaType === NODECONFIG_MEDIA_TYPE) {
      out.documents.push({ where: label, text: toText(unwrap(part.body, label), label) });
    } else {
      out.ignored.push(`${label}: ${part.mediaType}, ignored`);
      if (part.body.toString('utf8').trim() !== '') out.otherParts.push(`${label} (${part.mediaType})`);
      const swallowed = swallowedNodeConfig(part.body.toString('utf8'), label, part.mediaType);
      if (swallowed) out.advisories.push(swallowed);
    }
  });
  return out;
}
