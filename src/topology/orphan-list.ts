import { contentAfter, contentBefore, type LayoutLine, type LayoutMistake } from './layout-lines.js';

/**
 * The one key a list of mappings can belong to in each mapping of a topology, by where the
 * mapping sits: the grid's `regions`, a region's `subgrids`, a sub-grid's `nodes`. Elsewhere a
 * list could belong to several keys (or none), so no key is named.
 */
const LIST_KEY_BY_PLACE: Record<string, string> = { '': 'regions', 'regions[]': 'subgrids', 'regions[].subgrids[]': 'nodes' };

/**
 * A list whose items sit right under a mapping entry that already has its value, as when the
 * `nodes:` line above a sub-grid's nodes is left out: yaml then reads the items as a nested
 * mapping and reports each one in parser words. Checked around the first error of a cascade,
 * whose line is either the entry's or the list's first item's.
 */
export function orphanList(lines: ReadonlyArray<LayoutLine | undefined>, errorLine: number): LayoutMistake | undefined {
  const at = lines[errorLine - 1];
  if (!at) return undefined;
  for (const [entry, first] of [[at, contentAfter(lines, errorLine)], [contentBefore(lines, errorLine), at]] as const) {
    if (!entry?.key || entry.opens || !first?.item || first.indent < entry.key.column) continue;
    const { column } = entry.key;
    const key = likelyListKey(lines, entry, first);
    const add = key ? `\`${key}:\`` : 'its key';
    return {
      line: first.line,
      column: first.indent + 1,
      message: `YAML syntax error: this list has no key: the line above it, \`${entry.key.name}: ${entry.value}\`, already has its value`,
      hint: `a list here needs a key above it: add ${add} on a line of its own above the list, at column ${column + 1}`,
    };
  }
  return undefined;
}

/** The key the list probably belongs to, when its place in the topology leaves one, the mapping lacks it and the items are mappings. */
function likelyListKey(lines: ReadonlyArray<LayoutLine | undefined>, entry: LayoutLine, first: LayoutLine): string | undefined {
  const itemsAreMappings = first.key !== undefined || first.value.startsWith('{');
  if (!itemsAreMappings) return undefined;
  const place = placeOf(lines, entry);
  const key = place === undefined ? undefined : LIST_KEY_BY_PLACE[place];
  if (!key || keysOfMapping(lines, entry).includes(key)) return undefined;
  return key;
}

/**
 * Where the mapping holding `entry`'s key sits, as the keys above it (`regions[].subgrids[]`:
 * an item of the list under `subgrids`, itself under an item of `regions`), read from the
 * indentation; undefined when the lines above do not nest plainly.
 */
function placeOf(lines: ReadonlyArray<LayoutLine | undefined>, entry: LayoutLine): string | undefined {
  const path: string[] = [];
  let column = entry.key!.column;
  let from = entry;
  for (;;) {
    // The line that starts this mapping: `entry` itself when it is `- key: …`, else the `- key: …` above it.
    let starter: LayoutLine | undefined = from.item && from.key?.column === column ? from : undefined;
    let owner: LayoutLine | undefined;
    for (let i = from.line - 2; i >= 0 && !owner; i--) {
      const l = lines[i];
      if (!l || l.indent >= column) continue;
      if (!starter && l.item && l.key?.column === column) {
        starter = l;
        continue;
      }
      if (starter && l.indent === starter.indent && l.item) continue; // an earlier item of the same list
      owner = l;
    }
    if (!owner) return starter ? undefined : path.join('.');
    if (!owner.key || !owner.opens || owner.value !== '') return undefined;
    if (starter ? owner.indent > starter.indent : owner.key.column >= column) return undefined;
    path.unshift(`${owner.key.name}${starter ? '[]' : ''}`);
    column = owner.key.column;
    from = owner;
  }
}

/** The keys of the mapping holding `entry`'s key: the entries at its column, from the line that starts the mapping to the one that ends it. */
function keysOfMapping(lines: ReadonlyArray<LayoutLine | undefined>, entry: LayoutLine): string[] {
  const column = entry.key!.column;
  const keys = [entry.key!.name];
  const collect = (l: LayoutLine) => {
    if (l.key?.column === column) keys.push(l.key.name);
  };
  // A `- key: …` line starts its mapping: the lines above it are another item's.
  const startsMapping = entry.item && entry.indent < column;
  for (let i = startsMapping ? -1 : entry.line - 2; i >= 0; i--) {
    const l = lines[i];
    if (!l) continue;
    if (l.indent < column) {
      if (l.item) collect(l);
      break;
    }
    collect(l);
  }
  for (let i = entry.line; i < lines.length; i++) {
    const l = lines[i];
    if (!l) continue;
    if (l.indent < column) break;
    collect(l);
  }
  return keys;
}
