import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Debian's and Ubuntu's rule for a group-writable ssh config file (secure_permissions, their patch
 * "Allow harmless group-writability"): accepted where its group holds the reading user alone, as
 * a user's own group does (the default there, where umask 002 makes ~/.ssh/config mode 664).
 * Upstream OpenSSH refuses any group-writable file; what both guard against, another user able to
 * write it, is refused here either way. Their ssh asks NSS (getgrgid, getpwent): a user and group
 * from sssd or LDAP are not in /etc/group, so those are asked through `getent` where the files do
 * not know the group; this runs only for a group-writable file, which is rare.
 */

/** A source of account entries, each as its colon-separated fields (group(5), passwd(5)). */
export interface AccountDatabase {
  /** The group whose gid is `gid`: name, password, gid, members. */
  group(gid: number): string[] | undefined;
  /** The users it lists: name, password, uid, gid, ...; undefined where it could not be read (then nothing is judged). */
  users(): string[][] | undefined;
}

/** The user reading the file: who the group must hold alone. */
export interface ReadingUser {
  uid: number;
  name: string | undefined;
}

const fields = (text: string) =>
  text
    .split('\n')
    .map((line) => line.split(':'))
    .filter((entry) => entry.length >= 4);

/** /etc/group and /etc/passwd. */
export const localAccountFiles: AccountDatabase = {
  group: (gid) => readEntries('/etc/group')?.find((entry) => Number(entry[2]) === gid),
  users: () => readEntries('/etc/passwd'),
};

function readEntries(file: string): string[][] | undefined {
  try {
    return fields(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** NSS through getent(1): sssd, LDAP and whatever nsswitch.conf names, as Debian's ssh asks it. */
export const nameServiceAccounts: AccountDatabase = {
  group: (gid) => getent('group', String(gid))?.[0],
  users: () => getent('passwd'),
};

/**
 * getent's entries; [] where it finds nothing (exit 2); undefined where it is missing, fails or
 * does not answer in 5 s (a directory server may not). A large directory's list is read whole.
 */
function getent(...args: string[]): string[][] | undefined {
  try {
    return fields(execFileSync('getent', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000, maxBuffer: 256 * 2 ** 20 }));
  } catch (error) {
    return (error as { status?: number }).status === 2 ? [] : undefined;
  }
}

/**
 * Whether group `gid` holds `user` alone, as Debian's secure_permissions judges it: the group is
 * known (the first database that has it), every user whose primary group it is (in every
 * database: an LDAP user may have a local group as primary) is the reader, it lists no member but
 * the reader, and it has one member at least (an empty group is a setgid program's, not a user's
 * own). A database that cannot be read, or a group none knows, refuses: with sssd's default (users
 * not enumerated) that refuses an sssd user's private group, as Debian's ssh does.
 */
export function groupHoldsOnly(gid: number, user: ReadingUser, databases: readonly AccountDatabase[] = [localAccountFiles, nameServiceAccounts]): boolean {
  const group = databases.map((database) => database.group(gid)).find((entry) => entry !== undefined);
  if (!group) return false;
  const users: string[][] = [];
  for (const database of databases) {
    const listed = database.users();
    if (listed === undefined) return false;
    users.push(...listed);
  }
  const primary = users.filter((entry) => Number(entry[3]) === gid);
  if (primary.some((entry) => Number(entry[2]) !== user.uid)) return false;
  const members = group[3]!.trim().split(',').filter((name) => name !== '');
  const name = users.find((entry) => Number(entry[2]) === user.uid)?.[0] ?? user.name;
  if (members.length > 1 || (members.length === 1 && members[0] !== name)) return false;
  return primary.length + members.length > 0;
}
