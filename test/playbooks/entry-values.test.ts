import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlanningError, ValidationError } from '../../src/errors/index.js';
import { instantiate } from '../../src/playbooks/instantiate.js';
import { checkPlaybookText, loadPlaybook } from '../../src/playbooks/load.js';
import { templateContext } from '../../src/templates/render.js';
import { allNodes } from '../../src/topology/model.js';
import { gridWithLabels, smallGrid } from '../resources/fixtures.js';

/**
 * Paths, sysctl keys and values and module names reach a host's commands and files: a relative
 * path would be read as an option (`--help`), a newline in a module name writes lines of its own
 * into /etc/modprobe.d. A literal is refused when the playbook is read; a substituted one once
 * it is rendered for a node.
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-entry-values-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const grid = smallGrid();
const ctx = templateContext(grid, allNodes(grid).find((n) => n.name === 'n1')!);

let count = 0;
function playbookFile(resources: string): string {
  const file = join(dir, `p${++count}.yaml`);
  writeFileSync(file, `name: p${count}\nresources:\n${resources}`);
  return file;
}

/** The problems loading the playbook reports, as `path: message`. */
function loadProblems(resources: string): string[] {
  try {
    loadPlaybook(playbookFile(resources));
    return [];
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
}

describe('playbook values checked when the playbook is read', () => {
  it.each([
    ['file', '  - file: { path: "--help", content: x }\n', 'resources[0].file.path'],
    ['directory', '  - directory: { path: etc/app }\n', 'resources[0].directory.path'],
    ['line', '  - line: { path: app.conf, line: x }\n', 'resources[0].line.path'],
  ])('a %s path must be absolute', (_kind, resources, at) => {
    expect(loadProblems(resources)).toEqual([expect.stringMatching(new RegExp(`^${at.replace(/[.[\]]/g, '\\$&')}: .*is not an absolute path`))]);
  });

  it('a sysctl key must be as the topology takes it, a value one line of printable characters', () => {
    expect(loadProblems('  - sysctl: { key: "-a", value: "1" }\n')).toEqual([expect.stringMatching(/^resources\[0\]\.sysctl\.key: "-a" is not a sysctl key/)]);
    expect(loadProblems('  - sysctl: { key: net.core.rmem_max, value: "1\\nnet.ipv4.ip_forward = 1" }\n')).toEqual([expect.stringMatching(/^resources\[0\]\.sysctl\.value: .* is not a sysctl value/)]);
    expect(loadProblems('  - sysctl: { key: net.core.rmem_max, value: "4096\\t87380" }\n')).toEqual([expect.stringMatching(/^resources\[0\]\.sysctl\.value: .* is not a sysctl value/)]);
    expect(loadProblems('  - sysctl: { key: net.core.rmem_max, value: " 4096" }\n')).toEqual([expect.stringMatching(/^resources\[0\]\.sysctl\.value: .* is not a sysctl value/)]);
    // A playbook's value is one line of printable characters, wider than the topology's words: a core pattern's pipe and % specifiers.
    expect(loadProblems('  - sysctl: { key: kernel.core_pattern, value: "|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h" }\n')).toEqual([]);
  });

  it('a module name must be one, without a line of its own after it', () => {
    expect(loadProblems('  - kernel-module: { name: "dummy\\ninstall dummy /bin/sh -c id" }\n')).toEqual([expect.stringMatching(/^resources\[0\]\.kernel-module\.name: .* is not a kernel module name/)]);
  });

  it('an owner or group is one name: an id or `owner:group` would be planned as a change at every run (stat shows names)', () => {
    expect(loadProblems('  - file: { path: /etc/app.conf, content: x, owner: "1000" }\n')).toEqual([expect.stringMatching(/^resources\[0\]\.file\.owner: "1000" is a user id, not a user name/)]);
    expect(loadProblems('  - directory: { path: /srv/app, group: "+50" }\n')).toEqual([expect.stringMatching(/^resources\[0\]\.directory\.group: "\+50" is a group id, not a group name/)]);
    expect(loadProblems('  - line: { path: /etc/app.env, line: A=1, owner: "app:app" }\n')).toEqual([expect.stringMatching(/^resources\[0\]\.line\.owner: "app:app" names a user and a group/)]);
    const { problems } = checkPlaybookText('p.yaml', 'name: p\nresources:\n  - file: { path: /etc/app.conf, content: x, owner: "1000" }\n');
    expect(problems.map((p) => [`${p.line}:${p.column}`, p.hint])).toEqual([['3:53', 'write the user\'s name (the one /etc/passwd gives id 1000), e.g. owner: app']]);
    expect(checkPlaybookText('p.yaml', 'name: p\nresources:\n  - line: { path: /x, line: a, owner: "app:app" }\n').problems[0]!.hint).toBe('write owner: app and group: app');
    expect(loadProblems('  - file: { path: /etc/app.conf, content: x, owner: app1, group: "www-data" }\n')).toEqual([]);
  });

  it('an owner or group written as a YAML number is told to be a name, not to be quoted (a quoted id is refused too)', () => {
    const hints = (resources: string) => checkPlaybookText('p.yaml', `name: p\nresources:\n${resources}`).problems.map((p) => [p.path, p.message, p.hint]);
    expect(hints('  - file: { path: /etc/app.conf, content: x, owner: 1000 }\n')).toEqual([['resources[0].file.owner', 'owner must be a string, not an integer', "write the user's name (the one /etc/passwd gives id 1000), e.g. owner: app; owner: a user name"]]);
    expect(hints('  - directory: { path: /srv/app, group: 50 }\n')).toEqual([['resources[0].directory.group', 'group must be a string, not an integer', "write the group's name (the one /etc/group gives id 50), e.g. group: www-data; group: a group name"]]);
    // A number that a field with no check of its own takes once quoted: quoting it is still the advice.
    expect(hints('  - line: { path: /x, line: 1 }\n')).toEqual([['resources[0].line.line', 'line must be a string, not an integer', 'quote it: line: "1"; line: the line to ensure']]);
  });

  it('values as they should be pass', () => {
    expect(loadProblems('  - file: { path: /etc/app.conf, content: x }\n  - directory: { path: /var/lib/app }\n  - line: { path: /etc/app.env, line: x }\n  - sysctl: { key: net.core.rmem_max, value: "4096 87380" }\n  - kernel-module: { name: vhost_net }\n')).toEqual([]);
  });
});

describe('playbook values checked once rendered for a node', () => {
  const made = (resources: string) => () => instantiate(loadPlaybook(playbookFile(resources)), ctx);

  it('a substituted path that is not absolute names the entry', () => {
    expect(made('  - file: { path: "{{node.name}}/app.conf", content: x }\n')).toThrow(PlanningError);
    expect(made('  - file: { path: "{{node.name}}/app.conf", content: x }\n')).toThrow(/n1: playbook p\d+, resources\[0\] \(file path\): "n1\/app.conf" is not an absolute path/);
    expect(made('  - directory: { path: /x }\n  - line: { path: "{{node.name}}", line: x }\n')).toThrow(/resources\[1\] \(line path\): "n1" is not an absolute path/);
    expect(made('  - directory: { path: "{{node.name}}" }\n')).toThrow(/resources\[0\] \(directory path\)/);
  });

  it('a substituted sysctl key and module name are checked by the topology formats, a value for being one line', () => {
    // A label holds `$(touch /tmp/x) ' " \`id\`` (fixtures.ts).
    expect(made('  - sysctl: { key: "net.core.{{node.labels.evil}}", value: "1" }\n')).toThrow(/resources\[0\] \(sysctl key\): .* is not a sysctl key/);
    // A value only has to be one line: it goes quoted into `sysctl -w`, and into a sysctl.d line no shell reads.
    expect(made('  - sysctl: { key: net.core.rmem_max, value: "{{node.labels.evil}}" }\n')).not.toThrow();
    expect(made('  - kernel-module: { name: "m{{node.labels.evil}}" }\n')).toThrow(/resources\[0\] \(kernel-module name\): .* is not a kernel module name/);
  });

  it('a substituted owner or group that is an id or names both is refused for the node', () => {
    const labelled = gridWithLabels({ uid: '1000', both: 'app:app' });
    const labelledCtx = templateContext(labelled, allNodes(labelled)[0]!);
    const madeFor = (resources: string) => () => instantiate(loadPlaybook(playbookFile(resources)), labelledCtx);
    expect(madeFor('  - file: { path: /x, content: x, owner: "{{node.labels.uid}}" }\n')).toThrow(/resources\[0\] \(file owner\): "1000" is a user id/);
    expect(madeFor('  - directory: { path: /x, group: "{{node.labels.uid}}" }\n')).toThrow(/resources\[0\] \(directory group\): "1000" is a group id/);
    expect(madeFor('  - line: { path: /x, line: a, owner: "{{node.labels.both}}" }\n')).toThrow(/resources\[0\] \(line owner\): "app:app" names a user and a group/);
  });

  it('values as they should be are rendered', () => {
    const { resources } = made('  - file: { path: "/etc/{{node.name}}.conf", content: x }\n  - sysctl: { key: "net.core.rmem_max", value: "{{node.name}}" }\n  - kernel-module: { name: "m_{{node.name}}" }\n')();
    expect(resources.map((r) => r.id)).toEqual(['file /etc/n1.conf', 'sysctl net.core.rmem_max', 'kernel-module m_n1']);
  });
});

describe('a command refused once rendered for a node', () => {
  it('names the playbook entry it is written in, as the other values do (run, unless, prestop, handlers)', () => {
    // A label that begins with `-` would be read as an option where it starts an argument (render.ts).
    const dashed = gridWithLabels({ y: '-rf' });
    const dashedCtx = templateContext(dashed, allNodes(dashed)[0]!);
    const made = (text: string) => () => instantiate(loadPlaybook(playbookFile(text)), dashedCtx);
    expect(made('  - command: { name: a, run: "rm {{node.labels.y}} /x" }\n')).toThrow(/^n1: playbook p\d+, resources\[0\] \(command run\): \{\{node\.labels\.y\}\} in `rm \{\{node\.labels\.y\}\} \/x` is "-rf", which begins with -/);
    expect(made('  - file: { path: /x, content: x }\n  - command: { name: a, run: "true", unless: "test -e {{node.labels.y}}" }\n')).toThrow(/^n1: playbook p\d+, resources\[1\] \(command unless\): /);
    expect(made('  - absent-unit: { unit: a.service, prestop: "ls {{node.labels.y}}" }\n')).toThrow(/^n1: playbook p\d+, resources\[0\] \(absent-unit prestop\): /);
    expect(made('  - command: { name: a, run: "true", notify: [h] }\nhandlers:\n  - { name: h, run: "ls {{node.labels.y}}" }\n')).toThrow(/^n1: playbook p\d+, handlers\[0\] \(run\): /);
    expect(made('  - command: { name: a, run: "rm -- {{node.labels.y}}" }\n')).not.toThrow();
  });
});

describe('absent-libvirt names', () => {
  it('names exactly one object, whose literal name is checked when the playbook is read', () => {
    expect(loadProblems('  - absent-libvirt: { domain: a, pool: b }\n')).toEqual(['resources[0].absent-libvirt: an absent-libvirt entry names exactly one of domain, network or pool (found domain, pool)']);
    expect(loadProblems('  - absent-libvirt: {}\n')).toEqual(['resources[0].absent-libvirt: an absent-libvirt entry names exactly one of domain, network or pool (found none)']);
    expect(loadProblems('  - absent-libvirt: { network: ../x }\n')).toEqual(['resources[0].absent-libvirt.network: "../x" is not a libvirt object name']);
    expect(loadProblems('  - absent-libvirt: { pool: "-c" }\n')).toEqual(['resources[0].absent-libvirt.pool: "-c" is not a libvirt object name']);
  });

  it('a substituted name is checked once rendered for the node; one as it should be names the object', () => {
    const slashed = gridWithLabels({ y: 'a/b' });
    const slashedCtx = templateContext(slashed, allNodes(slashed)[0]!);
    expect(() => instantiate(loadPlaybook(playbookFile('  - absent-libvirt: { network: "{{node.labels.y}}" }\n')), slashedCtx)).toThrow(/^n1: playbook p\d+, resources\[0\] \(absent-libvirt network\): "a\/b" is not a libvirt object name/);
    const { resources } = instantiate(loadPlaybook(playbookFile('  - absent-libvirt: { domain: "vm-{{node.name}}" }\n  - absent-libvirt: { network: "{{node.settings.hypervisor.sandbox.network}}" }\n')), ctx);
    expect(resources.map((r) => r.id)).toEqual(['absent-libvirt domain vm-n1', 'absent-libvirt network grid-net']);
  });
});
