import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Appends one line to `file` as OpenSSH adds a host to known_hosts: opened with O_APPEND, so a
 * symlinked file stays a link (its target is written), the file keeps its mode and owner, and
 * lines another process appended since we read it stay. A newline goes first if the file lacks a
 * final one, in the same single write(2) as the line, so concurrent appenders' lines never
 * interleave. A new file gets `mode` (its directory 0700). Returns the line's 1-based number.
 */
export async function appendLine(file: string, line: string, mode = 0o600): Promise<number> {
  const handle = await openForAppend(file, mode);
  try {
    const separator = (await lacksFinalNewline(handle)) ? '\n' : '';
    const bytes = Buffer.from(`${separator}${line}\n`);
    const { bytesWritten } = await handle.write(bytes);
    // A second write could land after another appender's line: say so rather than splice.
    if (bytesWritten !== bytes.length) throw new Error(`wrote ${bytesWritten} of ${bytes.length} bytes (is the disk full?)`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  // Numbered after the write: another process may have appended between our read and our write.
  const lines = (await readFile(file, 'utf8')).split('\n');
  const at = lines.lastIndexOf(line);
  return at >= 0 ? at + 1 : lines.length - 1;
}

/**
 * Whether the file's last byte is not a newline. A concurrent appender's write(2) is atomic only
 * against other writes: one that crosses a page boundary is visible half done to fstat and pread,
 * ending mid-line, and answering yes then puts a blank line before ours. So an unfinished last
 * line is looked at again after a moment, and only one whose size stayed put counts as lacking.
 */
async function lacksFinalNewline(handle: FileHandle): Promise<boolean> {
  let seenSize = -1;
  for (let look = 0; look < 4; look++) {
    const { size } = await handle.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    const { bytesRead } = await handle.read(last, 0, 1, size - 1);
    if (bytesRead === 1 && last[0] === 0x0a) return false;
    if (size === seenSize) return true;
    seenSize = size;
    await delay(UNFINISHED_LINE_RECHECK_MS);
  }
  return true;
}

/** Long beside a page copy's microseconds; paid only when the file ends mid-line. */
const UNFINISHED_LINE_RECHECK_MS = 5;

async function openForAppend(file: string, mode: number): Promise<FileHandle> {
  try {
    return await open(file, 'a+', mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    return await open(file, 'a+', mode);
  }
}
