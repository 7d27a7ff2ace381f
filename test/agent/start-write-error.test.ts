import { StartWriteError, writeAtStart } from '../../src/agent/runtime/start-write-error.js';

const failing = (code: string) => () => {
  throw Object.assign(new Error(`${code}: failed, write`), { code });
};

/** A full or read-only /var at start: one line naming the file (main.ts prints it, exit 1), where a stack hid which file it was. */
test.each([
  ['ENOSPC', 'no space left on its disk'],
  ['EROFS', 'its file system is read-only'],
  ['EACCES', 'permission denied'],
])('a write at start that fails with %s names the file and the fix', (code, why) => {
  expect(() => writeAtStart('/var/lib/gridagent/n1.state.json', failing(code))).toThrow(
    new StartWriteError(`cannot write /var/lib/gridagent/n1.state.json at start: ${why} (${code}); free space on its disk, or make /var/lib/gridagent writable: systemd starts the agent again, and it runs once the write succeeds`),
  );
});

test('any other error is not the disk\'s: it goes on as it was (with its stack)', () => {
  let thrown: unknown;
  try {
    writeAtStart('/var/lib/gridagent/n1.state.json', failing('EIO'));
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toEqual(expect.objectContaining({ code: 'EIO', message: 'EIO: failed, write' }));
  expect(thrown).not.toBeInstanceOf(StartWriteError);
  expect(writeAtStart('/x', () => 7)).toBe(7);
});
