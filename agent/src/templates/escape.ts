/**
 * Quoting for the two systemd text formats the agent writes. Callers validate values first and
 * report the field; these functions are the last line of defence and refuse anything that could
 * end the line (a newline would start a new assignment or directive).
 */
const CONTROL = /[\u0000-\u001f\u007f]/;

export function assertSingleLine(what: string, value: string): void {
  if (CONTROL.test(value)) {
    throw new Error(`${what}: ${JSON.stringify(value)} contains a newline or control character`);
  }
}

/**
 * A value for an EnvironmentFile= line, double-quoted. Inside double quotes systemd unescapes
 * exactly \\ \" \` \$ (shell rules); every other character is literal.
 */
export function quoteEnvFileValue(value: string): string {
  assertSingleLine('environment file value', value);
  return `"${value.replace(/[\\"`$]/g, (c) => `\\${c}`)}"`;
}

/**
 * A whole `NAME=value` word for an Environment= directive: double-quoted with C-style \\ and \"
 * (systemd unquotes and unescapes the word), and % doubled because unit files expand specifiers.
 */
export function quoteUnitEnvironment(name: string, value: string): string {
  assertSingleLine('unit environment', `${name}=${value}`);
  const escaped = `${name}=${value}`.replace(/[\\"]/g, (c) => `\\${c}`).replace(/%/g, '%%');
  return `"${escaped}"`;
}

/**
 * A whole `NAME=value` word for DefaultEnvironment= in system.conf.d: quoted like Environment=,
 * but with % left alone, because the manager's own configuration expands no unit specifiers.
 */
export function quoteManagerEnvironment(name: string, value: string): string {
  assertSingleLine('manager environment', `${name}=${value}`);
  return `"${`${name}=${value}`.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Space-separated words of a systemd setting whose values are validated to hold no space. */
export function joinWords(values: readonly string[]): string {
  for (const v of values) {
    assertSingleLine('setting value', v);
    if (/\s/.test(v)) throw new Error(`setting value: ${JSON.stringify(v)} contains whitespace`);
  }
  return values.join(' ');
}
