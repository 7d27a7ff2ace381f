import { sh } from './quote.js';
import type { Endpoint } from './ssh-endpoint.js';
import type { UnusableIdentity } from './ssh-identities.js';

/** "identity file /k/id is encrypted (…)", for errors: which file, and why gridops did not offer it. */
export function describeUnusable(u: UnusableIdentity): string {
  const which = u.explicit ? `identity file ${u.path}` : `default key ${u.path}`;
  return u.encrypted ? `${which} is encrypted (gridops cannot ask for a passphrase)` : `${which} is not a private key gridops can read (${u.message})`;
}

/** What to do about identity files gridops could not use: the agent for encrypted ones, else the right file. */
export function unusableHint(unusable: readonly UnusableIdentity[], agent: string | undefined): string {
  const encrypted = unusable.filter((u) => u.encrypted).map((u) => u.path);
  if (encrypted.length === 0) return 'point ssh.identityFile (or IdentityFile in ~/.ssh/config) at a private key, not its .pub, in OpenSSH, PEM or PuTTY format';
  const add = `ssh-add ${encrypted.join(' ')}`;
  return agent
    ? `load the key into the ssh-agent gridops uses (SSH_AUTH_SOCK=${agent}): \`${add}\`; or use an unencrypted key (ssh.identityFile)`
    : `start ssh-agent and load the key (\`eval "$(ssh-agent)"; ${add}\`) so that SSH_AUTH_SOCK is set when gridops runs; or use an unencrypted key (ssh.identityFile)`;
}

/**
 * What to do when the host refused every key: the same words for every host with the same user,
 * port and keys, so a run whose 50 hosts all refuse says it once (the plan's shared hints).
 */
export function refusedKeyHint(ep: Endpoint, offered: readonly string[], agentChosen: readonly string[] = []): string {
  // A .pub that chose the agent's key is tried with `ssh -i` as it is: OpenSSH then signs with the agent's copy.
  const key = offered[0] ?? agentChosen[0] ?? 'KEY';
  const publicKeys = [...offered.map((p) => `${p}.pub`), ...agentChosen.map((p) => `${p}, whose private key the ssh-agent must hold: \`ssh-add -L\` lists the agent's keys`)];
  return `check that ~${ep.user}/.ssh/authorized_keys on the host holds the public key (${publicKeys.length ? publicKeys.join('; ') : 'ssh.identityFile in the topology names none'}), or set ssh.user and ssh.identityFile in the topology; try it with \`${sh(['ssh', '-i', key, '-p', ep.port, `${ep.user}@HOST`])}\``;
}
