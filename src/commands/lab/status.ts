import { Flags } from '@oclif/core';
import { GridopsCommand } from '../../base-command.js';
import { labStatus, type LabStatusResult } from '../../lab/lab.js';
import { resolveLabDir } from '../../lab/paths.js';
import { ExitCode } from '../../errors/index.js';

export default class LabStatus extends GridopsCommand<LabStatusResult> {
  static override summary = 'Check every lab node over SSH (strict host-key checking), the package proxy and the name server; exit 1 if any is unhealthy';
  static override examples = ['<%= config.bin %> lab status', '<%= config.bin %> lab status --json'];
  static override flags = {
    dir: Flags.string({ char: 'd', description: 'lab directory [default: $GRIDOPS_LAB_DIR or ~/.cache/gridops/lab]' }),
  };

  async run(): Promise<LabStatusResult> {
    const { flags } = await this.parse(LabStatus);
    const result = await labStatus(resolveLabDir(flags.dir));
    if (!this.jsonEnabled()) {
      this.log(`lab ${result.dir}: ${result.nodes.length} ${result.kind} nodes, ${result.healthy ? 'healthy' : 'UNHEALTHY'}; package proxy ${result.proxy.url} ${result.proxy.running ? 'running' : 'NOT running'}; name server ${result.dns.address} ${result.dns.running ? 'running' : 'NOT running'}`);
      for (const n of result.nodes) {
        const state = n.ok ? `ok  ${n.systemState ?? ''}` : `FAIL ${n.error ?? n.systemState ?? ''}`;
        this.log(`  ${n.name.padEnd(10)} ${n.address.padEnd(15)} ${state}${this.verbose ? ` (${n.ms} ms)` : ''}`);
      }
    }
    if (!result.healthy) process.exitCode = ExitCode.FAILURE;
    return result;
  }
}
