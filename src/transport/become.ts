/**
 * become = sudo, for an SSH user that is not root. Pure pieces, shared by the ssh and local
 * transports and unit-tested on their own.
 *
 * The command is wrapped as `sudo -S -p PROMPT -- sh -c SCRIPT` (or `sudo -n` when no password is
 * configured), where SCRIPT first prints a READY marker on stderr and then runs the command.
 * The transport watches stderr: on PROMPT it writes the password line to stdin, on READY it knows
 * sudo has let the command start, and only then writes the caller's stdin. So
 * - the password never appears in the command line (it goes to stdin, only when sudo asks);
 * - a host with NOPASSWD or a cached sudo timestamp never receives the password at all, so it
 *   cannot leak into the command's own stdin;
 * - a second PROMPT means the password was wrong, and we stop instead of retrying;
 * - if the channel closes without READY, the command never ran: that is a become failure, not
 *   a command failure.
 */
import { randomBytes } from 'node:crypto';
import { quote, sh } from './quote.js';

export interface BecomePlan {
  command: string;
  /** Present when the command goes through sudo; absent for root or `become: false`. */
  handshake?: { prompt: string | null; ready: string };
}

/** Env var read for the sudo password when the caller gives no prompt callback. */
export const BECOME_PASSWORD_ENV = 'GRIDOPS_BECOME_PASSWORD';

/** A random token for the markers; hex only, since sudo expands `%` in prompts. */
export function becomeToken(): string {
  return randomBytes(8).toString('hex');
}

/** Builds the command actually sent. Root, or no `become`, leaves the command unchanged. */
export function planBecome(command: string, options: { user: string; become?: boolean; withPassword: boolean; token: string }): BecomePlan {
  if (!options.become || options.user === 'root') return { command };
  const ready = `gridops-become-ready-${options.token}`;
  const prompt = options.withPassword ? `[gridops-sudo-${options.token}]` : null;
  const script = `printf '%s\\n' ${quote(ready)} >&2\n${command}`;
  const sudo = prompt === null ? ['sudo', '-n'] : ['sudo', '-S', '-p', prompt];
  return { command: `${sh(sudo)} -- sh -c ${quote(script)}`, handshake: { prompt, ready } };
}

/** Splits stderr into sudo's part (prompts, refusals) and the command's part (after READY). */
export class BecomeHandshake {
  private buf = '';
  private promptCount = 0;
  /** Set once READY was seen: the command is running. */
  started = false;
  /** What sudo printed before the command started, prompts removed. */
  sudoOutput = '';

  constructor(private readonly marks: { prompt: string | null; ready: string }) {}

  get prompts(): number {
    return this.promptCount;
  }

  /** Feeds decoded stderr. Returns how many new prompts appeared, and stderr that belongs to the command. */
  feed(text: string): { newPrompts: number; passthrough: string } {
    if (this.started) return { newPrompts: 0, passthrough: text };
    this.buf += text;
    let newPrompts = 0;
    const { prompt, ready } = this.marks;
    if (prompt) {
      let i: number;
      while ((i = this.buf.indexOf(prompt)) >= 0) {
        this.buf = this.buf.slice(0, i) + this.buf.slice(i + prompt.length);
        newPrompts++;
      }
    }
    this.promptCount += newPrompts;
    const r = this.buf.indexOf(`${ready}\n`);
    if (r < 0) return { newPrompts, passthrough: '' };
    this.started = true;
    this.sudoOutput = this.buf.slice(0, r);
    const passthrough = this.buf.slice(r + ready.length + 1);
    this.buf = '';
    return { newPrompts, passthrough };
  }

  /** Everything sudo said, when the command never started. */
  finish(): string {
    if (!this.started) this.sudoOutput = this.buf;
    return this.sudoOutput;
  }
}

/**
 * Why a password with a line break or NUL is refused (the message never holds the password):
 * sudo -S reads the password up to the first newline (and C strings end at a NUL), so the rest
 * would stay in the channel and reach the command's stdin, a script run as root.
 */
const UNSENDABLE_PASSWORD = (source: string) =>
  `the become password (${source}) contains a line break or NUL character; sudo -S would take only the part before it and pass the rest to the command run as root, so it is not sent. Use a sudo password without such characters`;

/**
 * The sudo password of a run, asked for at most once and only when a host's sudo asks.
 * Sources: an explicit prompt callback, else the GRIDOPS_BECOME_PASSWORD env var.
 */
export class BecomePassword {
  private pending: Promise<string | undefined> | undefined;
  constructor(
    private readonly prompt?: () => string | undefined | Promise<string | undefined>,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** Whether a password can be supplied at all (decides `sudo -S` versus `sudo -n`). */
  get configured(): boolean {
    return this.prompt !== undefined || (this.env[BECOME_PASSWORD_ENV] ?? '') !== '';
  }

  get(): Promise<string | undefined> {
    this.pending ??= Promise.resolve(this.prompt ? this.prompt() : this.env[BECOME_PASSWORD_ENV]).then((pw) => {
      if (pw !== undefined && /[\n\r\0]/.test(pw)) throw new Error(UNSENDABLE_PASSWORD(this.prompt ? 'the password typed' : BECOME_PASSWORD_ENV));
      return pw;
    });
    return this.pending;
  }

  /** The password if already known (for redaction), without asking. */
  async known(): Promise<string | undefined> {
    return this.pending ? this.pending.catch(() => undefined) : undefined;
  }
}

/** Replaces every occurrence of the secret, so no error or log can carry it. */
export function redact(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join('********');
}
