/**
 * Where text that JSON.parse refused first goes wrong, as `line 2, column 5: unexpected "}"`.
 * JSON.parse says it in V8's words, often with no position (`Unexpected token 'o', "not json\n"
 * is not valid JSON`, quoting the text across lines); this scans the text again, only once it was
 * refused, to name the line and column a user can go to. `refusal` is JSON.parse's message.
 */
export function jsonSyntaxError(text: string, refusal: string): string {
  const at = firstBadOffset(text);
  // Where this scan finds nothing wrong that JSON.parse refused, its own words, kept to one line.
  if (at < 0) return refusal.replace(/\s+/g, ' ');
  const before = text.slice(0, at).split('\n');
  const where = `line ${before.length}, column ${before.at(-1)!.length + 1}`;
  return at >= text.length ? `${where}: unexpected end of file` : `${where}: unexpected ${JSON.stringify(String.fromCodePoint(text.codePointAt(at)!))}`;
}

/** The offset of the first character that cannot continue valid JSON (text.length: it ends too soon); -1 for valid JSON. */
function firstBadOffset(text: string): number {
  let i = 0;
  const fail = (offset: number): never => {
    throw new BadJson(offset);
  };
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const expect = (char: string) => (text[i] === char ? i++ : fail(i));
  const string = () => {
    expect('"');
    for (;;) {
      const c = text[i];
      if (c === undefined || c < ' ') fail(i);
      if (c === '"') return void i++;
      if (c !== '\\') {
        i++;
        continue;
      }
      const escape = text[i + 1];
      if (escape === 'u') {
        for (let k = 2; k < 6; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) fail(i + k);
        i += 6;
      } else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) i += 2;
      else fail(i + 1);
    }
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{') return members('}', () => {
      string();
      space();
      expect(':');
      value();
    });
    if (c === '[') return members(']', value);
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (c !== word[0]) continue;
      for (const letter of word) expect(letter);
      return;
    }
    const number = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    number.lastIndex = i;
    const found = number.exec(text)?.[0] ?? '';
    // A minus with no digit after it (`-x`): what is wrong is the character after it.
    if (found === '') fail(c === '-' ? i + 1 : i);
    i += found.length;
  };
  let depth = 0;
  // A trailing comma is refused where the next member should start.
  const members = (close: string, member: () => void) => {
    // Each level of nesting is a level of recursion: past MAX_DEPTH (`[[[[…` by the thousand) the
    // scan gives up, and JSON.parse's own words are said, rather than a RangeError.
    if (++depth > MAX_DEPTH) throw new TooDeep();
    i++;
    space();
    if (text[i] === close) {
      depth--;
      return void i++;
    }
    for (;;) {
      space();
      member();
      space();
      if (text[i] === close) {
        depth--;
        return void i++;
      }
      expect(',');
    }
  };
  try {
    value();
    space();
    return i < text.length ? i : -1;
  } catch (err) {
    if (err instanceof BadJson) return err.offset;
    if (err instanceof TooDeep) return -1;
    throw err;
  }
}

/** Nesting the scan follows; far beyond any plan or state gridops writes. */
const MAX_DEPTH = 512;

class TooDeep {}

class BadJson {
  constructor(readonly offset: number) {}
}
