/**
 * A deadline that a busy process cannot miss by its own fault. When a process has been busy past
 * the deadline (a synchronous chunk load, a slow emulated CPU), the timer and the answer it waited
 * for are both due when the event loop comes round, and Node runs timers before it reads sockets
 * or learns that a child exited: a plain timer would then throw away an answer that had already
 * arrived. Here the expiry waits one more turn of the loop (I/O is handled before `setImmediate`
 * callbacks run) and happens only if the work has not been cleared by then. The IMDS client's
 * per-request idle timer does the same in its own terms (aws/imds.ts: progress since it fired).
 */
export interface Deadline {
  /** the work finished: the deadline never expires */
  clear(): void;
}

export function deadline(ms: number, expire: () => void): Deadline {
  let cleared = false;
  const timer = setTimeout(() => {
    setImmediate(() => {
      if (!cleared) expire();
    });
  }, ms);
  return {
    clear() {
      cleared = true;
      clearTimeout(timer);
    },
  };
}
