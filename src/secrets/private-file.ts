import { readFile, stat } from 'node:fs/promises';
import { InputFileError } from '../errors/index.js';

/**
 * A key file's bytes, or undefined when there is none. One that group or others can read is
 * refused (`what` names it in the error): the key would be no secret.
 */
export async function readPrivateFile(file: string, what: string): Promise<Buffer | undefined> {
  let mode: number;
  try {
    mode = (await stat(file)).mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (mode & 0o077) throw new InputFileError(`${what} ${file} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')})`, `chmod 600 ${file}`);
  return readFile(file);
}
