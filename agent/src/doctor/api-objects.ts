import { z } from 'zod';

/**
 * The Kubernetes API objects doctor reads (the Node, the pods bound to it, kubelet-serving CSRs,
 * the SelfSubjectReview that says who the node is), as far as its rules read them, read
 * leniently: a field of the wrong type is absent and a list entry that is not an object is left
 * out, so an endpoint that answers something other than the Kubernetes API's types (a proxy, a
 * partial API server) leaves a line that says less, never an internal error. Unknown fields are
 * dropped; the support bundle's summaries read the raw answer.
 */

const text = z.string().optional().catch(undefined);
const flag = z.boolean().optional().catch(undefined);
const whole = z.number().optional().catch(undefined);

/** An object whose fields are each read leniently; absent when it is not an object. */
const struct = <S extends z.ZodRawShape>(shape: S) => z.object(shape).optional().catch(undefined);

/** The entries of a list that parse as `item`; absent when it is not a list. */
function entries<T extends z.ZodType>(item: T) {
  return z
    .array(z.unknown())
    .transform((list) =>
      list.flatMap((entry) => {
        const read = item.safeParse(entry);
        return read.success ? [read.data as z.output<T>] : [];
      }),
    )
    .optional()
    .catch(undefined);
}

const condition = z.object({ type: text, status: text, reason: text, message: text });

const taint = z.object({ key: text, value: text, effect: text, /** set by the API server for NoExecute taints only */ timeAdded: text });

const nodeSchema = z.object({
  metadata: struct({ name: text, creationTimestamp: text }),
  spec: struct({ providerID: text, taints: entries(taint) }),
  status: struct({
    addresses: entries(z.object({ type: text, address: text })),
    conditions: entries(condition),
    capacity: struct({ pods: z.unknown().optional() }),
  }),
});

const containerStatus = z.object({
  name: text,
  ready: flag,
  restartCount: whole,
  state: struct({ waiting: struct({ reason: text, message: text }) }),
});

const podSchema = z.object({
  metadata: struct({
    namespace: text,
    name: text,
    creationTimestamp: text,
    labels: z.record(z.string(), z.string()).optional().catch(undefined),
    ownerReferences: entries(z.object({ kind: text, name: text })),
  }),
  spec: struct({
    hostNetwork: flag,
    containers: entries(z.object({ name: text, env: entries(z.object({ name: text, value: text, valueFrom: z.unknown().optional() })) })),
  }),
  status: struct({
    phase: text,
    startTime: text,
    conditions: entries(condition),
    containerStatuses: entries(containerStatus),
    initContainerStatuses: entries(containerStatus),
  }),
});

const csrSchema = z.object({
  metadata: struct({ name: text, creationTimestamp: text }),
  spec: struct({ signerName: text, username: text, request: text }),
  status: struct({ conditions: entries(condition), certificate: text }),
});

const selfSubjectReview = z.object({
  status: struct({ userInfo: struct({ username: text, groups: z.array(z.string()).optional().catch(undefined) }) }),
});

const listOf = <T extends z.ZodType>(item: T) => z.object({ items: entries(item), metadata: struct({ continue: text }) }).catch({});

export type NodeTaint = z.output<typeof taint>;
export type NodeObject = z.output<typeof nodeSchema>;
export type PodObject = z.output<typeof podSchema>;
export type CsrObject = z.output<typeof csrSchema>;

/** A Node as doctor's rules read it; `{}` when the answer is not an object. */
export const readNode = (json: unknown): NodeObject => nodeSchema.catch({}).parse(json);

/** The items of a PodList, and its continue token. */
export const readPodList = (json: unknown) => listOf(podSchema).parse(json);

/** The items of a CertificateSigningRequestList, and its continue token. */
export const readCsrList = (json: unknown) => listOf(csrSchema).parse(json);

/** Who a SelfSubjectReview says the token is; `{}` when the answer does not say. */
export const readUserInfo = (json: unknown) => selfSubjectReview.catch({}).parse(json).status?.userInfo ?? {};
