/**
 * The bytes as a string that gives back exactly those bytes, or undefined when they are not
 * UTF-8: Node decodes each invalid byte as U+FFFD, and encoding that string again would write
 * three other bytes in its place.
 */
export function utf8Text(bytes: Buffer): string | undefined {
  const text = bytes.toString('utf8');
  return Buffer.byteLength(text) === bytes.length && Buffer.from(text, 'utf8').equals(bytes) ? text : undefined;
}
