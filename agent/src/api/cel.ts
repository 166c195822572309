/**
 * The CEL library is slow to load, and only a NodeConfig with a maxPodsExpression
 * needs it; so it is loaded on demand (before validation of such a config) and kept off the
 * boot path of every other node. Compiling stays synchronous, which keeps render() pure and sync.
 */
type Cel = typeof import('@bufbuild/cel');
let cel: Cel | undefined;

export async function loadCel(): Promise<Cel> {
  cel ??= await import('@bufbuild/cel');
  return cel;
}

export function loadedCel(): Cel {
  if (!cel) throw new Error('internal: the CEL library is not loaded (await loadCel() before compiling an expression)');
  return cel;
}
