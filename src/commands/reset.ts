import { Args, Flags } from '@oclif/core';
import { runApplyLike } from '../apply-runner.js';
import { GridopsCommand } from '../base-command.js';
import { connectionFlags, olderGridopsFlags } from '../cli-flags.js';
import type { ApplyResult } from '../phases/apply-outcome.js';
import { runReset } from '../phases/reset.js';

export default class Reset extends GridopsCommand<ApplyResult> {
  static override summary = 'Remove everything gridops installed on the nodes (all, or --limit), and forget them';
  static override description =
    "Like k0sctl's reset: stops gridagent (a super peer hands its role over) and grid.slice, removes their units and every file and directory gridops made; destroys the sandbox VM and deletes its disks and serial console log (remote users' work in it is lost), removes its grid network and storage pool, deletes the ifb gs-sandbox-ifb and the user gridwork; then forgets the nodes in the state. Debian packages stay. Shows what it will remove and asks first (unless --yes; --json asks nothing, so it needs --yes). Running it again changes nothing.";
  static override examples = ['<%= config.bin %> reset topology.yaml', '<%= config.bin %> reset topology.yaml --limit node-06 --yes'];
  static override args = { file: Args.string({ required: true, description: 'topology file' }) };
  static override flags = {
    concurrency: connectionFlags.concurrency,
    'accept-new-host-keys': connectionFlags['accept-new-host-keys'],
    'ask-become-pass': connectionFlags['ask-become-pass'],
    limit: connectionFlags.limit,
    'state-dir': connectionFlags['state-dir'],
    'log-file': connectionFlags['log-file'],
    ...olderGridopsFlags,
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
  };

  async run(): Promise<ApplyResult> {
    const { args, flags } = await this.parse(Reset);
    return runApplyLike(this, 'reset', args.file, flags, { allowOlderGridops: flags['allow-older-gridops'] }, runReset);
  }
}
