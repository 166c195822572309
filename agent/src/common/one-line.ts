/**
 * Text from user data, IMDS or a node's files can hold line breaks and terminal escapes: a YAML
 * key may be any string, and messages name keys. Printed as it is, a log line would read as two
 * in the journal (one the agent never wrote) and an escape would recolour a terminal. Every line
 * that is one line by contract (log lines, error lines, report lines) goes through oneLine():
 * control characters, DEL and the Unicode line separators come out as JSON-style escapes (`\n`,
 * `\u001b`); a tab is kept.
 */
const BREAKING = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r' };

export function oneLine(text: string): string {
  return text.replace(BREAKING, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
