import { show } from './problems.js';
import { splitWords } from './words.js';

/*
 * `spec.kubelet.flags` read as the kubelet gets them on an AMI that joins the list into one
 * environment variable, space-separated, and expands it unquoted on the kubelet's command line
 * (nodeadm's AMI does): systemd splits that value again at whitespace. So an item holding two
 * flags (`"--node-labels=a=b --max-pods=20"`, often an AL2 `--kubelet-extra-args` string moved
 * into the list whole) reaches that kubelet as two arguments, and a word after a flag without
 * `=` is that flag's value to it (`"--node-labels lifecycle=spot"`), since the kubelet takes no
 * positional arguments; that splitting also takes out quotes and backslashes, in an item without
 * spaces too (`--node-labels="team=a"`, an AL2 habit, reaches that kubelet as
 * `--node-labels=team=a`, where passed as written its label key would be `"team`). User data
 * written for that AMI must boot here too, so the agent reads the list the same way, once,
 * before any rule sees it: each flag then stands in its own item, and every rule judges it
 * there. It is an advisory problem (a boot warns and goes on; `config check` calls it an error,
 * since one flag per item is what a person should write). An item that does not read as flags
 * that way (`"--node-labels=team=a b"`: `b` is no flag, and that kubelet would stop at it) is
 * left whole, for the flag rule's error.
 */

/** A flag without a value: the word after it, when not a flag, is its value to the kubelet. */
const BARE_FLAG = /^--[A-Za-z0-9][A-Za-z0-9-]*$/;
/** A flag as one word: `--name` or `--name=value`, the value without whitespace. */
const FLAG_WORD = /^--[A-Za-z0-9][A-Za-z0-9-]*(=\S*)?$/;
const WHITESPACE = /\s/;
/** What the unit's splitting changes in an item: whitespace, quotes, backslashes. */
const SPLIT = /[\s"'\\]/;

interface Word {
  text: string;
  /** the item it came from */
  item: number;
}

/** One flag as read, and the items it came from (two when a bare flag took the next item as its value). */
interface ReadFlag {
  flag: string;
  items: number[];
}

/** A word the kubelet would take as the value of a bare flag before it. */
const isValue = (word: Word | undefined): word is Word => word !== undefined && word.text !== '' && !word.text.startsWith('-') && !WHITESPACE.test(word.text);

function words(flags: readonly string[], whole: ReadonlySet<number>): Word[] {
  return flags.flatMap((item, i) => {
    if (whole.has(i) || !SPLIT.test(item)) return [{ text: item, item: i }];
    const split = splitWords(item);
    // an unterminated quote, or nothing but whitespace: the flag rule says what is wrong
    return split && split.length > 0 ? split.map((text) => ({ text, item: i })) : [{ text: item, item: i }];
  });
}

function pair(list: readonly Word[]): ReadFlag[] {
  const read: ReadFlag[] = [];
  for (let k = 0; k < list.length; k++) {
    const word = list[k]!;
    const next = list[k + 1];
    if (BARE_FLAG.test(word.text) && isValue(next)) {
      read.push({ flag: `${word.text}=${next.text}`, items: [...new Set([word.item, next.item])] });
      k++;
    } else read.push({ flag: word.text, items: [word.item] });
  }
  return read;
}

/** The item each flag of a read list came from (the first, when a bare flag took the next item's word), by list. */
const GIVEN_ITEMS = new WeakMap<readonly string[], readonly number[]>();

/**
 * The path of the flag at `index` of `flags`, numbered as the user data wrote the list: for a
 * list read here (items split or joined), the item the flag came from, so every line names the
 * item a person finds in the file; any other list's own index.
 */
export function flagPath(flags: readonly string[] | undefined, index: number): string {
  const item = flags === undefined ? undefined : GIVEN_ITEMS.get(flags)?.[index];
  return `spec.kubelet.flags[${item ?? index}]`;
}

export interface KubeletFlagItems {
  /** the flags, one per item; the list given when nothing was read differently */
  flags: string[] | undefined;
  /** one line per group of items read differently, naming them and what they became */
  advisories: string[];
}

export function readKubeletFlagItems(flags: string[] | undefined): KubeletFlagItems {
  if (!flags?.some((f) => SPLIT.test(f) || BARE_FLAG.test(f))) return { flags, advisories: [] };
  // Items split into words that are not all flags (or values of one) are left whole; leaving
  // one whole can strand a word of another, so repeat until none changes.
  const whole = new Set<number>();
  let read: ReadFlag[];
  for (;;) {
    read = pair(words(flags, whole));
    const stray = read.filter((r) => !FLAG_WORD.test(r.flag) && r.items.some((i) => !whole.has(i) && SPLIT.test(flags[i]!)));
    if (stray.length === 0) break;
    for (const r of stray) for (const i of r.items) whole.add(i);
  }
  if (read.length === flags.length && read.every((r, k) => r.flag === flags[k])) return { flags, advisories: [] };

  // Group the items each read flag joins, in order; a group whose reading differs gets a line.
  const groups: Array<{ items: number[]; read: string[] }> = [];
  for (const r of read) {
    const last = groups.at(-1);
    if (last && r.items.some((i) => last.items.includes(i))) {
      last.read.push(r.flag);
      for (const i of r.items) if (!last.items.includes(i)) last.items.push(i);
    } else groups.push({ items: [...r.items], read: [r.flag] });
  }
  const advisories: string[] = [];
  for (const group of groups) {
    const given = group.items.map((i) => flags[i]!);
    if (given.length === group.read.length && given.every((f, k) => f === group.read[k])) continue;
    const first = group.items[0]!;
    const last = group.items.at(-1)!;
    const where = first === last ? `spec.kubelet.flags[${first}]` : `spec.kubelet.flags[${first}] to [${last}]`;
    const joined = group.read.length < given.flatMap((f) => splitWords(f) ?? [f]).length;
    const reading = group.read.length === 1 ? `the flag ${show(group.read[0])}` : `${group.read.length} flags, ${group.read.map((f) => show(f)).join(', ')}`;
    advisories.push(
      `${where}: ${given.map((f) => show(f)).join(', ')} ${given.length === 1 ? 'is' : 'are'} read as ${reading}, as a kubelet whose unit splits its flags at spaces and takes out quotes gets ${given.length === 1 ? 'it' : 'them'}${joined ? ', a word after a flag without "=" its value' : ''} (expected one "--name=value" flag per item, without spaces or quotes)`,
    );
  }
  const out = read.map((r) => r.flag);
  GIVEN_ITEMS.set(
    out,
    read.map((r) => r.items[0]!),
  );
  return { flags: out, advisories };
}
