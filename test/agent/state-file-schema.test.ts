import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStateFile, StateFileError, writeStateFile } from '../../src/agent/runtime/state-file.js';
import { settledRegion } from './sim-helpers.js';

/**
 * A state file that is valid JSON but not what an agent writes is damaged too: a missing tier was
 * taken for a fresh node (its term and vote forgotten: a second vote in a term), and a view that
 * is not one ended the start with a TypeError (exit 1, no hint, a restart every 2 s).
 */
describe('the state file is checked field by field when read', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gridagent-state-schema-'));
    path = join(dir, 'n1.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const group = { term: 4, votedFor: 'n2', view: { term: 4, version: 2, voters: [{ name: 'n1', addr: '10.0.0.1:7946' }, { name: 'n2' }] }, joined: true };

  it.each([
    ['a state without its tiers', { epoch: 3, state: { term: 'abc', votedFor: 5 } }, /state\.subgrid is missing \(an object\)/],
    ['a view that is not one', { epoch: 3, state: { subgrid: { ...group, view: 'junk' }, region: group } }, /state\.subgrid\.view must be a view or null, not "junk"/],
    ['a term that is not a number', { epoch: 3, state: { subgrid: { ...group, term: 'abc' }, region: group } }, /state\.subgrid\.term must be a whole number, not "abc"/],
    ['a vote for a number', { epoch: 3, state: { subgrid: group, region: { ...group, votedFor: 5 } } }, /state\.region\.votedFor must be a name or null, not 5/],
    ['a voter without a name', { epoch: 3, state: { subgrid: { ...group, view: { ...group.view, voters: [{ addr: 'x' }] } }, region: group } }, /state\.subgrid\.view\.voters\[0\]\.name is missing \(a string\)/],
    ['a region slot with a broken view', { epoch: 3, state: { subgrid: { ...group, view: { ...group.view, regionSlot: { term: 1, votedFor: null, view: { term: 1 } } } }, region: group } }, /state\.subgrid\.view\.regionSlot\.view\.version is missing \(a whole number\)/],
  ])('%s stops the start with the move-it-away hint, naming the field', (_what, content, field) => {
    writeFileSync(path, JSON.stringify(content));
    expect(() => readStateFile(path)).toThrow(StateFileError);
    expect(() => readStateFile(path)).toThrow(field);
    expect(() => readStateFile(path)).toThrow(/is damaged .*move it away \(mv .*n1\.json .*n1\.json\.damaged\)/);
  });

  it('every state file the agents of a settled region write reads back as written (views, region slots, bootstrap votes)', () => {
    const { network } = settledRegion(7);
    const names = network.names();
    let slots = 0;
    for (const [index, name] of names.entries()) {
      const state = network.core(name)!.persistentState();
      if (state.subgrid.view?.regionSlot) slots++;
      writeStateFile(path, { epoch: 1_700_000_000 + index, state });
      expect(readStateFile(path)).toEqual(JSON.parse(JSON.stringify({ epoch: 1_700_000_000 + index, state })));
    }
    expect(names.length).toBe(15);
    expect(slots).toBeGreaterThan(0);
  });

  it("reads the shapes older agents wrote: no region slot, slot or bootstrap vote; an old region ballot; the epoch alone; a null state", () => {
    const shapes = [
      // The first agents: no regionBallot, regionJoined, regionSlot, slot or bootstrapVote.
      { epoch: 2, state: { subgrid: group, region: { term: 0, votedFor: null, view: null, joined: false } } },
      // The region bootstrap ballot kept in the sub-grid view before bootstrap retries.
      { epoch: 2, state: { subgrid: { ...group, view: { ...group.view, regionBallot: 'n2', regionJoined: true } }, region: group } },
      // A joint view, a voter slot, and a bootstrap vote held.
      {
        epoch: 2,
        state: {
          subgrid: { ...group, bootstrapVote: { term: 1, to: 'n2' }, view: { ...group.view, oldVoters: [{ name: 'n3' }], regionSlot: { term: 2, votedFor: 'n5', view: { term: 2, version: 1, voters: [{ name: 'n5', slot: 's2' }] } } } },
          region: { ...group, view: { term: 2, version: 1, voters: [{ name: 'n5', addr: '10.0.0.5:7946', slot: 's2' }] } },
        },
      },
      { epoch: 5 },
      { epoch: 5, state: null },
    ];
    for (const shape of shapes) {
      writeFileSync(path, JSON.stringify(shape));
      expect(readStateFile(path)).toEqual({ state: null, ...shape });
    }
  });
});
