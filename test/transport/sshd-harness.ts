/**
 * Starts throwaway OpenSSH servers on 127.0.0.1 for the transport e2e tests: a temp host key, a
 * temp client key in a temp authorized_keys, a private config, no PAM. Killed by PID.
 * `SetEnv SHLVL=1` keeps bash from sourcing root's ~/.bashrc on exec (bash reads it when it sees
 * SSH_CLIENT and a shell level below 2), so the dev machine's rc files stay out of the numbers.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const SSHD = '/usr/sbin/sshd';

export interface KeyPair {
  file: string;
  pub: string;
  blob: Buffer;
}

export function makeKey(file: string, type = 'ed25519'): KeyPair {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'gridops-e2e', '-f', file]);
  const pub = readFileSync(`${file}.pub`, 'utf8').trim();
  return { file, pub, blob: Buffer.from(pub.split(' ')[1]!, 'base64') };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitForBanner(port: number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection({ host: '127.0.0.1', port });
      c.once('data', (d) => {
        c.destroy();
        resolve(d.toString().startsWith('SSH-2.0'));
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`sshd on port ${port} did not answer within ${deadlineMs} ms`);
}

export interface Sshd {
  port: number;
  pid: number;
  /** What sshd printed so far (-e sends its log to stderr). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts `sshd -D -e -f CONFIG` in `dir` with the given host key and authorized_keys file. */
export async function startSshd(dir: string, name: string, hostKey: KeyPair, authorizedKeys: string, extra: string[] = []): Promise<Sshd> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir sshd insists on
  const port = await freePort();
  const config = join(dir, `${name}.sshd_config`);
  writeFileSync(
    config,
    [
      ...extra, // sshd keeps the first value it reads, so extras go first to win
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey.file}`,
      `PidFile ${join(dir, `${name}.pid`)}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'AllowTcpForwarding yes',
      'MaxStartups 200',
      'MaxSessions 50',
      'PrintMotd no',
      'SetEnv SHLVL=1',
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    await waitForBanner(port, 5000);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}: ${stderr}`);
  }
  const pid = child.pid!;
  return {
    port,
    pid,
    log: () => stderr,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        process.kill(pid, 'SIGTERM');
        setTimeout(() => {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
          resolve();
        }, 2000).unref();
      }),
  };
}

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(d, 0o755); // the non-root test user must reach authorized_keys
  return d;
}
