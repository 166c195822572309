import { InputError } from '../errors.js';
import { show } from '../api/problems.js';

export interface Version {
  major: number;
  minor: number;
  patch: number;
}

/** "v1.33.1", "1.7.27", "2.1.0-rc.1" -> numbers; anything else is bad facts input. */
export function parseVersion(field: string, value: string): Version {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/.exec(value.trim());
  if (!m) {
    throw new InputError(`${field}: ${show(value)} is not a version (expected e.g. "v1.33.1")`);
  }
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}

/** v is at least major.minor (patch ignored: features start with a minor release). */
export function atLeast(v: Version, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}
