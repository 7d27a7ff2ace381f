import { createRequire } from 'node:module';
import type { XMLParser } from 'fast-xml-parser';
import Handlebars from 'handlebars';
import { readFileSync } from 'node:fs';
import { createTwoFilesPatch } from 'diff';
import { TEMPLATES_DIR } from '../templates/render.js';

/**
 * libvirt XML in and out. Out: handlebars templates under templates/libvirt/ whose every
 * substituted value is XML-escaped (so a hostile name lands as text, never as markup). In: a kept
 * XML parser (fast-xml-parser), and a *projection* of a document onto the XPaths gridops owns,
 * with libvirt's rewrites normalised (units to KiB, defaults it fills in are simply not owned),
 * so desired and current are compared as the same kind of flat map, and nothing else is drift.
 */

// Handlebars' Utils (and so escapeExpression) is shared by every environment, and the shell
// templates set it to quote(): values are escaped here, before rendering, and the engine does not escape.
const xml = Handlebars.create();
const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** Escapes text for XML element content and quoted attributes. */
export function escapeXml(s: string): string {
  // XML 1.0 cannot carry most control characters at all, even as references.
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(s)) throw new TypeError('a control character cannot be written into libvirt XML');
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Renders templates/libvirt/NAME with every value escaped; missing values are an error. */
export function renderLibvirtXml(name: string, data: object): string {
  let t = compiled.get(name);
  if (!t) {
    t = xml.compile(readFileSync(`${TEMPLATES_DIR}libvirt/${name}`, 'utf8'), { strict: true, noEscape: true });
    compiled.set(name, t);
  }
  return t(escapeValues(data))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .join('\n')
    .concat('\n');
}

/** Every string of the data XML-escaped (numbers and booleans as they are). */
function escapeValues(data: object): object {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, typeof v === 'string' ? escapeXml(v) : v]));
}

/** A parsed element: attributes as `@name`, text as `#text`, children as arrays. */
export type XmlNode = { [key: string]: XmlNode[] | string | undefined };

let parser: XMLParser | undefined;
/** fast-xml-parser, loaded on first use: only hosts with a sandbox VM have libvirt XML to read. */
const makeParser = (): XMLParser => new (createRequire(import.meta.url)('fast-xml-parser') as typeof import('fast-xml-parser')).XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, parseAttributeValue: false, trimValues: true, alwaysCreateTextNode: true, isArray: (_name, _path, _leaf, isAttribute) => !isAttribute, processEntities: true });

/** Parses a document; returns its root element, or null when the text is not XML with that root. */
export function parseXml(text: string, root: string): XmlNode | null {
  if (!text.trim().startsWith('<')) return null;
  try {
    parser ??= makeParser();
    const doc = parser.parse(text) as XmlNode;
    const r = doc[root];
    return Array.isArray(r) && r[0] ? r[0] : null;
  } catch {
    return null;
  }
}

/** Child elements by name (empty when none). */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  const c = node?.[name];
  return Array.isArray(c) ? c : [];
}

/** The first element along a path of names. */
export function child(node: XmlNode | undefined, ...path: string[]): XmlNode | undefined {
  let cur = node;
  for (const p of path) cur = children(cur, p)[0];
  return cur;
}

/** An element's text (also when it has attributes). */
export function text(node: XmlNode | undefined): string | undefined {
  if (node === undefined) return undefined;
  const t = node['#text'];
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return String(t[0] ?? '');
  return '';
}

export function attr(node: XmlNode | undefined, name: string): string | undefined {
  const v = node?.[`@${name}`];
  return typeof v === 'string' ? v : undefined;
}

const UNIT_KIB: Record<string, number> = { b: 1 / 1024, bytes: 1 / 1024, k: 1, kib: 1, kb: 1000 / 1024, m: 1024, mib: 1024, mb: 1e6 / 1024, g: 1024 ** 2, gib: 1024 ** 2, gb: 1e9 / 1024 };

/** A libvirt size element (`<memory unit='MiB'>128</memory>`) in KiB, as libvirt itself reports it; default unit KiB. */
export function sizeKiB(node: XmlNode | undefined): string | undefined {
  const t = text(node);
  if (t === undefined || t === '') return undefined;
  const factor = UNIT_KIB[(attr(node, 'unit') ?? 'KiB').toLowerCase()];
  return factor === undefined ? `${t} ${attr(node, 'unit')}` : String(Math.round(Number(t) * factor));
}

/** An owned view: XPath-like key -> value (undefined = absent). */
export type Projection = Record<string, string | undefined>;

/** The keys whose values differ between two projections (over the keys of `want`). */
export function differingKeys(want: Projection, have: Projection, keys: readonly string[] = Object.keys(want)): string[] {
  return keys.filter((k) => want[k] !== have[k]);
}

/** The projections as `key = value` lines, as a unified diff: the plan's view of an XML change. */
export function projectionDiff(label: string, have: Projection | null, want: Projection): string | undefined {
  const lines = (p: Projection | null) => (p ? Object.keys(want).map((k) => `${k} = ${p[k] ?? '(absent)'}`).join('\n') + '\n' : '');
  const before = lines(have);
  const after = lines(want);
  if (before === after) return undefined;
  return createTwoFilesPatch(have ? label : '/dev/null', label, before, after, '', '', { context: 1 })
    .split('\n')
    .filter((line) => !/^=+$/.test(line) && !line.startsWith('Index: '))
    .map((line) => line.replace(/\t$/, ''))
    .join('\n')
    .trimEnd();
}
