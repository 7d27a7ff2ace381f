import type SSHConfig from 'ssh-config';
import { withBlocksThatCanMatch } from './ssh-config-candidate-blocks.js';
import { holdsQuestionMark, withExactQuestionMarks } from './ssh-config-exact-question-mark.js';
import { caseMayDecide } from './ssh-config-match-host-case.js';
import type { ConfigLine } from './ssh-config-include.js';
import { withNestedBlocksResolved } from './ssh-config-nested-blocks.js';
import { nameForSecondPass, withSecondPassAsSshMakesIt } from './ssh-config-second-pass.js';

/** `SSHConfig.DIRECTIVE`, without loading the parser to read it. */
const DIRECTIVE = 1;

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * The values `config` gives `host` for a login as `user` (undefined: as OpenSSH without `-l`, the
 * file's own User, else the local user, is what `Match user` judges). Where a `Match final` asks for
 * a second pass, it is made as ssh makes it, against the name ssh fixes from the first pass
 * (ssh-config-second-pass.ts), which no HostName of that pass changes. matchExec: false as well,
 * though loadSshConfig took such blocks out: compute() must never run a command. Blocks an Include
 * put inside a block apply where both match (ssh-config-nested-blocks.ts). The blocks that cannot
 * match `host` are left out first (ssh-config-candidate-blocks.ts): compute() judges each block it is given,
 * with its `?` patterns (and its `Match host` lists, where case could decide) written out as OpenSSH judges them (ssh-config-exact-question-mark.ts),
 * where `config` holds one: decided on `config` as given, before the lookup's own copies are made.
 * `dialled`, where given, is the address a host looked up by its name is dialled at: every
 * HostName of the lookup's copies says it (dialledAt), `config` itself left as loaded, so that what
 * is worked out once per config (those checks, the candidate blocks' index) is not worked out again
 * on a copy made per node.
 */
export function computeFor(config: SSHConfig, host: string, user: string | undefined, dialled?: string): Record<string, string | string[]> {
  // The copies below are judged with what `config` holds, worked out once per config: a `Match host` there may judge `dialled` too.
  const exactNeeded = holdsQuestionMark(config) || caseMayDecide(config, host) || (dialled !== undefined && caseMayDecide(config, dialled));
  const dial = (lines: SSHConfig) => (dialled === undefined ? lines : dialledAt(lines, dialled));
  const compute = (lines: SSHConfig) => {
    const judged = exactNeeded ? withExactQuestionMarks(lines, host, user) : lines;
    return user === undefined ? judged.compute(host, { matchExec: false }) : judged.compute({ Host: host, User: user }, { matchExec: false });
  };
  // A `Match final`'s second pass judges Host lines against the name ssh fixes from this lookup's first pass.
  let fixed: { name: string; byHostName: boolean } | undefined;
  const secondPassName = (firstPass: SSHConfig) => {
    const hostName = first(compute(dial(firstPass)).HostName);
    fixed = { name: nameForSecondPass(hostName, host), byHostName: hostName !== undefined };
    return fixed.name;
  };
  const candidates = dial(withBlocksThatCanMatch(config, host, secondPassName));
  if (!fixed) return compute(withNestedBlocksResolved(candidates, host, compute));
  const values = compute(withSecondPassAsSshMakesIt(withNestedBlocksResolved(candidates, host, compute), fixed.name));
  // The copy's last line fixes the name for the second pass alone: where no HostName applied in the first, ssh dials the host.
  if (!fixed.byHostName) delete values.HostName;
  return values;
}

/** One lookup of a host as gridops logs in to it (lookupAsLoginUser). */
export interface LoginLookup {
  values: Record<string, string | string[]>;
  /**
   * The user `Match user` judged, passed to every other lookup of the same host (its route, its
   * HostName's source); undefined where the file's own User decided, as ssh without `-l` judges it.
   */
  loginUser: string | undefined;
  /** The User the file gives the host, where it decided the login user (no user was passed). */
  fileUser: string | undefined;
}

/**
 * The one place that decides which user `Match user` judges for a lookup of `host`, so that every
 * judgement of the file for a node (whether a block of its address's own matches, its values, its
 * route) sees the same one: `writtenUser` where the topology (or a ProxyJump's `user@`) names one,
 * as `ssh -l USER` is judged; else the file's own User, which its blocks below it judge, as ssh
 * without `-l` does (a top-level `User` or a `Host *` one decides a later `Match user`); where the
 * file gives none, gridops logs in as `defaultUser` (root), not as the local user ssh would take,
 * so the lookup is made again as that user. That second lookup is made only where a `Match user`
 * block could judge it.
 */
export function lookupAsLoginUser(config: SSHConfig, host: string, writtenUser: string | undefined, defaultUser: string, dialled?: string): LoginLookup {
  if (writtenUser !== undefined) return { values: computeFor(config, host, writtenUser, dialled), loginUser: writtenUser, fileUser: undefined };
  const values = computeFor(config, host, undefined, dialled);
  const fileUser = first(values.User);
  if (fileUser !== undefined || !judgesLoginUser(config)) return { values, loginUser: undefined, fileUser };
  return { values: computeFor(config, host, defaultUser, dialled), loginUser: defaultUser, fileUser: undefined };
}

/**
 * `config` as looked up for a host dialled at `address`: each HostName directive says `address`,
 * so `Match host` judges the name until a HostName of the file applies, then the address gridops
 * dials (as ssh judges the name, then that HostName), and a block written for the name still applies.
 */
function dialledAt(config: SSHConfig, address: string): SSHConfig {
  const Config = config.constructor as new () => SSHConfig;
  const rewrite = (lines: readonly ConfigLine[]): SSHConfig => {
    const copy = new Config();
    for (const line of lines) {
      if (line.param === 'HostName') copy.push({ ...line, value: address } as unknown as SSHConfig[number]);
      else if (line.config) copy.push({ ...line, config: rewrite(line.config) } as unknown as SSHConfig[number]);
      else copy.push(line as unknown as SSHConfig[number]);
    }
    return copy;
  };
  return rewrite(config as unknown as ConfigLine[]);
}

/** Whether each config has a Match block judging `user` (worked out once: lookups run per node). */
const userJudgedBy = new WeakMap<SSHConfig, boolean>();

/**
 * Whether a `Match user` block anywhere in `config` (inside a block too) judges the login user: only
 * then can a lookup as gridops' default user give other values than the lookup as ssh's default.
 */
function judgesLoginUser(config: SSHConfig): boolean {
  let judges = userJudgedBy.get(config);
  if (judges === undefined) {
    const any = (section: readonly ConfigLine[]): boolean =>
      section.some((line) => line.type === DIRECTIVE && line.config !== undefined && (Object.keys((line as { criteria?: Record<string, unknown> }).criteria ?? {}).some((c) => /^user$/i.test(c)) || any(line.config)));
    judges = any(config as unknown as ConfigLine[]);
    userJudgedBy.set(config, judges);
  }
  return judges;
}
