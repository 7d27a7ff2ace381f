// Emits dist/ from src/ with esbuild, one output file per source file (no bundling here: the keeper,
// gridagent's bundle and scripts import these files; scripts/bundle-cli.js then bundles the commands
// oclif loads into dist/cli). Type checking is `npm run lint` (tsc --noEmit over src, test
// and bench), part of `npm test`: emitting with tsc as well cost about 14 s of CPU in every `npm ci`
// (the demo's first step on a fresh machine) for output esbuild writes in under a second.
import { build } from 'esbuild';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

// Output of removed or renamed sources must not linger (oclif would list a deleted command).
for (const entry of existsSync('dist') ? readdirSync('dist', { withFileTypes: true }) : []) {
  if (entry.isDirectory() || /\.js(\.map)?$/.test(entry.name)) rmSync(join('dist', entry.name), { recursive: true, force: true });
}
await build({
  entryPoints: sources('src'),
  outdir: 'dist',
  outbase: 'src',
  bundle: false,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  tsconfig: 'tsconfig.build.json',
  logLevel: 'warning',
});
