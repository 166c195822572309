import { InputError } from '../errors.js';

/** One body part of a MIME multipart document. */
export interface MimePart {
  /** lower-cased header names */
  headers: Record<string, string>;
  /** media type without parameters, lower-cased (text/plain when absent) */
  mediaType: string;
  body: Buffer;
}

function splitHeaders(text: string): { headers: Record<string, string>; rest: string } | undefined {
  const match = /\r?\n\r?\n/.exec(text);
  const block = match ? text.slice(0, match.index) : text;
  const rest = match ? text.slice(match.index + match[0].length) : '';
  const headers: Record<string, string> = {};
  let last: string | undefined;
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      headers[last] += ` ${line.trim()}`; // folded header continuation
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    last = line.slice(0, colon).trim().toLowerCase();
    headers[last] = line.slice(colon + 1).trim();
  }
  return { headers, rest };
}

export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
}

function boundaryOf(contentType: string): string | undefined {
  const match = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/** True when the text starts with a header block whose Content-Type is multipart. */
export function looksLikeMime(text: string): boolean {
  const parsed = splitHeaders(text.slice(0, 4096));
  return parsed !== undefined && mediaTypeOf(parsed.headers['content-type']).startsWith('multipart/');
}

/**
 * Splits a multipart document into its parts. Strict about framing: a missing boundary, a
 * boundary that never appears or a missing closing delimiter is an error, since silently
 * reading half a user data would configure half a node.
 */
export function parseMultipart(text: string, where: string): MimePart[] {
  const top = splitHeaders(text);
  const contentType = top?.headers['content-type'];
  if (!top || !contentType) throw new InputError(`${where}: MIME document has no Content-Type header`);
  const boundary = boundaryOf(contentType);
  if (!boundary) throw new InputError(`${where}: MIME Content-Type ${JSON.stringify(contentType)} has no boundary parameter`);
  const lines = top.rest.split(/\r?\n/);
  const delimiter = `--${boundary}`;
  const parts: string[][] = [];
  let current: string[] | undefined;
  let closed = false;
  for (const line of lines) {
    const trimmed = line.replace(/[ \t]+$/, '');
    if (trimmed === `${delimiter}--`) {
      if (current) parts.push(current);
      closed = true;
      break;
    }
    if (trimmed === delimiter) {
      if (current) parts.push(current);
      current = [];
      continue;
    }
    current?.push(line);
  }
  if (parts.length === 0 && !current) {
    throw new InputError(`${where}: MIME boundary ${JSON.stringify(boundary)} never appears in the body`);
  }
  if (!closed) throw new InputError(`${where}: MIME closing delimiter "${delimiter}--" is missing (truncated or wrong boundary)`);
  return parts.map((partLines, i) => {
    const raw = partLines.join('\n');
    const parsed = raw.startsWith('\n') ? { headers: {}, rest: raw.slice(1) } : splitHeaders(raw);
    if (!parsed) throw new InputError(`${where}: MIME part ${i + 1} has malformed headers`);
    const encoding = (parsed.headers['content-transfer-encoding'] ?? '').toLowerCase();
    const body = encoding === 'base64' ? Buffer.from(parsed.rest.replace(/\s+/g, ''), 'base64') : Buffer.from(parsed.rest, 'utf8');
    return { headers: parsed.headers, mediaType: mediaTypeOf(parsed.headers['content-type']), body };
  });
}
