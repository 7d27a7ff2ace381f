import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { valueErrorSentence } from '../../src/agent/value-error-sentence.js';

/**
 * The agent's state file, the CLI's host records and a saved plan are each refused with one sentence
 * about their first bad field. They said it in three ways (`its F is V, not W`, `it has no F (W)`,
 * `F must be W, not a number`); one function says it now, the same for all three.
 */
const sentence = (schema: Parameters<typeof Value.Errors>[0], value: unknown) => valueErrorSentence(Value.Errors(schema, value).First()!);

describe('valueErrorSentence', () => {
  const Record = Type.Object({
    name: Type.String({ description: 'a host name' }),
    count: Type.Integer({ minimum: 0, description: 'a count' }),
    tags: Type.Array(Type.String()),
    kind: Type.Union([Type.Literal('file'), Type.Literal('line')]),
    format: Type.Literal('v1'),
    before: Type.Union([Type.String(), Type.Null()]),
    nested: Type.Object({ 'node-base': Type.Object({ on: Type.Boolean() }) }),
  });
  const good = { name: 'n1', count: 0, tags: [], kind: 'file', format: 'v1', before: null, nested: { 'node-base': { on: true } } };

  it.each([
    ['a value of the wrong type, with what its description says', { ...good, name: 3 }, 'name must be a host name, not 3'],
    ['a number outside its bounds, shown as it is (not as "a number")', { ...good, count: -1 }, 'count must be a count, not -1'],
    ['a missing field, with what it must be', { ...good, name: undefined }, 'name is missing (a host name)'],
    ['a field of a list, by its index', { ...good, tags: ['a', 2] }, 'tags[1] must be a string, not 2'],
    ['a list that is not one', { ...good, tags: 'a' }, 'tags must be a list, not "a"'],
    ['a value outside a union of literals', { ...good, kind: 'fiel' }, 'kind must be one of "file", "line", not "fiel"'],
    ['a literal', { ...good, format: 'v2' }, 'format must be "v1", not "v2"'],
    ['a union of types', { ...good, before: 1 }, 'before must be a string or null, not 1'],
    ['a field under a key that is no identifier', { ...good, nested: { 'node-base': { on: 'yes' } } }, 'nested["node-base"].on must be true or false, not "yes"'],
    ['an object that is not one', { ...good, nested: [] }, 'nested must be an object, not []'],
    ['the whole value', null, 'it must be an object, not null'],
  ])('%s', (_what, value, expected) => {
    expect(sentence(Record, value)).toBe(expected);
  });

  it('cuts a long value short', () => {
    expect(sentence(Record, { ...good, name: { why: 'x'.repeat(60) } })).toBe(`name must be a host name, not {"why":"${'x'.repeat(29)}...`);
  });

  it('shows a value JSON cannot write as JavaScript does, rather than failing', () => {
    expect(sentence(Type.Object({ run: Type.String() }), { run: () => 1 })).toBe('run must be a string, not () => 1');
  });
});

describe('valueErrorSentence on a tampered file: nothing a terminal would act on', () => {
  test('C1 controls, DEL and bidi overrides in a value or a key are written as \\u escapes, and a long value is cut between code points', () => {
    const schema = { type: 'integer' } as never;
    const csi = '\u009b31mred\u007f\u202eevil';
    const sentence = valueErrorSentence({ path: `/hosts/${csi}`, schema, value: csi });
    expect(sentence).not.toMatch(/[\u007f-\u009f\u202a-\u202e]/);
    expect(sentence).toContain('\\u009b31mred\\u007f\\u202eevil');
    const emoji = `${'x'.repeat(35)}😀😀😀`;
    expect(valueErrorSentence({ path: '/name', schema, value: emoji })).not.toContain('\ufffd');
    expect(Array.from(valueErrorSentence({ path: '/name', schema, value: emoji })).some((c) => c.length === 1 && /[\ud800-\udfff]/.test(c))).toBe(false);
  });
});
