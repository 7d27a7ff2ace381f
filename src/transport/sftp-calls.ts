import type { SFTPWrapper } from 'ssh2';
import { sftpPutFile } from './sftp-put-file.js';
import { isLocalFile, type UploadContent } from './transport.js';

/** SFTP's status for a name with nothing at it. */
export const SFTP_NO_SUCH_FILE = 2;

/** Writes `content` to `path` opened with `flags`: bytes in memory in one writeFile, a LocalFile streamed in chunks (sftp-put-file.ts). */
export function sftpWrite(sftp: SFTPWrapper, path: string, content: UploadContent, options: { mode: number; flags: 'w' | 'wx' }): Promise<void> {
  if (isLocalFile(content)) return sftpPutFile(sftp, content.localPath, path, options);
  const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return sftpCall<void>((cb) => sftp.writeFile(path, data, { mode: options.mode, flag: options.flags }, cb));
}

/** An ssh2 SFTP call, its callback made a promise. */
export function sftpCall<T>(fn: (cb: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
}
