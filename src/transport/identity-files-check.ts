import { accessSync, constants, readFileSync } from 'node:fs';
import { ConnectionError, InputFileError } from '../errors/index.js';
import { namedFew } from '../named-few.js';
import { isEncryptedKey } from './encrypted-key.js';
import { isPublicKeyText } from './public-key-text.js';
import { expandHome } from './expand-home.js';
import { identityFileStats, type IdentityFileStats } from './identity-file-stats.js';
import type { SshHostSpec } from './ssh-host-spec.js';

/** How a run's refusal before its first connection ends. */
const NOT_CONTACTED = 'no host was contacted';

/**
 * Every identity file the run's hosts name (ssh.identityFile in the topology, IdentityFile in an
 * ssh_config file: `whereNamed` says which line), checked readable before the first connection: a
 * path that is not there (or is a directory) is the operator's mistake, said once for every host that names it, where each host
 * used to connect first and then fail on its own. So is an encrypted one with no ssh-agent
 * (`agentSocket`, SSH_AUTH_SOCK) for a host, or a jump host, that names no other: gridops cannot
 * ask for its passphrase, so that host could not log in. So is a public key named as one with no
 * agent (refusePublicKeys). Unnamed default keys (~/.ssh/id_*) are tried only if present.
 * `statOf` is the run's, shared with the skip of missing ssh_config ones, so each file is statted once.
 */
export function checkIdentityFiles(specs: readonly SshHostSpec[], whereNamed: WhereNamed = () => undefined, agentSocket: string | undefined = process.env.SSH_AUTH_SOCK, statOf: IdentityFileStats = identityFileStats()): void {
  const files = identityFilesOf(specs);
  refuseUnreadable(files, whereNamed, statOf, NOT_CONTACTED);
  if (agentSocket) return;
  const textOf = identityFileTexts();
  refusePublicKeys(files, whereNamed, textOf);
  const encrypted = encryptedOnlyIdentityFiles(specs, textOf);
  if (encrypted.length === 0) return;
  const noAgent = 'no ssh-agent is running (SSH_AUTH_SOCK is not set)';
  // The line that named the file is looked up by a host behind it: a jump host's files were named for the hosts that go through it.
  const namedFor = ({ path, hosts, jumpHosts }: EncryptedOnly) => {
    const where = whereNamed([...hosts, ...jumpHosts.flatMap((j) => j.behind)][0]!, path);
    const who = [...(hosts.length ? [namedFew(hosts)] : []), ...jumpHosts.map((j) => `the jump host ${j.host} of ${namedFew(j.behind)}`)];
    return `named ${where ? `by ${where} ` : ''}for ${who.join(' and ')}`;
  };
  const what =
    encrypted.length === 1
      ? `the identity file ${encrypted[0]!.path} is encrypted and ${noAgent}, ${namedFor(encrypted[0]!)}`
      : `${encrypted.length} identity files are encrypted and ${noAgent}: ${encrypted.map((e) => `${e.path}, ${namedFor(e)}`).join('; ')}`;
  throw new InputFileError(
    `${what}; gridops cannot ask for a passphrase; ${NOT_CONTACTED}`,
    `start ssh-agent and load the key (\`eval "$(ssh-agent)"; ssh-add ${encrypted.map((e) => e.path).join(' ')}\`) so that SSH_AUTH_SOCK is set when gridops runs; or use an unencrypted key (ssh.identityFile)`,
  );
}

/**
 * The first half of checkIdentityFiles, alone for the inventory (whose ssh can ask for a
 * passphrase, and takes a public key named as an identity file as the agent's key it selects):
 * every identity file of `specs`, and of their jump hosts, there and readable. `notDone` ends the
 * refusal, saying what did not happen: the inventory connects to nothing, so it says what it did
 * not write rather than a run's "no host was contacted".
 */
export function checkReadableIdentityFiles(specs: readonly SshHostSpec[], whereNamed: WhereNamed = () => undefined, statOf: IdentityFileStats = identityFileStats(), notDone = NOT_CONTACTED): void {
  refuseUnreadable(identityFilesOf(specs), whereNamed, statOf, notDone);
}

/** checkReadableIdentityFiles of identity files already gathered (identityFilesOf), so that checkIdentityFiles gathers them once. */
function refuseUnreadable(files: IdentityFiles, whereNamed: WhereNamed, statOf: IdentityFileStats, notDone: string): void {
  const unreadable = unreadableIdentityFiles(files, statOf);
  if (unreadable.length === 0) return;
  const problems = unreadable.map(({ path, reason, hosts }) => {
    const where = whereNamed(hosts[0]!, path);
    return `${path} (${reason}), named ${where ? `by ${where} ` : ''}for ${namedFew(hosts)}`;
  });
  // A missing IdentityFile of an ssh_config file reaches here only where the host has no other key (missing-config-identities.ts).
  const noFallback = unreadable.some(({ reason }) => reason === 'ENOENT') ? "; where an ssh_config IdentityFile names a host's only keys, ssh would go on with the agent's keys only, never the default ~/.ssh/id_* ones: name a key that is there" : '';
  throw new InputFileError(
    `cannot read ${problems.length === 1 ? 'the identity file' : `${problems.length} identity files`} ${problems.join('; ')}; ${notDone}`,
    `check ssh.identityFile in the topology, or the IdentityFile line named, and that the file is there and readable${noFallback}`,
  );
}

/**
 * A public key named as an identity file (`id_ed25519.pub` for `id_ed25519`) in a run with no
 * ssh-agent, refused before the first connection as an unreadable one is: gridops cannot sign with
 * it, and each host would refuse the login. With an agent it is not refused: as ssh_config(5) says,
 * it then selects the agent's copy of its private key (1Password, a hardware key), so the connection
 * logs in with the agent (ssh-auth-methods.ts). Judged by content (public-key-text.ts), not by name;
 * the hint names the private key beside it where there is one.
 */
function refusePublicKeys(files: IdentityFiles, whereNamed: WhereNamed, textOf: IdentityFileTexts): void {
  const publicKeys = [...files].filter(([path]) => isPublicKeyText(textOf(path)));
  if (publicKeys.length === 0) return;
  const problems = publicKeys.map(([path, hosts]) => {
    const where = whereNamed(hosts[0]!, path);
    return `${path}${publicKeys.length === 1 ? ' is a public key, not a private key,' : ''} named ${where ? `by ${where} ` : ''}for ${namedFew(hosts)}`;
  });
  const privateKeys = publicKeys.map(([path]) => privateKeyBeside(path, textOf));
  const what = problems.length === 1 ? `the identity file ${problems[0]}` : `${problems.length} identity files are public keys, not private keys: ${problems.join('; ')}`;
  throw new InputFileError(
    `${what}; gridops signs with the private key; ${NOT_CONTACTED}`,
    `point ssh.identityFile (or the IdentityFile line named) at the private key${privateKeys.every((p) => p !== undefined) ? `, not its .pub: ${privateKeys.join(', ')}` : ' of that pair, not its .pub'}; or, where the private key is in ssh-agent only, run with SSH_AUTH_SOCK set: the .pub then selects the agent's key`,
  );
}

/** The private key of a pair whose public key is `path` (`id.pub`, `id-cert.pub`: `id`), where it is there and is not a public key too. */
function privateKeyBeside(path: string, textOf: IdentityFileTexts): string | undefined {
  const key = path.replace(/(-cert)?\.pub$/, '');
  if (key === path) return undefined;
  try {
    return isPublicKeyText(textOf(key)) ? undefined : key;
  } catch {
    return undefined;
  }
}

/** The text of a file (latin1: a key's bytes, whatever they are), read on first use and kept, so that each check without an agent reads each identity file once. */
type IdentityFileTexts = (path: string) => string;

/** A fresh memo of identity file texts, for one run's checks. A file that cannot be read throws each time, uncached. */
function identityFileTexts(): IdentityFileTexts {
  const texts = new Map<string, string>();
  return (path) => texts.get(path) ?? texts.set(path, readFileSync(path, 'latin1')).get(path)!;
}

/** Where a host's identity file (its path, `~` expanded) was named, for the messages about it; undefined where not known. */
export type WhereNamed = (host: string, path: string) => string | undefined;

/** An encrypted identity file that is all some hosts (`hosts`), or jump hosts (each with the hosts `behind` it), have to log in with. */
interface EncryptedOnly {
  path: string;
  hosts: string[];
  jumpHosts: Array<{ host: string; behind: string[] }>;
}

/**
 * The encrypted identity files of the hosts, and of the jump hosts, that name no other (with no
 * agent, those have no key to log in with). Read only when no agent runs; all are readable by now.
 */
function encryptedOnlyIdentityFiles(specs: readonly SshHostSpec[], textOf: IdentityFileTexts): EncryptedOnly[] {
  const isEncrypted = (path: string) => isEncryptedKey(textOf(path));
  const stuck = new Map<string, EncryptedOnly>();
  const entryOf = (path: string) => stuck.get(path) ?? stuck.set(path, { path, hosts: [], jumpHosts: [] }).get(path)!;
  const onlyEncrypted = (files: readonly string[]) => {
    const paths = [...new Set(files.map(expandHome))];
    return paths.length > 0 && paths.every(isEncrypted) ? paths : [];
  };
  for (const spec of specs) {
    const name = spec.name ?? spec.host;
    const own = onlyEncrypted(spec.identityFiles ?? []);
    for (const path of own) entryOf(path).hosts.push(name);
    // A jump host written as a string (`user@host:port`) names no key of its own.
    if (typeof spec.jumpHost !== 'object') continue;
    const jumpHost = spec.jumpHost.host;
    // A jump host reached with the host's own keys is already said as the host's.
    for (const path of onlyEncrypted([spec.jumpHost.identityFile ?? []].flat()).filter((p) => !own.includes(p))) {
      const entry = entryOf(path);
      const jump = entry.jumpHosts.find((j) => j.host === jumpHost);
      if (jump) jump.behind.push(name);
      else entry.jumpHosts.push({ host: jumpHost, behind: [name] });
    }
  }
  return [...stuck.values()];
}

/**
 * For hosts reached as the state recorded them (nodes being decommissioned): each one whose
 * identity file cannot be read, with the error that reports that host, and that host alone, as
 * not reached. The topology does not name that file, so no edit of it can fix it, and a host gone
 * for good often took its key with it: it must not stop the run of the nodes the topology has.
 */
export function recordedIdentityErrors(specs: readonly SshHostSpec[], whereNamed: (host: string, path: string) => string, statOf: IdentityFileStats = identityFileStats()): Map<string, ConnectionError> {
  const errors = new Map<string, ConnectionError>();
  for (const { path, reason, hosts } of unreadableIdentityFiles(identityFilesOf(specs), statOf)) {
    for (const host of hosts) {
      if (errors.has(host)) continue;
      errors.set(host, new ConnectionError(host, `cannot read its identity file ${path} (${reason}), named by ${whereNamed(host, path)}; not contacted`, `put the key back at ${path} to reach it`));
    }
  }
  return errors;
}

/**
 * Each identity file of `specs` that cannot be read, with why, and the hosts that name it: their
 * own and their jump host's (a bastion's key that cannot be read stops every host behind it).
 */
function unreadableIdentityFiles(files: IdentityFiles, statOf: IdentityFileStats): Array<{ path: string; reason: string; hosts: string[] }> {
  const unreadable: Array<{ path: string; reason: string; hosts: string[] }> = [];
  for (const [path, hosts] of files) {
    // A path stat(2) cannot reach, access(2) cannot either, for the same reason.
    const stat = statOf(path);
    if ('code' in stat) {
      unreadable.push({ path, reason: stat.code, hosts });
      continue;
    }
    try {
      accessSync(path, constants.R_OK);
      // A readable directory passes access(2); reading it as a key fails on every host alike.
      if (stat.directory) unreadable.push({ path, reason: 'EISDIR: a directory, not a key', hosts });
    } catch (e) {
      unreadable.push({ path, reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message, hosts });
    }
  }
  return unreadable;
}

/** Each identity file (`~` expanded), with the hosts that name it: their own and their jump host's. */
type IdentityFiles = ReadonlyMap<string, string[]>;

/** The identity files of `specs` (IdentityFiles). */
function identityFilesOf(specs: readonly SshHostSpec[]): IdentityFiles {
  const namedBy = new Map<string, string[]>();
  for (const spec of specs) {
    // A jump host written as a string (`user@host:port`) names no key of its own.
    const jumpFiles = typeof spec.jumpHost === 'object' ? [spec.jumpHost.identityFile ?? []].flat() : [];
    for (const file of new Set([...(spec.identityFiles ?? []), ...jumpFiles])) {
      const path = expandHome(file);
      const hosts = namedBy.get(path);
      if (!hosts) namedBy.set(path, [spec.name ?? spec.host]);
      else if (!hosts.includes(spec.name ?? spec.host)) hosts.push(spec.name ?? spec.host);
    }
  }
  return namedBy;
}
