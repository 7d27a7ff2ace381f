/**
 * What gridops knows of one group's first election (a sub-grid, whose members are nodes, or a
 * region, whose members are sub-grids), from the state and the topology.
 */
export interface GroupBirth {
  /** A recorded overlay named its super peer (region peer): its first election happened (state/elected-groups.ts). */
  elected: boolean;
  /** The electorate its first members were given, when the state recorded it (state/group-births.ts). */
  recorded?: readonly string[];
  /** One of its members runs an agent. */
  runsAgents: boolean;
  /** Its members in the topology now. */
  members: readonly string[];
}

/**
 * The electorate of a group's first election, or undefined when it holds none and its members
 * sign in. The one rule both the bootstrap files a node is born with (templates/bootstrap-electorate.ts)
 * and the first-election waits (first-election-waits.ts) ask: had they each spelled it, a group the
 * files call born and the waits call elected (or the reverse) would be waited for in vain, or not
 * said at all. A group that elected while its agents run holds none; one that elected and whose
 * agents were all reset since (the state forgot them) is born again. A recorded electorate stays
 * the electorate until the group elects, whatever the topology added since. A group that runs
 * agents with no recorded electorate was applied by an older gridops: what their bootstrap files
 * hold is not known, so only signing in is safe. Else (nothing runs, nothing recorded) the group is
 * born now, of its members now. Pure.
 */
export function birthElectorate(group: GroupBirth): readonly string[] | undefined {
  if (group.elected && group.runsAgents) return undefined;
  if (group.recorded) return group.recorded;
  return group.runsAgents ? undefined : group.members;
}

/**
 * `member`'s birth electorate: the group's (birthElectorate), a copy for each, when `member` is in
 * it; else undefined, it signs in (a member added before the first election). Every member of a
 * birth gets the identical list: the bootstrap's quorums intersect only among voters that agree on
 * its size and names.
 */
export function memberBirthElectorate(group: GroupBirth, member: string): string[] | undefined {
  const electorate = birthElectorate(group);
  return electorate?.includes(member) ? [...electorate] : undefined;
}
