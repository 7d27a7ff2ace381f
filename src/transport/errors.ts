import { RemoteCommandError } from '../errors/index.js';

/** A command ran past its `timeoutMs`; its channel was killed. Still a RemoteCommandError. */
export class CommandTimeoutError extends RemoteCommandError {
  readonly timedOut = true;
  constructor(host: string, command: string, readonly timeoutMs: number, stderr: string) {
    super(host, `command timed out after ${timeoutMs} ms and was killed (${summarize(command)})`, null, stderr);
  }
}

/** First line of a command, shortened, for error messages. Never used on anything holding a secret. */
export function summarize(command: string, max = 80): string {
  const first = command.split('\n')[0]!;
  const short = first.length > max ? `${first.slice(0, max)}…` : first;
  return command.includes('\n') && short === first ? `${short} …` : short;
}
