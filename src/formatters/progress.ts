/** A phase line on stderr (so stdout stays the plan or the result): `gridops: message`, with elapsed time in --verbose. */
export function progressLine(message: string, elapsedMs: number, verbose: boolean): string {
  return `gridops: ${message}${verbose ? ` (${(elapsedMs / 1000).toFixed(2)} s)` : ''}\n`;
}
