import type { Logger } from 'pino';
import { cannotWrite, checkOutputFile } from './fs/output-file.js';

/**
 * The structured log of one run (`--log-file`): JSON lines with the transport's connection
 * events and every apply event, for audits and for debugging a failed host afterwards.
 * Fields that could carry a secret are censored, and the transport already redacts the
 * become password from command output.
 */
export async function createRunLog(file: string | undefined, command: string): Promise<Logger | undefined> {
  if (!file) return undefined;
  const hint = 'give --log-file a file you can write to (its directories are made as needed), or leave it out';
  await checkOutputFile(file, hint);
  // Imported only when asked for: most runs log nothing, and start-up time counts.
  const { pino } = await import('pino');
  let destination: ReturnType<typeof pino.destination>;
  try {
    // Opened here (sync), before any host is contacted: a file that cannot be opened is said now.
    destination = pino.destination({ dest: file, sync: true, mkdir: true, append: true });
  } catch (err) {
    throw cannotWrite(file, err, hint);
  }
  return pino({ base: { command, pid: process.pid }, level: 'debug', redact: { paths: ['password', '*.password', 'secret', '*.secret', 'key', '*.key'], censor: '********' } }, destination);
}
