import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlaybook } from '../../../src/playbooks/load.js';
import { LocalTransport } from '../../../src/transport/local-transport.js';
import type { Transport } from '../../../src/transport/transport.js';

/**
 * This machine as a host whose kernel directories (sysctl.d, modules-load.d, modprobe.d) live under
 * a temp root, for the tests of what an apply sweeps there: the planner reads real files, by the
 * shell read and by the read without a shell.
 */
const local = new LocalTransport('local');

/** A playbook of its own in `dir`. */
export function playbookIn(dir: string, name: string, resources: string) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\nresources:\n${resources}`);
  return loadPlaybook(file);
}

/** A root under `dir` for the kernel directories, holding these files (a value null: a dangling link). */
export function hostRoot(dir: string, files: Record<string, string | null>): string {
  const root = mkdtempSync(join(dir, 'host-'));
  for (const d of ['etc/sysctl.d', 'etc/modules-load.d', 'etc/modprobe.d']) mkdirSync(join(root, d), { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    if (content === null) symlinkSync(join(root, 'nowhere'), join(root, path));
    else writeFileSync(join(root, path), content);
  }
  return root;
}

/** This machine, with the kernel directories under `root` (paths rewritten both ways), recording which reads ran. */
export function rooted(root: string, calls: string[]): Transport {
  const into = (s: string) => s.replace(/\/etc\/(sysctl\.d|modules-load\.d|modprobe\.d)\//g, `${root}$&`);
  const back = (s: string) => s.replaceAll(root, '');
  return {
    name: 'n1',
    exec: async (command, options = {}) => {
      calls.push('exec');
      const r = await local.exec(into(command), { ...options, ...(options.stdin !== undefined && { stdin: into(String(options.stdin)) }) });
      return { ...r, stdout: back(r.stdout.toString()) };
    },
    queryFiles: async (queries, options) => {
      calls.push('queryFiles');
      const answers = await local.queryFiles(queries.map((q) => ({ ...q, path: into(q.path) })), options);
      return answers && new Map([...answers].map(([path, answer]) => [back(path), answer]));
    },
    upload: () => Promise.reject(new Error('no upload here')),
    read: () => Promise.reject(new Error('no read here')),
    close: () => Promise.resolve(),
  };
}
