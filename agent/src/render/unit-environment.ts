import { renderTemplate } from '../templates/handlebars.js';
import { InputError } from '../errors.js';
import type { RenderContext } from './context.js';
import { unitEnvironmentPath } from './paths.js';
import type { PlannedFile } from './plan.js';

const UNIT_NAME = /^[A-Za-z0-9_@:-][A-Za-z0-9_@:.\\-]*$/;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * `kubelet` and `kubelet.service` both name kubelet.service; other unit types are not services
 * and have no [Service] section, so they are rejected. The name becomes a directory, so it may
 * not hold a slash or be `..`.
 */
export function serviceUnitName(key: string): string {
  const field = `spec.instance.environment.${key}`;
  const name = key.endsWith('.service') ? key : `${key}.service`;
  const stem = name.slice(0, -'.service'.length);
  if (!UNIT_NAME.test(stem) || stem.includes('..') || /\.(socket|timer|mount|path|target|slice|scope|device|swap|automount)$/.test(stem)) {
    throw new InputError(`${field}: ${JSON.stringify(key)} is not a service unit name (expected e.g. "kubelet" or "containerd.service")`);
  }
  return name;
}

/** One drop-in per unit, variables sorted by name; `%` doubled, quotes escaped, newlines rejected. */
export function renderUnitEnvironments(ctx: RenderContext): PlannedFile[] {
  const environment = ctx.config.spec.instance?.environment ?? {};
  const files: PlannedFile[] = [];
  for (const key of Object.keys(environment).sort()) {
    const unit = serviceUnitName(key);
    const vars = environment[key] ?? {};
    const variables = Object.keys(vars)
      .sort()
      .map((name) => {
        const field = `spec.instance.environment.${key}.${name}`;
        const value = vars[name] ?? '';
        if (!VARIABLE_NAME.test(name)) {
          throw new InputError(`${field}: ${JSON.stringify(name)} is not an environment variable name (expected letters, digits and _, not starting with a digit)`);
        }
        if (CONTROL.test(value)) {
          throw new InputError(`${field}: ${JSON.stringify(value)} contains a newline or control character (expected a single-line value)`);
        }
        return { name, value };
      });
    if (variables.length === 0) continue;
    files.push({ path: unitEnvironmentPath(unit), mode: 0o644, content: renderTemplate('unitEnvironment', { variables }) });
  }
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path)) {
      throw new InputError(`spec.instance.environment: names the unit of ${f.path} twice (e.g. "kubelet" and "kubelet.service"; expected one key per unit)`);
    }
    seen.add(f.path);
  }
  return files;
}
