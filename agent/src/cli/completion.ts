import { GLOBAL_OPTIONS, type CommandSpec, type OptionSpec, type Program } from './args.js';

/*
 * `completion bash|zsh`: a shell completion script generated from the same command table the
 * parser and the help use, so a new option completes without anyone editing a script. zsh gets
 * the bash function through bashcompinit, which every zsh ships.
 */

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

const words = (list: readonly string[]) => list.join(' ');
const flags = (o: OptionSpec) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])];

/** What to offer after an option that takes a value. */
function valueCompletion(o: OptionSpec): string {
  if (o.choices) return `COMPREPLY=($(compgen -W "${words(o.choices)}" -- "$cur"))`;
  if (o.value === '<uri>') return `COMPREPLY=($(compgen -W "imds://user-data file://" -- "$cur"))`;
  if (o.value === '<dir>') return 'COMPREPLY=($(compgen -d -- "$cur"))';
  if (o.value === '<file>') return 'COMPREPLY=($(compgen -f -- "$cur"))';
  return 'COMPREPLY=()';
}

function valueCases(options: readonly OptionSpec[], indent: string): string[] {
  return options.filter((o) => o.value).map((o) => `${indent}${flags(o).join('|')}) ${valueCompletion(o)}; return ;;`);
}

function bash(program: Program): string {
  const fn = `_${program.name.replace(/[^A-Za-z0-9]/g, '_')}`;
  const paths = program.commands.map((c) => c.path.join(' '));
  const groups = [...new Set(program.commands.filter((c) => c.path.length > 1).map((c) => c.path.slice(0, -1).join(' ')))];
  const next = (prefix: string) => {
    const depth = prefix === '' ? 0 : prefix.split(' ').length;
    return [
      ...new Set(program.commands.filter((c) => c.path.slice(0, depth).join(' ') === prefix && c.path.length > depth).map((c) => c.path[depth] as string)),
    ];
  };
  const topWords = [...next(''), 'help', ...GLOBAL_OPTIONS.flatMap(flags)];
  const perCommand = (c: CommandSpec) => {
    const offered = [...c.options.flatMap(flags), '--help', ...(c.positionals?.choices ?? [])];
    return [
      `    "${c.path.join(' ')}")`,
      '      case "$prev" in',
      ...valueCases(c.options, '        '),
      '      esac',
      `      COMPREPLY=($(compgen -W "${words(offered)}" -- "$cur")) ;;`,
    ];
  };
  return [
    `# ${program.name} completion for bash (\`${program.name} completion bash\`); load it with`,
    `#   source <(${program.name} completion bash)`,
    `${fn}() {`,
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmd="" w i',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    w="${COMP_WORDS[i]}"',
    '    case "${cmd:+$cmd }$w" in',
    `      ${[...groups, ...paths, 'help'].map((p) => `"${p}"`).join('|')}) cmd="\${cmd:+$cmd }$w" ;;`,
    '    esac',
    '  done',
    '  case "$prev" in',
    ...valueCases(GLOBAL_OPTIONS, '    '),
    '  esac',
    '  case "$cmd" in',
    `    "") COMPREPLY=($(compgen -W "${words(topWords)}" -- "$cur")) ;;`,
    `    help) COMPREPLY=($(compgen -W "${words(next(''))}" -- "$cur")) ;;`,
    ...groups.map((g) => `    "${g}") COMPREPLY=($(compgen -W "${words(next(g))} --help" -- "$cur")) ;;`),
    ...program.commands.flatMap(perCommand),
    '  esac',
    '}',
    `complete -o default -F ${fn} ${program.name}`,
    '',
  ].join('\n');
}

export function completionScript(program: Program, shell: Shell): string {
  if (shell === 'bash') return bash(program);
  return [
    `#compdef ${program.name}`,
    `# ${program.name} completion for zsh; load it with`,
    `#   source <(${program.name} completion zsh)`,
    'autoload -U +X bashcompinit && bashcompinit',
    bash(program),
  ].join('\n');
}
