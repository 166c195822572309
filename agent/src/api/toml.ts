import { type TomlTable, TomlError, parse, stringify } from 'smol-toml';
import { describeCause, InputError } from '../errors.js';

/**
 * containerd's TOML, read and written with one set of options everywhere: integers as BigInt
 * and numbers written as floats, so `1.0` stays a float and `1` an integer through a merge;
 * keys such as `__proto__` are refused rather than silently dropped.
 */
export function parseContainerdToml(text: string, field = 'spec.containerd.config'): TomlTable {
  try {
    return parse(text, { integersAsBigInt: true, unsafeKeyBehaviour: 'throw' });
  } catch (err) {
    const where = err instanceof TomlError ? ` at line ${err.line}, column ${err.column}` : '';
    const reason = describeCause(err).split('\n')[0];
    throw new InputError(`${field}: invalid TOML${where}: ${reason}`, { cause: err });
  }
}

export function stringifyContainerdToml(table: Record<string, unknown>): string {
  return stringify(table, { numbersAsFloat: true });
}
