import { Args, Flags } from '@oclif/core';
import { runApplyLike } from '../apply-runner.js';
import { GridopsCommand } from '../base-command.js';
import { connectionFlags, olderGridopsFlags } from '../cli-flags.js';
import { runApply } from '../phases/apply.js';
import type { ApplyResult } from '../phases/apply-outcome.js';
import { loadPlan } from '../plan/plan-file.js';

export default class Apply extends GridopsCommand<ApplyResult> {
  static override summary = 'Bring every host to the topology: plan from real state, confirm, apply exactly that plan';
  static override description =
    "With no other flag, runs the grid's whole workflow (node-base, hypervisor where hypervisor.enabled, qos, agent, then the topology's own playbooks), decommissions nodes the topology dropped, and verifies the overlay. Shows the plan and asks before changing anything (unless --yes). One failing host does not stop the others (unless --fail-fast). Ctrl-C or SIGTERM while planning stops with nothing changed; while applying, no new host or batch starts and hosts already being changed finish all their changes; a second one quits at once (exit 130), and changes already sent to hosts may still be finishing there; re-running converges. With --json, progress events are printed to stderr as JSON lines and the result to stdout; --json asks nothing, so it needs --yes (or --plan).";
  static override examples = ['<%= config.bin %> apply topology.yaml', '<%= config.bin %> apply topology.yaml --plan plan.json --yes', '<%= config.bin %> apply topology.yaml --site eu-west/rennes-b'];
  static override args = { file: Args.string({ required: true, description: 'topology file' }) };
  static override flags = {
    ...connectionFlags,
    ...olderGridopsFlags,
    // The saved plan covers every host it planned (--site would apply only some of them), and fixes
    // its playbooks and its nodes: --playbook and --limit may repeat them, never change them
    // (the workflow's checkSavedPlanFlags). The flags of how to apply it stay.
    plan: Flags.string({ description: 'apply this saved plan; refused if the topology or any host changed since. The plan fixes its hosts, playbooks and --limit: not with --site, and --playbook or --limit only as the plan was made', exclusive: ['site'] }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask for confirmation', default: false }),
    'fail-fast': Flags.boolean({ description: 'stop starting hosts after the first failure', default: false }),
    rolling: Flags.boolean({ description: 'apply in batches of rollout.maxUnavailable (overall and per sub-grid, where nodes already down count; no more voters of a sub-grid at once than leave its super peer a quorum; a sub-grid of one node or two voters is briefly without a super peer), from a converged overlay, ordinary nodes first and super peers last (one per region per batch, the region peer last), each gated on the overlay converging within rollout.healthTimeout; stops at the first failed batch or gate, and a re-run resumes', default: false }),
    'replace-sandbox': Flags.boolean({ description: 'also perform changes that restart the sandbox VM (a new image, vcpus, max memory, an owned device); without it they are refused and left untouched', default: false }),
    // Not with --limit: the site check judges the site's nodes as the grid has them, and a --limit
    // beside it would leave some unplanned (said to plan no change) or apply half a new site.
    site: Flags.string({ description: "bootstrap a new site (REGION, REGION/SUBGRID or a sub-grid's own name): plan every host, apply only the nodes of that site; refused if an existing host has a planned change. Not with --limit", exclusive: ['limit'] }),
    // relationships, not dependsOn: oclif's usage line joins a dependsOn flag with the other flag's
    // usage, which --plan's `exclusive` group has already taken, and printed `[--allow-existing-changes ]`.
    // The parser checks both the same way (a usage error naming --site).
    'allow-existing-changes': Flags.boolean({ description: 'with --site: widen the run to existing hosts, applying their planned changes too', relationships: [{ type: 'all', flags: ['site'] }] }),
    verify: Flags.boolean({ description: 'afterwards, ask the agents until every sub-grid has one super peer and every node joined (up to rollout.healthTimeout); --no-verify skips it', default: true, allowNo: true }),
  };

  async run(): Promise<ApplyResult> {
    const { args, flags } = await this.parse(Apply);
    const savedPlan = flags.plan ? await loadPlan(flags.plan, args.file, { stateDir: flags['state-dir'], askBecomePass: flags['ask-become-pass'] }) : undefined;
    return runApplyLike(
      this,
      'apply',
      args.file,
      flags,
      {
        // Left out beside a saved plan, --playbook and --limit are the plan's own: its playbooks (none
        // for the grid's workflow) and its nodes. Given, the workflow checks them against it (check-saved-plan.ts).
        playbooks: savedPlan && !flags.playbook ? (savedPlan.adHocPlaybooks ? savedPlan.playbooks : undefined) : flags.playbook,
        savedPlan,
        savedPlanFile: flags.plan,
        ...(savedPlan && !flags.limit ? { limit: savedPlan.limit } : {}),
        failFast: flags['fail-fast'],
        verify: flags.verify,
        rolling: flags.rolling,
        replaceSandbox: flags['replace-sandbox'],
        site: flags.site,
        allowExistingChanges: flags['allow-existing-changes'],
        allowOlderGridops: flags['allow-older-gridops'],
        // A saved plan was reviewed when it was made: applying it is the confirmation.
        skipQuestion: savedPlan !== undefined,
      },
      runApply,
    );
  }
}
