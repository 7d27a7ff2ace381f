import { pino, type Logger } from 'pino';

/**
 * The structured log of one run (`--log-file`): JSON lines with the transport's connection
 * events and every apply event, for audits and for debugging a failed host afterwards.
 * Fields that could carry a secret are censored, and the transport already redacts the
 * become password from command output.
 */
export function createRunLog(file: string | undefined, command: string): Logger | undefined {
  if (!file) return undefined;
  return pino(
    { base: { command, pid: process.pid }, level: 'debug', redact: { paths: ['password', '*.password', 'secret', '*.secret', 'key', '*.key'], censor: '********' } },
    pino.destination({ dest: file, sync: true, mkdir: true, append: true }),
  );
}
