import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ansibleInventory, inventoryYaml } from '../../src/inventory/ansible-inventory.js';
import { gridWithLabels } from '../resources/fixtures.js';

/** What Ansible's YAML inventory loader reads: PyYAML's safe loader (YAML 1.1), of the Python Debian's ansible runs on. */
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const readByPyYaml = (text: string): unknown => JSON.parse(execFileSync(python, ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: text, encoding: 'utf8' }));

describe('the YAML inventory as PyYAML reads it', () => {
  it('every label value comes back as the string it is, those YAML 1.1 resolves to other tags too (=, <<, yes, 1:30)', () => {
    const labels = { eq: '=', merge: '<<', yes: 'yes', time: '1:30', octal: '0777', tilde: '~' };
    const read = readByPyYaml(inventoryYaml(ansibleInventory(gridWithLabels(labels)))) as { all: { children: Record<string, { children: Record<string, { hosts: Record<string, Record<string, unknown>> }> }> } };
    const hosts = Object.values(read.all.children).flatMap((r) => Object.values(r.children)).map((s) => s.hosts);
    const n1 = hosts.find((h) => h.n1)!.n1!;
    expect(Object.fromEntries(Object.keys(labels).map((k) => [k, n1[`label_${k}`]]))).toEqual(labels);
  });
});
