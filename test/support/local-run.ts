/**
 * A run against this machine standing in for every host, for the phases' tests without sshd: each
 * node's connection is the recording fake (so a test sees the transcript), and every command it
 * records runs in a real local shell with the stdin it was given.
 */
import type { ApplyOptions } from '../../src/phases/run-options.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';

const local = new LocalTransport('local');

/** A node's connection: what it records is run by this machine's shell. */
export function localRecording(name: string): RecordingTransport {
  return new RecordingTransport(name).on(/[\s\S]*/, (command, { options }) => local.exec(command, { stdin: options.stdin }));
}

/** A node's `connect` by `localRecording` that first notes the node, for tests that check no host was reached. */
export function connectNoting(note: (name: string) => void): NonNullable<ApplyOptions['connect']> {
  return async (node) => {
    note(node.name);
    return localRecording(node.name);
  };
}

/**
 * Options of a quiet, confirmed run, 5 hosts at a time, each connected by `localRecording`;
 * `extra` overrides any of them (a test's own `connect` that also counts the nodes it reached).
 */
export function localRunOptions(files: Pick<ApplyOptions, 'topologyFile' | 'playbooks'>, extra: Partial<ApplyOptions> = {}): ApplyOptions {
  return {
    ...files,
    concurrency: 5,
    acceptNewHostKeys: false,
    progress: () => undefined,
    failFast: false,
    confirm: async () => true,
    emit: () => undefined,
    onPlan: () => undefined,
    connect: async (node) => localRecording(node.name),
    ...extra,
  };
}
