import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The assignments of a systemd EnvironmentFile=, read as systemd reads one when it starts the
 * unit's processes (systemd.exec(5)):
 * - a line whose first non-blank is `#` or `;` is a comment; a line without "=" is skipped;
 *   blanks around the name and before the value are dropped;
 * - an unquoted value keeps its inner blanks but not its trailing ones, and a backslash takes
 *   the next character literally (before a newline, it continues the line);
 * - '…' is verbatim; in "…" a backslash unescapes `"`, `\`, `` ` `` and `$`, continues the line
 *   before a newline, and stays otherwise; quoted text may span lines and joins what is around it;
 * - carriage return ends a line as newline does.
 * A later assignment of a name wins; a name that is not a shell variable name is dropped, as
 * systemd drops it from the environment.
 */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const newline = (c: string) => c === '\n' || c === '\r';
  const blank = (c: string) => c === ' ' || c === '\t' || newline(c);
  type State = 'preKey' | 'key' | 'preValue' | 'value' | 'valueEscape' | 'single' | 'double' | 'doubleEscape' | 'comment';
  let state: State = 'preKey';
  let key = '';
  let value = '';
  // where the unquoted value's trailing blanks began, if it ends in blanks
  let trailing: number | undefined;
  const push = () => {
    const name = key.trimEnd();
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) out[name] = trailing === undefined ? value : value.slice(0, trailing);
    key = '';
    value = '';
    trailing = undefined;
  };
  for (const c of text) {
    switch (state) {
      case 'preKey':
        if (c === '#' || c === ';') state = 'comment';
        else if (!blank(c)) {
          state = 'key';
          key = c;
        }
        break;
      case 'key':
        if (newline(c)) {
          state = 'preKey';
          key = '';
        } else if (c === '=') {
          state = 'preValue';
          trailing = undefined;
        } else key += c;
        break;
      case 'preValue':
        if (newline(c)) {
          state = 'preKey';
          push();
        } else if (c === "'") state = 'single';
        else if (c === '"') state = 'double';
        else if (c === '\\') state = 'valueEscape';
        else if (!blank(c)) {
          state = 'value';
          value += c;
        }
        break;
      case 'value':
        if (newline(c)) {
          state = 'preKey';
          push();
        } else if (c === '\\') {
          state = 'valueEscape';
          trailing = undefined;
        } else {
          if (!blank(c)) trailing = undefined;
          else trailing ??= value.length;
          value += c;
        }
        break;
      case 'valueEscape':
        state = 'value';
        if (!newline(c)) value += c;
        break;
      case 'single':
        if (c === "'") state = 'preValue';
        else value += c;
        break;
      case 'double':
        if (c === '"') state = 'preValue';
        else if (c === '\\') state = 'doubleEscape';
        else value += c;
        break;
      case 'doubleEscape':
        state = 'double';
        if ('"\\`$'.includes(c)) value += c;
        else if (c !== '\n') value += `\\${c}`;
        break;
      case 'comment':
        if (newline(c)) state = 'preKey';
        break;
    }
  }
  if (state !== 'preKey' && state !== 'key' && state !== 'comment') {
    if (state !== 'value') trailing = undefined;
    push();
  }
  return out;
}

/** Whether an EnvironmentFile= path is a wildcard expression (glob(3): `*`, `?`, `[…]`). */
export function isGlob(path: string): boolean {
  return /[*?[]/.test(path);
}

/**
 * The files an EnvironmentFile= wildcard expression names, as systemd expands one with glob(3)
 * (no flags): `*` and `?` within one path segment and `[…]` classes (`!` or `^` negating), a
 * backslash taking the next character literally, a wildcard never matching a leading "."; only
 * names that exist, sorted by byte order (glob sorts; systemd runs in the C or C.UTF-8 locale).
 */
export async function expandGlob(pattern: string): Promise<string[]> {
  const list = (dir: string) => readdir(dir).catch((): string[] => []);
  if (!pattern.startsWith('/')) return [];
  let found = ['/'];
  const segments = pattern.split('/').filter((s) => s !== '');
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    const next: string[] = [];
    if (!isGlob(segment)) {
      const name = segment.replace(/\\(.)/g, '$1');
      for (const dir of found) next.push(join(dir, name));
    } else {
      const matcher = globSegment(segment);
      for (const dir of found) for (const name of await list(dir)) if (matcher.test(name)) next.push(join(dir, name));
    }
    // a path the rest of the pattern goes through must be a directory; the last must exist
    found = [];
    for (const path of next) if (await (last ? exists(path) : isDirectory(path))) found.push(path);
  }
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** One path segment of a glob(3) pattern as a regular expression over a directory entry's name. */
function globSegment(segment: string): RegExp {
  let source = '';
  const literal = (c: string) => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '\\' && i + 1 < segment.length) source += literal(segment[++i]!);
    else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      let j = i + 1;
      const negate = segment[j] === '!' || segment[j] === '^';
      if (negate) j++;
      // a "]" first in the class is one of its characters
      let end = segment[j] === ']' ? j + 1 : j;
      while (end < segment.length && segment[end] !== ']') end++;
      if (end >= segment.length) source += '\\[';
      else {
        const body = segment.slice(negate ? i + 2 : i + 1, end);
        const parts = [...body].map((ch, k) => (ch === '-' && k > 0 && k < body.length - 1 ? '-' : literal(ch)));
        source += `[${negate ? '^' : ''}${parts.join('')}]`;
        i = end;
      }
    } else source += literal(c);
  }
  // a wildcard does not match a leading "." unless the pattern starts with one
  const hidden = segment.startsWith('.') || segment.startsWith('\\.') ? '' : '(?!\\.)';
  return new RegExp(`^${hidden}${source}$`, 's');
}
