import { labCommand, shellWord } from '../../src/lab/lab-command.js';
import { resolveLabDir } from '../../src/lab/paths.js';

describe('commands the lab hints at', () => {
  test('always name the lab directory: without --dir, following the hint would act on the default lab', () => {
    expect(labCommand('down', '/tmp/x')).toBe('gridops lab down --dir /tmp/x');
  });

  test('quote a directory the shell would split or expand', () => {
    expect(labCommand('down', '/tmp/my lab')).toBe("gridops lab down --dir '/tmp/my lab'");
    expect(labCommand('up', "/tmp/it's $HOME")).toBe(`gridops lab up --dir '/tmp/it'\\''s $HOME'`);
    expect(shellWord('UserKnownHostsFile=/tmp/a b/known_hosts')).toBe("'UserKnownHostsFile=/tmp/a b/known_hosts'");
  });
});

describe('--dir', () => {
  test('an empty --dir is refused, not taken for the default lab', () => {
    expect(() => resolveLabDir('', {})).toThrow(/--dir/);
  });

  test('absent: $GRIDOPS_LAB_DIR, then the default', () => {
    expect(resolveLabDir(undefined, { GRIDOPS_LAB_DIR: '/srv/lab' })).toBe('/srv/lab');
    expect(resolveLabDir(undefined, {})).toMatch(/\/\.cache\/gridops\/lab$/);
  });
});
