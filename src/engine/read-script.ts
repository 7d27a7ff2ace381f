/**
 * The one script that reads a host: the facts, every file the probes ask for (one batched read,
 * resources/file-reads.ts), then each probe, each after a marker line. One round trip, one
 * remote session: on 50 hosts each extra exec costs about 0.3 s.
 */
import { randomBytes } from 'node:crypto';
import { AGENT_FACTS_BODY, FACTS_BODY } from '../facts/gather.js';
import { BATCH_SHELL_QUERY, parseBatchShell, type BatchShell } from '../resources/batch-shell.js';
import { fileReadScript, parseFileReads, requestedPaths, servableSnippet, serveFileReads } from '../resources/file-reads.js';
import { singleFileProbe } from '../resources/file-state.js';
import { lineStartsOf } from '../resources/line-starts.js';

/** One probe of the read: its snippet, and whether it may run in the read's own shell (Resource.probeSharesShell). */
export interface ReadProbe {
  probe: string;
  sharesShell?: boolean;
}

/** What the script printed, split: the facts' part (when gathered) and each probe's stdout, in order. */
export interface ReadOutput {
  factsOutput: string;
  outputs: string[];
  /**
   * What the read's shell offers a batch held in the same session: its umask (`0022`), which that
   * batch starts with, so its writes can set their own and give this one back without a subshell
   * each, and whether `rename.ul` is there to place them together (StepRecorder).
   */
  shell?: BatchShell;
}

/** Which facts a read gathers: all of them, the agent's version alone (AGENT_FACTS_BODY), or none. */
export type FactsScope = 'all' | 'agent' | 'none';

export interface ReadScript {
  script: string;
  /** Splits the script's stdout; throws when it did not run to its end or a file changed while read. */
  parse(stdout: string): ReadOutput;
}

/**
 * The facts run in the script's own shell (FACTS_BODY leaves nothing behind), then the batched
 * file read (likewise), then each probe in a subshell of its own unless it may share the shell
 * (a fork fewer each). The marker is random per read, so no probe's output can forge one, and the
 * file requests carry it too (servableSnippet). LC_ALL=C: stat's file types and the tools the
 * probes parse speak one language; the host's own LC_ALL (or none) is given back at the end, and
 * the script leaves nothing else in its shell's environment (a held read's batch inherits it). `ownRead`: paths read by a snippet of their own rather than in
 * the batch (after a FileReadMismatch).
 */
export function readScript(probes: readonly ReadProbe[], options: { facts: FactsScope; ownRead?: ReadonlySet<string> }): ReadScript {
  const nonce = randomBytes(8).toString('hex');
  const marker = `@@gridops-probe-${nonce}@@`;
  const own = options.ownRead ?? new Set<string>();
  const paths = requestedPaths(probes.map((p) => p.probe)).filter((path) => !own.has(path));
  const snippets = probes.map((p) => servableSnippet(p.probe, nonce, (path, owners) => (own.has(path) ? singleFileProbe(path, owners) : undefined)));
  const script = [
    // The host's LC_ALL, given back at the end: an apply's batch runs in this shell's session afterwards (held-read.ts).
    '_gr_lc=${LC_ALL-}; _gr_set=${LC_ALL+1}; LC_ALL=C; export LC_ALL',
    options.facts === 'all' ? FACTS_BODY : options.facts === 'agent' ? AGENT_FACTS_BODY : '',
    // A builtin test: what places a held batch's writes (batch-shell.ts).
    `echo '${marker} umask'; ${BATCH_SHELL_QUERY}`,
    `echo '${marker} files'`,
    paths.length ? fileReadScript(paths) : '',
    ...probes.map((p, i) => `echo '${marker} ${i}'\n${p.sharesShell ? `{ ${snippets[i]}\n}` : `( ${snippets[i]}\n)`}`),
    `echo '${marker} end'`,
    'if [ -n "$_gr_set" ]; then LC_ALL=$_gr_lc; else unset LC_ALL; fi; unset _gr_lc _gr_set',
  ].join('\n');
  return {
    script,
    parse(stdout) {
      if (!stdout.includes(`${marker} end`)) throw new Error('the read script did not run to its end');
      // The facts, then the files' part, read in order (file text may hold any line), then the probes' parts.
      const filesLine = `${marker} files\n`;
      const filesAt = lineStartsOf(stdout, filesLine)[0];
      if (filesAt === undefined) throw new Error('the read script did not run to its end');
      const umaskLine = `${marker} umask\n`;
      const umaskAt = lineStartsOf(stdout.slice(0, filesAt), umaskLine)[0];
      const factsOutput = stdout.slice(0, umaskAt ?? filesAt);
      const shell = umaskAt === undefined ? undefined : parseBatchShell(stdout.slice(umaskAt + umaskLine.length, filesAt));
      let rest = stdout.slice(filesAt + filesLine.length);
      let served: ReadonlyMap<string, string> = new Map();
      if (paths.length) ({ states: served, rest } = parseFileReads(rest, paths));
      const outputs: string[] = new Array(probes.length).fill('');
      const starts = lineStartsOf(rest, `${marker} `);
      for (const [k, at] of starts.entries()) {
        const part = rest.slice(at + marker.length + 1, starts[k + 1] ?? rest.length);
        const newline = part.indexOf('\n');
        const tag = newline < 0 ? part : part.slice(0, newline);
        if (tag === 'end') break;
        outputs[Number(tag)] = serveFileReads(newline < 0 ? '' : part.slice(newline + 1), served, nonce);
      }
      return { factsOutput, outputs, ...(shell ? { shell } : {}) };
    },
  };
}
