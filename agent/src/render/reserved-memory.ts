import { hasFlag } from '../api/kubelet-flags.js';
import { isMap } from '../api/kubelet-config-fields.js';
import { staticMemoryManager } from '../api/kubelet-config-rules.js';
import { show } from '../api/problems.js';
import { wholeBytes } from '../api/quantity.js';

/*
 * The Static memory manager (kubelet.config memoryManagerPolicy: Static, for NUMA-aligned
 * Guaranteed pods) makes the kubelet check as it starts that reservedMemory holds, for each memory
 * type, exactly what node allocatable reserves: kubeReserved + systemReserved + the hard eviction
 * threshold of memory.available (pkg/kubelet/cm/memorymanager). It stops at start otherwise. The
 * agent's kubeReserved memory follows the instance's max pods (255 MiB + 11 MiB a pod), which
 * user data written for a NodePool of many instance types cannot know, so the agent writes
 * reservedMemory itself when the user leaves it out: all on NUMA node 0, which the check allows
 * (a user who wants it spread over the nodes writes their own), and warns when the user's total
 * differs from this instance's reservation.
 */

/** Bytes as the shortest exact quantity: "674Mi", or the number of bytes. */
function quantityOf(bytes: bigint): string {
  for (const [suffix, unit] of [
    ['Gi', 1024n ** 3n],
    ['Mi', 1024n ** 2n],
    ['Ki', 1024n],
  ] as const) {
    if (bytes > 0n && bytes % unit === 0n) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}

export interface MemoryReservation {
  numaNode: number;
  limits: Record<string, string>;
}

export interface ReservedMemoryDecision {
  /** reservedMemory for the agent's config, when the user needs one and left it out */
  reservedMemory?: MemoryReservation[];
  warnings: string[];
}

/** Flags that set what node allocatable reserves, or the memory manager itself: the kubelet's own business then. */
const RESERVATION_FLAGS = ['--kube-reserved', '--system-reserved', '--eviction-hard', '--experimental-allocatable-ignore-eviction'];

const mapOf = (value: unknown): Record<string, unknown> => (isMap(value) ? value : {});

/**
 * What node allocatable reserves of memory with the agent's settings layered under the user's
 * (maps merge key by key, as the kubelet merges its drop-in), in bytes with its parts, or why it
 * cannot be known before the kubelet runs.
 */
function allocatableReservation(agent: Record<string, unknown>, user: Record<string, unknown>): { bytes: bigint; parts: string } | { why: string } {
  const kube = { ...mapOf(agent.kubeReserved), ...mapOf(user.kubeReserved) }.memory;
  const system = { ...mapOf(agent.systemReserved), ...mapOf(user.systemReserved) }.memory;
  const eviction = { ...mapOf(agent.evictionHard), ...mapOf(user.evictionHard) }['memory.available'];
  const parts: Array<[string, unknown]> = [
    ['kubeReserved memory', kube],
    ['systemReserved memory', system],
    ['hard eviction memory.available', eviction === '0%' || eviction === '100%' ? undefined : eviction],
  ];
  let bytes = 0n;
  const named: string[] = [];
  for (const [name, value] of parts) {
    if (value === undefined) continue;
    if (typeof value === 'string' && value.endsWith('%')) return { why: `${name} is a percentage (${show(value)}) of memory only the kubelet measures` };
    const b = typeof value === 'string' ? wholeBytes(value) : undefined;
    if (b === undefined) return { why: `${name} ${show(value)} is not a whole number of bytes` };
    bytes += b;
    named.push(`${name} ${value}`);
  }
  return { bytes, parts: named.join(' + ') || 'nothing' };
}

/** The total of one memory type over the user's reservedMemory entries, or undefined when one is not a quantity. */
function userTotal(entries: unknown[], type: string): bigint | undefined {
  let total = 0n;
  for (const entry of entries) {
    const limit = mapOf(mapOf(entry).limits)[type];
    if (limit === undefined) continue;
    const b = typeof limit === 'string' ? wholeBytes(limit) : typeof limit === 'number' && Number.isSafeInteger(limit) ? BigInt(limit) : undefined;
    if (b === undefined) return undefined;
    total += b;
  }
  return total;
}

/**
 * reservedMemory for the Static memory manager: written when the user's kubelet.config asks for
 * the policy without one, judged against this instance's reservation when the user gives one.
 * Left to the kubelet when a flag sets the policy, the reservation or its parts.
 */
export function decideReservedMemory(
  agent: Record<string, unknown>,
  user: Record<string, unknown> | undefined,
  flags: readonly string[] | undefined,
): ReservedMemoryDecision {
  if (!user || !staticMemoryManager(user, flags)) return { warnings: [] };
  const reservation = hasFlag(flags, ...RESERVATION_FLAGS) ? { why: 'a flag in spec.kubelet.flags sets part of it' } : allocatableReservation(agent, user);
  const given = user.reservedMemory;
  if (given === undefined) {
    if ('why' in reservation) {
      return {
        warnings: [
          `spec.kubelet.config.memoryManagerPolicy: "Static" needs reservedMemory equal to what node allocatable reserves, which the agent cannot compute here (${reservation.why}), and the kubelet stops at start without it (expected spec.kubelet.config.reservedMemory, e.g. [{numaNode: 0, limits: {memory: 1Gi}}], totalling kubeReserved + systemReserved + the hard eviction threshold of memory.available)`,
        ],
      };
    }
    return { reservedMemory: [{ numaNode: 0, limits: { memory: quantityOf(reservation.bytes) } }], warnings: [] };
  }
  if (!Array.isArray(given) || 'why' in reservation) return { warnings: [] };
  const total = userTotal(given, 'memory');
  if (total === undefined || total === reservation.bytes) return { warnings: [] };
  return {
    warnings: [
      `spec.kubelet.config.reservedMemory: reserves ${quantityOf(total)} of memory in all, but node allocatable reserves ${quantityOf(reservation.bytes)} on this instance (${reservation.parts}), and with memoryManagerPolicy "Static" the kubelet stops at start (expected a total of ${quantityOf(reservation.bytes)}, or no reservedMemory: the agent then writes this instance's)`,
    ],
  };
}
