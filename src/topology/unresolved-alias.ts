import { isAlias, visit, type Alias, type Document } from 'yaml';

/** An alias that names no anchor written before it, with the offset of a same-named anchor written after it, if any. */
export interface UnresolvedAlias {
  alias: Alias;
  /** The offset of the first anchor of that name below the alias: the alias came too early, rather than naming nothing. */
  laterAnchor?: number;
}

/**
 * The aliases of `doc` that name no anchor before them, in file order. yaml only throws "Unresolved
 * alias" at the first one when the document is turned into a value, which reads like an expansion
 * limit; each is its own mistake, at its own position. Anchors are followed in the order yaml's
 * Alias.resolve reads them (a visit of the document), so this names exactly the aliases it refuses.
 * `text`: the document's text, to point at an anchor's `&name` rather than at its value.
 */
export function unresolvedAliases(doc: Document.Parsed, text: string): UnresolvedAlias[] {
  const anchorsSoFar = new Set<string>();
  const anchorsAt = new Map<string, number[]>();
  const unresolved: Alias[] = [];
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        if (!anchorsSoFar.has(node.source)) unresolved.push(node);
      } else if (node.anchor) {
        anchorsSoFar.add(node.anchor);
        // A node's range starts at its value: the `&name` written before it is where the user looks.
        const start = node.range?.[0] ?? 0;
        const written = text.lastIndexOf(`&${node.anchor}`, start);
        anchorsAt.set(node.anchor, [...(anchorsAt.get(node.anchor) ?? []), written >= 0 ? written : start]);
      }
    },
  });
  return unresolved.map((alias) => {
    const later = anchorsAt.get(alias.source)?.find((offset) => offset > (alias.range?.[0] ?? 0));
    return later === undefined ? { alias } : { alias, laterAnchor: later };
  });
}
