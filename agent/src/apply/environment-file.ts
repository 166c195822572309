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
