import { ownerSpec, type StepRecorder } from './step-recorder.js';
import type { DirectoryChange } from '../plan/change.js';
import { PlanningError } from '../errors/index.js';
import { quote } from '../transport/quote.js';
import { fileProbe, normaliseMode, parseFileState } from './file-state.js';
import { attributeChanges, attributesOnHeldPath, comparesOwners } from './file-attributes.js';
import type { PlanContext, Resource } from './resource.js';
import { resourceId } from './resource-id.js';

/** The mode a directory is made with where its entry sets none (mkdir's under the usual umask). */
const NEW_DIRECTORY_MODE = '0755';

/**
 * A directory (and its parents) with an optional mode, owner and group. One left unset is left as
 * an existing directory has it, as Ansible's file does (a 0700 secrets directory must not become
 * world-readable because an entry only wants it there); a directory made gets mode 0755.
 */
export class DirectoryResource implements Resource<DirectoryChange> {
  readonly kind = 'directory' as const;
  readonly ignoresFacts = true as const;
  // fileProbe only: safe in the read's shell.
  readonly probeSharesShell = true;
  readonly id: string;
  readonly writes: readonly string[];
  private readonly mode?: string;

  constructor(private readonly spec: { path: string; mode?: string | number; owner?: string; group?: string }) {
    this.mode = spec.mode === undefined ? undefined : normaliseMode(spec.mode);
    this.id = resourceId.directory(spec.path);
    this.writes = [spec.path];
  }

  probe(): string {
    return fileProbe(this.spec.path, { owners: comparesOwners({ owner: this.spec.owner, group: this.spec.group }) });
  }

  diff(stdout: string, ctx: PlanContext): DirectoryChange | null {
    const current = parseFileState(stdout);
    if (current.exists && current.type !== 'directory') {
      throw new PlanningError(`${ctx.node.name}: ${this.spec.path} exists but is not a directory`, 'move the file away, then run again');
    }
    const mode = this.mode ?? (current.exists ? undefined : NEW_DIRECTORY_MODE);
    const fields = attributeChanges(current, { mode, owner: this.spec.owner, group: this.spec.group });
    if (fields.length === 0) return null;
    const action = current.exists ? 'update' : 'create';
    return { kind: 'directory', id: this.id, action, summary: `${action} directory ${this.spec.path}`, path: this.spec.path, fields };
  }

  async apply(change: DirectoryChange, recorder: StepRecorder): Promise<void> {
    const p = quote(this.spec.path);
    // An unknown owner or group fails before the directory is made, not after.
    const known = [
      ...(this.spec.owner ? [`id -u -- ${quote(this.spec.owner)} >/dev/null`] : []),
      ...(this.spec.group ? [`getent group -- ${quote(this.spec.group)} >/dev/null || { echo ${quote(`no group ${this.spec.group}`)} >&2; false; }`] : []),
    ];
    // The owners and the mode through a descriptor held on the directory: by its name, a symlink put
    // there by a user who may write its parent would hand them what it points to (file-attributes.ts).
    const owner = ownerSpec(this.spec.owner, this.spec.group);
    // No mode set: an existing directory keeps its own; one the change creates gets 0755.
    const mode = this.mode ?? (change.action === 'create' ? NEW_DIRECTORY_MODE : undefined);
    await recorder.run([...known, `mkdir -p -- ${p}`, attributesOnHeldPath(this.spec.path, { ...(owner ? { owner } : {}), ...(mode ? { mode } : {}) })].join(' &&\n'), `mkdir ${this.spec.path}`);
  }
}
