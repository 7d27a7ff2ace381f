import { isScalar, visit, type Document, type Node as YamlNode } from 'yaml';

/**
 * Where the first use of a duplicate key is written: the YAML parser reports only the second
 * (at `offset`, the start of its key), and a user merging the two needs both. Keys are the same
 * as the parser judges them with `uniqueKeys: true`: scalars of equal value, however quoted.
 * Undefined where the key is not found (a key that is a collection).
 */
export function firstUseOfKey(doc: Document.Parsed, offset: number): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Map(_key, map) {
      const index = map.items.findIndex((pair) => (pair.key as YamlNode | null)?.range?.[0] === offset);
      if (index < 0) return undefined;
      const duplicate = map.items[index]!.key;
      const first = map.items.slice(0, index).find((pair) => isScalar(pair.key) && isScalar(duplicate) && pair.key.value === duplicate.value);
      found = (first?.key as YamlNode | undefined)?.range?.[0];
      return visit.BREAK;
    },
  });
  return found;
}
