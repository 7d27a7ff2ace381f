import type { Problem } from '../errors/problem.js';
import { GRIDOPS_VERSION } from '../version.js';
import { allNodes, type Grid } from './model.js';
import { settingPath } from './origin-path.js';
import { pathToString, positionOf, type SourceDocument } from './source.js';
import { printableJson } from '../text/printable-json.js';
import { printableText } from '../text/printable-text.js';

/**
 * The gridagent that gridops deploys is the one it ships (dist/gridagent.mjs, built with it; its
 * version is the package's, which a test keeps equal to AGENT_VERSION), and nothing may download
 * another. So `agent.version` pins rather than chooses: a version other than the shipped one is an
 * error where it is written, as Terraform's `required_version` is, never a silent deploy of the
 * wrong agent. One problem per place it is written, not one per node inheriting it.
 */
export function agentVersionProblems(grid: Grid, source: SourceDocument, shipped: string = GRIDOPS_VERSION): Problem[] {
  const problems: Problem[] = [];
  const reported = new Set<string>();
  for (const node of allNodes(grid)) {
    const wanted = node.settings.agent.version;
    const origin = node.origins['agent.version'];
    if (wanted === shipped || origin === undefined || reported.has(origin)) continue;
    reported.add(origin);
    const path = settingPath(origin, 'agent.version');
    if (path === undefined) continue;
    problems.push({
      file: source.file,
      ...positionOf(source, path),
      path: pathToString(path),
      message: `agent.version ${printableJson(wanted)} is not the gridagent this gridops ships (${shipped}); gridops deploys the agent built with it and downloads none`,
      hint: `set agent.version: ${shipped} or remove it, or run the gridops release whose version is ${printableText(wanted)}`,
    });
  }
  return problems;
}
