import { jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Show from '../../src/commands/show.js';
import { savedPlan } from './saved-plan-fixture.js';

const root = new URL('../../', import.meta.url).pathname;

const plan = savedPlan([
  {
    host: 'n1',
    address: '10.0.0.1',
    playbooks: ['node-base'],
    changes: [{ kind: 'directory', id: 'directory /etc/gridops', action: 'create', summary: 'create /etc/gridops', path: '/etc/gridops', fields: [] }],
    notes: [],
    handlers: [],
  },
]);

/** `gridops show FILE ...argv` in this process, as if on a terminal (or into a pipe); what it printed. */
async function showOnTerminal(...argv: string[]): Promise<string> {
  return show(true, argv);
}
async function show(terminal: boolean, argv: string[]): Promise<string> {
  const out: string[] = [];
  const log = jest.spyOn(Show.prototype, 'log').mockImplementation((message?: string) => void out.push(message ?? ''));
  const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
  Object.defineProperty(process.stdout, 'isTTY', { value: terminal, configurable: true });
  try {
    await Show.run([file, ...argv], root);
  } finally {
    log.mockRestore();
    if (tty) Object.defineProperty(process.stdout, 'isTTY', tty);
    else delete (process.stdout as { isTTY?: boolean }).isTTY;
  }
  return out.join('');
}

let dir: string;
let file: string;
const noColor = process.env.NO_COLOR;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridops-show-'));
  file = join(dir, 'plan.json');
  writeFileSync(file, JSON.stringify(plan));
  delete process.env.NO_COLOR;
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  if (noColor === undefined) delete process.env.NO_COLOR;
  else process.env.NO_COLOR = noColor;
});

describe('gridops show: colour as every command decides it', () => {
  it('colours the plan on a terminal', async () => {
    expect(await showOnTerminal()).toContain('\x1b[32m+\x1b[0m directory /etc/gridops');
  });

  it('--no-color prints no colour on a terminal', async () => {
    const out = await showOnTerminal('--no-color');
    expect(out).toContain('+ directory /etc/gridops');
    expect(out).not.toContain('\x1b[');
  });

  it('NO_COLOR prints no colour on a terminal', async () => {
    process.env.NO_COLOR = '1';
    expect(await showOnTerminal()).not.toContain('\x1b[');
  });

  it('into a pipe, no colour; --color colours it (`| less -R`), over NO_COLOR too', async () => {
    expect(await show(false, [])).not.toContain('\x1b[');
    expect(await show(false, ['--color'])).toContain('\x1b[32m+\x1b[0m directory /etc/gridops');
    process.env.NO_COLOR = '1';
    expect(await show(false, ['--color'])).toContain('\x1b[32m+\x1b[0m directory /etc/gridops');
  });

  it('the last of --color and --no-color decides (an alias with one, the command line adding the other)', async () => {
    expect(await showOnTerminal('--color', '--no-color')).not.toContain('\x1b[');
    delete process.env.NO_COLOR;
    expect(await show(false, ['--no-color', '--color'])).toContain('\x1b[32m');
  });
});

describe("gridops show: the plan file's own words", () => {
  it('its grid, topology file, version, playbooks and --limit cannot act on the terminal', async () => {
    const tampered = { ...plan, gridopsVersion: '0.1.0\u009b2J', topology: { ...plan.topology, grid: 'g\u001b]0;owned\u0007', file: '/t/\u202egrid.yaml' }, playbooks: ['node-base\u001b[1A'], limit: ['n1\u2028'] };
    writeFileSync(file, JSON.stringify(tampered));
    const out = await show(false, []);
    expect(out).toContain('Plan for grid g\\u001b]0;owned\\u0007 from /t/\\u202egrid.yaml (sha256 aaaaaaaaaaaa), made 2024-01-01T00:00:00.000Z by gridops 0.1.0\\u009b2J; playbooks: node-base\\u001b[1A; --limit n1\\u2028');
    expect(out).not.toMatch(/[\u001b\u0007\u009b\u202e\u2028]/);
  });
});
