import { readFileSync } from 'node:fs';
import type { ParsedKey } from 'ssh2';
import { ConnectionError } from '../errors/index.js';
import { expandHome } from './expand-home.js';
import { withKeyObjectSigning } from './key-object-signing.js';
import { isPublicKeyText } from './public-key-text.js';
import type { Endpoint } from './ssh-endpoint.js';
import type { SshSessionOptions } from './ssh-session-options.js';
import { ssh2Client } from './ssh2-client.js';

const DEFAULT_IDENTITIES = ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa'];

/** Identity files by the run's session options, read and parsed once (readIdentities). */
const identities = new WeakMap<SshSessionOptions, Map<string, ReturnType<typeof readIdentity>>>();

type IdentityRead = { error?: undefined; key: ParsedKey } | { error: 'unreadable' | 'encrypted' | 'unparsable' | 'public'; message: string };

function readIdentity(path: string): IdentityRead {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (e) {
    return { error: 'unreadable', message: (e as Error).message };
  }
  // Not parsed as a key at all: with an agent, a .pub names the agent's key to use (readIdentities).
  if (isPublicKeyText(data.toString('latin1'))) return { error: 'public', message: 'a public key, not a private key' };
  const parsed = ssh2Client().parseKey(data);
  if (parsed instanceof Error) return { error: /no passphrase given/i.test(parsed.message) ? 'encrypted' : 'unparsable', message: parsed.message };
  const key = Array.isArray(parsed) ? parsed[0]! : parsed;
  // ssh2 parses a .pub too, and would offer it: each host then refuses a key it may well hold.
  if (!key.isPrivateKey()) return { error: 'unparsable', message: 'a public key, not a private key' };
  return { key: withKeyObjectSigning(key) };
}

/** An identity file that is there but that gridops cannot sign with. */
export interface UnusableIdentity {
  path: string;
  /** Named by the user (topology or ~/.ssh/config), not one of the default ~/.ssh/id_* files. */
  explicit: boolean;
  encrypted: boolean;
  message: string;
}

/**
 * The endpoint's identity files, read and parsed once per run (every host of a run uses the same
 * few files; ssh2 takes the parsed key as it is): the keys to offer, and the files that are there
 * but cannot be used. An explicit file that cannot be read at all is an error, as OpenSSH's is.
 * A public key is unusable only with no agent: with one, as ssh_config(5) has it, it selects the
 * agent's copy of its private key (1Password, a hardware key), so it is neither offered nor said.
 */
export function readIdentities(ep: Endpoint, opts: SshSessionOptions): { explicit: boolean; keys: ParsedKey[]; offered: string[]; unusable: UnusableIdentity[]; agentChosen: string[] } {
  const explicit = ep.identityFiles !== undefined && ep.identityFiles.length > 0;
  const keys: ParsedKey[] = [];
  /** The files of `keys`, in the same order. */
  const offered: string[] = [];
  const unusable: UnusableIdentity[] = [];
  /** Public key files that, with an agent, name the agent's key to use. */
  const agentChosen: string[] = [];
  let read = identities.get(opts);
  if (!read) identities.set(opts, (read = new Map()));
  for (const f of explicit ? ep.identityFiles! : (opts.defaultIdentityFiles ?? DEFAULT_IDENTITIES)) {
    const path = expandHome(f);
    if (!read.has(path)) read.set(path, readIdentity(path));
    const parsed = read.get(path)!;
    if (parsed.error === 'unreadable') {
      if (explicit) throw new ConnectionError(ep.label, `cannot read identity file ${path}: ${parsed.message}`, 'check the path in the topology (identityFile)');
      continue;
    }
    if (parsed.error === 'public' && agentSocketOf(opts)) {
      agentChosen.push(path);
      continue;
    }
    if (parsed.error !== undefined) unusable.push({ path, explicit, encrypted: parsed.error === 'encrypted', message: parsed.message });
    else {
      keys.push(parsed.key);
      offered.push(path);
    }
  }
  return { explicit, keys, offered, unusable, agentChosen };
}

/** The ssh-agent socket to offer: the session's, else $SSH_AUTH_SOCK; none where that is empty or disabled (null). */
export function agentSocketOf(opts: SshSessionOptions): string | undefined {
  return (opts.agentSocket === undefined ? process.env.SSH_AUTH_SOCK : opts.agentSocket) || undefined;
}
