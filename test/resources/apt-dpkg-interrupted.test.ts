import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aptInstall } from '../../src/resources/step-recorder.js';
import { LocalTransport } from '../../src/transport/local-transport.js';
import { quote } from '../../src/transport/quote.js';

const dir = mkdtempSync(join(tmpdir(), 'gridops-dpkg-interrupted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const local = new LocalTransport('local');

/** apt's words (apt 2.6) when dpkg's journal (/var/lib/dpkg/updates/) is not empty: it refuses everything, exit 100. */
const INTERRUPTED = "E: dpkg was interrupted, you must manually run 'dpkg --configure -a' to correct the problem. ";
const REPAIR_SAID = 'apt-get install: dpkg was interrupted earlier; finishing it with dpkg --configure -a';

interface Host {
  path: string;
  aptCalls: () => string[];
  dpkgCalls: () => string[];
  repaired: () => boolean;
}

/**
 * A host whose dpkg was interrupted: a fake `apt-get` that refuses as apt does until the journal
 * is replayed (a marker file), and a fake `dpkg` whose `--configure -a` replays it, or fails as a
 * maintainer script's failure makes it fail (`repair: 'fails'`), or first meets the lock another
 * dpkg holds for `lockedCalls` calls.
 */
function interruptedHost(name: string, options: { repair: 'works' | 'fails'; lockedCalls?: number }): Host {
  const bin = mkdtempSync(join(dir, `${name}-`));
  const aptLog = join(bin, 'apt-calls');
  const dpkgLog = join(bin, 'dpkg-calls');
  const journalReplayed = join(bin, 'journal-replayed');
  writeFileSync(aptLog, '');
  writeFileSync(dpkgLog, '');
  writeFileSync(
    join(bin, 'apt-get'),
    [
      '#!/bin/sh',
      `echo "$*" >> ${quote(aptLog)}`,
      `if [ ! -e ${quote(journalReplayed)} ]; then echo ${quote(INTERRUPTED)} >&2; exit 100; fi`,
      'echo installed',
    ].join('\n'),
  );
  writeFileSync(
    join(bin, 'dpkg'),
    [
      '#!/bin/sh',
      `echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND LC_ALL=$LC_ALL $*" >> ${quote(dpkgLog)}`,
      `n=$(wc -l < ${quote(dpkgLog)})`,
      `if [ "$n" -le ${options.lockedCalls ?? 0} ]; then echo 'dpkg: error: dpkg frontend lock was locked by another process with pid 812' >&2; echo 'Note: removing the lock file is always wrong, can damage the locked area' >&2; exit 2; fi`,
      options.repair === 'works'
        ? `echo 'Setting up hello (2.10-3) ...'; touch ${quote(journalReplayed)}`
        : [
            "echo 'Setting up hello (2.10-3) ...'",
            "echo 'dpkg: error processing package hello (--configure):' >&2",
            "echo ' installed hello package post-installation script subprocess returned error exit status 1' >&2",
            "echo 'Errors were encountered while processing:' >&2",
            "echo ' hello' >&2",
            'exit 1',
          ].join('\n'),
    ].join('\n'),
  );
  chmodSync(join(bin, 'apt-get'), 0o755);
  chmodSync(join(bin, 'dpkg'), 0o755);
  const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
  return { path: `${bin}:${process.env.PATH}`, aptCalls: () => lines(aptLog), dpkgCalls: () => lines(dpkgLog), repaired: () => existsSync(journalReplayed) };
}

async function install(host: Host, packages: string[]) {
  return local.exec(`PATH=${quote(host.path)}; export PATH\n${aptInstall(packages, { totalS: 6, pauseS: 1 })}`, { timeoutMs: 30_000 });
}

const INSTALL_ARGS = '-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold install -y -q --no-install-recommends hello';

describe('apt-get install after an interrupted dpkg (Ctrl-C, a lost connection, a reboot): finishes the work as apt advises, once', () => {
  it('runs dpkg --configure -a once (noninteractive, keeping changed conffiles), says so, and installs', async () => {
    const host = interruptedHost('repairs', { repair: 'works' });
    const result = await install(host, ['hello']);
    expect(result.code).toBe(0);
    expect(host.dpkgCalls()).toEqual(['DEBIAN_FRONTEND=noninteractive LC_ALL=C --force-confdef --force-confold --configure -a']);
    expect(host.aptCalls()).toEqual([INSTALL_ARGS, INSTALL_ARGS]);
    expect(result.stderr).toContain(`${REPAIR_SAID}\n`);
    expect(result.stderr.split('\n').filter((l) => l === REPAIR_SAID)).toHaveLength(1);
    expect(result.stdout).toBe('Setting up hello (2.10-3) ...\ninstalled\n');
  });

  it('a repair that fails fails the step with apt\'s and dpkg\'s messages and what to run by hand; the install is not tried again', async () => {
    const host = interruptedHost('fails', { repair: 'fails' });
    const result = await install(host, ['hello']);
    expect(result.code).toBe(1);
    expect(host.aptCalls()).toEqual([INSTALL_ARGS]);
    expect(host.dpkgCalls()).toHaveLength(1);
    expect(result.stderr).toContain(INTERRUPTED.trim());
    expect(result.stderr).toContain(' installed hello package post-installation script subprocess returned error exit status 1');
    const last = result.stderr.trim().split('\n').pop();
    expect(last).toBe('apt-get install: dpkg --configure -a, run to finish what an interrupted dpkg left, failed (exit 1); run dpkg --configure -a on the host, fix what it reports (apt-get -f install when it names missing dependencies), then apply again');
  });

  it('a dpkg lock another dpkg holds is waited for, within the same wait as apt\'s', async () => {
    const host = interruptedHost('locked', { repair: 'works', lockedCalls: 2 });
    const result = await install(host, ['hello']);
    expect(result.code).toBe(0);
    expect(host.dpkgCalls()).toHaveLength(3);
    expect(host.aptCalls()).toHaveLength(2);
    expect(result.stderr).toContain('dpkg --configure -a: waiting for the dpkg lock (up to 6 s): dpkg: error: dpkg frontend lock was locked by another process with pid 812');
  });

  it('an install that works at once runs no dpkg', async () => {
    const host = interruptedHost('clean', { repair: 'works' });
    writeFileSync(join(host.path.split(':')[0]!, 'journal-replayed'), '');
    const result = await install(host, ['hello']);
    expect(result.code).toBe(0);
    expect(host.dpkgCalls()).toEqual([]);
    expect(result.stderr).toBe('');
  });
});
