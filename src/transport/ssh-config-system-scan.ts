import { dirname, isAbsolute, join } from 'node:path';
import { configFileReader, expandGlob, MAX_INCLUDE_DEPTH, type ConfigFileReader } from './ssh-config-include.js';
import { isKeywordGridopsReads } from './ssh-config-keywords.js';

/**
 * A plain-text scan of the system-wide ssh_config (and the files it includes), made before it is
 * parsed: most such files (Debian's stock one: `Include /etc/ssh/ssh_config.d/*.conf`, `Host *`,
 * `SendEnv LANG LC_*`, `HashKnownHosts yes`, `GSSAPIAuthentication yes`) set nothing gridops reads
 * but HashKnownHosts, and that for every host, so parsing them (and loading the parser where there is
 * no ~/.ssh/config) would cost each run milliseconds and each lookup a compute() for one keyword.
 *
 * The scan answers only where it is sure the full parse would say the same; anything else (a keyword
 * gridops reads, a block for some hosts, which could decide whether a node's address has a block of
 * its own, a quote, an Include it cannot follow, a file it could not read or that the full read would
 * refuse) makes it give up, and the file is parsed as before.
 */
export interface SkippableSystemFile {
  /** HashKnownHosts as the file sets it for every host, where it does (the first value, as ssh takes it). */
  hashKnownHosts: boolean | undefined;
  /**
   * Whether a `Match final all` makes ssh read both files a second time: harmless alone, but a
   * ~/.ssh/config's Host lines are then judged again against the HostName, so that file needs the full parse.
   */
  secondPass: boolean;
}

/** Where the lines being scanned stand: at a file's top, in `Host *` or `Match all`, or in `Match final all`. */
type Scope = 'top' | 'every host' | 'final pass';

/** Gives up the scan: the file is parsed. */
class NotSkippable extends Error {}

/**
 * `path` as a SkippableSystemFile, or undefined where only the full parse can say what it gives.
 * Its files are read with `readConfig`, as the full read reads them: where the scan gives up, that
 * read, given the same reader, opens and checks none of them again.
 */
export function scanSystemSshConfig(path: string, readConfig: ConfigFileReader = configFileReader()): SkippableSystemFile | undefined {
  const found: SkippableSystemFile = { hashKnownHosts: undefined, secondPass: false };
  const dir = dirname(path);

  // An included file's lines take the Include's place: inside a block, that block's scope; at a file's top, their own blocks end with it.
  const scanFile = (file: string, depth: number, insideBlock: boolean, from: Scope) => {
    let scope: Scope = from;
    for (const raw of fileText(readConfig, file, depth).split(/\r\n|\r|\n/)) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      // Quoting (and escapes) are the parser's to read.
      if (/["'\\]/.test(line)) throw new NotSkippable();
      const [, keyword = '', rest = ''] = /^([^\s=]+)(?:\s*=\s*|\s+)?(.*)$/.exec(line) ?? [];
      const words = rest.split(/\s+/).filter((w) => w !== '');
      // A keyword with no value: ssh refuses the file ("no argument after keyword"), and the full read says where.
      if (words.length === 0) throw new NotSkippable();
      switch (keyword.toLowerCase()) {
        case 'host':
        case 'match': {
          // A block an included file opens inside a block is a block inside a block: the parser's to resolve.
          if (insideBlock) throw new NotSkippable();
          scope = blockScope(keyword, words, found);
          break;
        }
        case 'include':
          for (const written of words) {
            // A `~` is refused by ssh in this file, with an error the full read gives.
            if (written.startsWith('~')) throw new NotSkippable();
            for (const included of expandGlob(isAbsolute(written) ? written : join(dir, written))) scanFile(included, depth + 1, insideBlock || scope !== 'top', scope);
          }
          break;
        case 'hashknownhosts': {
          const value = words.length === 1 ? words[0]!.toLowerCase() : undefined;
          if ((value !== 'yes' && value !== 'no') || scope === 'final pass') throw new NotSkippable();
          found.hashKnownHosts ??= value === 'yes';
          break;
        }
        default:
          if (isKeywordGridopsReads(keyword)) throw new NotSkippable();
      }
    }
  };

  try {
    scanFile(path, 0, false, 'top');
    return found;
  } catch (err) {
    if (err instanceof NotSkippable) return undefined;
    throw err;
  }

}

/** The scope a Host or Match line opens (noting a second pass in `found`), or a give-up where its block is not for every host alike. */
function blockScope(keyword: string, words: string[], found: SkippableSystemFile): Scope {
  if (/^host$/i.test(keyword)) {
    if (words.length === 1 && words[0] === '*') return 'every host';
    throw new NotSkippable();
  }
  // In the line's own order: `Match all final` holds Fedora's two words, but ssh refuses it, and the full read says so.
  const criteria = words.map((w) => w.toLowerCase()).join(' ');
  if (criteria === 'all') return 'every host';
  if (criteria === 'final all') {
    found.secondPass = true;
    return 'final pass';
  }
  throw new NotSkippable();
}

/**
 * The text of a file the scan reads, or a give-up wherever the full read would do something else
 * than read it: a file it includes that is missing or a directory reads as nothing, as there; one
 * the full read refuses (another user's, writable by others or a group not the user's alone: the
 * reader's check, made once for both), one that cannot be read, the system file itself missing or
 * unreadable, and includes too deep are left to it, to say so.
 */
function fileText(readConfig: ConfigFileReader, file: string, depth: number): string {
  if (depth > MAX_INCLUDE_DEPTH) throw new NotSkippable();
  // The system file itself is read unchecked, as ssh reads it; what it includes is checked, as the full read checks it.
  const read = readConfig(file, depth > 0);
  if ('text' in read) return read.text;
  const code = 'error' in read ? (read.error as NodeJS.ErrnoException).code : undefined;
  if (depth > 0 && (code === 'ENOENT' || code === 'EISDIR')) return '';
  throw new NotSkippable();
}
