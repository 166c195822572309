/**
 * Splits a `--kubelet-extra-args` value into words the way the AL2 kubelet unit did: bootstrap.sh
 * stored the string in `KUBELET_EXTRA_ARGS` and systemd expanded an unbraced `$KUBELET_EXTRA_ARGS`
 * at whitespace, removing single and double quotes and backslash escapes. So
 * `--node-labels="a=b,c=d"` (the spelling Karpenter writes) reaches kubelet as
 * `--node-labels=a=b,c=d`. Returns undefined for an unterminated quote.
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
