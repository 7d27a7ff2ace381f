import { PlanningError } from '../../src/errors/index.js';
import { PackageResource } from '../../src/resources/package.js';
import { facts, node } from './fixtures.js';

describe('packages on a host with no package manager gridops drives', () => {
  it('a requested package with no status line is a planning error, not a silent skip', () => {
    const r = new PackageResource(['nodejs']);
    const host = { ...facts(), packageManager: null };
    expect(() => r.diff('', { node: node(), facts: host })).toThrow(PlanningError);
    expect(() => r.diff('', { node: node(), facts: host })).toThrow(/n1: no supported package manager/);
  });

  it('a package manager in the facts whose query printed nothing for a package is a planning error too', () => {
    const r = new PackageResource(['nodejs', 'curl']);
    expect(() => r.diff('nodejs installed\n', { node: node(), facts: facts() })).toThrow(/n1: no package status for curl/);
  });
});
