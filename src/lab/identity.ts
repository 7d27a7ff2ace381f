import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { generateEd25519, type SshKeyPair } from './keys.js';
import { aptProxyConf, type Mirrors, sourcesList } from './rootfs.js';

/** What every node gets on top of the shared image: its own name, machine-id and host key, and the lab's key and proxy. */
export interface NodeIdentity {
  name: string;
  hostKey: SshKeyPair;
  machineId: string;
}

export function newIdentity(name: string): NodeIdentity {
  return { name, hostKey: generateEd25519(`root@${name}`), machineId: randomBytes(16).toString('hex') };
}

async function put(root: string, rel: string, content: string, mode = 0o644): Promise<void> {
  const p = join(root, rel);
  await mkdir(dirname(p), { recursive: true });
  await writeFile(p, content, { mode });
  await chmod(p, mode);
}

/**
 * Writes a node's identity files under `root` (an overlay upper dir, or a seed disk tree).
 * The files mirror their place in the node's filesystem.
 */
export async function writeIdentity(
  root: string,
  id: NodeIdentity,
  lab: { clientPublicKey: string; proxy: { address: string; port: number }; mirrors?: Mirrors; nameserver?: string },
): Promise<void> {
  await mkdir(join(root, 'etc/ssh'), { recursive: true, mode: 0o755 });
  await put(root, 'etc/hostname', `${id.name}\n`);
  await put(root, 'etc/hosts', `127.0.0.1\tlocalhost\n127.0.1.1\t${id.name}\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
  await put(root, 'etc/machine-id', `${id.machineId}\n`, 0o444);
  await put(root, 'etc/ssh/ssh_host_ed25519_key', id.hostKey.privateKey, 0o600);
  await put(root, 'etc/ssh/ssh_host_ed25519_key.pub', id.hostKey.publicKey);
  await mkdir(join(root, 'root/.ssh'), { recursive: true, mode: 0o700 });
  await chmod(join(root, 'root'), 0o700);
  await chmod(join(root, 'root/.ssh'), 0o700);
  await put(root, 'root/.ssh/authorized_keys', lab.clientPublicKey, 0o600);
  await put(root, 'etc/apt/apt.conf.d/01gridops-lab-proxy', aptProxyConf(lab.proxy.address, lab.proxy.port));
  if (lab.mirrors) await put(root, 'etc/apt/sources.list', sourcesList(lab.mirrors));
  // The lab's own name server: region peer names resolve, nothing else leaves the machine.
  if (lab.nameserver) await put(root, 'etc/resolv.conf', `nameserver ${lab.nameserver}\n`);
}

/** The lab's client key pair, made once per lab directory and reused by every `up`. */
export async function ensureClientKey(identity: string, publicKey: string): Promise<string> {
  if (existsSync(identity) && existsSync(publicKey)) return readFileSync(publicKey, 'utf8');
  const pair = generateEd25519('gridops-lab');
  await mkdir(dirname(identity), { recursive: true });
  await writeFile(identity, pair.privateKey, { mode: 0o600 });
  await chmod(identity, 0o600);
  await writeFile(publicKey, pair.publicKey, { mode: 0o644 });
  return pair.publicKey;
}
