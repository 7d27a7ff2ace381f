import type { CommandWord } from './command-words.js';

/**
 * Where bash reads a word's value again after quote removal, so that quote() no longer makes it
 * literal: as an arithmetic expression or a variable name (an array subscript in either, as in
 * `a[$(cmd)]`, is expanded and runs commands), or as shell code parsed anew (eval, sh -c).
 */
export type Reevaluation = 'double-brackets' | 'arithmetic' | 'variable-name' | 'reparsed';

/** Commands that run the rest of their words as a command: the command that matters comes later. */
const WRAPPERS = new Set(['command', 'builtin', 'exec', 'env', 'sudo', 'doas', 'nohup', 'nice', 'ionice', 'timeout', 'setsid', 'stdbuf', 'chroot', 'flock', 'unshare', 'nsenter', 'taskset', 'chrt', 'xargs', 'systemd-run', 'time']);
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'posh', 'yash']);
const DECLARATIONS = new Set(['declare', 'typeset', 'local', 'export', 'readonly']);
/** Options of ssh that take an argument, which is then not the destination. */
const SSH_OPTIONS_WITH_ARGUMENT = 'BbcDEeFIiJLlmOoPpQRSWw';
/** Options of read and mapfile that take an argument; every other operand is a variable name. */
const READ_OPTIONS_WITH_ARGUMENT = new Set(['-d', '-n', '-N', '-p', '-t', '-u', '-i', '-O', '-s', '-C', '-c']);
/** Declarations whose -n makes a nameref: the value assigned is a variable name. (export -n unexports; readonly has no -n.) */
const NAMEREF_DECLARATIONS = new Set(['declare', 'typeset', 'local']);
const RULED = new Set(['eval', 'alias', 'watch', 'trap', 'let', 'su', 'runuser', 'ssh', 'read', 'mapfile', 'readarray', 'printf', 'test', '[', 'unset', ...SHELLS, ...DECLARATIONS]);

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)(\[[^]*?\])?\+?=/;
const isOption = (word: CommandWord) => /^[-+]./.test(word.bare) && word.bare !== '--';
const nameOf = (word: CommandWord) => word.bare.slice(word.bare.lastIndexOf('/') + 1);

/**
 * How bash reads again each substitution (by its offset in the command text that gave the words,
 * one stand-in character per substitution) that stands in such a word; the others are absent.
 * It knows the usual commands by name, behind the usual wrappers (sudo, env, timeout...): what
 * passes a value to a shell in other ways (`echo {{x}} | sh`) it cannot see.
 */
export function reevaluatedSubstitutions(commands: readonly CommandWord[][], offsets: readonly number[]): Map<number, Reevaluation> {
  const found = new Map<number, Reevaluation>();
  const inside = (word: CommandWord | undefined, from = 0, to = Infinity) => (word ? offsets.filter((at) => at >= word.start + from && at < Math.min(word.end, word.start + to)) : []);
  const flag = (subs: readonly number[], why: Reevaluation) => subs.forEach((at) => found.has(at) || found.set(at, why));
  const integers = integerVariables(commands);

  for (const words of commands) {
    if (words[0]?.bare === '[[') {
      words.forEach((w) => flag(inside(w), 'double-brackets'));
      continue;
    }
    let k = 0;
    for (; k < words.length && ASSIGNMENT.test(words[k]!.raw); k++) {
      const [, name, subscript = ''] = ASSIGNMENT.exec(words[k]!.raw)!;
      const valueFrom = words[k]!.raw.indexOf('=') + 1;
      flag(inside(words[k], name!.length, name!.length + subscript.length), 'arithmetic');
      if (integers.has(name!)) flag(inside(words[k], valueFrom), 'arithmetic');
    }
    if (k < words.length && WRAPPERS.has(nameOf(words[k]!))) {
      const ruled = words.findIndex((w, i) => i > k && inside(w).length === 0 && RULED.has(nameOf(w)));
      if (ruled < 0) continue;
      k = ruled;
    }
    const command = k < words.length ? nameOf(words[k]!) : '';
    const args = words.slice(k + 1);
    const operands = (skip: (arg: CommandWord) => boolean = isOption) => args.filter((a) => !skip(a) && a.bare !== '--');

    if (command === 'eval' || command === 'alias' || command === 'watch') args.forEach((a) => flag(inside(a), 'reparsed'));
    else if (command === 'trap') flag(inside(operands()[0]), 'reparsed');
    else if (command === 'let') args.forEach((a) => flag(inside(a), 'arithmetic'));
    else if (SHELLS.has(command)) {
      // `sh -c STRING [NAME [ARG...]]`: the first operand is the code; the others are its $0, $1...
      const options = args.slice(0, Math.max(0, args.findIndex((a) => !isOption(a))));
      if (options.some((o) => /^-[A-Za-z]*c/.test(o.bare))) flag(inside(operands()[0]), 'reparsed');
    } else if (command === 'su' || command === 'runuser') {
      args.forEach((a, i) => {
        if (a.bare === '-c' || a.bare === '--command') flag(inside(args[i + 1]), 'reparsed');
        if (a.bare.startsWith('--command=') || /^-[A-Za-z]*c./.test(a.bare)) flag(inside(a), 'reparsed');
      });
    } else if (command === 'ssh') {
      // Every word after the destination is joined into one string the remote shell parses.
      let i = 0;
      while (i < args.length && isOption(args[i]!)) i += SSH_OPTIONS_WITH_ARGUMENT.includes(args[i]!.bare.slice(-1)) && args[i]!.bare.length === 2 ? 2 : 1;
      if (args[i]?.bare === '--') i++;
      args.slice(i + 1).forEach((a) => flag(inside(a), 'reparsed'));
    } else if (DECLARATIONS.has(command)) {
      const integer = args.some((a) => /^-[A-Za-z]*i/.test(a.bare));
      // A nameref's value is the name of the variable it stands for: each use of it evaluates a subscript there.
      const nameref = NAMEREF_DECLARATIONS.has(command) && args.some((a) => /^-[A-Za-z]*n/.test(a.bare));
      for (const a of operands()) {
        const equals = a.raw.indexOf('=');
        flag(inside(a, 0, equals < 0 ? Infinity : equals), 'variable-name');
        if (equals >= 0 && nameref) flag(inside(a, equals + 1), 'variable-name');
        else if (equals >= 0 && (integer || integers.has(a.raw.slice(0, equals).replace(/\+$/, '')))) flag(inside(a, equals + 1), 'arithmetic');
      }
    } else if (command === 'unset') {
      // unset evaluates the subscript of a name that is an array (DIRSTACK always is); with -f the operands are functions' names, read as written.
      if (!args.some((a) => /^-[A-Za-z]*f/.test(a.bare))) operands().forEach((a) => flag(inside(a), 'variable-name'));
    } else if (command === 'read' || command === 'mapfile' || command === 'readarray') {
      args.forEach((a, i) => {
        const optionArgument = i > 0 && READ_OPTIONS_WITH_ARGUMENT.has(args[i - 1]!.bare);
        if (!isOption(a) && !optionArgument) flag(inside(a), 'variable-name');
      });
    } else if (command === 'printf') {
      if (args[0]?.bare === '-v') flag(inside(args[1]), 'variable-name');
    } else if (command === 'test' || command === '[') {
      args.forEach((a, i) => a.bare === '-v' && flag(inside(args[i + 1]), 'variable-name'));
    }
  }
  return found;
}

/** The variables the command text gives bash's integer attribute (`declare -i n`), wherever: an assignment to one is evaluated. */
function integerVariables(commands: readonly CommandWord[][]): Set<string> {
  const names = new Set<string>();
  for (const words of commands) {
    const k = words.findIndex((w) => !ASSIGNMENT.test(w.raw));
    if (k < 0 || !DECLARATIONS.has(nameOf(words[k]!))) continue;
    const args = words.slice(k + 1);
    if (!args.some((a) => /^-[A-Za-z]*i/.test(a.bare))) continue;
    for (const a of args) if (!isOption(a)) names.add(a.bare.split('=')[0]!.replace(/\+$/, ''));
  }
  return names;
}
