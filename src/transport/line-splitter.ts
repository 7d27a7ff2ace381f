/**
 * Splits a stream of text into lines, for the keeper's socket (one JSON object per line, both
 * ways). Each chunk is searched for '\n' once, and the start of a line that has not ended yet is
 * kept as pieces joined only when its end comes: the readers it replaces appended every chunk to
 * one string and searched that whole string again, so a line of tens of MiB (an upload's bytes
 * as base64, before uploads crossed as a path) took minutes (40 MiB: 59 s).
 *
 * A line is bounded: once it grows past `maxChars` it is reported (`onTooLong`, with its first
 * characters, where a request's id is) at that moment, and the rest of it is dropped as it comes,
 * never held, so a sender can neither fill this process's memory nor wait for an answer that only
 * comes once it sent everything.
 */

/** How much of an over-long line's start `onTooLong` gets. */
const HEAD_CHARS = 256;

export class LineSplitter {
  private pieces: string[] = [];
  private length = 0;
  /** The current line went past the bound: its rest, up to its '\n', is dropped. */
  private dropping = false;

  constructor(
    private readonly maxChars: number,
    private readonly onLine: (line: string) => void,
    private readonly onTooLong: (head: string) => void,
  ) {}

  push(chunk: string): void {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      const end = chunk.slice(start, nl);
      start = nl + 1;
      if (this.dropping) {
        this.dropping = false;
        continue;
      }
      if (!this.take(end)) {
        // This line ended here: the next one is taken again.
        this.dropping = false;
        continue;
      }
      const line = this.pieces.length === 1 ? this.pieces[0]! : this.pieces.join('');
      this.pieces = [];
      this.length = 0;
      if (line) this.onLine(line);
    }
    if (start < chunk.length && !this.dropping) this.take(chunk.slice(start));
  }

  /** Adds `piece` to the current line; false once the line went past the bound (reported, and dropped from here on). */
  private take(piece: string): boolean {
    if (this.length + piece.length <= this.maxChars) {
      this.pieces.push(piece);
      this.length += piece.length;
      return true;
    }
    let head = '';
    for (const p of [...this.pieces, piece]) if (head.length < HEAD_CHARS) head += p.slice(0, HEAD_CHARS - head.length);
    this.pieces = [];
    this.length = 0;
    this.dropping = true;
    this.onTooLong(head);
    return false;
  }
}
