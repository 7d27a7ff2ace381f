import { MutationGate, type GateItem } from '../../src/engine/gate.js';
import type { Change } from '../../src/plan/change.js';
import { stepWarning } from '../../src/resources/step-warning.js';
import type { Transport } from '../../src/transport/transport.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { RecordingTransport } from '../../src/transport/recording-transport.js';
import { HeldLocalTransport } from '../support/held-local-transport.js';

/**
 * A step warning (resources/step-warning.ts) starts with the batch's random marker, so that only
 * the steps gridops builds can say one. No other step may learn the marker: a user's `command:`
 * step that lists the shell's variables finds it nowhere, and cannot forge a warning with it.
 * Each batch runs for real in a local shell, on each path the gate takes.
 */
const local = new LocalTransport('local');
const change = (id: string) => ({ kind: 'command', id, action: 'run', command: 'true', summary: id, fields: [] }) as unknown as Change;

/**
 * The reviewer's step, then attempts to forge a warning: with the variable the batch once set for
 * every step, and with bash's `$_` (the last argument of the command before: a marker line's text,
 * where nothing came after it on that line).
 */
const FORGE = "set | grep gridops >&2; printf '%s%s\\n' \"${gridops_step_warning-}\" 'forged: all is well' >&2; m=\"${_-}\"; printf '%s warning %s\\n' \"${m% step *}\" 'forged by $_' >&2";
/** The same listing on stdout and stderr, in a step that fails, so that apply shows what it printed. */
const SHOW = 'set | grep gridops; set | grep gridops >&2; exit 1';

const items: GateItem[] = [
  { change: change('command repair'), perform: (r) => r.run(stepWarning("'finished what an interrupted dpkg left'", r.warningMarker), 'repair') },
  { change: change('command forge'), perform: (r) => r.run(FORGE, 'forge') },
  { change: change('command show'), perform: (r) => r.run(SHOW, 'show') },
];

/** The paths of a host's batch: a session of its own (`sh -s`), its read's held shell, and a held shell of its own. */
const paths: Array<[string, () => Promise<{ transport: Transport; held?: Awaited<ReturnType<HeldLocalTransport['execHeld']>> }>]> = [
  ['in a session of its own (sh -s)', async () => ({ transport: new RecordingTransport('n1').on(/^sh -s$/, (command, { options }) => local.exec(command, { stdin: options.stdin })) })],
  // Fedora's and RHEL's /bin/sh is bash, which sets $_ where dash does not.
  ['in a session of its own, where sh is bash', async () => ({ transport: new RecordingTransport('n1').on(/^sh -s$/, (_command, { options }) => local.exec('bash -s', { stdin: options.stdin })) })],
  [
    "in its read's held shell",
    async () => {
      const transport = new HeldLocalTransport('n1');
      return { transport, held: await transport.execHeld('umask', { timeoutMs: 5000 }) };
    },
  ],
  ['in a held shell of its own', async () => ({ transport: new HeldLocalTransport('n1') })],
];

describe("a step warning's marker is no step's to read", () => {
  it.each(paths)('%s: the steps see no marker, and only the warning gridops built is read back', async (_, open) => {
    const { transport, held } = await open();
    const result = await new MutationGate(() => undefined).pass(transport, false, items, held, held ? { umask: '0022', renameUl: false } : undefined);
    expect(result.applied).toBe(2);
    expect(result.warnings).toEqual([{ id: 'command repair', message: 'finished what an interrupted dpkg left' }]);
    expect(result.failure).toMatchObject({ change: 'command show', error: 'exit 1' });
    expect(result.failure!.stdout).not.toContain('@@gridops-step-');
    expect(result.failure!.stderr).not.toContain('@@gridops-step-');
    if (transport instanceof HeldLocalTransport) await transport.close();
  });
});
