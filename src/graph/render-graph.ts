import type { Graph } from '@viz-js/viz';

/** DOT (canonical, no layout) or SVG (laid out by Graphviz compiled to WebAssembly: no system binary). */
export type GraphFormat = 'dot' | 'svg';

/** Renders a graph; the WebAssembly module is loaded only when a graph is drawn (about 80 ms). */
export async function renderGraph(graph: Graph, format: GraphFormat): Promise<string> {
  const { instance } = await import('@viz-js/viz');
  const viz = await instance();
  const result = viz.render(graph, { format: format === 'dot' ? 'canon' : 'svg' });
  if (result.status !== 'success') throw new Error(`graphviz: ${result.errors.map((e) => e.message).join('; ')}`);
  return result.output;
}
