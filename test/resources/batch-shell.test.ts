import { execFileSync } from 'node:child_process';
import { BATCH_SHELL_QUERY, parseBatchShell } from '../../src/resources/batch-shell.js';

describe('what a batch asks of its shell (BATCH_SHELL_QUERY)', () => {
  it("runs in sh with status 0 and parses to the shell's umask", () => {
    const out = execFileSync('sh', ['-c', `umask 0027; ${BATCH_SHELL_QUERY}`], { encoding: 'utf8' });
    expect(parseBatchShell(out)).toEqual({ umask: '0027', renameUl: out.includes('rename.ul') });
  });

  it.each([
    ['0022\nrename.ul\n', { umask: '0022', renameUl: true }],
    ['022\n', { umask: '0022', renameUl: false }],
    ['  0077\n\n', { umask: '0077', renameUl: false }],
  ])('parses %j', (output, shell) => {
    expect(parseBatchShell(output)).toEqual(shell);
  });

  it.each(['', 'u=rwx,g=rx,o=rx\n', '0028\n', 'welcome to the host\n0022\n', '00222\n'])('gives no shell for %j (the batch then writes in a subshell each)', (output) => {
    expect(parseBatchShell(output)).toBeUndefined();
  });
});
