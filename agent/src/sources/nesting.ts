import { InputError } from '../errors.js';

/**
 * How deep a NodeConfig document's flow collections (`[`/`{`, which is all of JSON) may nest.
 * Real configs stay under ten levels (an OCI runtime spec is the deepest); the YAML parser's
 * time grows steeply with depth, and 100,000 levels took seconds and hundreds of MB.
 */
export const MAX_NESTING_DEPTH = 64;

/**
 * Refuses text whose brackets nest deeper than the limit, before any parser sees it. A linear
 * scan that skips quoted strings and comments; a bracket inside a plain scalar can only make the
 * count err high, and the limit is far above anything a NodeConfig needs.
 */
export function assertNestingDepth(text: string, where: string): void {
  let depth = 0;
  let line = 1;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (quote) {
      if (quote === '"' && c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") {
      // only a quote that starts a scalar opens a string (`it's` inside a plain scalar does not)
      const before = i === 0 ? ' ' : text[i - 1]!;
      if (/[\s[{,:]/.test(before)) quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      if (end < 0) return;
      i = end - 1;
    } else if (c === '[' || c === '{') {
      if (++depth > MAX_NESTING_DEPTH) {
        throw new InputError(
          `${where}: nesting deeper than ${MAX_NESTING_DEPTH} levels at line ${line} (the limit for a NodeConfig document; refusing input built to exhaust the parser)`,
        );
      }
    } else if ((c === ']' || c === '}') && depth > 0) {
      depth--;
    }
  }
}
