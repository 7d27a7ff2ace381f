import { execFileSync } from 'node:child_process';
import { BATCH_SHELL_QUERY, parseBatchShell } from '../../src/resources/batch-shell.js';

describe('what a batch asks of its shell (BATCH_SHELL_QUERY)', () => {
  it("runs in sh with status 0 and parses to the shell's umask", () => {
    const out = execFileSync('sh', ['-c', `umask 0027; ${BATCH_SHELL_QUERY}`], { encoding: 'utf8' });
    expect(parseBatchShell(out)).toEqual({ umask: '0027', renameUl: out.includes('rename.ul') });
  });

  it("takes the answer after its own line, not what a login shell printed before it (a .bashrc that echoes)", () => {
    const out = execFileSync('sh', ['-c', `echo 0777; echo rename.ul; umask 0002; ${BATCH_SHELL_QUERY}`], { encoding: 'utf8' });
    expect(parseBatchShell(out)?.umask).toBe('0002');
  });

  it('takes the answer where a login shell printed text without a final newline before it', () => {
    const out = execFileSync('sh', ['-c', `printf 'motd without newline 0777'; umask 0027; ${BATCH_SHELL_QUERY}`], { encoding: 'utf8' });
    expect(parseBatchShell(out)?.umask).toBe('0027');
  });

  const answer = (text: string) => `@@gridops-batch-shell@@\n${text}`;
  it.each([
    [answer('0022\nrename.ul\n'), { umask: '0022', renameUl: true }],
    [answer('022\n'), { umask: '0022', renameUl: false }],
    [answer('  0077\n\n'), { umask: '0077', renameUl: false }],
    [`Welcome!\n0777\n${answer('0027\n')}`, { umask: '0027', renameUl: false }],
    // An rc file's text without its final newline, glued to the answer line.
    [`0777\nno newline here${answer('0027\nrename.ul\n')}`, { umask: '0027', renameUl: true }],
  ])('parses %j', (output, shell) => {
    expect(parseBatchShell(output)).toEqual(shell);
  });

  it.each(['', '0022\nrename.ul\n', answer(''), answer('u=rwx,g=rx,o=rx\n'), answer('0028\n'), answer('welcome to the host\n0022\n'), answer('00222\n')])(
    'gives no shell for %j (the batch then writes in a subshell each)',
    (output) => {
      expect(parseBatchShell(output)).toBeUndefined();
    },
  );
});
