import { renamedAgentsGone } from '../../src/phases/renamed-agents-gone.js';
import type { RunContext } from '../../src/phases/run-context.js';

/** A planned host as renamedAgentsGone reads it: its name and the playbooks its plan runs. */
const host = (name: string, playbooks: string[]) => ({ session: { node: { name } }, plan: { playbooks } }) as unknown as RunContext['planned'][number];

describe('the old names whose agent this run took out of the overlay', () => {
  const renamed = new Map([
    ['n3', 'n3b'],
    ['n4', 'n4b'],
    ['n5', 'n5b'],
  ]);
  // n3b leaves as n3 first; n4b's workflow deploys no agent (so no leave); n5b is not in the run (--limit).
  const planned = [host('n1', ['agent']), host('n3b', ['agent-rename', 'agent']), host('n4b', ['qos'])];

  it('is the old name of each renamed node applied so far whose plan leaves under the old name', () => {
    expect(renamedAgentsGone({ renamed, planned }, new Set(['n1', 'n3b', 'n4b']))).toEqual(new Set(['n3']));
  });

  it('leaves out a rename whose new name is not applied yet (a later batch) or not in the run (--limit): its old agent still runs', () => {
    expect(renamedAgentsGone({ renamed, planned }, new Set(['n1']))).toEqual(new Set());
    expect(renamedAgentsGone({ renamed, planned }, new Set(['n5b']))).toEqual(new Set());
  });
});
