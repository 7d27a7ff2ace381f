/**
 * `describe` for an e2e suite that runs this machine's own programs (sshd, ip) rather than a lab.
 * The rule is the lab's (./lab.ts): only "not root" skips, loudly. As root, which is how CI runs the
 * e2e suites, a missing program fails the suite with the apt-get line that installs it: a skip there
 * would read as a pass.
 *
 *   describeWithTools('SshTransport against a real sshd', { tools: SSHD_TOOL }, () => { ... });
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { SSHD } from '../../transport/sshd-harness.js';

/** Program (a name looked up on PATH, or an absolute path) → the Debian package that installs it. */
export type ToolPackages = Record<string, string>;

/** The sshd the harness starts (test/transport/sshd-harness.ts), by its path as the harness runs it. */
export const SSHD_TOOL: ToolPackages = { [SSHD]: 'openssh-server' };

export interface ToolNeeds {
  tools: ToolPackages;
  /** The suite needs root as well (namespaces, sshd's root login); without it, it is skipped. */
  rootOnly?: boolean;
}

const isProgram = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The tools of `tools` this machine lacks. */
export function missingTools(tools: ToolPackages, path = process.env.PATH ?? ''): string[] {
  const dirs = path.split(delimiter).filter(Boolean);
  return Object.keys(tools).filter((tool) => !(tool.startsWith('/') ? isProgram(tool) : dirs.some((dir) => isProgram(join(dir, tool)))));
}

/** What to run to get the missing tools, for the failure's message. */
export function installHint(tools: ToolPackages, missing: string[]): string {
  return `this suite needs ${missing.join(', ')}: apt-get install -y ${[...new Set(missing.map((tool) => tools[tool]))].join(' ')}`;
}

export function describeWithTools(title: string, needs: ToolNeeds, body: () => void): void {
  const missing = missingTools(needs.tools);
  const isRoot = process.getuid?.() === 0;
  if (!isRoot && (needs.rootOnly || missing.length > 0)) {
    const why = needs.rootOnly ? 'it needs root' : `${installHint(needs.tools, missing)} (as root that is a failure)`;
    // eslint-disable-next-line no-console
    console.warn(`\n!!! SKIPPED e2e suite "${title}": ${why}\n`);
    describe.skip(title, body);
  } else if (missing.length > 0) {
    describe(title, () => {
      it('has the programs it runs', () => {
        throw new Error(installHint(needs.tools, missing));
      });
    });
  } else {
    describe(title, body);
  }
}
