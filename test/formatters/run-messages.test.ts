import { runMessages } from '../../src/formatters/run-messages.js';

/** What each kind of message writes, collected instead of going to stderr. */
function said(json: boolean, verbose: boolean): string[] {
  const out: string[] = [];
  const m = runMessages({ json, verbose, write: (t) => out.push(t) });
  m.warnAt({ file: 'g.yaml', line: 5, column: 35, path: 'defaults.hypervisor.sandbox.vcpus', message: 'does nothing here', hint: 'remove it' });
  m.warn('taking over a stale lock');
  m.progress('planned', 1234);
  m.phase('plan');
  return out;
}

describe('runMessages: what a command says besides its result', () => {
  it('as text: warnings as a compiler prints them, progress as gridops: lines, phases only with --verbose', () => {
    expect(said(false, false)).toEqual(['g.yaml:5:35: warning: does nothing here\n  hint: remove it\n', 'warning: taking over a stale lock\n', 'gridops: planned\n']);
    expect(said(false, true)).toEqual(['g.yaml:5:35: warning: does nothing here\n  hint: remove it\n', 'warning: taking over a stale lock\n', 'gridops: planned (1.23 s)\n', 'gridops: == plan\n']);
  });

  it('with --json: nothing is dropped, each is one JSON line with its type', () => {
    const lines = said(true, true);
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { type: 'warning', file: 'g.yaml', line: 5, column: 35, path: 'defaults.hypervisor.sandbox.vcpus', message: 'does nothing here', hint: 'remove it' },
      { type: 'warning', message: 'taking over a stale lock' },
      { type: 'progress', message: 'planned', ms: 1234 },
      { type: 'phase', title: 'plan' },
    ]);
    expect(said(true, false)).toHaveLength(3);
  });

  it('the line said at a Ctrl-C or SIGTERM: as written in text, one JSON line of its own with --json', () => {
    for (const json of [false, true]) {
      const out: string[] = [];
      const m = runMessages({ json, verbose: false, write: (t) => out.push(t) });
      m.signalled('interrupt', 'SIGINT', '\ninterrupted: stopping; plan changes nothing (Ctrl-C again to quit now)\n');
      m.signalled('quit', 'SIGTERM', '\nterminated (SIGTERM) again: quitting now\n');
      expect(out).toEqual(json
        ? ['{"type":"interrupt","signal":"SIGINT","message":"interrupted: stopping; plan changes nothing (Ctrl-C again to quit now)"}\n', '{"type":"quit","signal":"SIGTERM","message":"terminated (SIGTERM) again: quitting now"}\n']
        : ['\ninterrupted: stopping; plan changes nothing (Ctrl-C again to quit now)\n', '\nterminated (SIGTERM) again: quitting now\n']);
    }
  });
});
