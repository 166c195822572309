import { parse } from 'yaml';

/**
 * Quoting for the text formats the agent writes: the two systemd formats and YAML scalars.
 * Callers validate values first and report the field; these functions are the last line of
 * defence and refuse anything that could end the line (a newline would start a new assignment or
 * directive) or quote it so it cannot.
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

/**
 * A plain YAML scalar of the agent's: a letter, a digit or `/` first (no indicator), then URL and
 * name characters: no space, no `#`.
 */
const YAML_PLAIN = /^[A-Za-z0-9/][A-Za-z0-9._/:@+-]*$/;
/** The words YAML 1.1 reads as booleans or null; the Go YAML the kubelet and kubectl use is 1.1. */
const YAML_11_WORDS = /^(?:y|yes|n|no|true|false|on|off|null)$/i;
const readsBackAsItself = (value: string) => parse(value, { version: '1.1' }) === value && parse(value, { version: '1.2' }) === value;

/**
 * A string as a YAML scalar that YAML readers read back as that same string, in 1.1 as in 1.2:
 * plain when it is plainly a string (not a 1.1 word, no `:` at the end, which would make it a
 * key; with a digit first, only if it reads back as itself in both, as an Outpost's id
 * `8c4b2c3e-...` does and `1_000` or `2024-01-02` do not); otherwise double-quoted with JSON's
 * escapes (each one is also a YAML escape). A serialiser deciding by YAML 1.2 alone writes `on`,
 * `yes` or `1_000` plain, which Go's YAML reads as a boolean or an integer.
 */
export function yamlString(value: string): string {
  const plain = YAML_PLAIN.test(value) && !value.endsWith(':') && !YAML_11_WORDS.test(value);
  return plain && (!/^[0-9]/.test(value) || readsBackAsItself(value)) ? value : JSON.stringify(value);
}
