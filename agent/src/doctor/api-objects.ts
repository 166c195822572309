// zod/mini, as the NodeConfig schema (agent/src/api/schema.ts says why); the schemas are built on
// doctor's first read, so no other command pays for them.
import * as z from 'zod/mini';

/**
 * The Kubernetes API objects doctor reads (the Node, the pods bound to it, kubelet-serving CSRs,
 * the SelfSubjectReview that says who the node is), as far as its rules read them, read
 * leniently: a field of the wrong type is absent and a list entry that is not an object is left
 * out, so an endpoint that answers something other than the Kubernetes API's types (a proxy, a
 * partial API server) leaves a line that says less, never an internal error. Unknown fields are
 * dropped; the support bundle's summaries read the raw answer.
 */

/** A field read leniently: absent when it is not what `schema` takes. */
const lenient = <T extends z.ZodMiniType>(schema: T) => z.catch(z.optional(schema), undefined);

/** An object whose fields are each read leniently; absent when it is not an object. */
const struct = <S extends z.core.$ZodLooseShape>(shape: S) => lenient(z.object(shape));

/** The entries of a list that parse as `item`; absent when it is not a list. */
function entries<T extends z.ZodMiniType>(item: T) {
  const kept = z.transform((list: unknown[]) =>
    list.flatMap((entry) => {
      const read = item.safeParse(entry);
      return read.success ? [read.data as z.output<T>] : [];
    }),
  );
  return lenient(z.pipe(z.array(z.unknown()), kept));
}

function build() {
  const text = lenient(z.string());
  const flag = lenient(z.boolean());
  const whole = lenient(z.number());
  const condition = z.object({ type: text, status: text, reason: text, message: text });
  const containerStatus = z.object({
    name: text,
    ready: flag,
    restartCount: whole,
    state: struct({ waiting: struct({ reason: text, message: text }) }),
  });
  const node = z.object({
    metadata: struct({ name: text, creationTimestamp: text }),
    spec: struct({
      providerID: text,
      // timeAdded: set by the API server for NoExecute taints only
      taints: entries(z.object({ key: text, value: text, effect: text, timeAdded: text })),
    }),
    status: struct({
      addresses: entries(z.object({ type: text, address: text })),
      conditions: entries(condition),
      capacity: struct({ pods: z.optional(z.unknown()) }),
    }),
  });
  const pod = z.object({
    metadata: struct({
      namespace: text,
      name: text,
      creationTimestamp: text,
      labels: lenient(z.record(z.string(), z.string())),
      ownerReferences: entries(z.object({ kind: text, name: text })),
    }),
    spec: struct({
      hostNetwork: flag,
      containers: entries(z.object({ name: text, env: entries(z.object({ name: text, value: text, valueFrom: z.optional(z.unknown()) })) })),
    }),
    status: struct({
      phase: text,
      startTime: text,
      conditions: entries(condition),
      containerStatuses: entries(containerStatus),
      initContainerStatuses: entries(containerStatus),
    }),
  });
  const csr = z.object({
    metadata: struct({ name: text, creationTimestamp: text }),
    spec: struct({ signerName: text, username: text, request: text }),
    status: struct({ conditions: entries(condition), certificate: text }),
  });
  const listOf = <T extends z.ZodMiniType>(item: T) => z.catch(z.object({ items: entries(item), metadata: struct({ continue: text }) }), {});
  const selfSubjectReview = z.object({ status: struct({ userInfo: struct({ username: text, groups: lenient(z.array(z.string())) }) }) });
  return {
    node: z.catch(node, {}),
    podList: listOf(pod),
    csrList: listOf(csr),
    selfSubjectReview: z.catch(selfSubjectReview, {}),
  };
}

let schemas: ReturnType<typeof build> | undefined;
const schema = () => (schemas ??= build());

type Schemas = ReturnType<typeof build>;
export type NodeObject = z.output<Schemas['node']>;
export type PodObject = NonNullable<z.output<Schemas['podList']>['items']>[number];
export type CsrObject = NonNullable<z.output<Schemas['csrList']>['items']>[number];

/** A Node as doctor's rules read it; `{}` when the answer is not an object. */
export const readNode = (json: unknown): NodeObject => schema().node.parse(json);

/** The items of a PodList, and its continue token. */
export const readPodList = (json: unknown) => schema().podList.parse(json);

/** The items of a CertificateSigningRequestList, and its continue token. */
export const readCsrList = (json: unknown) => schema().csrList.parse(json);

/** Who a SelfSubjectReview says the token is; `{}` when the answer does not say. */
export const readUserInfo = (json: unknown) => schema().selfSubjectReview.parse(json).status?.userInfo ?? {};
