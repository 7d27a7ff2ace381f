import type { ConfigLine } from './ssh-config-include.js';
import { matchFinalIn } from './ssh-config-second-pass.js';

/**
 * `Match canonical`, as readconf.c judges it: it matches in the pass ssh makes after its first, the
 * one CanonicalizeHostname or a `Match final` asks for. gridops never canonicalizes (loadSshConfig
 * drops CanonicalizeHostName with a warning), so that pass is made only where a `final` criterion
 * stands in the file, and `canonical` then matches exactly where `final` does. The parser's compute()
 * never matches `canonical` at all, which would leave such a block silently unapplied.
 */

/** `SSHConfig.DIRECTIVE`, without loading the parser to read it. */
const DIRECTIVE = 1;

type BlockLine = ConfigLine & { criteria?: Record<string, unknown> };

/** What is said of a `Match canonical` block in a file that makes no second pass, before its FILE:LINE is put in front. */
export const CANONICAL_NOT_APPLIED =
  'Match canonical applies only when ssh reads the file again after canonicalizing the host name, which gridops never does (and no Match final asks for that pass here); the block is not applied';

/**
 * Rewrites `config` in place so that compute() judges its `canonical` criteria as ssh does: as
 * `final` where a `final` criterion, at any depth, makes a second pass; else each Match block
 * holding one is taken out and `notApplied` told of it (it matches in no pass gridops makes).
 */
export function judgeMatchCanonical(config: unknown[], notApplied: (line: ConfigLine) => void): void {
  const secondPass = matchFinalIn(config as ConfigLine[]) !== undefined;
  const walk = (section: unknown[]) => {
    for (let i = 0; i < section.length; ) {
      const line = section[i] as BlockLine;
      if (line.type !== DIRECTIVE || !line.config) {
        i++;
        continue;
      }
      const canonical = Object.keys(line.criteria ?? {}).filter((c) => /^canonical$/i.test(c));
      if (canonical.length > 0 && !secondPass) {
        notApplied(line);
        section.splice(i, 1);
        continue;
      }
      if (canonical.length > 0) {
        // `canonical` takes no argument, as `final`: the rest of the line keeps its order.
        line.criteria = Object.fromEntries(Object.entries(line.criteria!).map(([c, list]) => (/^canonical$/i.test(c) ? ['final', list] : [c, list])));
      }
      walk(line.config);
      i++;
    }
  };
  walk(config);
}
