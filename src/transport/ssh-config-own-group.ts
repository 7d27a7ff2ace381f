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
  /** The users it lists: name, password, uid, gid, ... */
  users(): string[][];
}

/** The user reading the file: who the group must hold alone. */
export interface ReadingUser {
  uid: number;
  name: string | undefined;
  /** The user's primary gid (process.getgid()): it makes the user a member wherever NSS does not list the user. */
  primaryGid: number | undefined;
}

const fields = (text: string) =>
  text
    .split('\n')
    .map((line) => line.split(':'))
    .filter((entry) => entry.length >= 4);

/** /etc/group and /etc/passwd. */
export const localAccountFiles: AccountDatabase = {
  group: (gid) => readEntries('/etc/group').find((entry) => Number(entry[2]) === gid),
  users: () => readEntries('/etc/passwd'),
};

function readEntries(file: string): string[][] {
  try {
    return fields(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
}

/** NSS through getent(1): sssd, LDAP and whatever nsswitch.conf names, as Debian's ssh asks it. */
export const nameServiceAccounts: AccountDatabase = {
  group: (gid) => getent('group', String(gid))[0],
  users: () => getent('passwd'),
};

/** getent's entries, none where it is missing, fails or finds nothing (exit 2); bounded, since a directory server may not answer. */
function getent(...args: string[]): string[][] {
  try {
    return fields(execFileSync('getent', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }));
  } catch {
    return [];
  }
}

/**
 * Whether group `gid` holds `user` alone: no other user has it as primary group, it lists no other
 * member, and someone is in it. The first database that knows the group judges it; where none
 * does, it is the user's own only when it is the user's primary group.
 */
export function groupHoldsOnly(gid: number, user: ReadingUser, databases: readonly AccountDatabase[] = [localAccountFiles, nameServiceAccounts]): boolean {
  for (const database of databases) {
    const group = database.group(gid);
    if (!group) continue;
    const users = database.users();
    const primary = users.filter((entry) => Number(entry[3]) === gid);
    if (primary.some((entry) => Number(entry[2]) !== user.uid)) return false;
    const listed = group[3]!.trim().split(',').filter((name) => name !== '');
    const name = users.find((entry) => Number(entry[2]) === user.uid)?.[0] ?? user.name;
    if (listed.length > 1 || (listed.length === 1 && listed[0] !== name)) return false;
    // An NSS user is often not enumerated (sssd's default): its primary group holds it all the same.
    return primary.length + listed.length > 0 || user.primaryGid === gid;
  }
  return user.primaryGid === gid;
}
