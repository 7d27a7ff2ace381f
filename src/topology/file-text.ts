import type { Problem } from '../errors/problem.js';

/**
 * A topology file's bytes as the text positions are counted in. A leading byte order mark is
 * dropped (editors on Windows write one): kept, it was the first character of line 1, and every
 * column on that line was one too far. Invalid UTF-8 is a problem at the byte, where decoding it
 * anyway turned the byte into U+FFFD and the file was checked as something it does not say.
 */
export function decodeTopology(file: string, bytes: Uint8Array): { text: string } | { problem: Problem } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { problem: invalidByte(file, bytes) };
  }
}

/** The text of a file validated before (its positions read again), decoded the same way. */
export function topologyText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}

/** Where the first byte that is not UTF-8 is, found by decoding up to it: the text before it gives line and column. */
function invalidByte(file: string, bytes: Uint8Array): Problem {
  // The BOM kept here, as a character, so that the text decoded counts the bytes it came from.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let before = '';
  try {
    // A streaming decoder holds back an incomplete character, and throws at the byte that breaks it.
    for (let at = 0; at < bytes.length; at++) before += decoder.decode(bytes.subarray(at, at + 1), { stream: true });
    decoder.decode();
  } catch {
    // `before` is every character before the one that is not UTF-8.
  }
  const start = Buffer.byteLength(before, 'utf8');
  const lines = before.replace(/^\uFEFF/, '').split('\n');
  return {
    file,
    line: lines.length,
    column: lines[lines.length - 1]!.length + 1,
    path: '',
    message: `the file is not UTF-8 text: byte 0x${bytes[start]!.toString(16).padStart(2, '0')} here does not begin a valid UTF-8 character`,
    hint: 'save the file as UTF-8 (most editors offer it when saving: "Save with Encoding", "UTF-8"), then check the characters on this line',
  };
}
