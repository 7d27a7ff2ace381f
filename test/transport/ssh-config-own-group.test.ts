import { groupHoldsOnly, type AccountDatabase } from '../../src/transport/ssh-config-own-group.js';

/**
 * Debian's own-group rule for a group-writable ssh config file, judged on account databases given
 * as text: the local files, and NSS (sssd, LDAP) for users and groups those do not list.
 */
describe("a group-writable ssh config file's group is the reading user's own", () => {
  const database = (groups: string[], users: string[]): AccountDatabase => ({
    group: (gid) => groups.map((line) => line.split(':')).find((entry) => Number(entry[2]) === gid),
    users: () => users.map((line) => line.split(':')),
  });
  const files = database(['root:x:0:', 'staff:x:50:alice,bob', 'alice:x:1000:'], ['root:x:0:0::/root:/bin/sh', 'alice:x:1000:1000::/home/alice:/bin/sh', 'carol:x:1002:50::/home/carol:/bin/sh']);
  const alice = { uid: 1000, name: 'alice' };
  // An sssd user: in neither local file.
  const dave = { uid: 200001, name: 'dave' };

  it('a local group: its one member, or primary-group user, is the reader, else refused', () => {
    expect(groupHoldsOnly(1000, alice, [files])).toBe(true);
    expect(groupHoldsOnly(50, alice, [files])).toBe(false);
    expect(groupHoldsOnly(0, alice, [files])).toBe(false);
  });

  it("a group only NSS knows is judged on NSS's entries: the user's own private group is accepted, one listing another user refused", () => {
    const nss = database(['dave:*:200001:', 'ops:*:200050:dave,erin'], ['root:x:0:0::/root:/bin/sh', 'dave:*:200001:200001::/home/dave:/bin/sh']);
    expect(groupHoldsOnly(200001, dave, [files, nss])).toBe(true);
    expect(groupHoldsOnly(200050, dave, [files, nss])).toBe(false);
    // Without NSS's answer the files alone do not know the group.
    expect(groupHoldsOnly(200001, dave, [files])).toBe(false);
  });

  // Debian's ssh counts members: with users not enumerated (sssd's default) a group with no listed
  // member and no primary-group user it can see holds nobody it knows of, and is refused; so is a
  // shared LDAP primary group (`staff`) whose users are not listed.
  it('a group with no member the databases show, one no database knows, or users that cannot be read: refused', () => {
    const unlisted = database(['dave:*:200001:', 'staff:*:200100:'], []);
    expect(groupHoldsOnly(200001, dave, [files, unlisted])).toBe(false);
    expect(groupHoldsOnly(200100, dave, [files, unlisted])).toBe(false);
    expect(groupHoldsOnly(200002, dave, [files, database([], [])])).toBe(false);
    const unreadable: AccountDatabase = { group: (gid) => (gid === 200001 ? ['dave', '*', '200001', ''] : undefined), users: () => undefined };
    expect(groupHoldsOnly(200001, dave, [files, unreadable])).toBe(false);
  });

  it("an NSS user whose primary group is a local group counts as that group's member (every database's users are read)", () => {
    const nss = database([], ['dave:*:200001:1000::/home/dave:/bin/sh']);
    expect(groupHoldsOnly(1000, alice, [files, nss])).toBe(false);
  });
});
