/**
 * connectionTargets, the inventory's view of where gridops connects: the same refusals as a run's
 * (fleet.ts), ending with what the inventory did not do, since it contacts no host.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError, InputFileError } from '../../src/errors/index.js';
import { connectionTargets } from '../../src/inventory/connection-targets.js';
import type { SshConfigValues } from '../../src/transport/ssh-config.js';
import { nodesOf } from '../transport/connect-support.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-inventory-targets-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refusalOf = (run: () => unknown): Error => {
  try {
    run();
  } catch (e) {
    return e as Error;
  }
  throw new Error('not refused');
};

describe('a node ~/.ssh/config routes through a ProxyCommand', () => {
  const proxied: SshConfigValues = { proxyCommand: 'ssh -W %h:%p bastion', writtenAt: { proxyCommand: '/home/u/.ssh/config:2' } };

  it("is refused as a run refuses it (refuseProxyCommand), ending with what the inventory did not do: its hop's host key would not be checked against the topology's known_hosts", () => {
    const nodes = nodesOf(`knownHosts: ${join(dir, 'known_hosts')}`, ['{ name: n1, address: 10.0.9.1 }', '{ name: n2, address: 10.0.8.2 }']);
    const warned: string[] = [];
    const err = refusalOf(() => connectionTargets(nodes, (node) => (node.name === 'n1' ? proxied : {}), (m) => warned.push(m)));
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toBe('n1: the ProxyCommand at /home/u/.ssh/config:2 reaches 10.0.9.1, which gridops cannot run (it runs no local command to connect); no inventory was written');
    expect((err as ConnectionError).hint).toBe('route it with ProxyJump (one hop) there, or give the node ssh.jumpHost in the topology');
    // Refused before any node's lookup could warn: the refusal is all the operator is told.
    expect(warned).toEqual([]);
  });

  it('is written where the topology names its jump host itself, as a run connects through that jump host', () => {
    const nodes = nodesOf(`knownHosts: ${join(dir, 'known_hosts')}`, ['{ name: n1, address: 10.0.9.1, ssh: { jumpHost: admin@bastion.example.org } }']);
    const targets = connectionTargets(nodes, () => proxied, () => undefined);
    expect(targets.get(nodes[0]!)).toMatchObject({ host: '10.0.9.1', jumpHost: 'admin@bastion.example.org' });
  });
});

describe("the topology's ssh.identityFile", () => {
  it('is refused where it is not there, as a run refuses it before any connection, naming where the topology set it', () => {
    const missing = join(dir, 'id_missing');
    const nodes = nodesOf(`identityFile: ${missing}, knownHosts: ${join(dir, 'known_hosts')}`, ['{ name: n1, address: 10.0.9.1 }', '{ name: n2, address: 10.0.9.2 }']);
    const err = refusalOf(() => connectionTargets(nodes, () => ({}), () => undefined));
    expect(err).toBeInstanceOf(InputFileError);
    expect(err.message).toBe(`cannot read the identity file ${missing} (ENOENT), named by ssh.identityFile of defaults in t.yaml for n1 and n2; no inventory was written`);
    expect((err as InputFileError).hint).toContain('check ssh.identityFile in the topology');
  });

  it("is written as it is where it is a public key, even with no ssh-agent here: Ansible's ssh takes it as the agent's key it selects (ssh_config(5)), where it runs", () => {
    const savedAgent = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
    try {
      const pub = join(dir, 'id_agent_only.pub');
      // Judged by its text (public-key-text.ts): the key itself need not be one any agent holds.
      writeFileSync(pub, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFv0nS7Xy0xgqUzH2f9dC0fZ6k8QoQ0v8n0k0zWmZ5kT me@here\n');
      const nodes = nodesOf(`identityFile: ${pub}, knownHosts: ${join(dir, 'known_hosts')}`, ['{ name: n1, address: 10.0.9.1 }']);
      const warned: string[] = [];
      expect(connectionTargets(nodes, () => ({}), (m) => warned.push(m)).get(nodes[0]!)).toMatchObject({ identityFiles: [pub] });
      expect(warned).toEqual([]);
    } finally {
      if (savedAgent !== undefined) process.env.SSH_AUTH_SOCK = savedAgent;
    }
  });

  it('is written as it is where it is there', () => {
    const key = join(dir, 'id_there');
    writeFileSync(key, 'a key\n', { mode: 0o600 });
    const nodes = nodesOf(`identityFile: ${key}, knownHosts: ${join(dir, 'known_hosts')}`, ['{ name: n1, address: 10.0.9.1 }']);
    expect(connectionTargets(nodes, () => ({}), () => undefined).get(nodes[0]!)).toMatchObject({ identityFiles: [key] });
  });
});
