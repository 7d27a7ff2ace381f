import { UnknownSelectorError } from '../../src/errors/index.js';

/**
 * The UnknownSelectorError a selection throws (`--limit`, `--site`); a selection that is accepted
 * fails the test, naming what was asked.
 */
export function selectorRefusal(select: () => unknown, asked: string): UnknownSelectorError {
  try {
    select();
  } catch (err) {
    expect(err).toBeInstanceOf(UnknownSelectorError);
    return err as UnknownSelectorError;
  }
  throw new Error(`${asked} was accepted`);
}
