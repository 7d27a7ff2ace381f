import type { Problem } from '../errors/problem.js';
import { pathToString, positionOf, type PathSegment, type SourceDocument } from './source.js';

/**
 * libvirt's own NAT network. gridops defines its grid network isolated, under the name written, so
 * naming this one would take it over (other VMs of the host lose their NAT), and hypervisor-off and
 * reset, which remove the grid network, would undefine it.
 */
const LIBVIRT_DEFAULT_NETWORK = 'default';

/** `hypervisor.sandbox.network: default` wherever a topology writes it (defaults, region, sub-grid, node). Runs on an unchecked document: anything not shaped as expected is skipped. */
export function reservedNetworkProblems(value: unknown, source: SourceDocument): Problem[] {
  const problems: Problem[] = [];
  const check = (owner: unknown, at: PathSegment[]) => {
    const path = [...at, 'hypervisor', 'sandbox', 'network'];
    if (field(field(field(owner, 'hypervisor'), 'sandbox'), 'network') !== LIBVIRT_DEFAULT_NETWORK) return;
    problems.push({
      file: source.file,
      ...positionOf(source, path),
      path: pathToString(path),
      message: "hypervisor.sandbox.network cannot be \"default\": that is libvirt's own NAT network, which gridops would redefine as the isolated grid network and remove with the sandbox",
      hint: 'use a name of its own, such as grid-net (the default when the key is left out)',
    });
  };
  check(field(value, 'defaults'), ['defaults']);
  list(field(value, 'regions')).forEach((region, ri) => {
    check(region, ['regions', ri]);
    list(field(region, 'subgrids')).forEach((subgrid, si) => {
      check(subgrid, ['regions', ri, 'subgrids', si]);
      list(field(subgrid, 'nodes')).forEach((node, ni) => check(node, ['regions', ri, 'subgrids', si, 'nodes', ni]));
    });
  });
  return problems;
}

function field(v: unknown, key: string): unknown {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[key] : undefined;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
