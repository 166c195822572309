/**
 * Splits kubelet arguments held in one string into words the way systemd expands an unbraced
 * `$VAR` on an `ExecStart=` line: at whitespace, removing single and double quotes and backslash
 * escapes. The AL2 kubelet unit read `--kubelet-extra-args` that way (`$KUBELET_EXTRA_ARGS`), so
 * `--node-labels="a=b,c=d"` (the spelling Karpenter writes) reached kubelet as
 * `--node-labels=a=b,c=d`; an AMI that joins `spec.kubelet.flags` into one such variable reads a
 * flags item holding spaces the same way (kubelet-flag-items.ts). Returns undefined for an
 * unterminated quote.
 */
export function splitWords(text: string): string[] | undefined {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += ch;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      inWord = true;
      if (ch === '"' || ch === "'") quote = ch;
      else if (ch === '\\' && i + 1 < text.length) word += text[++i];
      else word += ch;
    }
  }
  if (quote) return undefined;
  if (inWord) words.push(word);
  return words;
}
