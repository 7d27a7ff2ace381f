import type { Logger } from 'pino';

/**
 * The structured log of one run (`--log-file`): JSON lines with the transport's connection
 * events and every apply event, for audits and for debugging a failed host afterwards.
 * Fields that could carry a secret are censored, and the transport already redacts the
 * become password from command output.
 */
export async function createRunLog(file: string | undefined, command: string): Promise<Logger | undefined> {
  if (!file) return undefined;
  // Imported only when asked for: most runs log nothing, and start-up time counts.
  const { pino } = await import('pino');
  return pino(
    { base: { command, pid: process.pid }, level: 'debug', redact: { paths: ['password', '*.password', 'secret', '*.secret', 'key', '*.key'], censor: '********' } },
    pino.destination({ dest: file, sync: true, mkdir: true, append: true }),
  );
}
