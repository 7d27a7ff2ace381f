import { execFileSync } from 'node:child_process';
import { BecomeHandshake, BecomePassword, BECOME_PASSWORD_ENV, planBecome, redact } from '../../src/transport/become.js';

const SECRET = `pa$$ 'w"ord\`$(reboot)`;
const cmd = `printf '%s\\n' "it's" > /etc/x`;

describe('planBecome', () => {
  it('is a no-op for root and without become', () => {
    expect(planBecome(cmd, { user: 'root', become: true, withPassword: true, token: 't' })).toEqual({ command: cmd });
    expect(planBecome(cmd, { user: 'deploy', become: false, withPassword: true, token: 't' })).toEqual({ command: cmd });
  });

  it('uses sudo -S with a marker prompt when a password is configured, and never puts the password in the command', () => {
    const p = planBecome(cmd, { user: 'deploy', become: true, withPassword: true, token: 'abc123' });
    expect(p.command.startsWith("sudo -S -p '[gridops-sudo-abc123]' -- sh -c ")).toBe(true);
    expect(p.handshake).toEqual({ prompt: '[gridops-sudo-abc123]', ready: 'gridops-become-ready-abc123' });
    expect(p.command).not.toContain(SECRET);
  });

  it('uses sudo -n without a password', () => {
    const p = planBecome(cmd, { user: 'deploy', become: true, withPassword: false, token: 'abc' });
    expect(p.command.startsWith('sudo -n -- sh -c ')).toBe(true);
    expect(p.handshake?.prompt).toBeNull();
  });

  it('the wrapped script prints READY then runs the command unchanged (checked with a stand-in sudo)', () => {
    const p = planBecome(`printf '%s' "$(echo 'a b')" ; echo "$HOME" >/dev/null`, { user: 'deploy', become: true, withPassword: false, token: 'tok' });
    // Replace `sudo -n --` by nothing: what is left is what sudo would run as root.
    const inner = p.command.replace(/^sudo -n -- /, '');
    const out = execFileSync('/bin/sh', ['-c', inner], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    expect(out).toBe('a b');
  });
});

describe('BecomeHandshake', () => {
  const marks = { prompt: '[gridops-sudo-x]', ready: 'gridops-become-ready-x' };

  it('finds prompts and READY split across chunks, and passes the command stderr through', () => {
    const h = new BecomeHandshake(marks);
    expect(h.feed('[gridops-su')).toEqual({ newPrompts: 0, passthrough: '' });
    expect(h.feed('do-x]')).toEqual({ newPrompts: 1, passthrough: '' });
    expect(h.feed('gridops-become-rea')).toEqual({ newPrompts: 0, passthrough: '' });
    expect(h.feed('dy-x\nwarn: from the command\n')).toEqual({ newPrompts: 0, passthrough: 'warn: from the command\n' });
    expect(h.started).toBe(true);
    expect(h.feed('[gridops-sudo-x] more')).toEqual({ newPrompts: 0, passthrough: '[gridops-sudo-x] more' });
  });

  it('counts a second prompt (wrong password) and keeps what sudo said', () => {
    const h = new BecomeHandshake(marks);
    h.feed('[gridops-sudo-x]');
    const r = h.feed('Sorry, try again.\n[gridops-sudo-x]');
    expect(r.newPrompts).toBe(1);
    expect(h.prompts).toBe(2);
    expect(h.finish()).toBe('Sorry, try again.\n');
  });

  it('reports sudo -n refusals when the command never started', () => {
    const h = new BecomeHandshake({ prompt: null, ready: 'gridops-become-ready-x' });
    h.feed('sudo: a password is required\n');
    expect(h.started).toBe(false);
    expect(h.finish()).toBe('sudo: a password is required\n');
  });
});

describe('BecomePassword', () => {
  it('reads the env var only when asked, once', async () => {
    const env = { [BECOME_PASSWORD_ENV]: SECRET };
    const p = new BecomePassword(undefined, env);
    expect(p.configured).toBe(true);
    expect(await p.known()).toBeUndefined();
    expect(await p.get()).toBe(SECRET);
    expect(await p.known()).toBe(SECRET);
  });

  it('asks a prompt callback at most once for the whole run', async () => {
    let asked = 0;
    const p = new BecomePassword(async () => {
      asked++;
      return 'pw';
    }, {});
    await Promise.all([p.get(), p.get(), p.get()]);
    expect(asked).toBe(1);
  });

  it.each([
    ['a line feed', 'first\nid > /tmp/pwned'],
    ['a carriage return', 'first\rsecond'],
    ['a NUL', 'first\0second'],
  ])('refuses a password with %s, from the env var or a prompt, without printing it', async (_what, pw) => {
    // sudo -S reads up to the first newline: the rest would stay in the channel and reach the command's stdin as root.
    for (const p of [new BecomePassword(undefined, { [BECOME_PASSWORD_ENV]: pw }), new BecomePassword(async () => pw, {})]) {
      const err = await p.get().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err).toBeInstanceOf(Error);
      expect(err!.message).toMatch(/line break or NUL/);
      for (const part of pw.split(/[\n\r\0]/)) expect(err!.message).not.toContain(part);
      expect(await p.known()).toBeUndefined();
    }
  });

  it('is not configured without env var or callback', () => {
    expect(new BecomePassword(undefined, {}).configured).toBe(false);
  });

  it('redact removes every occurrence', () => {
    expect(redact(`x ${SECRET} y ${SECRET}`, SECRET)).toBe('x ******** y ********');
    expect(redact('x', undefined)).toBe('x');
  });
});
