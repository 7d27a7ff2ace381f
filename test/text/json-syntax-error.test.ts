import { jsonSyntaxError } from '../../src/text/json-syntax-error.js';

/** Where JSON that JSON.parse refused goes wrong, as a line and column a user can go to. */
const refusalOf = (text: string): string => {
  try {
    JSON.parse(text);
  } catch (err) {
    return jsonSyntaxError(text, (err as Error).message);
  }
  throw new Error(`${text} is valid JSON`);
};

describe('jsonSyntaxError', () => {
  it('a minus with no digit after it is said at the character after it', () => {
    expect(refusalOf('{"a": -x}')).toBe('line 1, column 8: unexpected "x"');
    expect(refusalOf('[1,\n -]')).toBe('line 2, column 3: unexpected "]"');
    expect(refusalOf('-')).toBe('line 1, column 2: unexpected end of file');
    // Not a minus: said where it is.
    expect(refusalOf('{"a": x}')).toBe('line 1, column 7: unexpected "x"');
  });

  it('nesting too deep to follow gives JSON.parse its own words, on one line, rather than a RangeError', () => {
    const deep = '['.repeat(200_000);
    let parser = '';
    try {
      JSON.parse(deep);
    } catch (err) {
      parser = (err as Error).message;
    }
    expect(parser).not.toBe('');
    expect(jsonSyntaxError(deep, parser)).toBe(parser.replace(/\s+/g, ' '));
    expect(jsonSyntaxError(`${'{"a":'.repeat(200_000)}`, 'Unexpected end of JSON input')).toBe('Unexpected end of JSON input');
  });

  it('nesting of ordinary depth is still followed to the character at fault', () => {
    expect(refusalOf(`${'['.repeat(100)}1,]${']'.repeat(99)}`)).toBe('line 1, column 103: unexpected "]"');
  });
});
