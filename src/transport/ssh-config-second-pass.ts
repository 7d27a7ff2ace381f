import type SSHConfig from 'ssh-config';
import type { ConfigLine } from './ssh-config-include.js';

/**
 * The second pass a `Match final` makes ssh read the file in, as ssh.c makes it: between the two
 * passes ssh fixes the host it dials, the first pass's HostName with `%h` expanded (the host where
 * there is none), lower-cased, and the second pass judges its Host lines and `Match host` against
 * that name, with no HostName it reads changing it. It makes that pass wherever a `final` criterion
 * stands on a Match line, since readconf.c judges every criterion of the line; the parser's
 * compute() stops at the first that fails, and takes the HostName raw, so the lookup's copy of the
 * file is written so that compute() does the same (withSecondPassAsSshMakesIt).
 */

/** `SSHConfig.DIRECTIVE`, without loading the parser to read it. */
const DIRECTIVE = 1;

/**
 * The first Match line, at any depth of `section` (a block's own line before the lines inside it),
 * with a `final` criterion: the line that makes ssh read the file a second time (readconf.c's final
 * pass; `ssh -vvv -G` says "re-parsing"); undefined where none stands. Only a Match line asks, as
 * only a Match line is judged by its criteria in compute(). `canonical` asks for no pass of its own
 * (gridops never applies the CanonicalizeHostname that would): loadSshConfig makes it `final` where a
 * `final` makes that pass (ssh-config-match-canonical.ts), which asks this before that rewrite.
 */
export function matchFinalIn(section: readonly ConfigLine[]): ConfigLine | undefined {
  for (const line of section) {
    if (line.type !== DIRECTIVE) continue;
    const criteria = Object.keys((line as { criteria?: Record<string, unknown> }).criteria ?? {});
    if (/^match$/i.test(line.param ?? '') && criteria.some((c) => /^final$/i.test(c))) return line;
    const inner = line.config && matchFinalIn(line.config);
    if (inner) return inner;
  }
  return undefined;
}

/**
 * The name ssh fixes before its second pass: `firstPassHostName` (undefined where the first pass
 * gave none: `host`) with `%h` as `host`, lower-cased. An IPv6 address is kept as written, as ssh
 * leaves an address to be canonicalised, not lower-cased.
 */
export function nameForSecondPass(firstPassHostName: string | undefined, host: string): string {
  const name = firstPassHostName === undefined ? host : firstPassHostName.replace(/%h/g, host);
  return name.includes(':') ? name : name.toLowerCase();
}

/**
 * A copy of `config` (a lookup's, asking for a second pass) that compute() reads as ssh does, the
 * name being `name` (nameForSecondPass): an empty `Match final` first, so the second pass is made
 * whatever the file's `final` lines say before their `final`; every HostName saying `name`, so the
 * first HostName that applies fixes it; and a last top-level `HostName name`, so that where none
 * applied in the first pass the second pass still judges `name` (compute() judges it against the
 * HostName it holds), after every line the first pass judged. The HostName compute() then gives is
 * `name` always: the caller drops it where the first pass gave none.
 */
export function withSecondPassAsSshMakesIt(config: SSHConfig, name: string): SSHConfig {
  const rewrite = (section: readonly ConfigLine[]): ConfigLine[] =>
    section.map((line) => {
      if (line.type !== DIRECTIVE) return line;
      if (line.config) return { ...line, config: rewrite(line.config) };
      return line.param === 'HostName' ? { ...line, value: name } : line;
    });
  const asksSecondPass = { type: DIRECTIVE, param: 'Match', value: 'final', criteria: { final: [] }, config: [] } as ConfigLine;
  const fixesName = { type: DIRECTIVE, param: 'HostName', value: name } as ConfigLine;
  // The same class, so compute() runs on the copy as on the original.
  const copy = new (config.constructor as new () => SSHConfig)();
  copy.push(...([asksSecondPass, ...rewrite(config as unknown as ConfigLine[]), fixesName] as unknown as SSHConfig));
  return copy;
}
