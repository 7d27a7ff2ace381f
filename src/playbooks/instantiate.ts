import type { Resource } from '../resources/resource.js';
import type { KernelConfig } from '../topology/model.js';
import { AbsentPathsResource } from '../resources/absent-paths.js';
import { AbsentLibvirtResource } from '../resources/absent-libvirt.js';
import { AbsentUnitResource } from '../resources/absent-unit.js';
import { CommandResource } from '../resources/command.js';
import { DirectoryResource } from '../resources/directory.js';
import { EgressLimitResource } from '../resources/egress-limit.js';
import { FileResource } from '../resources/file.js';
import { KernelModuleResource } from '../resources/kernel-module.js';
import { moduleKey } from '../topology/kernel-names.js';
import { LineResource } from '../resources/line.js';
import { PackageResource } from '../resources/package.js';
import { SysctlResource } from '../resources/sysctl.js';
import { SystemdUnitResource } from '../resources/systemd-unit.js';
import { restartsUnit } from '../resources/restarts-unit.js';
import { readFileSync } from 'node:fs';
import { PlanningError } from '../errors/index.js';
import { inspectImage, type ImageFile } from '../resources/image-file.js';
import { LibvirtNetworkResource } from '../resources/libvirt-network.js';
import { LibvirtPoolResource } from '../resources/libvirt-pool.js';
import { SandboxDiskResource } from '../resources/sandbox-disk.js';
import { SandboxDomainResource } from '../resources/sandbox-domain.js';
import { SandboxEgressResource } from '../resources/sandbox-egress.js';
import { SANDBOX_DOMAIN, SANDBOX_TAP } from '../resources/sandbox-names.js';
import { SandboxImageResource } from '../resources/sandbox-image.js';
import { findSource, findTemplate, renderTemplateFile, substitute, substituteCommand, type TemplateContext } from '../templates/render.js';
import { entryValueProblem } from './entry-values.js';
import { libvirtObjectOf } from './libvirt-object-entry.js';
import { appliesTo, type LoadedPlaybook } from './load.js';
import type { KernelEntries } from '../state/state.js';
import { retiredModules, retiredSysctls, type RecordedKernel } from './retired-kernel.js';
import type { PlaybookResource } from './schema.js';

/** The options kernel.params gives `module`, under either spelling of its name. */
function moduleParams(node: string, params: KernelConfig['params'], module: string): KernelConfig['params'][string] | undefined {
  const keys = Object.keys(params).filter((k) => moduleKey(k) === moduleKey(module));
  if (keys.length > 1) throw new PlanningError(`${node}: kernel.params names module ${moduleKey(module)} twice (${keys.join(', ')})`, `merge them under ${moduleKey(module)}: modprobe reads - and _ in a module name alike`);
  return keys.length ? params[keys[0]!] : undefined;
}

/** A handler: a command run once per host, after its changes, when a change notified it. */
export interface Handler {
  name: string;
  command: string;
}

/** Source files by path, read once per run: the agent bundle alone is 600 KB, wanted by every host. */
const sources = new Map<string, Buffer>();
function sourceBytes(path: string): Buffer {
  let bytes = sources.get(path);
  if (!bytes) sources.set(path, (bytes = readFileSync(path)));
  return bytes;
}

/** Secrets a playbook may place on hosts; loaded only when a playbook asks for them. */
export interface Secrets {
  gridKey?: Buffer;
  /** The key plans digest secret content with (secrets/plan-digest.ts), loaded with the secrets. */
  planDigestKey?: Buffer;
}

/** A file whose content is never shown: a secret gridops places, or one the playbook marks `sensitive`. */
function isSensitive(file: { secret?: string; sensitive?: boolean }): boolean {
  return file.secret !== undefined || file.sensitive === true;
}

/** Whether any of these playbooks writes content plans record only as a keyed digest: a sensitive file, or a line's file (so the caller loads the plan-digest key). */
export function hasSensitiveFiles(playbooks: readonly LoadedPlaybook[]): boolean {
  return playbooks.some((p) => p.resources.some((r) => ('file' in r && isSensitive(r.file)) || 'line' in r));
}

/** Whether any of these playbooks places the grid key (so the caller loads or creates it). */
export function needsGridKey(playbooks: readonly LoadedPlaybook[]): boolean {
  return playbooks.some((p) => p.resources.some((r) => 'file' in r && r.file.secret === 'grid-key'));
}

/**
 * The playbook's resources and handlers for one node, every string substituted from the topology.
 * `previousKernel`: the node's kernel settings as the state recorded them at its last apply; the
 * `sysctls` and `kernel-modules` entries sweep the files of what the topology has dropped since
 * (retired-kernel.ts). `origins`: the entry index each resource came from. `entries`: the keys and modules of the playbook's own `sysctl` and
 * `kernel-module` entries, which the state records so that the next apply removes the files of one
 * the playbook drops (retired-entries.ts).
 */
export function instantiate(playbook: LoadedPlaybook, ctx: TemplateContext, secrets: Secrets = {}, previousKernel?: RecordedKernel): { resources: Resource[]; handlers: Handler[]; entries: KernelEntries; origins: number[] } {
  const s = (v: string) => substitute(v, ctx);
  // The loader already checked that every template exists.
  const template = (name: string) => findTemplate(name, playbook.file)!;
  const readSource = (name: string) => sourceBytes(findSource(name, playbook.file)!);
  const secret = (name: 'grid-key') => {
    if (!secrets.gridKey) throw new Error(`playbook ${playbook.name} places the ${name} but none was loaded`);
    return secrets.gridKey;
  };
  const entries: KernelEntries = { sysctl: [], modules: [] };
  if (!appliesTo(playbook, ctx.node.settings)) return { resources: [], handlers: [], entries, origins: [] };
  const kernel = ctx.node.settings.kernel;
  const hypervisor = ctx.node.settings.hypervisor;
  const image = (): ImageFile => {
    if (!hypervisor.sandbox.image) throw new PlanningError(`${ctx.node.name}: hypervisor.sandbox.image is not set`, 'name a bootable disk image (raw or qcow2) on this machine under hypervisor.sandbox.image; `gridops lab image` builds a minimal one');
    return inspectImage(hypervisor.sandbox.image);
  };
  /**
   * A command substituted (render.ts), its refusal naming the playbook entry it came from as the
   * other values' do: render.ts knows the node and the command, not where the command is written.
   */
  const command = (where: string, text: string): string => {
    try {
      return substituteCommand(text, ctx);
    } catch (error) {
      const prefix = `${ctx.node.name}: `;
      if (!(error instanceof PlanningError) || !error.message.startsWith(prefix)) throw error;
      throw new PlanningError(`${prefix}playbook ${playbook.name}, ${where}: ${error.message.slice(prefix.length)}`, error.hint, { cause: error });
    }
  };
  const handlers = (playbook.handlers ?? []).map((h, index) => ({ name: h.name, command: command(`handlers[${index}] (run)`, h.run) }));
  const made = (entry: PlaybookResource, index: number): Resource[] => {
    /** `field` of this entry substituted, and refused when the result may not reach the host (entry-values.ts). */
    const rendered = (kind: string, field: string, value: string) => {
      const result = s(value);
      const verdict = entryValueProblem(kind, field, result);
      if (verdict) throw new PlanningError(`${ctx.node.name}: playbook ${playbook.name}, resources[${index}] (${kind} ${field}): ${verdict.message}`, verdict.hint);
      return result;
    };
    if ('file' in entry) {
      const f = entry.file;
      const content = f.template ? renderTemplateFile(template(f.template), ctx) : f.source ? readSource(f.source) : f.secret ? secret(f.secret) : s(f.content ?? '');
      const sensitive = isSensitive(f);
      return [new FileResource({ path: rendered('file', 'path', f.path), content, mode: f.mode, owner: f.owner && rendered('file', 'owner', f.owner), group: f.group && rendered('file', 'group', f.group), notify: f.notify, sensitive, ...(f.secret ? { secret: f.secret } : {}), ...(sensitive && secrets.planDigestKey ? { digestKey: secrets.planDigestKey } : {}), createOnly: f.createOnly })];
    }
    if ('directory' in entry) return [new DirectoryResource({ path: rendered('directory', 'path', entry.directory.path), mode: entry.directory.mode, owner: entry.directory.owner && rendered('directory', 'owner', entry.directory.owner), group: entry.directory.group && rendered('directory', 'group', entry.directory.group) })];
    if ('line' in entry) {
      const l = entry.line;
      return [new LineResource({ path: rendered('line', 'path', l.path), line: s(l.line), match: l.match && s(l.match), mode: l.mode, owner: l.owner && rendered('line', 'owner', l.owner), group: l.group && rendered('line', 'group', l.group), notify: l.notify, ...(secrets.planDigestKey ? { digestKey: secrets.planDigestKey } : {}) })];
    }
    if ('package' in entry) return [new PackageResource(entry.package.names)];
    if ('kernel-module' in entry) {
      const name = rendered('kernel-module', 'name', entry['kernel-module'].name);
      entries.modules.push(name);
      return [new KernelModuleResource(name, moduleParams(ctx.node.name, kernel.params, name))];
    }
    if ('kernel-modules' in entry) {
      const listed = new Set(kernel.modules.map(moduleKey));
      // A module kernel.params names and kernel.modules does not still gets its options: they
      // apply whenever something else loads it (udev for its hardware, a dependency, an operator).
      const optionsOnly = [...new Set(Object.keys(kernel.params).map(moduleKey))].filter((m) => !listed.has(m));
      return [
        ...kernel.modules.map((m) => new KernelModuleResource(m, moduleParams(ctx.node.name, kernel.params, m))),
        ...optionsOnly.map((m) => new KernelModuleResource(m, moduleParams(ctx.node.name, kernel.params, m), { load: false })),
        ...retiredModules(previousKernel, kernel),
      ];
    }
    if ('sysctl' in entry) {
      const key = rendered('sysctl', 'key', entry.sysctl.key);
      entries.sysctl.push(key);
      return [new SysctlResource(key, rendered('sysctl', 'value', entry.sysctl.value))];
    }
    if ('sysctls' in entry) return [...Object.entries(kernel.sysctl).map(([k, v]) => new SysctlResource(k, v)), ...retiredSysctls(previousKernel, kernel)];
    if ('systemd-unit' in entry) {
      const u = entry['systemd-unit'];
      const unit = s(u.unit);
      // A handler of another playbook is not looked at: the entry then restarts the unit itself (twice at worst, never not at all).
      const restartedByHandler = handlers.some((h) => u.notify?.includes(h.name) && restartsUnit(h.command, unit));
      return [new SystemdUnitResource({ unit, content: renderTemplateFile(template(u.template), ctx), enabled: u.enabled, started: u.started, notify: u.notify, restartedByHandler })];
    }
    if ('libvirt-network' in entry) return [new LibvirtNetworkResource(hypervisor.sandbox.network)];
    if ('libvirt-pool' in entry) return [new LibvirtPoolResource()];
    if ('sandbox-image' in entry) return [new SandboxImageResource(image())];
    if ('sandbox-disk' in entry) return [new SandboxDiskResource(image())];
    if ('sandbox-domain' in entry) {
      const sb = hypervisor.sandbox;
      return [new SandboxDomainResource({ grid: ctx.grid.name, node: ctx.node.name, vcpus: sb.vcpus, memoryMiB: sb.memoryMiB, cpuShares: sb.cpuShares, network: sb.network, image: image(), hostReserveMiB: hypervisor.hostReserveMiB, gridMemoryMiB: ctx.node.settings.qos.gridMemoryMiB, kernelModules: kernel.modules })];
    }
    if ('absent-paths' in entry) return [new AbsentPathsResource(entry['absent-paths'].paths.map(s))];
    if ('absent-libvirt' in entry) {
      const [object, name] = libvirtObjectOf(entry['absent-libvirt']);
      return [new AbsentLibvirtResource(object, rendered('absent-libvirt', object, name))];
    }
    if ('absent-unit' in entry) return [new AbsentUnitResource(s(entry['absent-unit'].unit), entry['absent-unit'].prestop && command(`resources[${index}] (absent-unit prestop)`, entry['absent-unit'].prestop))];
    if ('egress-limit' in entry) return [new EgressLimitResource(ctx.node.settings.qos.egressMbit)];
    // The qos playbook names it for every node: only a hypervisor node has a sandbox VM to hold.
    if ('sandbox-egress' in entry) return hypervisor.enabled ? [new SandboxEgressResource({ mbit: ctx.node.settings.qos.egressMbit, domain: SANDBOX_DOMAIN, tap: SANDBOX_TAP })] : [];
    const c = entry.command;
    return [new CommandResource({ name: c.name, command: command(`resources[${index}] (command run)`, c.run), creates: c.creates && s(c.creates), unless: c.unless && command(`resources[${index}] (command unless)`, c.unless), notify: c.notify })];
  };
  // `origins[i]`: the index of the entry resources[i] came from (an error about it names the entry).
  const origins: number[] = [];
  const resources = playbook.resources.flatMap((entry, index) => {
    const fromEntry = made(entry, index);
    origins.push(...fromEntry.map(() => index));
    return fromEntry;
  });
  return { resources, handlers, entries, origins };
}
