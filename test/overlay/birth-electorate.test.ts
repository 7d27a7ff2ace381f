import { birthElectorate, memberBirthElectorate, type GroupBirth } from '../../src/overlay/birth-electorate.js';

/**
 * The one rule of a group's first election (src/overlay/birth-electorate.ts), asked by the
 * bootstrap files (templates/bootstrap-electorate.ts) and the first-election waits
 * (overlay/first-election-waits.ts). A sub-grid's members are nodes, a region's are sub-grids:
 * the rule is the same for both.
 */
const groups = [
  { kind: 'sub-grid', members: ['a1', 'a2', 'a3'], added: 'a4' },
  { kind: 'region', members: ['a', 'b'], added: 'c' },
];

describe.each(groups)('the birth electorate of a $kind', ({ members, added }) => {
  const recorded = members;
  const now = [...members, added];

  it('never elected, with a recorded electorate: that electorate, for a member of it; a member added since signs in', () => {
    const group: GroupBirth = { elected: false, recorded, runsAgents: true, members: now };
    expect(birthElectorate(group)).toEqual(recorded);
    expect(memberBirthElectorate(group, members[1]!)).toEqual(recorded);
    expect(memberBirthElectorate(group, added)).toBeUndefined();
  });

  it('never elected, with a recorded electorate and no agent running (every first apply failed after rendering): still that electorate', () => {
    const group: GroupBirth = { elected: false, recorded, runsAgents: false, members: now };
    expect(memberBirthElectorate(group, members[0]!)).toEqual(recorded);
    expect(memberBirthElectorate(group, added)).toBeUndefined();
  });

  it('elected while its agents run: none, every member signs in', () => {
    const group: GroupBirth = { elected: true, recorded, runsAgents: true, members: now };
    expect(birthElectorate(group)).toBeUndefined();
    expect(memberBirthElectorate(group, members[0]!)).toBeUndefined();
    expect(memberBirthElectorate(group, added)).toBeUndefined();
  });

  it('elected, but every agent of it reset since: born again, from its recorded electorate, else from its members now', () => {
    expect(memberBirthElectorate({ elected: true, recorded, runsAgents: false, members: now }, members[0]!)).toEqual(recorded);
    expect(memberBirthElectorate({ elected: true, runsAgents: false, members: now }, added)).toEqual(now);
  });

  it('runs agents with no recorded electorate (applied by an older gridops): none, since what their bootstrap files hold is not known', () => {
    const group: GroupBirth = { elected: false, runsAgents: true, members: now };
    expect(birthElectorate(group)).toBeUndefined();
    expect(memberBirthElectorate(group, members[0]!)).toBeUndefined();
  });

  it('born in this run (no agent, nothing recorded): every member now, the same list for each', () => {
    const group: GroupBirth = { elected: false, runsAgents: false, members: now };
    expect(birthElectorate(group)).toEqual(now);
    expect(memberBirthElectorate(group, members[0]!)).toEqual(now);
    expect(memberBirthElectorate(group, added)).toEqual(now);
  });

  it('gives each member a copy: a caller that changes its list changes no other member\'s', () => {
    const group: GroupBirth = { elected: false, recorded, runsAgents: true, members: now };
    const first = memberBirthElectorate(group, members[0]!)!;
    first.push('x');
    expect(memberBirthElectorate(group, members[1]!)).toEqual(recorded);
  });
});
