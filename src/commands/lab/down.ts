import { Flags } from '@oclif/core';
import { GridopsCommand } from '../../base-command.js';
import { labDown, type LabDownResult } from '../../lab/lab.js';
import { resolveLabDir } from '../../lab/paths.js';
import { lineProgress } from '../../lab/progress.js';

export default class LabDown extends GridopsCommand<LabDownResult> {
  static override summary = 'Remove the lab: every process, namespace, link, mount and cgroup it made, and nothing else';
  static override examples = ['<%= config.bin %> lab down', '<%= config.bin %> lab down --dir /tmp/my-lab'];
  static override flags = {
    dir: Flags.string({ char: 'd', description: 'lab directory [default: $GRIDOPS_LAB_DIR or ~/.cache/gridops/lab]' }),
  };

  async run(): Promise<LabDownResult> {
    const { flags } = await this.parse(LabDown);
    const dir = resolveLabDir(flags.dir);
    const result = await labDown(dir, { progress: lineProgress((l) => this.say(l), this.verbose) });
    if (!result.removed) this.say(`no lab in ${dir}; nothing to remove`);
    else if (result.otherLab) this.say(`the lab in ${dir} had lost its slot to the lab in ${result.otherLab}, which was left alone; only the files in ${dir} were removed`);
    return result;
  }
}
