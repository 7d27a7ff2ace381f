import type { CommandTemplate } from './command-template.js';

/** Where a command's substitution stands among its command's words, which decides what values it may take. */
export interface SubstitutionPlace {
  /** The value is the start of a word: a leading `-` makes the word an option. */
  startsWord: boolean;
  /** A `--` word comes before it in its simple command: by convention, what follows is an operand. */
  afterDoubleDash: boolean;
}

/** The place of each substitution of a command, in order. */
export function substitutionPlaces(template: CommandTemplate): SubstitutionPlace[] {
  return template.substitutions.map(({ at }) => {
    for (const words of template.words) {
      const k = words.findIndex((w) => w.start <= at && at < w.end);
      if (k >= 0) return { startsWord: words[k]!.start === at, afterDoubleDash: words.slice(0, k).some((w) => w.raw === '--') };
    }
    return { startsWord: false, afterDoubleDash: false };
  });
}

/**
 * A `[` followed by a `$` or a backtick: an array subscript bash expands (and runs the `$(...)` in)
 * wherever it evaluates the value as a number or reads it as a variable name, which many builtins
 * do with a quoted argument (`[[ -eq ]]`, `read`, `printf -v`, an integer variable's assignment).
 */
const EXPANDING_SUBSCRIPT = /\[[^]*[$`]/;

/** Why a value must not be substituted at this place of a command, and what to do; null when it may. */
export function refusedCommandValue(value: string, place: SubstitutionPlace): { why: string; hint: string } | null {
  if (EXPANDING_SUBSCRIPT.test(value)) {
    return { why: 'which holds an array subscript that expands ([ then $ or a backtick): bash runs the command in it wherever it evaluates the value as a number or a variable name, quotes or not', hint: 'fix the value: a topology value has no reason to hold both' };
  }
  if (value.startsWith('-') && place.startsWord && !place.afterDoubleDash) {
    return { why: 'which begins with -: at the start of an argument, the command would take it as an option (rm {{x}} /x would be rm -rf /x)', hint: 'put a -- argument before it in the playbook (rm -- {{node.labels.dir}}), or glue it to a prefix (./{{node.labels.dir}}), or fix the value' };
  }
  return null;
}
