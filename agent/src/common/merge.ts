import { isPlainObject } from './json.js';

/**
 * The one merge rule for user fragments layered over agent defaults (containerd TOML, base
 * runtime spec, kubelet config for kubelets without drop-in support): maps merge key by key,
 * everything else (scalars, lists) in `override` replaces what `base` had. Neither input is
 * mutated. `__proto__`-style keys are copied as data, never as prototypes.
 */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return clone(override);
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(base)) define(out, key, clone(base[key]));
  for (const key of Object.keys(override)) {
    define(out, key, key in out ? deepMerge(out[key], override[key]) : clone(override[key]));
  }
  return toPlain(out);
}

function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(value)) define(out, key, clone(value[key]));
    return toPlain(out);
  }
  return value;
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Give the null-prototype map a normal prototype again without re-reading special keys. */
function toPlain(obj: Record<string, unknown>): Record<string, unknown> {
  Object.setPrototypeOf(obj, Object.prototype);
  return obj;
}
