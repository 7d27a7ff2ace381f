/**
 * gridops' import rules, checked by `npm run lint` (part of `npm test`): no import cycle,
 * and no layer imports a layer above it. Layers, lowest first; a folder may import its own
 * layer and the ones listed before it.
 */
const LAYERS = [
  // Text made safe to print, which gridagent shares with the CLI: it imports nothing of the project.
  ['text'],
  ['errors', 'fs', 'cached-require.ts', 'version.ts', 'version-order.ts', 'package-root.ts', 'process-alive.ts', 'plural.ts', 'named-few.ts'],
  ['topology'],
  ['transport'],
  ['facts'],
  ['agent'],
  ['overlay'],
  ['state', 'secrets'],
  ['plan'],
  ['templates'],
  ['resources'],
  ['playbooks'],
  ['engine'],
  ['phases'],
  ['status'],
  ['formatters', 'graph', 'inventory'],
  ['lab'],
  ['commands', 'base-command.ts', 'command-line-error.ts', 'cli-flags.ts', 'run-log.ts', 'prompt-secret.ts', 'ask-yes.ts', 'apply-runner.ts'],
];

const pathOf = (entry) => (entry.endsWith('.ts') ? `^src/${entry.replace('.', '\\.')}$` : `^src/${entry}/`);
const group = (entries) => `(${entries.map(pathOf).join('|')})`;

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer[0]}`,
  comment: `${layer.join(', ')} must not import a higher layer (${LAYERS.slice(i + 1).flat().join(', ')})`,
  severity: 'error',
  from: { path: group(layer) },
  to: { path: group(LAYERS.slice(i + 1).flat()) },
}));

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'import cycles make layers meaningless', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'agent-is-standalone',
      comment: 'gridagent is bundled alone onto the nodes: it imports nothing of the CLI, only src/text, which imports nothing',
      severity: 'error',
      from: { path: '^src/agent/' },
      to: { path: '^src/', pathNot: '^src/(agent|text)/' },
    },
    {
      name: 'lab-is-standalone',
      comment: 'the lab builds machines; it uses only the two lowest layers and its own files',
      severity: 'error',
      from: { path: '^src/lab/' },
      to: { path: '^src/', pathNot: `^src/lab/|${group([...LAYERS[0], ...LAYERS[1]])}` },
    },
    {
      name: 'unknown-folder',
      comment: 'every folder of src/ has a place in LAYERS (.dependency-cruiser.cjs)',
      severity: 'error',
      from: { path: '^src/', pathNot: group(LAYERS.flat()) },
      to: {},
    },
    {
      // The rule above sees only a module that imports something: a folder of helpers that import
      // nothing would pass it, whoever imports them.
      name: 'unknown-folder-imported',
      comment: 'every folder of src/ has a place in LAYERS (.dependency-cruiser.cjs), including one only imported',
      severity: 'error',
      from: {},
      to: { path: '^src/', pathNot: group(LAYERS.flat()) },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|test|bench|scripts)/' },
  },
};
