/**
 * A playbook that passed its check, kept per user so that a `plan` or an `apply` with the same
 * playbook skips the check: the YAML parse, `dash -n` (a fork of the whole CLI process), the
 * schema and the references of its strings and templates, all serial time before the first host
 * is dialled. The validated topology's idea (topology/validated-cache.ts), for playbook files.
 *
 * An entry is used only where everything the check's result depends on is the same: the entry's
 * format, gridops' build, the playbook's path as given and as resolved, the home directory and its
 * text (the slot's key, fs/private-cache.ts), and the files outside it the check looked at: each
 * template it names, where findTemplate finds it now and the sha256 of its content (an edit, or a
 * templates/ file beside the playbook now shadowing gridops' own), and each source, where
 * findSource finds it now (a source removed). Any difference checks it in full. Only a playbook
 * with no problem is kept, and only runs use the cache: `gridops validate` always checks in full.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { cacheSlot, readCacheEntry, writeCacheEntry } from '../fs/private-cache.js';
import { findSource, findTemplate } from '../templates/render.js';
import { checkedTemplateHash } from '../templates/check-references.js';

/** Changes when an entry's shape does. */
const ENTRY_FORMAT = 'gridops-validated-playbook/1';
const FOLDER = 'playbooks';

/** The templates and sources a playbook's check looked up, by the name the playbook gives, with the file each was found at (undefined: none). */
export interface ConsultedFiles {
  templates: Map<string, string | undefined>;
  sources: Map<string, string | undefined>;
  /**
   * Whether dash parsed the playbook's commands (shell-syntax.ts): a check whose commands no shell
   * parsed in time, or only a fallback /bin/sh, passed for its run and is not kept, or every later
   * run would skip the parse that would refuse a broken command.
   */
  shellParsedByDash: boolean;
}

/** An entry's record of one template: its name, the file found (null: none), and that file's sha256. */
type TemplateSeen = [name: string, file: string | null, sha256: string | null];
/** An entry's record of one source: its name and the file found (null: none). Its content is copied at apply, not checked. */
type SourceSeen = [name: string, file: string | null];

const contentHash = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The playbook the check returned for exactly this file, text, build and templates and sources as they are now; undefined on any doubt. */
export function cachedPlaybook<Checked extends object>(file: string, text: string): Checked | undefined {
  const at = cacheSlot(FOLDER, ENTRY_FORMAT, file, text);
  const entry = at && readCacheEntry(at);
  if (!entry || typeof entry.playbook !== 'object' || entry.playbook === null || !Array.isArray(entry.templates) || !Array.isArray(entry.sources)) return undefined;
  try {
    const templatesSame = (entry.templates as TemplateSeen[]).every(([name, seen, hash]) => (findTemplate(name, file) ?? null) === seen && (seen === null || contentHash(seen) === hash));
    const sourcesSame = (entry.sources as SourceSeen[]).every(([name, seen]) => (findSource(name, file) ?? null) === seen);
    return templatesSame && sourcesSame ? (entry.playbook as Checked) : undefined;
  } catch {
    return undefined; // a template gone or unreadable since it was found: check in full, which says so
  }
}

/**
 * Keeps a playbook that passed its check, with what the check looked at, replacing the entry for
 * this path; never fails the run (writeCacheEntry). A playbook JSON would not give back as it is
 * is not kept: the run would plan from another value than the check returned.
 */
export function keepPlaybook(file: string, text: string, playbook: object, consulted: ConsultedFiles): void {
  const at = cacheSlot(FOLDER, ENTRY_FORMAT, file, text);
  if (!at || !consulted.shellParsedByDash || !isDeepStrictEqual(JSON.parse(JSON.stringify(playbook)), playbook)) return;
  let templates: TemplateSeen[];
  try {
    templates = [...consulted.templates].map(([name, seen]) => [name, seen ?? null, seen === undefined ? null : (checkedTemplateHash(seen) ?? contentHash(seen))]);
  } catch {
    return; // a template gone since the check read it: nothing to key the entry by
  }
  const sources: SourceSeen[] = [...consulted.sources].map(([name, seen]) => [name, seen ?? null]);
  writeCacheEntry(at, { playbook, templates, sources });
}
