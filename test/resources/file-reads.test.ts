import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readScript, type ReadProbe } from '../../src/engine/read-script.js';
import { RENAME_UL } from '../../src/resources/batch-shell.js';
import { FileReadMismatch, MAX_INLINE_BYTES, parseFileReads } from '../../src/resources/file-reads.js';
import { fileProbe, parseFileState, singleFileProbe } from '../../src/resources/file-state.js';
import { probeSections, splitProbeSections } from '../../src/resources/probe-sections.js';
import { quote } from '../../src/transport/quote.js';

const sh = (script: string, env: NodeJS.ProcessEnv = process.env) => execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
/** The probes' outputs of one read by a real shell; `ownRead`: paths read by a snippet of their own. */
const readOne = (probes: ReadProbe[], ownRead?: ReadonlySet<string>) => {
  const read = readScript(probes, { facts: 'none', ...(ownRead ? { ownRead } : {}) });
  return read.parse(sh(read.script)).outputs;
};

describe('batched file reads, run by a real shell', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gridops-file-reads-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Every kind of path a resource may ask about, with names a shell or a `|`-separated line could trip on.
  const paths: Record<string, string> = {
    missing: join(dir, 'missing'),
    hostile: join(dir, `we'ird $(touch pwned) \`x\` "q" \\ * ?`),
    pipes: join(dir, 'a|b|c|d'),
    spaces: join(dir, '  lead and trail  '),
    dash: join(dir, '-n'),
    text: join(dir, 'text.conf'),
    noNewline: join(dir, 'no-newline'),
    binary: join(dir, 'binary'),
    empty: join(dir, 'empty'),
    large: join(dir, 'large'),
    directory: join(dir, 'a-directory'),
    linkToFile: join(dir, 'link-to-file'),
    linkToDir: join(dir, 'link-to-dir'),
    dangling: join(dir, 'dangling'),
    unicode: join(dir, 'ünïcødé-☃'),
    newline: join(dir, 'new\nline'),
  };
  beforeAll(() => {
    for (const k of ['hostile', 'pipes', 'spaces', 'dash', 'unicode', 'newline']) writeFileSync(paths[k]!, `${k}\n`);
    writeFileSync(paths.text!, 'a=1\nb=2\n');
    chmodSync(paths.text!, 0o640);
    writeFileSync(paths.noNewline!, 'no newline at the end');
    writeFileSync(paths.binary!, Buffer.from([0, 1, 2, 255, 254, 10, 0, 13, 10]));
    writeFileSync(paths.empty!, '');
    writeFileSync(paths.large!, Buffer.alloc(MAX_INLINE_BYTES + 1, 'x'));
    mkdirSync(paths.directory!);
    symlinkSync(paths.text!, paths.linkToFile!);
    symlinkSync(paths.directory!, paths.linkToDir!);
    symlinkSync(join(dir, 'nowhere'), paths.dangling!);
  });

  it('reads every path exactly as a file probe of its own would', () => {
    const names = Object.keys(paths);
    const read = readScript([{ probe: probeSections(...names.map((k) => fileProbe(paths[k]!))), sharesShell: true }], { facts: 'none' });
    const batched = splitProbeSections(read.parse(sh(read.script)).outputs[0]!);
    const single = splitProbeSections(sh(probeSections(...names.map((k) => singleFileProbe(paths[k]!)))));
    expect(Object.fromEntries(names.map((k, i) => [k, parseFileState(batched[i]!)]))).toEqual(Object.fromEntries(names.map((k, i) => [k, parseFileState(single[i]!)])));
    // And what they say is right.
    const state = (k: string) => parseFileState(batched[names.indexOf(k)]!);
    expect(state('missing')).toEqual({ exists: false });
    expect(state('text')).toMatchObject({ type: 'file', mode: '0640', content: Buffer.from('a=1\nb=2\n') });
    expect(state('binary').content).toEqual(readFileSync(paths.binary!));
    expect(state('empty').content).toEqual(Buffer.alloc(0));
    expect(state('large')).toMatchObject({ type: 'file', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(state('large').content).toBeUndefined();
    expect(state('directory')).toMatchObject({ type: 'directory' });
    expect(state('linkToFile')).toMatchObject({ type: 'other', mode: '0777' });
    expect(state('dangling')).toMatchObject({ exists: true, type: 'other' });
    expect(state('hostile').content?.toString()).toBe('hostile\n');
    expect(state('newline').content?.toString()).toBe('newline\n');
    expect(() => readFileSync(join(process.cwd(), 'pwned'))).toThrow();
  });

  /** Runs `read` with stat, od, base64, sha256sum and cat wrapped to log each call; the calls, sorted. */
  const countingPrograms = (run: (env: NodeJS.ProcessEnv) => void): string[] => {
    const bin = mkdtempSync(join(tmpdir(), 'gridops-counting-'));
    try {
      const log = join(bin, 'calls');
      writeFileSync(log, '');
      for (const tool of ['stat', 'od', 'base64', 'sha256sum', 'cat']) {
        const real = execFileSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
        writeFileSync(join(bin, tool), `#!/bin/sh\necho ${tool} >> '${log}'\nexec ${real} "$@"\n`, { mode: 0o755 });
      }
      run({ ...process.env, PATH: `${bin}:${process.env.PATH}` });
      return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).sort();
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  };

  it("runs one stat and one od for all of a host's small files, however many", () => {
    // 20 files of 100 bytes: the shell reads the first SHELL_READ_BYTES of them, od the rest.
    const files = Array.from({ length: 20 }, (_, i) => join(dir, `many-${i}`));
    for (const f of files) writeFileSync(f, `${f.padEnd(99, '.')}\n`);
    const read = readScript(files.map((f) => ({ probe: fileProbe(f), sharesShell: true })), { facts: 'none' });
    const calls = countingPrograms((env) => {
      const outputs = read.parse(sh(read.script, env)).outputs;
      expect(outputs.map((o) => parseFileState(o).content?.toString())).toEqual(files.map((f) => `${f.padEnd(99, '.')}\n`));
    });
    expect(calls).toEqual(['od', 'stat']);
  });

  it('reads small text with the shell alone, byte for byte: no program but stat', () => {
    const texts: Record<string, string> = {
      crlf: 'a=1\r\nb=2\r\n',
      noNewline: 'last line without one',
      onlyNewlines: '\n\n\n',
      backslashes: 'C:\\path\\n \\t \\\\\n',
      spaces: '  lead\ttab  \n\t\n   ',
      shellish: '$(touch pwned) `x` $HOME \'q\' "dq" * ?\n',
      oneByte: 'x',
    };
    const names = Object.keys(texts);
    for (const k of names) writeFileSync(join(dir, `text-${k}`), texts[k]!);
    const read = readScript(names.map((k) => ({ probe: fileProbe(join(dir, `text-${k}`)), sharesShell: true })), { facts: 'none' });
    const calls = countingPrograms((env) => {
      const outputs = read.parse(sh(read.script, env)).outputs;
      expect(Object.fromEntries(names.map((k, i) => [k, parseFileState(outputs[i]!).content?.toString()]))).toEqual(texts);
    });
    expect(calls).toEqual(['stat']);
    expect(() => readFileSync(join(process.cwd(), 'pwned'))).toThrow();
  });

  it('runs no program at all when none of the paths exists (a first run): each is absent, as stat would have said', () => {
    const missing = [join(dir, 'not-yet-1'), join(dir, `not yet '2' $(touch pwned)`), join(dir, 'no-such-dir', 'x')];
    const read = readScript(missing.map((f) => ({ probe: fileProbe(f), sharesShell: true })), { facts: 'none' });
    const calls = countingPrograms((env) => {
      const outputs = read.parse(sh(read.script, env)).outputs;
      expect(outputs.map((o) => parseFileState(o).exists)).toEqual([false, false, false]);
    });
    expect(calls).toEqual([]);
    // A dangling link exists as a link: stat still runs for it (lstat), and it reads as a link.
    const dangling = join(dir, 'dangling-first-run');
    symlinkSync(join(dir, 'nowhere'), dangling);
    const withLink = readScript([...missing, dangling].map((f) => ({ probe: fileProbe(f), sharesShell: true })), { facts: 'none' });
    const linkCalls = countingPrograms((env) => {
      const outputs = withLink.parse(sh(withLink.script, env)).outputs;
      expect(outputs.map((o) => parseFileState(o).exists)).toEqual([false, false, false, true]);
      expect(parseFileState(outputs[3]!).type).toBe('other');
    });
    expect(linkCalls).toEqual(['stat']);
  });

  it('a small file the shell cannot hold (a NUL) is read again with od in the same read', () => {
    const nul = join(dir, 'small-with-nul');
    writeFileSync(nul, Buffer.from('key\0value\n'));
    const read = readScript([{ probe: fileProbe(nul) }, { probe: fileProbe(paths.text!) }], { facts: 'none' });
    const calls = countingPrograms((env) => {
      const [own, text] = read.parse(sh(read.script, env)).outputs;
      expect(parseFileState(own!).content).toEqual(readFileSync(nul));
      expect(parseFileState(text!).content?.toString()).toBe('a=1\nb=2\n');
    });
    expect(calls).toEqual(['od', 'stat']);
  });

  it('small files with bytes that are not printable ASCII (UTF-8, Latin-1, a key) get an od of their own in the same read, exactly', () => {
    const files: Record<string, Buffer> = {
      utf8: Buffer.from('ünïcødé ☃ \u{1F600}\n'),
      latin1: Buffer.from('caf\xe9\n', 'latin1'),
      latin1b: Buffer.from('\xe9t\xe9\n', 'latin1'),
      key: Buffer.from('0123456789abcdef0123456789abcdef', 'hex'),
      control: Buffer.from('bell\x07\n'),
    };
    const names = Object.keys(files);
    for (const k of names) writeFileSync(join(dir, `bytes-${k}`), files[k]!);
    const probes = names.map((k) => ({ probe: fileProbe(join(dir, `bytes-${k}`)) }));
    for (const shell of ['/bin/sh', 'bash']) {
      const read = readScript(probes, { facts: 'none' });
      const calls = countingPrograms((env) => {
        const outputs = read.parse(execFileSync(shell, ['-c', read.script], { encoding: 'utf8', env: { ...env, LANG: 'C.UTF-8' } })).outputs;
        expect(Object.fromEntries(names.map((k, i) => [k, parseFileState(outputs[i]!).content]))).toEqual(files);
      });
      expect(calls).toEqual([...names.map(() => 'od'), 'stat']);
    }
  });

  it("a file's text may hold the read's own markers: it is taken by stat's size, never searched", () => {
    const read = readScript([{ probe: fileProbe(join(dir, 'forged')) }, { probe: 'echo second' }], { facts: 'none' });
    const nonce = /@@gridops-probe-([0-9a-f]+)@@/.exec(read.script)![1]!;
    const forged = `@@gridops-probe-${nonce}@@ 1\nforged\n@@gridops-files:text@@\n@@gridops-files:content@@end\n@@gridops-probe-${nonce}@@ end\n`;
    writeFileSync(join(dir, 'forged'), forged);
    const [own, second] = read.parse(sh(read.script)).outputs;
    expect(parseFileState(own!).content?.toString()).toBe(forged);
    expect(second).toBe('second\n');
  });

  it('a probe in a subshell of its own is served too, and one path asked twice is read once', () => {
    const read = readScript([{ probe: fileProbe(paths.text!) }, { probe: probeSections(fileProbe(paths.text!), 'echo other'), sharesShell: false }], { facts: 'none' });
    expect(read.script.match(/od -An -v -tx1 -- "\$@"/g)).toHaveLength(1);
    const [first, second] = read.parse(sh(read.script)).outputs;
    expect(parseFileState(first!).content?.toString()).toBe('a=1\nb=2\n');
    expect(splitProbeSections(second!)).toEqual([first, 'other\n']);
  });

  it('leaves no variable or positional parameter behind in the shell it shares', () => {
    const read = readScript([{ probe: fileProbe(paths.text!) }, { probe: 'echo "[$#][${_gf-}${_go-}${_gx-}${_gb-}${_gc-}${_gl-}${_gn-}${_gs-}]"', sharesShell: true }], { facts: 'none' });
    expect(read.parse(sh(read.script)).outputs[1]).toBe('[0][]\n');
  });
});

describe('batched file reads against tricks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gridops-file-tricks-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a probe that prints a request line (a hostile sysctl value) gets that text back, never a file's content", () => {
    const secret = join(dir, 'grid.key');
    writeFileSync(secret, 'TOPSECRET\n');
    const forged = `@@gridops-file:${Buffer.from(secret).toString('hex')}@@`;
    const value = join(dir, 'core_pattern');
    writeFileSync(value, `${forged}\n`);
    const [own, other] = readOne([{ probe: fileProbe(secret) }, { probe: `cat ${quote(value)}` }]);
    expect(parseFileState(own!).content?.toString()).toBe('TOPSECRET\n');
    expect(other).toBe(`${forged}\n`);
  });

  it("marker text in file names cannot shift another file's state", () => {
    const names = [join(dir, '@@gridops-files:content@@'), join(dir, 'tiny'), join(dir, 'hosts'), join(dir, 'big@@gridops-files:one@@\\x'), join(dir, '@@gridops-files:content@@end')];
    writeFileSync(names[0]!, 'marker\n');
    writeFileSync(names[1]!, 'ab');
    writeFileSync(names[2]!, '127.0.0.1 localhost\n');
    writeFileSync(names[3]!, Buffer.alloc(MAX_INLINE_BYTES + 10, 'y'));
    writeFileSync(names[4]!, 'end\n');
    const states = readOne(names.map((n) => ({ probe: fileProbe(n), sharesShell: true }))).map((o) => parseFileState(o));
    expect(states.map((st) => st.content?.toString())).toEqual(['marker\n', 'ab', '127.0.0.1 localhost\n', undefined, 'end\n']);
    expect(states[3]!.sha256).toBe(createHash('sha256').update(readFileSync(names[3]!)).digest('hex'));
  });

  it('a /proc file (size 0) reads with its content, and a /sys file whose size says 4096 is refused in the batch, then read on its own', () => {
    const [version] = readOne([{ probe: fileProbe('/proc/version') }]);
    expect(parseFileState(version!).content?.toString()).toBe(readFileSync('/proc/version', 'utf8'));
    const sysfs = ['/sys/kernel/mm/transparent_hugepage/enabled', '/sys/module/printk/parameters/time', '/sys/kernel/profiling'].find((f) => existsSync(f));
    // One of them is on every Linux this runs on (CI and the lab machines): skipping would let the case pass untested.
    expect(sysfs).toBeDefined();
    const probes = [{ probe: fileProbe(sysfs!) }, { probe: fileProbe(join(dir, 'tiny')) }];
    const read = readScript(probes, { facts: 'none' });
    let mismatch: unknown;
    try {
      read.parse(sh(read.script));
    } catch (err) {
      mismatch = err;
    }
    expect(mismatch).toBeInstanceOf(FileReadMismatch);
    // The tiny file was read by the shell: only the od batch's files are read again.
    expect((mismatch as FileReadMismatch).paths).toEqual([sysfs!]);
    const again = readOne(probes, new Set((mismatch as FileReadMismatch).paths));
    expect(again.map((o) => parseFileState(o).content?.toString())).toEqual([readFileSync(sysfs!, 'utf8'), 'ab']);
  });

  it('a file stat says is too big is hashed from its content, whatever its name', () => {
    const big = join(dir, 'back\\slash big');
    writeFileSync(big, Buffer.alloc(MAX_INLINE_BYTES + 1, 'z'));
    const [out] = readOne([{ probe: fileProbe(big) }]);
    expect(parseFileState(out!).sha256).toBe(createHash('sha256').update(readFileSync(big)).digest('hex'));
    expect(parseFileState(sh(singleFileProbe(big))).sha256).toBe(parseFileState(out!).sha256);
  });

  it("gives the shell's umask, which a batch held in the same session starts with, apart from the facts", () => {
    const read = readScript([{ probe: fileProbe(join(dir, 'tiny')) }], { facts: 'agent' });
    for (const umask of ['0027', '0002', '0777']) {
      const out = read.parse(sh(`umask ${umask}\n${read.script}`));
      expect(out.shell).toEqual({ umask, renameUl: existsSync(RENAME_UL) });
      expect(out.factsOutput).not.toContain('umask');
      expect(out.factsOutput).toContain('@@gridops-facts:agent@@');
    }
    // Output from an older read, without the umask's section: no umask, the facts as they were.
    const old = sh(read.script).replace(/^@@gridops-probe-[0-9a-f]+@@ umask\n@@gridops-batch-shell@@\n[0-7]+\n(?:rename\.ul\n)?/m, '');
    expect(read.parse(old).shell).toBeUndefined();
    // A host without rename.ul: its batch's writes get mv each.
    expect(read.parse(sh(read.script.replace('[ -x /usr/bin/rename.ul ]', '[ -x /nonexistent/rename.ul ]'))).shell).toEqual({ umask: '0022', renameUl: false });
    expect(read.parse(old).factsOutput).toContain('@@gridops-facts:agent@@');
    expect(read.parse(old).factsOutput).not.toContain('rename.ul');
  });

  it("stat's file types are read in the C locale, whatever the host's language", () => {
    const read = readScript([{ probe: fileProbe(join(dir, 'tiny')) }], { facts: 'none' });
    expect(read.script.split('\n')[0]).toMatch(/LC_ALL=C; export LC_ALL$/);
    // ...and gives the host's own back at its end (a held read's batch runs in its session after it).
    const after = (env: NodeJS.ProcessEnv) => execFileSync('/bin/sh', ['-c', `${read.script}\necho "[\${LC_ALL-unset}]"; echo "[\${_gr_lc-}\${_gr_set-}]"`], { encoding: 'utf8', env }).split('\n').slice(-3, -1);
    expect(after({ PATH: process.env.PATH, LC_ALL: 'de_DE.UTF-8' })).toEqual(['[de_DE.UTF-8]', '[]']);
    expect(after({ PATH: process.env.PATH })).toEqual(['[unset]', '[]']);
  });
});

describe('parseFileReads', () => {
  const out = (stats: string, od: string) => `${stats}\n@@gridops-files:content@@\n${od}@@gridops-files:content@@end\n`;

  it('refuses content that does not add up to the sizes stat gave, naming the files to read again', () => {
    expect(() => parseFileReads(out('4|regular file|644|root|root|/a', ' 61 62 63\n'), ['/a'])).toThrow(FileReadMismatch);
    expect(() => parseFileReads(out('4|regular file|644|root|root|/a', ' 61 62 63\n'), ['/a'])).toThrow(/did not add up \(3 bytes for 4\): \/a/);
    expect(parseFileState(parseFileReads(out('3|regular file|644|root|root|/a', ' 61 62 63\n'), ['/a']).states.get('/a')!).content?.toString()).toBe('abc');
    expect(() => parseFileReads(out('3|regular file|644|root|root|/a', ' 61 62 zz\n'), ['/a'])).toThrow(/unexpected output/);
  });

  it('refuses text the shell read that is not UTF-8, or not the size stat gave, naming the files to read again', () => {
    const text = (stats: string, body: Buffer) => Buffer.concat([Buffer.from(`${stats}\n@@gridops-files:content@@\n@@gridops-files:text@@\n/a\n`), body, Buffer.from('\n@@gridops-files:content@@end\n')]).toString('utf8');
    expect(parseFileReads(text('3|regular file|644|root|root|/a', Buffer.from('abc')), ['/a']).states.get('/a')).toBe(`regular file|644|root|root|3\n${Buffer.from('abc').toString('base64')}\n`);
    // Bytes that are not UTF-8 come back as U+FFFD, whatever their length: the same size, or not.
    for (const bad of [Buffer.from([0x61, 0xf0, 0x9f, 0x98]), Buffer.from([0xff, 0x0a, 0x78, 0x78]), Buffer.from([0x61, 0x62, 0x0a, 0xff])]) {
      expect(() => parseFileReads(text('4|regular file|644|root|root|/a', bad), ['/a'])).toThrow(FileReadMismatch);
    }
    expect(() => parseFileReads(text('4|regular file|644|root|root|/a', Buffer.from('abc')), ['/a'])).toThrow(FileReadMismatch);
  });

  it('a small file that could not be read after stat (deleted, replaced) is read again on its own; a large one is an error', () => {
    const one = (stats: string, name: string) => `${stats}\n@@gridops-files:content@@\n@@gridops-files:one@@\n${name}\n@@gridops-files:unreadable@@\n@@gridops-files:content@@end\n`;
    expect(() => parseFileReads(one('4|regular file|644|root|root|/a', '/a'), ['/a'])).toThrow(FileReadMismatch);
    expect(() => parseFileReads(one(`${MAX_INLINE_BYTES + 1}|regular file|644|root|root|/big`, '/big'), ['/big'])).toThrow(/cannot read \/big/);
  });

  it('says a path stat did not print is absent, and refuses output that stopped early', () => {
    expect(parseFileReads(out('', ''), ['/nope']).states.get('/nope')).toBe('absent\n');
    expect(() => parseFileReads('3|regular file|644|root|root|/a\n', ['/a'])).toThrow(/did not finish/);
  });
});
