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
 * Plainly a string in YAML 1.1 and 1.2 alike: a letter or `/` first (nothing that starts like a
 * number, a timestamp or an indicator), then URL and name characters: no space, no `#`, and no
 * `:` at the end (which would make it a key).
 */
const YAML_PLAIN_TEXT = /^[A-Za-z/][A-Za-z0-9._/:@+-]*$/;
/** Plain characters that may still read as a number or a timestamp: decided by reading back. */
const YAML_PLAIN_OTHER = /^[A-Za-z0-9/][A-Za-z0-9._/:@+-]*$/;
/** The words YAML 1.1 reads as booleans or null; the Go YAML the kubelet and kubectl use is 1.1. */
const YAML_11_WORDS = /^(?:y|yes|n|no|true|false|on|off|null)$/i;
const readsBack = (text: string, value: string) => parse(text, { version: '1.1' }) === value && parse(text, { version: '1.2' }) === value;

/**
 * A string as a YAML scalar that YAML readers read back as that same string, in 1.1 as in 1.2:
 * plain when it is plainly a string, or when its plain form reads back as itself in both (an
 * Outpost's id, `8c4b2c3e-...`); otherwise double-quoted with JSON's escapes (each one is also a
 * YAML escape). A serialiser deciding by YAML 1.2 alone writes `on`, `yes` or `1_000` plain,
 * which Go's YAML reads as a boolean or an integer.
 */
export function yamlString(value: string): string {
  if (value.endsWith(':') || YAML_11_WORDS.test(value)) return JSON.stringify(value);
  if (YAML_PLAIN_TEXT.test(value)) return value;
  return YAML_PLAIN_OTHER.test(value) && readsBack(value, value) ? value : JSON.stringify(value);
}
