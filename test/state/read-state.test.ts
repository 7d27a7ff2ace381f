/**
 * readState on a state file that is not one gridops can use: an InputFileError naming the file,
 * with a hint, never a bare SyntaxError or TypeError, and never a state of another grid or format used as this one.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputFileError } from '../../src/errors/index.js';
import { readState } from '../../src/state/state.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-read-state-'));
  file = join(dir, 'g.state.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const refusal = async (text: string): Promise<InputFileError> => {
  writeFileSync(file, text);
  const err = await readState(file, 'g').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputFileError);
  return err as InputFileError;
};

describe('readState refuses a state file it cannot use', () => {
  it.each([
    ['an empty file', ''],
    ['cut-off JSON', '{'],
    ['null', 'null'],
    ['an empty object', '{}'],
    ['an array', '[]'],
    ['hosts not an object', JSON.stringify({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts: [] })],
    ['serial not a number', JSON.stringify({ format: 'gridops-state/v1', grid: 'g', serial: '1', hosts: {} })],
  ])('%s: cannot read state FILE, and what restoring or moving it aside means', async (_what, text) => {
    const err = await refusal(text);
    expect(err.message).toContain(`cannot read state ${file}: `);
    expect(err.hint).toMatch(/backup/);
    expect(err.hint).toMatch(/never applied/);
  });

  it('another format (a newer gridops): refused, naming the format', async () => {
    const err = await refusal(JSON.stringify({ format: 'gridops-state/v2', grid: 'g', serial: 1, hosts: {} }));
    expect(err.message).toBe(`cannot read state ${file}: its format is "gridops-state/v2", not gridops-state/v1 (written by a newer gridops?)`);
  });

  it("another grid's state: refused, naming both grids", async () => {
    const err = await refusal(JSON.stringify({ format: 'gridops-state/v1', grid: 'other', serial: 1, hosts: {} }));
    expect(err.message).toBe(`cannot read state ${file}: it is the state of grid "other", not of grid "g"`);
  });

  it('a tampered file: its values in the message carry no terminal controls (C1, DEL, bidi) and are cut short', async () => {
    const evil = `x\u009b2J\u007f\u202eEVIL${'A'.repeat(5000)}`;
    const messages = [
      (await refusal(JSON.stringify({ format: 'gridops-state/v1', grid: evil, serial: 1, hosts: {} }))).message,
      (await refusal(JSON.stringify({ format: evil, grid: 'g', serial: 1, hosts: {} }))).message,
      (await refusal(JSON.stringify({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts: { [evil]: {} } }))).message,
    ];
    for (const message of messages) {
      expect(message).not.toMatch(/[\u007f-\u009f\u202a-\u202e]/);
      expect(message).toContain('\\u009b2J\\u007f\\u202eEVIL');
      expect(message.length).toBeLessThan(file.length + 300);
    }
  });

  it('a directory in its place: refused, saying so', async () => {
    mkdirSync(file);
    await expect(readState(file, 'g')).rejects.toThrow(`cannot read state ${file}: it is a directory`);
  });

  it('a named pipe in its place: refused at once, not waited on for a writer that never comes', async () => {
    execFileSync('mkfifo', [file]);
    const refused = await readState(file, 'g').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(InputFileError);
    expect((refused as InputFileError).message).toBe(`cannot read state ${file}: it is a named pipe, not a regular file`);
    expect((refused as InputFileError).hint).toContain('gridops keeps its state in a regular file there: move');
  });

  it('a link to a named pipe, or a device, in its place: refused as what it leads to', async () => {
    const fifo = join(dir, 'elsewhere.fifo');
    execFileSync('mkfifo', [fifo]);
    symlinkSync(fifo, file);
    await expect(readState(file, 'g')).rejects.toThrow(`cannot read state ${file}: it is a named pipe, not a regular file`);
    await expect(readState('/dev/null', 'g')).rejects.toThrow('cannot read state /dev/null: it is a device, not a regular file');
  });
});

describe('readState reads what it can use', () => {
  it('no file: the empty state of the grid', async () => {
    await expect(readState(file, 'g')).resolves.toEqual({ format: 'gridops-state/v1', grid: 'g', serial: 0, hosts: {} });
  });

  it('a state of this grid, as written', async () => {
    const state = { format: 'gridops-state/v1', grid: 'g', serial: 3, hosts: {} };
    writeFileSync(file, JSON.stringify(state));
    await expect(readState(file, 'g')).resolves.toEqual(state);
  });
});

/** A host record as gridops writes it (host-record.ts), every optional field present. */
const goodHost = {
  node: { address: '10.0.0.1', region: 'r1', subgrid: 's1', user: 'root', port: 22, sshWritten: ['user'], settings: { ssh: {}, kernel: {}, hypervisor: { sandbox: { network: 'grid' } }, qos: {}, agent: {} } },
  kernelEntries: { 'node-base': { sysctl: ['net.ipv4.ip_forward'], modules: ['br_netfilter'] } },
  electorate: { subgrid: ['n1'] },
  topologyHash: 'abc',
  playbooks: ['node-base'],
  gridopsVersion: '1.0.0',
  agentVersion: null,
  sandboxMade: null,
  pendingHandlers: ['reload'],
  appliedAt: '',
  changesApplied: 0,
  lastOutcome: 'failed',
  lastRunAt: '2026-12-06T00:00:00.000Z',
  lastError: 'boom',
};
const withHost = (record: unknown) => JSON.stringify({ format: 'gridops-state/v1', grid: 'g', serial: 1, hosts: { n1: record } });

describe('readState refuses a damaged host record, naming the host and the field, instead of a TypeError later', () => {
  it.each([
    ['an empty record', {}, 'topologyHash is missing (a string)'],
    ['null', null, 'it must be an object, not null'],
    ['a list', [], 'it must be an object, not []'],
    ['playbooks not a list', { ...goodHost, playbooks: 'node-base' }, 'playbooks must be a list of playbooks, not "node-base"'],
    ['appliedAt missing', { ...goodHost, appliedAt: undefined }, 'appliedAt is missing (a time or "")'],
    ['an unknown outcome', { ...goodHost, lastOutcome: 'done' }, 'lastOutcome must be one of "applied", "unchanged", "failed", "skipped", not "done"'],
    ['agentVersion missing', { ...goodHost, agentVersion: undefined }, 'agentVersion is missing (a version or null)'],
    ['pendingHandlers not a list', { ...goodHost, pendingHandlers: 'reload' }, 'pendingHandlers must be a list of handlers, not "reload"'],
    ['node null', { ...goodHost, node: null }, 'node must be an object, not null'],
    ['node without an address', { ...goodHost, node: { ...goodHost.node, address: undefined } }, 'node.address is missing (a string)'],
    ['settings without hypervisor', { ...goodHost, node: { ...goodHost.node, settings: { ...goodHost.node.settings, hypervisor: undefined } } }, 'node.settings.hypervisor is missing (an object)'],
    ['kernel entries without modules', { ...goodHost, kernelEntries: { 'node-base': { sysctl: [] } } }, 'kernelEntries["node-base"].modules is missing (a list of modules)'],
    ['kernel entries not an object', { ...goodHost, kernelEntries: ['node-base'] }, 'kernelEntries must be an object of sysctl and module lists by playbook, not ["node-base"]'],
    ['a playbook that is not a string', { ...goodHost, playbooks: ['node-base', 3] }, 'playbooks[1] must be a string, not 3'],
    ['a count of changes below zero', { ...goodHost, changesApplied: -1 }, 'changesApplied must be a count, not -1'],
    ['an electorate of numbers', { ...goodHost, electorate: { region: [1] } }, 'electorate.region[0] must be a string, not 1'],
    ['settings without a sandbox', { ...goodHost, node: { ...goodHost.node, settings: { ...goodHost.node.settings, hypervisor: {} } } }, 'node.settings.hypervisor.sandbox is missing (an object)'],
    ['a long value, cut short', { ...goodHost, lastError: { why: 'x'.repeat(60) } }, `lastError must be a string, not {"why":"${'x'.repeat(29)}...`],
    ['sandboxMade without a network', { ...goodHost, sandboxMade: {} }, 'sandboxMade must be null or an object with a network, not {}'],
  ])('%s', async (_what, record, why) => {
    const err = await refusal(withHost(record));
    expect(err.message).toBe(`cannot read state ${file}: its record of host "n1" is damaged: ${why}`);
    expect(err.hint).toMatch(/backup/);
  });

  it('a full record, and one from before the optional fields were recorded, read as written', async () => {
    const { node: _node, kernelEntries: _k, electorate: _e, sandboxMade: _s, pendingHandlers: _p, lastRunAt: _r, lastError: _l, ...oldest } = goodHost;
    for (const record of [goodHost, oldest]) {
      writeFileSync(file, withHost(record));
      await expect(readState(file, 'g')).resolves.toEqual(JSON.parse(withHost(record)));
    }
  });
});
