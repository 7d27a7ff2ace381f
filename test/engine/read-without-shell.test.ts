import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readScript } from '../../src/engine/read-script.js';
import { readWithoutShell } from '../../src/engine/read-without-shell.js';
import { parseFacts } from '../../src/facts/gather.js';
import { AbsentPathsResource } from '../../src/resources/absent-paths.js';
import { existsTest, NAME_FILES, presentLoop } from '../../src/resources/file-queries.js';
import { MAX_INLINE_BYTES } from '../../src/resources/file-reads.js';
import { fileProbe } from '../../src/resources/file-state.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { quote } from '../../src/transport/quote.js';
import type { FileAnswer, FileQuery, Transport } from '../../src/transport/transport.js';

/**
 * A read without a shell must print exactly what the shell read prints, for every kind of path a
 * probe may ask about; where it cannot, it must say so (undefined) rather than guess. Both reads
 * run here against this machine's own files: the shell read by a real sh, the other by
 * LocalTransport.queryFiles (the file system calls an SFTP server makes).
 */
const root = process.getuid?.() === 0;
const dir = mkdtempSync(join(tmpdir(), 'gridops-read-without-shell-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const local = new LocalTransport('local');
const sh = (script: string) => execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

/** Both reads of the same probes, with the agent's version as the facts. */
async function bothReads(probes: string[], transport: Transport = local) {
  const read = readScript(probes.map((probe) => ({ probe, sharesShell: true })), { facts: 'agent' });
  const shell = read.parse(sh(read.script));
  const served = await readWithoutShell(transport, probes, { become: false, timeoutMs: 10_000 });
  return { shell: { facts: parseFacts(shell.factsOutput), outputs: shell.outputs }, served };
}

const paths: Record<string, string> = {
  missing: join(dir, 'missing'),
  hostile: join(dir, `we'ird $(touch pwned) \`x\` "q" \\ * ?`),
  pipes: join(dir, 'a|b|c|d'),
  text: join(dir, 'text.conf'),
  noNewline: join(dir, 'no-newline'),
  binary: join(dir, 'binary'),
  notUtf8: join(dir, 'latin1'),
  empty: join(dir, 'empty'),
  setuid: join(dir, 'setuid'),
  directory: join(dir, 'a-directory'),
  linkToFile: join(dir, 'link-to-file'),
  dangling: join(dir, 'dangling'),
  fifo: join(dir, 'fifo'),
  unicode: join(dir, 'ünïcødé-☃'),
  procFile: '/proc/sys/kernel/ostype',
};
beforeAll(() => {
  for (const k of ['hostile', 'pipes', 'unicode']) writeFileSync(paths[k]!, `${k}\n`);
  writeFileSync(paths.text!, 'a=1\nb=2\n');
  chmodSync(paths.text!, 0o640);
  writeFileSync(paths.noNewline!, 'no newline at the end');
  writeFileSync(paths.binary!, Buffer.from([0, 1, 2, 255, 254, 10, 0, 13, 10]));
  writeFileSync(paths.notUtf8!, Buffer.from('caf\xe9\n', 'latin1'));
  writeFileSync(paths.empty!, '');
  writeFileSync(paths.setuid!, '#!/bin/sh\n');
  chmodSync(paths.setuid!, 0o4755);
  mkdirSync(paths.directory!);
  symlinkSync(paths.text!, paths.linkToFile!);
  symlinkSync(join(dir, 'nowhere'), paths.dangling!);
  execFileSync('mkfifo', [paths.fifo!]);
});

describe('a read without a shell', () => {
  it('prints for every kind of path what the shell read prints, and finds the same agent', async () => {
    const probes = Object.values(paths).map((p) => fileProbe(p));
    const { shell, served } = await bothReads(probes);
    expect(served).toBeDefined();
    expect(served!.outputs).toEqual(shell.outputs);
    expect(served!.facts).toEqual(shell.facts);
    // The outputs say something: a file's content, a missing path, a FIFO's type (never opened).
    expect(served!.outputs[Object.keys(paths).indexOf('text')]).toMatch(/^regular file\|640\|\w+\|\w+\|8\n/);
    expect(served!.outputs[0]).toBe('absent\n');
    expect(served!.outputs[Object.keys(paths).indexOf('fifo')]).toMatch(/^fifo\|/);
  });

  it('prints `-` for the owner and group of a probe that asks without them, as the shell read does, and then reads no name files', async () => {
    const without = Object.values(paths).map((p) => fileProbe(p, { owners: false }));
    const { shell, served } = await bothReads(without);
    expect(served).toBeDefined();
    expect(served!.outputs).toEqual(shell.outputs);
    expect(served!.outputs[Object.keys(paths).indexOf('text')]).toBe(`regular file|640|-|-|8\n${Buffer.from('a=1\nb=2\n').toString('base64')}\n`);
    expect(served!.outputs[Object.keys(paths).indexOf('directory')]).toMatch(/^directory\|\d+\|-\|-\|\d+\n$/);
    expect(served!.outputs[0]).toBe('absent\n');
    // The same files with their owners: the same text but for the names.
    const withOwners = (await bothReads(Object.values(paths).map((p) => fileProbe(p)))).served!.outputs;
    expect(served!.outputs).toEqual(withOwners.map((o) => o.replace(/^([^|\n]*\|[^|]*)\|[^|]*\|[^|]*\|/, '$1|-|-|')));
    // Asked: no name file where no probe wants an owner; all three as soon as one does, and that one gets the names.
    const asked: string[][] = [];
    const spy = { ...local, name: 'spy', queryFiles: (q: readonly FileQuery[], o: { become?: boolean; timeoutMs: number }) => (asked.push(q.map((x) => x.path)), local.queryFiles(q, o)) } as unknown as Transport;
    const mixed = await readWithoutShell(spy, [fileProbe(paths.text!, { owners: false }), fileProbe(paths.text!)], { become: false, timeoutMs: 10_000 });
    await readWithoutShell(spy, [fileProbe(paths.text!, { owners: false })], { become: false, timeoutMs: 10_000 });
    expect(asked[0]).toEqual(expect.arrayContaining([...NAME_FILES]));
    expect(asked[1]!.filter((p) => (NAME_FILES as readonly string[]).includes(p))).toEqual([]);
    expect(mixed!.outputs[0]).toMatch(/^regular file\|640\|-\|-\|8\n/);
    expect(mixed!.outputs[1]).toMatch(/^regular file\|640\|[^-|][^|]*\|[^-|][^|]*\|8\n/);
  });

  it('serves the same path asked with and without owners in one shell read, batched or by its own snippet, as the read without a shell does', async () => {
    const mixed = [fileProbe(paths.text!, { owners: false }), fileProbe(paths.text!), fileProbe(paths.directory!, { owners: false })];
    const { shell, served } = await bothReads(mixed);
    expect(served!.outputs).toEqual(shell.outputs);
    // A path read by a snippet of its own (after a batch that did not add up) keeps each request's choice.
    const own = readScript(mixed.map((probe) => ({ probe, sharesShell: true })), { facts: 'agent', ownRead: new Set([paths.text!]) });
    expect(own.parse(sh(own.script)).outputs).toEqual(shell.outputs);
    expect(shell.outputs[0]).toMatch(/^regular file\|640\|-\|-\|8\n/);
    expect(shell.outputs[1]).toMatch(/^regular file\|640\|[^-|][^|]*\|[^-|][^|]*\|8\n/);
  });

  it('reads a path with a newline, which has a snippet of its own, without owners too', () => {
    const odd = join(dir, 'new\nline');
    writeFileSync(odd, 'x');
    const read = readScript([{ probe: fileProbe(odd, { owners: false }), sharesShell: true }, { probe: fileProbe(odd), sharesShell: true }], { facts: 'agent' });
    const { outputs } = read.parse(sh(read.script));
    expect(outputs[0]).toBe(`regular file|644|-|-|1\n${Buffer.from('x').toString('base64')}\n`);
    expect(outputs[1]).toMatch(/^regular file\|644\|[^-|][^|]*\|[^-|][^|]*\|1\n/);
  });

  it('serves existence tests as [ -e ] answers them (links followed), and several lines of one probe in order', async () => {
    const probes = [
      existsTest(paths.text!, 'creates-exists'),
      existsTest(paths.missing!, 'creates-exists'),
      existsTest(paths.dangling!, 'creates-exists'),
      existsTest(paths.hostile!, 'hostile-exists'),
      [existsTest(paths.linkToFile!, 'first'), fileProbe(paths.text!), existsTest(paths.directory!, 'last')].join('\n'),
      'true',
    ];
    const { shell, served } = await bothReads(probes);
    expect(served!.outputs).toEqual(shell.outputs);
    expect(served!.outputs.slice(0, 4)).toEqual(['creates-exists\n', '', '', 'hostile-exists\n']);
    expect(served!.outputs[4]).toMatch(/^first\nregular file\|640\|.*\nlast\n$/s);
    expect(served!.outputs[5]).toBe('');
  });

  it("serves absent-paths' test of a literal path as [ -e ] || [ -L ] answers it (a dangling link is there), and leaves a pattern to the shell", async () => {
    // A `*` is absent-paths' wildcard: the hostile name without it.
    const literal = [...Object.values(paths).filter((p) => p.startsWith(dir) && !p.includes('*')), paths.hostile!.replace('*', '')];
    writeFileSync(literal.at(-1)!, 'x');
    const probes = [...literal.map((p) => new AbsentPathsResource([p]).probe()), new AbsentPathsResource([paths.dangling!, paths.missing!, paths.text!]).probe()];
    const { shell, served } = await bothReads(probes);
    expect(served).toBeDefined();
    expect(served!.outputs).toEqual(shell.outputs);
    expect(served!.outputs[literal.indexOf(paths.dangling!)]).toBe(`${paths.dangling}\n`);
    expect(served!.outputs[literal.indexOf(paths.missing!)]).toBe('');
    expect(served!.outputs.at(-1)).toBe(`${paths.dangling}\n${paths.text}\n`);
    expect(await readWithoutShell(local, [new AbsentPathsResource([join(dir, '*.conf')]).probe()], { become: false, timeoutMs: 10_000 })).toBeUndefined();
    expect(await readWithoutShell(local, [presentLoop(`${quote(paths.text!)} ${quote(paths.empty!)}`)], { become: false, timeoutMs: 10_000 })).toBeUndefined();
  });

  it('reads the agent version from its VERSION file as the shell does', async () => {
    const version = '/opt/gridops/agent/VERSION';
    const answers = new Map<string, FileAnswer>([[version, { lstat: { mode: 0o100644, uid: 0, gid: 0, size: 13 }, content: Buffer.from('  0.1.0 \r\nx\n') }]]);
    const served = await readWithoutShell(fake(answers), [], { become: false, timeoutMs: 1000 });
    expect(served?.facts.agentVersion).toBe('0.1.0');
    expect(parseFacts(`\n@@gridops-facts:scope@@\nagent-only\n@@gridops-facts:agent@@\n0.1.0 \r\n@@gridops-facts:end@@\n`).agentVersion).toBe('0.1.0');
    // dash's echo reads a backslash's escapes, and a first line longer than was read is cut: the shell's.
    for (const content of ['0.1\\c.0\n', 'x'.repeat(4097)]) {
      const odd = new Map<string, FileAnswer>([[version, { lstat: { mode: 0o100644, uid: 0, gid: 0, size: content.length }, content: Buffer.from(content) }]]);
      expect(await readWithoutShell(fake(odd), [], { become: false, timeoutMs: 1000 })).toBeUndefined();
    }
  });

  it('leaves to the shell what it cannot answer exactly', async () => {
    const large = join(dir, 'large');
    writeFileSync(large, Buffer.alloc(MAX_INLINE_BYTES + 1, 'x'));
    // A larger file's hash, a newline in a path, a probe that runs a program, a probe with another test.
    for (const probes of [[fileProbe(large)], [fileProbe(join(dir, 'new\nline'))], ['grep -q x /etc/hostname && echo y'], [`if [ -f ${paths.text} ]; then echo f; fi`]]) {
      expect(await readWithoutShell(local, probes, { become: false, timeoutMs: 10_000 })).toBeUndefined();
    }
    // Paths whose answer depends on who asks (sftp-server is not the shell), and relative ones.
    for (const path of ['/proc/self/status', '/proc/thread-self', '/dev/fd/0', '/dev/stdin', 'relative/path']) {
      expect(await readWithoutShell(local, [fileProbe(path)], { become: false, timeoutMs: 10_000 })).toBeUndefined();
      expect(await readWithoutShell(local, [existsTest(path, 'there')], { become: false, timeoutMs: 10_000 })).toBeUndefined();
    }
    // A transport without it, or one that cannot read as the caller needs (become as another user).
    expect(await readWithoutShell({ ...local, queryFiles: undefined } as unknown as Transport, [fileProbe(paths.text!)], { become: false, timeoutMs: 1000 })).toBeUndefined();
    expect(await readWithoutShell(fake(new Map(), true), [fileProbe(paths.text!)], { become: true, timeoutMs: 1000 })).toBeUndefined();
  });

  (root ? it : it.skip)('leaves to the shell an owner the host files do not name (stat would print a number or another source\'s name)', async () => {
    const orphan = join(dir, 'orphan');
    writeFileSync(orphan, 'x');
    chownSync(orphan, 54321, 54321);
    expect(await readWithoutShell(local, [fileProbe(orphan)], { become: false, timeoutMs: 10_000 })).toBeUndefined();
  });

  (root ? it : it.skip)('serves a file whose owner the host files do not name when the probe asks without owners', async () => {
    const orphan = join(dir, 'orphan-without-owners');
    writeFileSync(orphan, 'x');
    chownSync(orphan, 54322, 54322);
    const probes = [fileProbe(orphan, { owners: false })];
    const { shell, served } = await bothReads(probes);
    expect(served!.outputs).toEqual(shell.outputs);
    expect(served!.outputs[0]).toMatch(/^regular file\|\d+\|-\|-\|1\n/);
  });

  it('leaves to the shell a server that will not stat the root directory (it would call every path missing)', async () => {
    const refusing = new Map<string, FileAnswer>([['/', { lstat: null, stat: null }]]);
    expect(await readWithoutShell(fake(refusing), [existsTest(paths.text!, 'there')], { become: false, timeoutMs: 1000 })).toBeUndefined();
  });

  it('leaves to the shell a host whose name service does not read the files first, or with NIS lines', async () => {
    const base = async (names: Record<string, string>) => {
      const answers = new Map<string, FileAnswer>([
        [paths.text!, { lstat: { mode: 0o100644, uid: 0, gid: 0, size: 2 }, content: Buffer.from('x\n') }],
        ['/opt/gridops/agent/VERSION', { lstat: null }],
        ...['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/games'].map((d): [string, FileAnswer] => [`${d}/gridagent`, { stat: null }]),
        ...Object.entries(names).map(([path, text]): [string, FileAnswer] => [path, { content: Buffer.from(text) }]),
      ]);
      return readWithoutShell(fake(answers), [fileProbe(paths.text!)], { become: false, timeoutMs: 1000 });
    };
    const files = { '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n', '/etc/group': 'root:x:0:\n', '/etc/nsswitch.conf': 'passwd: files systemd\ngroup: files systemd\n' };
    expect((await base(files))?.outputs).toEqual(['regular file|644|root|root|2\neAo=\n']);
    expect(await base({ ...files, '/etc/nsswitch.conf': 'passwd: sss files\ngroup: files\n' })).toBeUndefined();
    expect(await base({ ...files, '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n+::::::\n' })).toBeUndefined();
    expect(await base({ ...files, '/etc/nsswitch.conf': '' })).toBeUndefined();
    expect(await base({ ...files, '/etc/passwd': '# users\nroot:x:0:0:root:/root:/bin/sh\n' })).toBeUndefined();
    expect(await base({ ...files, '/etc/group': 'root:x::\n' })).toBeUndefined();
    // A gridagent program without a VERSION file: only the shell can ask it its version.
    const withProgram = new Map<string, FileAnswer>([['/opt/gridops/agent/VERSION', { lstat: null }], ['/usr/bin/gridagent', { stat: { mode: 0o100755, uid: 0, gid: 0, size: 10 } }]]);
    expect(await readWithoutShell(fake(withProgram), [], { become: false, timeoutMs: 1000 })).toBeUndefined();
  });

  it('asks for everything in one call, each path once', async () => {
    const calls: FileQuery[][] = [];
    const spy = { ...local, name: 'spy', queryFiles: (q: readonly FileQuery[], o: { become?: boolean; timeoutMs: number }) => (calls.push([...q]), local.queryFiles(q, o)) } as unknown as Transport;
    await readWithoutShell(spy, [fileProbe(paths.text!), existsTest(paths.text!, 'there'), fileProbe(paths.text!)], { become: false, timeoutMs: 10_000 });
    expect(calls).toHaveLength(1);
    const asked = calls[0]!.map((q) => q.path);
    expect(new Set(asked).size).toBe(asked.length);
    expect(calls[0]!.find((q) => q.path === paths.text)).toEqual({ path: paths.text, lstat: true, stat: true, read: MAX_INLINE_BYTES });
  });
});

/** A transport whose queryFiles answers from `answers` (a path not in it: an answer of null for what was asked). */
function fake(answers: ReadonlyMap<string, FileAnswer>, refuseBecome = false): Transport {
  return {
    name: 'fake',
    exec: () => Promise.reject(new Error('no shell here')),
    upload: () => Promise.reject(new Error('no upload here')),
    read: () => Promise.reject(new Error('no read here')),
    close: () => Promise.resolve(),
    queryFiles: async (queries, options) => {
      if (refuseBecome && options.become) return undefined;
      const root = { mode: 0o40755, uid: 0, gid: 0, size: 4096 };
      return new Map(queries.map((q) => [q.path, answers.get(q.path) ?? (q.path === '/' ? { lstat: root, stat: root } : { ...(q.lstat && { lstat: null }), ...(q.stat && { stat: null }) })]));
    },
  };
}
