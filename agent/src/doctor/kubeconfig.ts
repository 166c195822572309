import { parse } from 'yaml';
import { PATHS } from '../render/paths.js';
import type { ExecConfig } from './types.js';
import { show } from '../api/problems.js';

export const KUBELET_KUBECONFIG = PATHS.kubeconfig;
export const KUBELET_BOOTSTRAP_KUBECONFIG = PATHS.bootstrapKubeconfig;

type Named<T> = { name?: unknown } & T;

/**
 * The exec credential plugin of the kubeconfig's current context (or its only user), or a
 * string saying why there is none.
 */
export function execOf(text: string): ExecConfig | string {
  let doc: Record<string, unknown>;
  try {
    // a warning (an unknown tag, a key that is a list) would reach stderr as a runtime's line
    doc = parse(text, { logLevel: 'error' }) as Record<string, unknown>;
  } catch (err) {
    return `is not YAML (${(err as Error).message.split('\n')[0]})`;
  }
  if (!doc || typeof doc !== 'object') return 'is empty';
  const contexts = (Array.isArray(doc.contexts) ? doc.contexts : []) as Array<Named<{ context?: { user?: unknown } }>>;
  const users = (Array.isArray(doc.users) ? doc.users : []) as Array<Named<{ user?: { exec?: unknown } }>>;
  // an entry may be null (a `-` with nothing after it)
  const current = contexts.find((c) => c?.name === doc['current-context']) ?? (contexts.length === 1 ? contexts[0] : undefined);
  const userName = current?.context?.user;
  const user = users.find((u) => u?.name === userName) ?? (users.length === 1 ? users[0] : undefined);
  if (!user) return `has no user for context ${show(doc['current-context'] ?? '')}`;
  const exec = user.user?.exec as Partial<ExecConfig> | undefined;
  if (!exec || typeof exec.command !== 'string') return `user ${show(user.name)} has no exec credential plugin`;
  const args: unknown[] = Array.isArray(exec.args) ? exec.args : [];
  const env = Array.isArray(exec.env) ? exec.env.filter((e) => e && typeof e.name === 'string') : [];
  // a list or a mapping where the kubelet reads a string: it cannot load the kubeconfig
  if ([...args, ...env.map((e) => e.value)].some((v) => v !== null && typeof v === 'object')) {
    return `user ${show(user.name)} has an exec argument or environment value that is not a string`;
  }
  return {
    command: exec.command,
    ...(typeof exec.apiVersion === 'string' ? { apiVersion: exec.apiVersion } : {}),
    args: args.map(String),
    env: env.map((e) => ({ name: e.name, value: String(e.value ?? '') })),
  };
}

/** The token out of an ExecCredential document a plugin printed. */
export function tokenOf(stdout: string): string {
  let doc: { status?: { token?: unknown } };
  try {
    doc = JSON.parse(stdout) as typeof doc;
  } catch {
    throw new Error('the plugin did not print an ExecCredential JSON document');
  }
  const token = doc.status?.token;
  if (typeof token !== 'string' || token === '') throw new Error('the ExecCredential has no status.token');
  return token;
}
